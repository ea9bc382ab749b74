#pragma once
// Settings every polled REST platform connector shares (X, Mastodon): where the API is, how the
// HTTPS client behaves, how often to poll. Each factory reads its own keys and hands the rest here.
#include <chrono>
#include <optional>
#include <string>

#include "connectors/connector.hpp"
#include "connectors/http/https_client.hpp"
#include "connectors/settings_reader.hpp"

namespace moderatord::connectors::rest {

struct RestSettings {
  std::string account;                      // the account id (config)
  std::string api_base;                     // "https://api.x.com" (no trailing slash)
  http::HttpsClientOptions http;
  std::chrono::seconds poll_interval{120};  // Default: 2 min
  int max_pages = 10;                       // Default: 10 pages per list per poll
  std::chrono::milliseconds action_max_wait{10'000};  // an action waits at most this for a rate limit
};

// Reads `key` when it is one of the shared keys (api_base, ca_file, poll_interval, max_pages,
// timeout_ms, requests_per_hour) into `s`. Returns false when the key is not one of them; sets
// `bad` when its value is invalid (the message names the key, never a secret).
bool read_rest_setting(const ConnectorConfig& config, const std::string& key, const std::string& value,
                       RestSettings& s, std::optional<Error>& bad);

using connectors::to_int;  // whole numbers only, see settings_reader.hpp

}  // namespace moderatord::connectors::rest
