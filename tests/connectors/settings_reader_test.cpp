// The checks every connector's settings share (connectors/settings_reader.hpp).
#include "connectors/settings_reader.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace moderatord::connectors {
namespace {

ConnectorConfig config() {
  ConnectorConfig c;
  c.id = "council-fb";
  c.platform = "facebook";
  c.config_dir = std::filesystem::temp_directory_path();
  return c;
}

TEST(ToInt, WholeNumbersOnly) {
  EXPECT_EQ(to_int("12"), 12);
  EXPECT_EQ(to_int("-3"), -3);
  EXPECT_FALSE(to_int(""));
  EXPECT_FALSE(to_int("12s"));
  EXPECT_FALSE(to_int("1e3"));
  EXPECT_FALSE(to_int(" 1"));
  EXPECT_FALSE(to_int("99999999999999999999"));
}

TEST(SettingsReader, RangesBooleansAndUrlsNameTheAccountAndKey) {
  const auto c = config();
  const SettingsReader r(c);
  std::int64_t n = 0;
  EXPECT_FALSE(r.whole_number("max_pages", "7", 1, 10, n));
  EXPECT_EQ(n, 7);
  auto bad = r.whole_number("max_pages", "11", 1, 10, n);
  ASSERT_TRUE(bad);
  EXPECT_NE(bad->to_string().find("account council-fb: max_pages must be a whole number in [1, 10]"), std::string::npos);
  EXPECT_EQ(n, 7);  // untouched on error

  std::chrono::seconds s{};
  EXPECT_FALSE(r.duration("poll_interval", "90", 0, 86'400, s));
  EXPECT_EQ(s, std::chrono::seconds(90));

  bool b = false;
  EXPECT_FALSE(r.boolean("allow_delete", "true", b));
  EXPECT_TRUE(b);
  ASSERT_TRUE(r.boolean("allow_delete", "yes", b));

  std::string url;
  EXPECT_FALSE(r.https_url("api_base", "https://graph.facebook.com/v21.0//", url));
  EXPECT_EQ(url, "https://graph.facebook.com/v21.0");
  EXPECT_TRUE(r.https_url("api_base", "http://graph.facebook.com", url));
  EXPECT_NE(r.unknown("facebook", "colour").to_string().find("account council-fb: unknown facebook setting 'colour'"),
            std::string::npos);
}

TEST(SettingsReader, HttpOptionsAndNeverTheValueInAnError) {
  const auto c = config();
  const SettingsReader r(c);
  http::HttpsClientOptions h;
  std::optional<Error> bad;
  EXPECT_TRUE(r.http_option("timeout_ms", "2500", h, bad));
  EXPECT_FALSE(bad);
  EXPECT_EQ(h.io_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(h.connect_timeout, std::chrono::milliseconds(2500));
  EXPECT_TRUE(r.http_option("requests_per_hour", "EAAB-secret-token", h, bad));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->to_string().find("EAAB"), std::string::npos);  // a token pasted in the wrong key stays out of logs
  bad.reset();
  const auto ca = std::filesystem::temp_directory_path() / ("settings-reader-test-" + std::to_string(::getpid()) + ".pem");
  std::ofstream(ca) << "x";
  EXPECT_TRUE(r.http_option("ca_file", ca.filename().string(), h, bad));  // relative to the config file
  EXPECT_FALSE(bad);
  EXPECT_EQ(h.ca_file, ca);
  EXPECT_TRUE(r.http_option("ca_file", "no-such-file.pem", h, bad));
  EXPECT_TRUE(bad);
  std::filesystem::remove(ca);
  EXPECT_FALSE(r.http_option("page_id", "1", h, bad));
}

}  // namespace
}  // namespace moderatord::connectors
