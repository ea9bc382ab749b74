#pragma once
// Local wall-clock time in a named IANA zone (Europe/London by default), through ICU's calendar,
// which carries its own copy of the tz database. GCC 12's libstdc++ has no std::chrono::tzdb.
//
// Thread-safe: each call opens its own ICU calendar (a few microseconds; the SLA engine makes a
// handful of calls per item).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "classifier/error.hpp"

namespace moderatord::daemon::policy {

using classifier::Result;

struct LocalDate {
  int year = 1970, month = 1, day = 1;  // month 1..12
  friend auto operator<=>(const LocalDate&, const LocalDate&) = default;
  // 0 = Monday ... 6 = Sunday (ISO order, so that "Mon-Fri" is 0..4).
  int weekday() const noexcept;
  LocalDate next() const noexcept;
  std::string iso() const;  // "2026-03-29"
};
// "YYYY-MM-DD" with a real calendar date, else nullopt.
std::optional<LocalDate> parse_local_date(std::string_view s) noexcept;

struct LocalDateTime {
  LocalDate date;
  int hour = 0, minute = 0, second = 0;
  int minutes_of_day() const noexcept { return hour * 60 + minute; }
};

class TimeZone {
 public:
  // Errors on a name ICU does not know (it would otherwise fall back to GMT silently).
  static Result<TimeZone> load(std::string_view iana_name);
  static TimeZone utc();

  const std::string& name() const noexcept { return name_; }
  LocalDateTime to_local(std::int64_t utc_ms) const;
  // The instant of a wall time. A time skipped by the spring clock change is read as the same
  // number of minutes after the change (01:30 → 02:30 BST); a time repeated in autumn is the first
  // occurrence (01:30 BST). These are the readings a person setting an alarm would expect.
  std::int64_t to_utc(const LocalDateTime& local) const;
  // Midnight at the start of `date`, and of the day after: a local day can be 23 or 25 hours.
  std::int64_t start_of_day(const LocalDate& date) const { return to_utc({date, 0, 0, 0}); }

 private:
  explicit TimeZone(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace moderatord::daemon::policy
