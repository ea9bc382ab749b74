#pragma once
// The YouTube Data API's daily quota, counted on our side: 10,000 units a day by default, reset at
// midnight Pacific time. https://developers.google.com/youtube/v3/getting-started#quota
// (commentThreads.list and comments.list cost 1 unit, comments.setModerationStatus 50.)
//
//   charge(units) ─► used today ─► remaining ─► the poll loop spreads what is left (minus the
//                                               reserve for moderation calls) until the reset
//   quotaExceeded from Google ─► exhaust(): nothing more until the reset
//   serialize() / restore() ─► persisted with the cursors, so a restart does not forget the day
//
// Pure: the clock is passed in (unix ms), so day changes and DST are tested without waiting.
// Not thread-safe: the connector uses it on the event loop only.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/policy/time_zone.hpp"

namespace moderatord::connectors::youtube {

class QuotaLedger {
 public:
  // `zone`: where the quota day starts (America/Los_Angeles for YouTube).
  QuotaLedger(int daily_limit, daemon::policy::TimeZone zone);

  void charge(int units, std::int64_t now_ms);
  void exhaust(std::int64_t now_ms);  // Google says the quota is used up, whatever we counted
  int used(std::int64_t now_ms) const;
  int remaining(std::int64_t now_ms) const;
  int daily_limit() const noexcept { return limit_; }
  // The next midnight in the zone after `now_ms` (unix ms): when the quota is back.
  std::int64_t reset_at(std::int64_t now_ms) const;

  // "2026-11-24 1234": the quota day (its date in the zone) and the units used on it.
  std::string serialize() const;
  // Takes a serialized ledger; false (and no change) when unreadable.
  bool restore(std::string_view saved);

 private:
  void roll(std::int64_t now_ms);
  int limit_;
  daemon::policy::TimeZone zone_;
  daemon::policy::LocalDate day_{};
  int used_ = 0;
};

// How long to wait before the next poll: `interval`, or longer so that what is left of the quota
// (less `reserve`, kept for moderation calls) lasts until the reset at `per_poll` units a poll; the
// whole of `to_reset` when not even one more poll fits.
std::chrono::milliseconds poll_delay(int remaining, int reserve, int per_poll, std::chrono::milliseconds to_reset,
                                     std::chrono::milliseconds interval);

}  // namespace moderatord::connectors::youtube
