#pragma once
// Runs blocking work off the event loop: `co_await run_on(pool, f)` runs f() on `pool` and resumes
// the caller on its own executor with f's result.
//
// GCC 12 destroys a capturing lambda twice when it is created inside a co_await expression (see
// github.com/equeim/tremotesf2/pull/551). So name the lambda first and pass it by reference:
//   auto job = [x] { return work(x); };
//   auto r = co_await run_on(pool, job);
// run_on is not a coroutine itself, so its own copy of `f` is made outside any co_await.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

namespace moderatord::connectors {

template <class F>
auto run_on(boost::asio::thread_pool& pool, F&& f) -> boost::asio::awaitable<std::invoke_result_t<std::decay_t<F>&>> {
  using R = std::invoke_result_t<std::decay_t<F>&>;
  return boost::asio::co_spawn(
      pool, [fn = std::decay_t<F>(std::forward<F>(f))]() mutable -> boost::asio::awaitable<R> { co_return fn(); },
      boost::asio::use_awaitable);
}

}  // namespace moderatord::connectors
