#pragma once
// Awaiting the store from the event loop: `co_await store_call<T>(writer, fn)` queues fn(Store&)
// for the writer thread (it commits with whatever else is queued: group commit) and resumes the
// caller on its own executor once the batch is committed, with fn's result or the commit's error.
// Name the lambda before the co_await and pass it by reference (see connectors/blocking.hpp on
// GCC 12 and capturing lambdas inside co_await expressions).
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>

#include "store/store_writer.hpp"

namespace moderatord::daemon {

namespace net = boost::asio;

template <class T, class F>
net::awaitable<store::Result<T>> store_call(store::StoreWriter& writer, F&& fn_in) {
  using Fn = std::decay_t<F>;
  return net::async_initiate<decltype(net::use_awaitable), void(store::Result<T>)>(
      [&writer](auto handler, Fn f) {
        using Handler = decltype(handler);
        struct State {
          explicit State(Handler h) : handler(std::move(h)) {}
          Handler handler;
          std::optional<store::Result<T>> result;
        };
        auto state = std::make_shared<State>(std::move(handler));
        store::StoreJob job;
        job.run = [state, f = std::move(f)](store::Store& s) mutable -> store::Result<void> {
          store::Result<T> r = f(s);
          if (!r) return r.error();
          state->result.emplace(std::move(r));
          return {};
        };
        job.finish = [state](store::Result<void> committed) {
          auto ex = net::get_associated_executor(state->handler);
          net::dispatch(ex, [state, committed = std::move(committed)]() mutable {
            if (!committed) std::move(state->handler)(store::Result<T>(committed.error()));
            else std::move(state->handler)(std::move(*state->result));
          });
        };
        if (!writer.submit(std::move(job))) {
          // Refused (queue full or shutting down): the job will never run, so answer now.
          auto ex = net::get_associated_executor(state->handler);
          net::dispatch(ex, [state]() mutable {
            std::move(state->handler)(store::Result<T>(store::StoreError{0, "the store is busy or shutting down"}));
          });
        }
      },
      net::use_awaitable, Fn(std::forward<F>(fn_in)));
}

}  // namespace moderatord::daemon
