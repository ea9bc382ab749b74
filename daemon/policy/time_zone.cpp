#include "daemon/policy/time_zone.hpp"

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

namespace moderatord::daemon::policy {
namespace {

std::u16string to_u16(std::string_view s) {
  // Zone names are ASCII; anything else is not a zone name and fails the lookup below.
  std::u16string out;
  for (char c : s) out.push_back(static_cast<char16_t>(static_cast<unsigned char>(c)));
  return out;
}

struct CloseCalendar {
  void operator()(UCalendar* c) const noexcept { ucal_close(c); }
};
using CalendarPtr = std::unique_ptr<UCalendar, CloseCalendar>;

CalendarPtr open_calendar(const std::string& zone) {
  const std::u16string id = to_u16(zone);
  UErrorCode status = U_ZERO_ERROR;
  CalendarPtr cal(ucal_open(id.data(), static_cast<int32_t>(id.size()), "en_GB", UCAL_GREGORIAN, &status));
  // Failing here means ICU cannot allocate a calendar for a zone it already accepted in load():
  // nothing sensible can continue without local time.
  if (U_FAILURE(status) || !cal) std::abort();
  ucal_setAttribute(cal.get(), UCAL_LENIENT, 1);
  ucal_setAttribute(cal.get(), UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
  ucal_setAttribute(cal.get(), UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_LAST);
  return cal;
}

int get(UCalendar* cal, UCalendarDateFields field) {
  UErrorCode status = U_ZERO_ERROR;
  return ucal_get(cal, field, &status);
}

bool leap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int m) noexcept {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

int LocalDate::weekday() const noexcept {
  // Days since 1970-01-01 (a Thursday), by the civil-from-days algorithm's inverse.
  const int y = month <= 2 ? year - 1 : year;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int mp = (month + 9) % 12;
  const int doy = (153 * mp + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const long days = static_cast<long>(era) * 146097 + doe - 719468;
  const long wd = ((days % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday: index 3 from Monday
  return static_cast<int>(wd);
}

LocalDate LocalDate::next() const noexcept {
  LocalDate d = *this;
  if (++d.day > days_in_month(d.year, d.month)) {
    d.day = 1;
    if (++d.month > 12) {
      d.month = 1;
      ++d.year;
    }
  }
  return d;
}

std::string LocalDate::iso() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

std::optional<LocalDate> parse_local_date(std::string_view s) noexcept {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  LocalDate d;
  auto num = [&](std::size_t at, std::size_t len, int& out) {
    const char* b = s.data() + at;
    auto [p, ec] = std::from_chars(b, b + len, out);
    return ec == std::errc{} && p == b + len;
  };
  if (!num(0, 4, d.year) || !num(5, 2, d.month) || !num(8, 2, d.day)) return std::nullopt;
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > days_in_month(d.year, d.month)) return std::nullopt;
  return d;
}

Result<TimeZone> TimeZone::load(std::string_view iana_name) {
  const std::u16string id = to_u16(iana_name);
  UChar canonical[128];
  UBool is_system = 0;
  UErrorCode status = U_ZERO_ERROR;
  ucal_getCanonicalTimeZoneID(id.data(), static_cast<int32_t>(id.size()), canonical, 128, &is_system, &status);
  if (U_FAILURE(status) || !is_system)
    return classifier::Error("unknown time zone '" + std::string(iana_name) + "' (use an IANA name such as Europe/London)");
  return TimeZone(std::string(iana_name));
}

TimeZone TimeZone::utc() { return TimeZone("Etc/UTC"); }

LocalDateTime TimeZone::to_local(std::int64_t utc_ms) const {
  CalendarPtr cal = open_calendar(name_);
  UErrorCode status = U_ZERO_ERROR;
  ucal_setMillis(cal.get(), static_cast<UDate>(utc_ms), &status);
  LocalDateTime t;
  t.date.year = get(cal.get(), UCAL_YEAR);
  t.date.month = get(cal.get(), UCAL_MONTH) + 1;
  t.date.day = get(cal.get(), UCAL_DATE);
  t.hour = get(cal.get(), UCAL_HOUR_OF_DAY);
  t.minute = get(cal.get(), UCAL_MINUTE);
  t.second = get(cal.get(), UCAL_SECOND);
  return t;
}

std::int64_t TimeZone::to_utc(const LocalDateTime& local) const {
  CalendarPtr cal = open_calendar(name_);
  UErrorCode status = U_ZERO_ERROR;
  ucal_setDateTime(cal.get(), local.date.year, local.date.month - 1, local.date.day, local.hour, local.minute,
                   local.second, &status);
  ucal_set(cal.get(), UCAL_MILLISECOND, 0);
  const UDate ms = ucal_getMillis(cal.get(), &status);
  return static_cast<std::int64_t>(ms);
}

}  // namespace moderatord::daemon::policy
