// [sla] and [account.sla] in moderatord.toml, and the policy files they name.
#include <gtest/gtest.h>

#include <fstream>

#include "daemon/config.hpp"

namespace moderatord::daemon {
namespace {

class SlaConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("moderatord-sla-config-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& sla, const std::string& account_extra = "") {
    std::ofstream(dir_ / "m.toml") << "[mail]\nmoderators = [\"mods@example.org\"]\n" << sla
                                   << "\n[[account]]\nid = \"site\"\nplatform = \"webhook\"\nsecret_file = \"s\"\n"
                                   << account_extra << "\n[[account]]\nid = \"fb\"\nplatform = \"facebook\"\n";
    return dir_ / "m.toml";
  }
  std::filesystem::path dir_;
};

constexpr std::int64_t kHour = 3600000;

TEST_F(SlaConfigTest, DefaultsAre24HoursOnTheClockAndMessengerHasItsWindow) {
  auto c = load_config(write(""));
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->sla.time_zone, "Europe/London");
  const auto& site = c->accounts[0].sla;
  EXPECT_EQ(site.clock, policy::SlaPolicy::Clock::calendar);
  EXPECT_EQ(site.response_ms, 24 * kHour);
  EXPECT_EQ(site.message_window_ms, 0);
  EXPECT_EQ(c->accounts[1].sla.message_window_ms, 24 * kHour);  // facebook
  // Policy files default next to the config; absent defaults are fine (built-in fallbacks).
  auto files = load_policy_files(c->sla, false);
  ASSERT_TRUE(files) << files.error().to_string();
  EXPECT_FALSE(files->offer_offline_wording.empty());
  EXPECT_EQ(files->holidays_end, std::nullopt);
}

TEST_F(SlaConfigTest, GlobalSettingsAndAccountOverrides) {
  auto c = load_config(write("[sla]\nclock = \"working_hours\"\nworking_hours = 7.5\nremind_before_minutes = 90\n"
                             "holidays = \"" MODERATORD_SOURCE_DIR "/config/policy/bank-holidays-england-and-wales.txt\"\n"
                             "[sla.opening_hours]\nmon = \"08:30-16:00\"\nfri = \"08:30-12:00\"\n",
                             "sla = { clock = \"calendar\", response_hours = 48 }"));
  ASSERT_TRUE(c) << c.error().to_string();
  const auto& site = c->accounts[0].sla;
  EXPECT_EQ(site.clock, policy::SlaPolicy::Clock::calendar);
  EXPECT_EQ(site.response_ms, 48 * kHour);
  EXPECT_EQ(site.remind_before_ms, 90 * 60000);
  const auto& fb = c->accounts[1].sla;
  EXPECT_EQ(fb.clock, policy::SlaPolicy::Clock::working_hours);
  EXPECT_EQ(fb.working_ms, static_cast<std::int64_t>(7.5 * kHour));
  EXPECT_TRUE(c->sla.opening_hours.days[0].is_open());
  EXPECT_FALSE(c->sla.opening_hours.days[1].is_open());  // not listed: closed
  auto files = load_policy_files(c->sla, true);
  ASSERT_TRUE(files) << files.error().to_string();
  ASSERT_TRUE(files->holidays_end);
}

TEST_F(SlaConfigTest, MistakesNameTheKey) {
  auto c = load_config(write("[sla]\nclock = \"office\"\ntime_zone = \"Europe/Londn\"\nresponse_hours = -1\n"
                             "reply_hours = 3\n[sla.opening_hours]\nmonday = \"09:00-17:00\"\ntue = \"17:00-09:00\"\n",
                             "sla = { response_hours = \"soon\" }"));
  ASSERT_FALSE(c);
  const std::string e = c.error().to_string();
  for (const char* key : {"sla.clock", "sla.time_zone", "sla.response_hours", "sla.reply_hours",
                          "sla.opening_hours.monday", "sla.opening_hours.tue", "account[0].sla.response_hours"})
    EXPECT_NE(e.find(key), std::string::npos) << key << " not in:\n" << e;
}

TEST_F(SlaConfigTest, WorkingHoursNeedTheHolidaysFileAndANamedFileMustExist) {
  auto c = load_config(write("[sla]\nclock = \"working_hours\"\n"));
  ASSERT_TRUE(c) << c.error().to_string();
  auto files = load_policy_files(c->sla, true);
  ASSERT_FALSE(files);
  EXPECT_NE(files.error().to_string().find("holidays"), std::string::npos);

  auto named = load_config(write("[sla]\nown_posts = \"nowhere.toml\"\n"));
  ASSERT_TRUE(named);
  auto missing = load_policy_files(named->sla, false);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().to_string().find("nowhere.toml"), std::string::npos);
}

}  // namespace
}  // namespace moderatord::daemon
