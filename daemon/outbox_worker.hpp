#pragma once
// Executes outbox rows: platform actions through their connector, escalations through the mailer.
//
//   claim due rows (pending → in_flight) ──► execute each (deadline) ──► done
//          ▲                                        │ retry: pending again after backoff
//          └──── timer: next due row, or wake() ────┘ failed or attempts used up: dead letter
//
// At startup rows left in_flight by a crash go back to pending; executors are idempotent by
// outbox id (the replay action log, the maildir file name), so nothing is done twice.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <random>
#include <string>

#include "connectors/connector.hpp"
#include "daemon/mail/mailer.hpp"
#include "daemon/metrics.hpp"
#include "daemon/runtime.hpp"
#include "store/store_writer.hpp"

namespace moderatord::daemon {

namespace net = boost::asio;

class OutboxWorker {
 public:
  OutboxWorker(net::any_io_executor executor, store::StoreWriter& writer, const RuntimeHolder& runtime,
               std::map<std::string, connectors::Connector*> connectors, net::thread_pool& blocking, Metrics& metrics);

  // Runs until stop(). On the event loop.
  net::awaitable<void> run();
  // New rows were committed: look now rather than at the next timer.
  void wake();
  // Finishes the actions in hand, claims no more.
  void stop();
  bool idle() const noexcept { return in_hand_ == 0; }

  // Backoff before attempt `attempts + 1`: initial * 2^(attempts-1), capped, with ±50% jitter so
  // that retries after an outage do not arrive together.
  static std::chrono::milliseconds backoff(const OutboxOptions& o, int attempts, double jitter01);

 private:
  net::awaitable<void> execute(store::OutboxRow row, RuntimePtr rt);

  net::any_io_executor executor_;
  store::StoreWriter& writer_;
  const RuntimeHolder& runtime_;
  std::map<std::string, connectors::Connector*> connectors_;
  net::thread_pool& blocking_;
  Metrics& metrics_;
  net::steady_timer timer_;
  mail::Mailer mailer_;  // event loop only
  std::mt19937_64 rng_{std::random_device{}()};
  bool stopping_ = false;  // event loop only
  std::size_t in_hand_ = 0;
};

}  // namespace moderatord::daemon
