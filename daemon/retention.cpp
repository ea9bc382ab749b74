#include "daemon/retention.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "daemon/store_call.hpp"

namespace moderatord::daemon {
namespace {

using namespace std::chrono_literals;
// The first run waits a moment for start-up to settle (the connectors' first polls).
constexpr auto kFirstRun = 5s;
constexpr auto kPeriod = 1h;
// Comments per store job: each batch is one job of the writer, so a year's backlog on the first run
// after an upgrade never holds the write lock long enough to delay a webhook's answer.
constexpr int kBatch = 500;
constexpr std::int64_t kDayMs = 86'400'000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::optional<std::int64_t> retention_cutoff(std::int64_t now, int retention_days) {
  if (retention_days <= 0) return std::nullopt;
  return now - static_cast<std::int64_t>(retention_days) * kDayMs;
}

boost::asio::awaitable<void> run_retention(store::StoreWriter& writer, const RuntimeHolder& runtime, Metrics& metrics) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  timer.expires_after(kFirstRun);
  co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  for (;;) {
    const std::int64_t now = now_ms();
    if (const auto cutoff = retention_cutoff(now, runtime.get()->retention_days)) {
      store::Store::RedactionCounts total;
      for (;;) {
        auto job = [cutoff = *cutoff, now](store::Store& s) { return s.redact_expired(cutoff, now, kBatch); };
        auto r = co_await store_call<store::Store::RedactionCounts>(writer, job);
        if (!r) {
          // Tried again at the next period; nothing is lost by waiting.
          spdlog::error("retention: {}", r.error().message);
          metrics.add("moderatord_store_errors_total", "");
          break;
        }
        total.comments += r->comments;
        total.outbox += r->outbox;
        total.policy_events += r->policy_events;
        total.council_replies += r->council_replies;
        if (r->comments < kBatch) break;
      }
      if (total.comments + total.outbox + total.policy_events + total.council_replies > 0) {
        spdlog::info("retention: redacted {} comment(s), {} finished outbox row(s), {} policy event(s); "
                     "forgot {} council reply record(s)",
                     total.comments, total.outbox, total.policy_events, total.council_replies);
        metrics.add("moderatord_retention_redacted_total", "", static_cast<std::uint64_t>(total.comments));
      }
    }
    timer.expires_after(kPeriod);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
}

}  // namespace moderatord::daemon
