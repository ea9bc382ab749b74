#pragma once
// One coroutine at a time through a section that suspends: a credential renewal. Refresh tokens
// are single-use (X and Bluesky rotate them), so two calls that find their token refused together
// must not both renew with it: the platform refuses the second renewal, and the connector then
// stops (X) or spends a login (Bluesky). The second waits for the first's renewal and uses it.
//
// For coroutines on one strand (a connector's): the flag needs no lock. A waiter looks again every
// 20 ms; renewals are rare and take one HTTP round trip.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace moderatord::connectors {

class OneAtATime {
 public:
  class Turn {  // the section is busy while this lives, however the section ends (a throw too)
   public:
    explicit Turn(bool& busy) : busy_(busy) { busy_ = true; }
    ~Turn() { busy_ = false; }
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;

   private:
    bool& busy_;
  };

  // Waits until no coroutine is in the section; true when it had to wait.
  boost::asio::awaitable<bool> wait_turn() {
    bool waited = false;
    while (busy_) {
      waited = true;
      boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::milliseconds(20));
      co_await t.async_wait(boost::asio::use_awaitable);
    }
    co_return waited;
  }
  // Call right after wait_turn(), with no co_await between.
  [[nodiscard]] Turn enter() { return Turn(busy_); }

 private:
  bool busy_ = false;
};

}  // namespace moderatord::connectors
