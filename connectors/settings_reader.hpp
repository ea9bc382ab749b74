#pragma once
// Reading a connector account's settings (strings from the config file): the checks every platform
// shares, so that each factory only says which keys it takes and in which range. Every error names
// the account and the key, and never repeats a value (a misplaced token must not reach the log).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/connector.hpp"
#include "connectors/http/https_client.hpp"

namespace moderatord::connectors {

// Whole numbers only: "12", not "12s", "1e3" or "".
std::optional<std::int64_t> to_int(std::string_view s);

class SettingsReader {
 public:
  explicit SettingsReader(const ConnectorConfig& config);

  // "account ID: ", the start of every message.
  const std::string& who() const noexcept { return who_; }

  // Each returns the error for a bad value, or nothing after setting `out`.
  std::optional<Error> whole_number(const std::string& key, const std::string& value, std::int64_t lo, std::int64_t hi,
                                    std::int64_t& out) const;
  template <class Rep, class Period>
  std::optional<Error> duration(const std::string& key, const std::string& value, std::int64_t lo, std::int64_t hi,
                                std::chrono::duration<Rep, Period>& out) const {
    std::int64_t n = 0;
    if (auto bad = whole_number(key, value, lo, hi, n)) return bad;
    out = std::chrono::duration<Rep, Period>(n);
    return std::nullopt;
  }
  std::optional<Error> boolean(const std::string& key, const std::string& value, bool& out) const;
  // An https:// URL; trailing slashes are dropped so that paths can be appended.
  std::optional<Error> https_url(const std::string& key, const std::string& value, std::string& out) const;

  // The HTTPS client's keys, which every connector takes: ca_file (relative to the config file),
  // timeout_ms and requests_per_hour. False when `key` is not one of them.
  bool http_option(const std::string& key, const std::string& value, http::HttpsClientOptions& http,
                   std::optional<Error>& bad) const;

  Error unknown(std::string_view platform, const std::string& key) const;

 private:
  const ConnectorConfig& config_;
  std::string who_;
};

}  // namespace moderatord::connectors
