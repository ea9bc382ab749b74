// Local time in Europe/London and the working-hours clock: weekends, bank holidays, both clock
// changes (2026: 29 March and 25 October).
#include "daemon/policy/calendar.hpp"

#include <gtest/gtest.h>

#include "policy_test_support.hpp"

namespace moderatord::daemon::policy {
namespace {

using test::kHour;
using test::utc;

TimeZone london() { return TimeZone::load("Europe/London").value(); }

WorkingCalendar office_calendar() {
  auto holidays = Holidays::load(std::filesystem::path(MODERATORD_SOURCE_DIR) /
                                 "config/policy/bank-holidays-england-and-wales.txt");
  EXPECT_TRUE(holidays.has_value());
  return WorkingCalendar(london(), OpeningHours::office(), holidays.value());
}

TEST(TimeZone, UnknownZoneIsAnError) {
  auto z = TimeZone::load("Europe/Londno");
  ASSERT_FALSE(z.has_value());
  EXPECT_NE(z.error().to_string().find("Europe/Londno"), std::string::npos);
}

TEST(TimeZone, SpringForwardAndAutumnBack) {
  const TimeZone z = london();
  // 29 March 2026: 01:00 GMT becomes 02:00 BST.
  auto before = z.to_local(utc(2026, 3, 29, 0, 59, 59));
  EXPECT_EQ(before.hour, 0);
  EXPECT_EQ(before.minute, 59);
  auto after = z.to_local(utc(2026, 3, 29, 1, 0, 0));
  EXPECT_EQ(after.hour, 2);
  // 01:30 does not exist that morning: read as 02:30 BST, which is 01:30 UTC.
  EXPECT_EQ(z.to_utc({{2026, 3, 29}, 1, 30, 0}), utc(2026, 3, 29, 1, 30));
  // 25 October 2026: 01:30 happens twice; the first (BST, 00:30 UTC) is meant.
  EXPECT_EQ(z.to_utc({{2026, 10, 25}, 1, 30, 0}), utc(2026, 10, 25, 0, 30));
  // The local days around the changes are 23 and 25 hours long.
  EXPECT_EQ(z.start_of_day({2026, 3, 30}) - z.start_of_day({2026, 3, 29}), 23 * kHour);
  EXPECT_EQ(z.start_of_day({2026, 10, 26}) - z.start_of_day({2026, 10, 25}), 25 * kHour);
  // Summer: local = UTC + 1.
  EXPECT_EQ(z.to_utc({{2026, 7, 1}, 9, 0, 0}), utc(2026, 7, 1, 8, 0));
}

TEST(LocalDate, WeekdayNextAndParse) {
  EXPECT_EQ((LocalDate{2026, 11, 24}).weekday(), 1);  // a Tuesday
  EXPECT_EQ((LocalDate{2026, 12, 25}).weekday(), 4);  // Friday
  EXPECT_EQ((LocalDate{2028, 2, 28}).next(), (LocalDate{2028, 2, 29}));
  EXPECT_EQ((LocalDate{2026, 12, 31}).next(), (LocalDate{2027, 1, 1}));
  EXPECT_FALSE(parse_local_date("2026-02-29").has_value());
  EXPECT_TRUE(parse_local_date("2028-02-29").has_value());
  EXPECT_FALSE(parse_local_date("2026-1-01").has_value());
}

TEST(Holidays, ShippedFileCoversTheNextYears) {
  auto h = Holidays::load(std::filesystem::path(MODERATORD_SOURCE_DIR) /
                          "config/policy/bank-holidays-england-and-wales.txt");
  ASSERT_TRUE(h.has_value()) << h.error().to_string();
  EXPECT_TRUE(h->contains({2026, 12, 28}));  // Boxing Day's substitute: 26 December 2026 is a Saturday
  EXPECT_FALSE(h->contains({2026, 12, 26}));
  ASSERT_TRUE(h->last().has_value());
  EXPECT_GE(*h->last(), (LocalDate{2027, 12, 31}));
}

TEST(Holidays, BadLineNamesFileAndLine) {
  auto h = Holidays::parse("# ok\n2026-12-25 Christmas\n25/12/2026 Christmas\n", "hols.txt");
  ASSERT_FALSE(h.has_value());
  EXPECT_NE(h.error().to_string().find("hols.txt:3"), std::string::npos);
}

TEST(OpeningHours, ParsesAndRefuses) {
  EXPECT_EQ(OpeningHours::parse_day("08:30-16:00").value().open, 8 * 60 + 30);
  EXPECT_FALSE(OpeningHours::parse_day("closed").value().is_open());
  EXPECT_FALSE(OpeningHours::parse_day("17:00-09:00").has_value());
  EXPECT_FALSE(OpeningHours::parse_day("9-5").has_value());
}

TEST(WorkingCalendar, FridayAfternoonIsDueMondayAfternoon) {
  const WorkingCalendar cal = office_calendar();
  // Friday 13 November 2026, 16:00 GMT: one hour on Friday, seven on Monday → Monday 16:00.
  EXPECT_EQ(cal.add_working_time(utc(2026, 11, 13, 16), 8 * kHour), utc(2026, 11, 16, 16));
  // Saturday: nothing counts until Monday 09:00.
  EXPECT_EQ(cal.add_working_time(utc(2026, 11, 14, 11), 8 * kHour), utc(2026, 11, 16, 17));
  // Posted at 08:00 on a Tuesday: the day starts at 09:00.
  EXPECT_EQ(cal.add_working_time(utc(2026, 11, 17, 8), 8 * kHour), utc(2026, 11, 17, 17));
  // At 17:00 exactly: closed; due at the end of the next day.
  EXPECT_EQ(cal.add_working_time(utc(2026, 11, 17, 17), 8 * kHour), utc(2026, 11, 18, 17));
}

TEST(WorkingCalendar, ChristmasBankHolidaysAreSkipped) {
  const WorkingCalendar cal = office_calendar();
  // Thursday 24 December 2026, 16:00: Friday 25th, the weekend and Monday 28th (substitute Boxing
  // Day) are closed, so the remaining seven hours fall on Tuesday 29th.
  EXPECT_EQ(cal.add_working_time(utc(2026, 12, 24, 16), 8 * kHour), utc(2026, 12, 29, 16));
  // Easter 2026: Good Friday 3 April and Easter Monday 6 April (BST, UTC+1).
  EXPECT_EQ(cal.add_working_time(utc(2026, 4, 2, 15), 8 * kHour), utc(2026, 4, 7, 15));
}

TEST(WorkingCalendar, OpeningHoursFollowTheClockChange) {
  const WorkingCalendar cal = office_calendar();
  // Friday 27 March 2026 12:00 GMT: five hours on Friday; Monday 30 March opens at 09:00 BST
  // (08:00 UTC), three more hours → 12:00 BST = 11:00 UTC.
  EXPECT_EQ(cal.add_working_time(utc(2026, 3, 27, 12), 8 * kHour), utc(2026, 3, 30, 11));
  // Friday 23 October 2026 12:00 BST (11:00 UTC) → Monday 26 October 12:00 GMT.
  EXPECT_EQ(cal.add_working_time(utc(2026, 10, 23, 11), 8 * kHour), utc(2026, 10, 26, 12));
}

TEST(WorkingCalendar, NoOpeningHoursFallsBackToTheClock) {
  OpeningHours none;
  const WorkingCalendar cal(london(), none, Holidays{});
  EXPECT_EQ(cal.add_working_time(utc(2026, 11, 13, 16), 8 * kHour), utc(2026, 11, 14, 0));
}

}  // namespace
}  // namespace moderatord::daemon::policy
