#pragma once
// The AT Protocol's rate-limit headers, read into a Throttle for the HTTPS client.
// https://docs.bsky.app/docs/advanced-guides/rate-limits
//   RateLimit-Limit: 3000   RateLimit-Remaining: 0   RateLimit-Reset: 1767225900 (unix seconds)
//   RateLimit-Policy: 3000;w=300
// A 429 or a remaining count of 0 holds every later call back until the reset. Pure; tested with
// the headers in ../shared/platforms/bluesky/error-RateLimitExceeded.http.
#include <cstdint>

#include "connectors/http/https_client.hpp"

namespace moderatord::connectors::bluesky {

http::Throttle atproto_throttle(const http::HttpsResponse& response, std::int64_t now_unix);

}  // namespace moderatord::connectors::bluesky
