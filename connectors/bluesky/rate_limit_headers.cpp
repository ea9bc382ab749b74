#include "connectors/bluesky/rate_limit_headers.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace moderatord::connectors::bluesky {
namespace {

std::optional<std::int64_t> number(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// A reset further away than this is not believed (a clock far off, or a day-long login limit that
// the caller handles by not logging in again): hold back this long at most.
constexpr std::int64_t kMaxWaitSeconds = 3600;

}  // namespace

http::Throttle atproto_throttle(const http::HttpsResponse& r, std::int64_t now_unix) {
  http::Throttle t;
  const auto remaining = number(r.header("ratelimit-remaining"));
  const auto reset = number(r.header("ratelimit-reset"));
  const bool refused = r.status == 429;
  if (!refused && !(remaining && *remaining <= 0)) return t;
  t.retry = refused;
  if (reset) {
    const std::int64_t wait = std::clamp<std::int64_t>(*reset - now_unix, 0, kMaxWaitSeconds);
    t.wait = std::chrono::milliseconds(wait * 1000);
  }
  return t;
}

}  // namespace moderatord::connectors::bluesky
