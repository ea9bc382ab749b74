#include "connectors/http/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <ctime>

namespace moderatord::connectors::http {

std::chrono::milliseconds RetryPolicy::backoff(int attempt, double jitter01) const {
  double ms = static_cast<double>(initial_backoff.count());
  for (int i = 1; i < attempt && ms < static_cast<double>(max_backoff.count()); ++i) ms *= 2;
  ms = std::min(ms, static_cast<double>(max_backoff.count()));
  jitter01 = std::clamp(jitter01, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms * (0.5 + jitter01)));
}

bool retryable_status(unsigned status) noexcept {
  return status == 429 || (status >= 500 && status <= 599 && status != 501 && status != 505);
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"): the one format RFC 9110 says to send.
std::optional<std::int64_t> parse_imf_fixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s.substr(25) != " GMT") return std::nullopt;
  auto num = [&](std::size_t at, std::size_t len) -> std::optional<int> {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + len, v);
    if (ec != std::errc{} || p != s.data() + at + len) return std::nullopt;
    return v;
  };
  const auto day = num(5, 2), year = num(12, 4), hh = num(17, 2), mm = num(20, 2), ss = num(23, 2);
  if (!day || !year || !hh || !mm || !ss) return std::nullopt;
  int month = -1;
  for (int i = 0; i < 12; ++i)
    if (kMonths[static_cast<std::size_t>(i)] == s.substr(8, 3)) month = i;
  if (month < 0) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = *day;
  tm.tm_hour = *hh;
  tm.tm_min = *mm;
  tm.tm_sec = *ss;
  return static_cast<std::int64_t>(timegm(&tm));
}
}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_unix) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc{} && p == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::chrono::milliseconds(std::min<std::int64_t>(seconds, 86'400 * 7) * 1000);
  }
  if (auto at = parse_imf_fixdate(value)) return std::chrono::milliseconds(std::max<std::int64_t>(0, *at - now_unix) * 1000);
  return std::nullopt;
}

}  // namespace moderatord::connectors::http
