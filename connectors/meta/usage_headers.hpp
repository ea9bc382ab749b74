#pragma once
// Meta's rate-limit headers, read into a Throttle for the HTTPS client.
// https://developers.facebook.com/docs/graph-api/overview/rate-limiting
//   X-App-Usage: {"call_count":2,"total_cputime":2,"total_time":2}          percent of the app's hourly limit
//   X-Business-Use-Case-Usage: {"<id>":[{"type":"pages","call_count":100,...,
//                               "estimated_time_to_regain_access":10}]}      minutes until calls work again
// Pure; tested with the header values in ../shared/platforms/facebook/.
#include <chrono>
#include <string_view>

#include "connectors/http/https_client.hpp"

namespace moderatord::connectors::meta {

struct UsageOptions {
  // At or above this percentage of any limit, hold back `throttled_wait` (Meta gives no time for
  // X-App-Usage; its window is a rolling hour). Default: 95 %, 5 minutes.
  int throttle_percent = 95;
  std::chrono::milliseconds throttled_wait{300'000};
  // After a rate-limit error with no header saying how long: Default 60 s.
  std::chrono::milliseconds rate_limit_error_wait{60'000};
};

struct Usage {
  int max_percent = 0;                          // the highest call_count / total_time / total_cputime seen
  std::chrono::milliseconds regain_access{0};   // estimated_time_to_regain_access (minutes in the header)
};

// Both headers of one response (either may be empty). Unreadable values count as nothing.
Usage parse_usage(std::string_view app_usage, std::string_view business_use_case_usage);

// The ThrottleHook for Graph API responses: the usage headers, and the rate-limit error codes
// (which come with HTTP 400 or 403 as often as 429; do not key on the status).
http::Throttle graph_throttle(const http::HttpsResponse& response, const UsageOptions& options);

}  // namespace moderatord::connectors::meta
