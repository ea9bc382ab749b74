#include "connectors/settings_reader.hpp"

#include <charconv>
#include <filesystem>

namespace moderatord::connectors {

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

SettingsReader::SettingsReader(const ConnectorConfig& config) : config_(config), who_("account " + config.id + ": ") {}

std::optional<Error> SettingsReader::whole_number(const std::string& key, const std::string& value, std::int64_t lo,
                                                  std::int64_t hi, std::int64_t& out) const {
  auto n = to_int(value);
  if (!n || *n < lo || *n > hi)
    return Error(who_ + key + " must be a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  out = *n;
  return std::nullopt;
}

std::optional<Error> SettingsReader::boolean(const std::string& key, const std::string& value, bool& out) const {
  if (value != "true" && value != "false") return Error(who_ + key + " must be true or false");
  out = value == "true";
  return std::nullopt;
}

std::optional<Error> SettingsReader::https_url(const std::string& key, const std::string& value, std::string& out) const {
  out = value;
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (!http::parse_https_url(out)) return Error(who_ + key + " must be an https:// URL");
  return std::nullopt;
}

bool SettingsReader::http_option(const std::string& key, const std::string& value, http::HttpsClientOptions& http,
                                 std::optional<Error>& bad) const {
  if (key == "ca_file") {
    std::filesystem::path p = value;
    if (p.is_relative()) p = config_.config_dir / p;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) bad = Error(who_ + "ca_file " + p.string() + " is not a readable file");
    http.ca_file = p;
  } else if (key == "timeout_ms") {
    std::int64_t n = 0;
    if (!(bad = whole_number(key, value, 100, 600'000, n)))
      http.io_timeout = http.connect_timeout = std::chrono::milliseconds(n);
  } else if (key == "requests_per_hour") {
    std::int64_t n = 0;
    if (!(bad = whole_number(key, value, 0, 1'000'000, n))) http.requests_per_hour = static_cast<int>(n);
  } else {
    return false;
  }
  return true;
}

Error SettingsReader::unknown(std::string_view platform, const std::string& key) const {
  return Error(who_ + "unknown " + std::string(platform) + " setting '" + key + "'");
}

}  // namespace moderatord::connectors
