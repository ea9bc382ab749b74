#include "connectors/youtube/quota_ledger.hpp"

#include <algorithm>
#include <charconv>

namespace moderatord::connectors::youtube {

QuotaLedger::QuotaLedger(int daily_limit, daemon::policy::TimeZone zone) : limit_(daily_limit), zone_(std::move(zone)) {}

void QuotaLedger::roll(std::int64_t now_ms) {
  const auto today = zone_.to_local(now_ms).date;
  if (today != day_) {
    day_ = today;
    used_ = 0;
  }
}

void QuotaLedger::charge(int units, std::int64_t now_ms) {
  roll(now_ms);
  used_ += std::max(0, units);
}

void QuotaLedger::exhaust(std::int64_t now_ms) {
  roll(now_ms);
  used_ = std::max(used_, limit_);
}

int QuotaLedger::used(std::int64_t now_ms) const {
  return zone_.to_local(now_ms).date == day_ ? used_ : 0;
}

int QuotaLedger::remaining(std::int64_t now_ms) const { return std::max(0, limit_ - used(now_ms)); }

std::int64_t QuotaLedger::reset_at(std::int64_t now_ms) const {
  return zone_.start_of_day(zone_.to_local(now_ms).date.next());
}

std::string QuotaLedger::serialize() const { return day_.iso() + " " + std::to_string(used_); }

bool QuotaLedger::restore(std::string_view saved) {
  const auto sp = saved.find(' ');
  if (sp == std::string_view::npos) return false;
  auto date = daemon::policy::parse_local_date(saved.substr(0, sp));
  int used = 0;
  const std::string_view n = saved.substr(sp + 1);
  auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), used);
  if (!date || ec != std::errc{} || p != n.data() + n.size() || used < 0) return false;
  day_ = *date;
  used_ = used;
  return true;
}

std::chrono::milliseconds poll_delay(int remaining, int reserve, int per_poll, std::chrono::milliseconds to_reset,
                                     std::chrono::milliseconds interval) {
  per_poll = std::max(1, per_poll);
  const int spare = remaining - reserve;
  if (spare < per_poll) return std::max(to_reset, std::chrono::milliseconds(0));
  const std::chrono::milliseconds spread = to_reset / (spare / per_poll);
  return std::max(interval, spread);
}

}  // namespace moderatord::connectors::youtube
