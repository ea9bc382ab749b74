#pragma once
// Reply deadlines (policy 7.7.2) on a timer: before an item is due its reminder email goes to the
// moderators, and once due has passed it is recorded as a breach. State lives in SQLite only:
//
//   wake (new items, start) or next due ──► store job: open items → sweep(now) ──► reminder rows
//        ▲                                   (reminded_at set in the same          + breach records
//        └────────── sleep until next_at, at most kMaxSleep ◄── transaction: never twice)
//
// After a restart the first sweep catches up: reminders and breaches that fell due while the
// daemon was down are sent and recorded once.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>

#include "daemon/metrics.hpp"
#include "daemon/runtime.hpp"
#include "store/store_writer.hpp"

namespace moderatord::daemon {

namespace net = boost::asio;

class SlaTimer {
 public:
  // `on_mail`: called on the executor after a sweep queued emails (wakes the outbox worker).
  SlaTimer(net::any_io_executor executor, store::StoreWriter& writer, const RuntimeHolder& runtime, Metrics& metrics,
           std::function<void()> on_mail);

  net::awaitable<void> run();  // until stop(); on the event loop
  void wake();                 // sweep now
  void wake_by(std::int64_t at_ms);  // a new item needs attention at `at_ms`: sweep then, if sooner
  void stop();

  // The longest sleep: also bounds how late a wall-clock jump (NTP, suspend) is noticed.
  static constexpr std::chrono::seconds kMaxSleep{60};

 private:
  net::any_io_executor executor_;
  store::StoreWriter& writer_;
  const RuntimeHolder& runtime_;
  Metrics& metrics_;
  std::function<void()> on_mail_;
  net::steady_timer timer_;
  bool stopping_ = false;
  std::int64_t next_sweep_ms_ = 0;  // when the timer will next sweep (unix ms); event loop only
};

}  // namespace moderatord::daemon
