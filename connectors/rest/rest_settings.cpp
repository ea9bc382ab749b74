#include "connectors/rest/rest_settings.hpp"

namespace moderatord::connectors::rest {

bool read_rest_setting(const ConnectorConfig& config, const std::string& k, const std::string& v, RestSettings& s,
                       std::optional<Error>& bad) {
  const SettingsReader r(config);
  std::int64_t n = 0;
  if (k == "api_base") {
    bad = r.https_url(k, v, s.api_base);
  } else if (k == "poll_interval") {
    bad = r.duration(k, v, 1, 86'400, s.poll_interval);
  } else if (k == "max_pages") {
    if (!(bad = r.whole_number(k, v, 1, 1000, n))) s.max_pages = static_cast<int>(n);
  } else {
    return r.http_option(k, v, s.http, bad);
  }
  return true;
}

}  // namespace moderatord::connectors::rest
