#include "connectors/meta/usage_headers.hpp"

#include <simdjson.h>

#include <algorithm>

#include "connectors/meta/graph_error.hpp"

namespace moderatord::connectors::meta {
namespace {

int percent_of(simdjson::dom::object o, std::string_view key) {
  int64_t n = 0;
  if (o[key].get_int64().get(n) == simdjson::SUCCESS) return static_cast<int>(std::clamp<int64_t>(n, 0, 1000));
  double d = 0;
  if (o[key].get_double().get(d) == simdjson::SUCCESS) return static_cast<int>(std::clamp(d, 0.0, 1000.0));
  return 0;
}

void read_counts(simdjson::dom::object o, Usage& u) {
  for (auto key : {"call_count", "total_time", "total_cputime", "acc_id_util_pct"})
    u.max_percent = std::max(u.max_percent, percent_of(o, key));
}

}  // namespace

Usage parse_usage(std::string_view app_usage, std::string_view business_use_case_usage) {
  Usage u;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (!app_usage.empty() && parser.parse(app_usage.data(), app_usage.size()).get_object().get(obj) == simdjson::SUCCESS)
    read_counts(obj, u);
  if (!business_use_case_usage.empty() &&
      parser.parse(business_use_case_usage.data(), business_use_case_usage.size()).get_object().get(obj) ==
          simdjson::SUCCESS) {
    for (auto [id, list] : obj) {
      simdjson::dom::array arr;
      if (list.get_array().get(arr) != simdjson::SUCCESS) continue;
      for (auto item : arr) {
        simdjson::dom::object o;
        if (item.get_object().get(o) != simdjson::SUCCESS) continue;
        read_counts(o, u);
        int64_t minutes = 0;
        if (o["estimated_time_to_regain_access"].get_int64().get(minutes) == simdjson::SUCCESS && minutes > 0)
          u.regain_access = std::max(u.regain_access, std::chrono::milliseconds(std::min<int64_t>(minutes, 24 * 60) * 60'000));
      }
    }
  }
  return u;
}

http::Throttle graph_throttle(const http::HttpsResponse& response, const UsageOptions& options) {
  http::Throttle t;
  const Usage u = parse_usage(response.header("x-app-usage"), response.header("x-business-use-case-usage"));
  // Meta's own estimate when it gives one; otherwise our default pause near the limit.
  t.wait = u.regain_access;
  if (t.wait.count() == 0 && u.max_percent >= options.throttle_percent) t.wait = options.throttled_wait;
  if (response.status >= 400) {
    if (auto e = parse_graph_error(response.body); e && classify(*e) == GraphErrorClass::rate_limited) {
      t.retry = true;
      if (t.wait.count() == 0 && response.header("retry-after").empty()) t.wait = options.rate_limit_error_wait;
    }
  }
  return t;
}

}  // namespace moderatord::connectors::meta
