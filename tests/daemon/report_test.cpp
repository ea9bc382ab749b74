// The daily report's figures on a hand-computed fixture day (tests/data/report/), the day the clocks
// go back (Sunday 25 October 2026 in Europe/London: 25 hours), its renderings, and when it is sent.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/report/daily_report.hpp"
#include "daemon/report/report_render.hpp"
#include "daemon/report/report_scheduler.hpp"
#include "store/report_reads.hpp"
#include "store/store.hpp"

namespace moderatord::daemon::report {
namespace {

constexpr std::int64_t kHour = 3600000;
constexpr std::int64_t kMinute = 60000;

class ReportFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("moderatord-report-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    db_ = dir_ / "moderatord.db";
    {
      store::StoreOptions o;
      o.path = db_;
      auto s = store::Store::open(o);  // creates and migrates the schema
      ASSERT_TRUE(s) << s.error().message;
    }
    std::ifstream in(std::filesystem::path(MODERATORD_SOURCE_DIR) / "tests/data/report/fixture-2026-10-25.sql");
    std::ostringstream sql;
    sql << in.rdbuf();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.str().c_str(), nullptr, nullptr, &err);
    const std::string message = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
    auto tz = policy::TimeZone::load("Europe/London");
    ASSERT_TRUE(tz);
    tz_.emplace(*tz);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  DailyReport report(std::string_view date) {
    auto reader = store::ReportReader::open(db_);
    EXPECT_TRUE(reader) << (reader ? "" : reader.error().message);
    auto r = build_report(*reader, *tz_, *policy::parse_local_date(date), {"site", "web"});
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return *r;
  }

  std::filesystem::path dir_, db_;
  std::optional<policy::TimeZone> tz_;
};

TEST_F(ReportFixture, FiguresOfTheClockChangeDay) {
  const DailyReport r = report("2026-10-25");
  EXPECT_EQ(r.window.to_ms - r.window.from_ms, 25 * kHour);
  ASSERT_EQ(r.accounts.size(), 3u);  // fb (a row in accounts), site, web (configured, never seen)
  EXPECT_EQ(r.accounts[0].account, "fb");
  EXPECT_EQ(r.accounts[0].comments, 0);
  EXPECT_EQ(r.accounts[2].account, "web");
  const AccountDay& a = r.accounts[1];
  ASSERT_EQ(a.account, "site");
  // Received 00:30 BST .. 23:30 GMT: comments 4, 5, 6, 7, 10, 11, 12 (not 8 or 13, 23:30 and 23:40 BST on the 24th).
  EXPECT_EQ(a.comments, 7);
  using Kinds = std::map<std::string, std::int64_t>;
  EXPECT_EQ(a.actions.at("obscene"), (Kinds{{"hide", 1}}));  // comment 13's hide was on the 24th
  EXPECT_EQ(a.actions.at("abusive"), (Kinds{{"hide", 1}, {"report", 1}, {"escalate", 1}}));
  EXPECT_EQ(a.actions.at("uncertain"), (Kinds{{"escalate", 1}}));
  const SlaFigures& s = a.sla;
  EXPECT_EQ(s.needing_reply, 2);  // items 4 and 5; 6 and 7 are exempt
  EXPECT_EQ(s.due, 3);            // items 1, 2, 3 (4 is due 00:30 on the 26th, 9 at 23:59 BST on the 24th)
  EXPECT_EQ(s.within, 1);         // item 1
  ASSERT_TRUE(s.within_pct);
  EXPECT_NEAR(*s.within_pct, 100.0 / 3, 1e-9);
  // Answered on the day: 1 (22 h), 2 (27 h 30), 4 (1 h 30), 9 (26 h): median (22 + 26) / 2, p90 the 4th.
  EXPECT_EQ(s.replied, 4);
  EXPECT_EQ(*s.median_ms, 24 * kHour);
  EXPECT_EQ(*s.p90_ms, 27 * kHour + 30 * kMinute);
  ASSERT_EQ(s.breaches.size(), 2u);
  EXPECT_EQ(s.breaches[0].item.comment_id, 2);
  EXPECT_EQ(s.breaches[0].lateness_ms, 3 * kHour + 30 * kMinute);
  EXPECT_FALSE(s.breaches[0].still_open);
  EXPECT_EQ(s.breaches[1].item.comment_id, 3);
  EXPECT_EQ(s.breaches[1].lateness_ms, 4 * kHour);  // 20:00 GMT to the end of the day
  EXPECT_TRUE(s.breaches[1].still_open);
  EXPECT_EQ(s.exemptions, (std::map<std::string, std::int64_t>{{"rhetorical", 1}, {"repeat", 1}}));
  EXPECT_EQ(a.one_reply_violations.size(), 1u);
  ASSERT_EQ(a.own_post_alerts.size(), 1u);  // the other was 23:00 BST on the 24th
  EXPECT_EQ(a.own_post_alerts[0].url, "https://council.example/c/i7");
  EXPECT_EQ(r.dead_letters.size(), 2u);
  EXPECT_EQ(r.dead_on_day, 1);
  // 30 days, 26 Sep .. 25 Oct; the 24th had item 9 due and late.
  ASSERT_EQ(r.history.size(), 30u);
  EXPECT_EQ(r.history.front().date.iso(), "2026-09-26");
  EXPECT_EQ(r.history.back().date.iso(), "2026-10-25");
  EXPECT_EQ(*r.history[28].within_pct, 0.0);
  EXPECT_EQ(r.history[28].due, 1);
  EXPECT_NEAR(*r.history[29].within_pct, 100.0 / 3, 1e-9);
  EXPECT_EQ(*r.history[29].median_ms, 24 * kHour);
  EXPECT_FALSE(r.history[0].within_pct);
}

TEST_F(ReportFixture, TheDayBeforeIsItsOwnDay) {
  const DailyReport r = report("2026-10-24");
  EXPECT_EQ(r.window.to_ms - r.window.from_ms, 24 * kHour);
  const AccountDay& a = r.accounts[1];
  EXPECT_EQ(a.comments, 6);  // 1, 2, 3, 8, 13, and 9 (23:00 UTC on the 23rd is 00:00 BST on the 24th)
  EXPECT_EQ(a.sla.due, 1);
  EXPECT_EQ(a.sla.within, 0);
  EXPECT_EQ(a.sla.exemptions.at("rhetorical"), 1);  // item 8, 23:30 BST
  EXPECT_EQ(a.own_post_alerts.size(), 1u);
}

TEST_F(ReportFixture, Renderings) {
  const DailyReport r = report("2026-10-25");
  const std::string text = report_text(r);
  for (const char* s : {"moderatord daily report for 2026-10-25 (Europe/London; the clocks changed: this day had 25 hours)",
                        "Comments received:        7", "Replied within the SLA:   1 of 3 due (33.3%)",
                        "median 1 d 0 h, 90th percentile 1 d 3 h (4 replied)", "3 h 30 min late",
                        "4 h 00 min late and still open", "Exemptions:               repeat 1, rhetorical 1",
                        "abusive         hidden 1, reported 1, escalated 1", "Dead letters:             2 (1 on the day)",
                        "2026-10-24  0.0%"})
    EXPECT_NE(text.find(s), std::string::npos) << s << "\n" << text;
  const std::string html = report_html(r);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Cat &lt;b&gt;"), std::string::npos);  // escaped
  EXPECT_EQ(html.find("Cat <b>"), std::string::npos);
  EXPECT_NE(html.find("Sunday 25 October 2026"), std::string::npos);
  const std::string csv = report_csv(r);
  // The header and items 1-7 and 9 (answered on the day); 8 is wholly on the 24th.
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 8);
  EXPECT_NE(csv.find("site,3,i3,https://council.example/c/i3,Cat <b>,reply,open,,2026-10-24T21:00:00+01:00,"
                     "2026-10-25T20:00:00+00:00,,,,no\r\n"),
            std::string::npos)
      << csv;
}

