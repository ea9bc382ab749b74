#include "connectors/rest/rest_settings.hpp"

#include <charconv>

namespace moderatord::connectors::rest {

std::optional<std::int64_t> to_int(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool read_rest_setting(const ConnectorConfig& config, const std::string& k, const std::string& v, RestSettings& s,
                       std::optional<Error>& bad) {
  const std::string who = "account " + config.id + ": ";
  auto in_range = [&](std::int64_t lo, std::int64_t hi) -> std::optional<std::int64_t> {
    auto n = to_int(v);
    if (!n || *n < lo || *n > hi) {
      bad = Error(who + k + " must be a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      return std::nullopt;
    }
    return n;
  };
  if (k == "api_base") {
    s.api_base = v;
    while (!s.api_base.empty() && s.api_base.back() == '/') s.api_base.pop_back();
    if (!http::parse_https_url(s.api_base)) bad = Error(who + "api_base must be an https:// URL");
  } else if (k == "ca_file") {
    std::filesystem::path p = v;
    if (p.is_relative()) p = config.config_dir / p;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) bad = Error(who + "ca_file " + p.string() + " is not a readable file");
    s.http.ca_file = p;
  } else if (k == "poll_interval") {
    if (auto n = in_range(1, 86'400)) s.poll_interval = std::chrono::seconds(*n);
  } else if (k == "max_pages") {
    if (auto n = in_range(1, 1000)) s.max_pages = static_cast<int>(*n);
  } else if (k == "timeout_ms") {
    if (auto n = in_range(100, 600'000)) s.http.io_timeout = s.http.connect_timeout = std::chrono::milliseconds(*n);
  } else if (k == "requests_per_hour") {
    if (auto n = in_range(0, 1'000'000)) s.http.requests_per_hour = static_cast<int>(*n);
  } else {
    return false;
  }
  return true;
}

}  // namespace moderatord::connectors::rest
