#pragma once
// When a reply is due (policy 7.7.2, "within 1 day"): either a plain duration on the clock, or
// working time on a calendar of opening hours, in the council's time zone, skipping England and
// Wales bank holidays. Pure: the clock is whatever instant the caller passes.
#include <array>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "daemon/policy/time_zone.hpp"

namespace moderatord::daemon::policy {

// Opening hours per weekday (0 = Monday), as minutes of the local day; open == close: closed.
struct OpeningHours {
  struct Day {
    int open = 0, close = 0;
    bool is_open() const noexcept { return close > open; }
  };
  std::array<Day, 7> days{};
  // Monday to Friday, 09:00 to 17:00.
  static OpeningHours office() noexcept;
  // "09:00-17:00" or "closed".
  static Result<Day> parse_day(std::string_view text);
  bool any_open() const noexcept;
};

// Dates on which the council is closed, from a text file: one "YYYY-MM-DD name" a line, '#' for
// comments. Shipped as config/policy/bank-holidays-england-and-wales.txt; admins add next year's.
class Holidays {
 public:
  static Result<Holidays> parse(std::string_view text, const std::string& source);
  static Result<Holidays> load(const std::filesystem::path& file);
  void add(const LocalDate& d) { dates_.insert(d); }
  bool contains(const LocalDate& d) const { return dates_.contains(d); }
  std::size_t size() const noexcept { return dates_.size(); }
  // The last date in the file, so the daemon can warn when the list is about to run out.
  std::optional<LocalDate> last() const;

 private:
  std::set<LocalDate> dates_;
};

class WorkingCalendar {
 public:
  WorkingCalendar(TimeZone zone, OpeningHours hours, Holidays holidays)
      : zone_(std::move(zone)), hours_(hours), holidays_(std::move(holidays)) {}

  // The instant when `working_ms` of opening time has passed since `from_ms`. Time outside opening
  // hours, at weekends and on holidays does not count; each day's hours are converted through the
  // time zone, so the clock change moves them with the wall clock.
  std::int64_t add_working_time(std::int64_t from_ms, std::int64_t working_ms) const;
  bool is_working_day(const LocalDate& d) const;
  const TimeZone& zone() const noexcept { return zone_; }

 private:
  TimeZone zone_;
  OpeningHours hours_;
  Holidays holidays_;
};

}  // namespace moderatord::daemon::policy