TEST(ReportMaths, MedianAndPercentile) {
  EXPECT_EQ(median({5}), 5);
  EXPECT_EQ(median({4, 1, 3}), 3);
  EXPECT_EQ(median({1, 2, 3, 10}), 2);  // (2 + 3) / 2 in whole ms
  EXPECT_EQ(percentile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90), 9);
  EXPECT_EQ(percentile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 90), 10);
  EXPECT_EQ(percentile({7}, 90), 7);
  EXPECT_EQ(format_duration(45 * kMinute), "45 min");
  EXPECT_EQ(format_duration(2 * kHour + 5 * kMinute), "2 h 05 min");
  EXPECT_EQ(format_duration(27 * kHour), "1 d 3 h");
}

TEST(ReportSchedule, SentAtLocalTimeAcrossTheClockChange) {
  auto tz = policy::TimeZone::load("Europe/London");
  ASSERT_TRUE(tz);
  auto at = [&](const char* date, int h, int m) { return tz->to_utc({*policy::parse_local_date(date), h, m, 0}); };
  // 06:59 on Monday 26 Oct: Sunday's report is not due yet; Saturday's (sent 07:00 Sunday) still is.
  EXPECT_EQ(report_due(at("2026-10-26", 6, 59), *tz, 7, 0)->iso(), "2026-10-24");
  EXPECT_EQ(report_due(at("2026-10-26", 7, 0), *tz, 7, 0)->iso(), "2026-10-25");
  // Sunday 07:00 is GMT (07:00 UTC), Saturday 07:00 was BST (06:00 UTC): 25 hours apart.
  EXPECT_EQ(at("2026-10-25", 7, 0) - at("2026-10-24", 7, 0), 25 * kHour);
  EXPECT_EQ(report_due(at("2026-10-25", 6, 59), *tz, 7, 0)->iso(), "2026-10-23");
  EXPECT_EQ(report_due(at("2026-10-25", 7, 0), *tz, 7, 0)->iso(), "2026-10-24");
  // Spring forward (29 Mar 2026, 23 hours): due at 07:00 BST.
  EXPECT_EQ(report_due(at("2026-03-29", 7, 0), *tz, 7, 0)->iso(), "2026-03-28");
  EXPECT_EQ(tz->start_of_day(*policy::parse_local_date("2026-03-30")) - tz->start_of_day(*policy::parse_local_date("2026-03-29")),
            23 * kHour);
  EXPECT_EQ(report_payload(*policy::parse_local_date("2026-10-25")),
            R"({"type":"daily_report","to":"clerk","date":"2026-10-25"})");
}

}  // namespace
}  // namespace moderatord::daemon::report
