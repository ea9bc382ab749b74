#include "daemon/config.hpp"
#include "daemon/retention.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace moderatord::daemon {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("moderatord-config-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& text) {
    std::ofstream(dir_ / "m.toml") << text;
    return dir_ / "m.toml";
  }
  std::filesystem::path dir_;
};

constexpr const char* kMinimal = R"(
[mail]
moderators = ["mods@example.org"]
[[account]]
id = "site"
platform = "webhook"
secret_file = "s.secret"
)";

TEST_F(ConfigTest, ShippedExampleIsValid) {
  auto c = load_config(MODERATORD_SOURCE_DIR "/config/moderatord.toml", dir_);
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->daemon.state_dir, dir_);
  EXPECT_EQ(c->daemon.database, dir_ / "moderatord.db");
  EXPECT_EQ(c->daemon.rules, std::filesystem::path(MODERATORD_SOURCE_DIR "/config/rules"));
  EXPECT_EQ(c->accounts.size(), 2u);
}

TEST_F(ConfigTest, DefaultsAndPathResolution) {
  auto c = load_config(write(kMinimal));
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->daemon.synchronous, store::Synchronous::full);
  ASSERT_EQ(c->http.listen.size(), 1u);
  EXPECT_EQ(c->http.listen[0].host, "127.0.0.1");
  EXPECT_EQ(c->accounts[0].settings.at("secret_file"), "s.secret");
  EXPECT_EQ(c->accounts[0].config_dir, dir_);
  EXPECT_EQ(c->mail.maildir, std::filesystem::path("/var/lib/moderatord/mail"));
}

TEST_F(ConfigTest, ErrorsNameTheKeyAndLine) {
  auto c = load_config(write(R"([daemon]
synchronus = "full"
[http]
listen = ["localhost"]
max_connections = 0
[[account]]
id = "Bad Id"
platform = "webhook"
mode = "watch"
)"));
  ASSERT_FALSE(c);
  const std::string e = c.error().to_string();
  EXPECT_NE(e.find("m.toml:2: daemon.synchronus: unknown key"), std::string::npos) << e;
  EXPECT_NE(e.find("http.listen: 'localhost' is not HOST:PORT"), std::string::npos) << e;
  EXPECT_NE(e.find("http.max_connections: must be at least 1"), std::string::npos) << e;
  EXPECT_NE(e.find("account[0].id: must be"), std::string::npos) << e;
  EXPECT_NE(e.find("account[0].mode: must be enforce or observe"), std::string::npos) << e;
  EXPECT_NE(e.find("mail.moderators"), std::string::npos) << e;
}

TEST_F(ConfigTest, RetentionDays) {
  auto d = load_config(write(kMinimal));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->daemon.retention_days, 365);
  auto forever = load_config(write(std::string("[daemon]\nretention_days = 0\n") + kMinimal));
  ASSERT_TRUE(forever) << forever.error().to_string();
  EXPECT_EQ(forever->daemon.retention_days, 0);
  EXPECT_EQ(retention_cutoff(1'000'000'000'000, 0), std::nullopt);
  EXPECT_EQ(retention_cutoff(1'000'000'000'000, 30), std::optional<std::int64_t>(1'000'000'000'000 - 30 * 86'400'000LL));
  // A typo that would strip last week's comments is refused, not obeyed.
  auto tiny = load_config(write(std::string("[daemon]\nretention_days = 3\n") + kMinimal));
  ASSERT_FALSE(tiny);
  EXPECT_NE(tiny.error().to_string().find("m.toml:2: daemon.retention_days: must be 0 (keep for ever) or 7..36500"),
            std::string::npos)
      << tiny.error().to_string();
}

TEST_F(ConfigTest, AccountThresholdOverrides) {
  auto c = load_config(write(std::string(kMinimal) + "[account.thresholds.abusive]\nhide = 1.5\nreport = 4\n"));
  ASSERT_TRUE(c) << c.error().to_string();
  const auto& row = c->accounts[0].thresholds.at(classifier::Category::abusive);
  EXPECT_DOUBLE_EQ(row[static_cast<std::size_t>(classifier::Action::hide)], 1.5);
  EXPECT_EQ(row[static_cast<std::size_t>(classifier::Action::escalate)], classifier::Thresholds::kNever);
}

// Account settings reach the connectors as strings: a number must read as it was written (a large
// integer once came out as "1e+06", which no connector accepts).
TEST_F(ConfigTest, AccountSettingNumbersKeepTheirDigits) {
  auto c = load_config(write(std::string(kMinimal) + "requests_per_hour = 1000000\nratio = 0.25\nbig = 123456789012\n"));
  ASSERT_TRUE(c) << c.error().to_string();
  const auto& settings = c->accounts[0].settings;
  EXPECT_EQ(settings.at("requests_per_hour"), "1000000");
  EXPECT_EQ(settings.at("ratio"), "0.25");
  EXPECT_EQ(settings.at("big"), "123456789012");
}

TEST_F(ConfigTest, RestartOnlyChangesAreListed) {
  auto a = load_config(write(kMinimal));
  auto b = load_config(write(std::string("[http]\nlisten = [\"127.0.0.1:9090\"]\n[outbox]\nmax_attempts = 3\n") + kMinimal));
  ASSERT_TRUE(a && b);
  const auto diff = diff_restart_only(*a, *b);
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_EQ(diff[0], "http.listen");
}

TEST_F(ConfigTest, BrokenTomlIsAClearError) {
  auto c = load_config(write("[daemon\n"));
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().to_string().find("m.toml:1"), std::string::npos) << c.error().to_string();
  EXPECT_FALSE(load_config(dir_ / "missing.toml"));
}

}  // namespace
}  // namespace moderatord::daemon
