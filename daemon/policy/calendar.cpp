#include "daemon/policy/calendar.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace moderatord::daemon::policy {
namespace {

std::optional<int> parse_hhmm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  int h = 0, m = 0;
  if (std::from_chars(s.data(), s.data() + 2, h).ec != std::errc{} ||
      std::from_chars(s.data() + 3, s.data() + 5, m).ec != std::errc{})
    return std::nullopt;
  if (h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Enough days to cross any run of weekends and holidays (Christmas to New Year is ten).
constexpr int kMaxDaysAhead = 400;

}  // namespace

OpeningHours OpeningHours::office() noexcept {
  OpeningHours h;
  for (int d = 0; d < 5; ++d) h.days[d] = {9 * 60, 17 * 60};
  return h;
}

Result<OpeningHours::Day> OpeningHours::parse_day(std::string_view text) {
  text = trim(text);
  if (text == "closed") return Day{};
  const auto dash = text.find('-');
  const auto open = dash == std::string_view::npos ? std::nullopt : parse_hhmm(trim(text.substr(0, dash)));
  const auto close = dash == std::string_view::npos ? std::nullopt : parse_hhmm(trim(text.substr(dash + 1)));
  if (!open || !close || *close <= *open)
    return classifier::Error("opening hours '" + std::string(text) + "': write \"09:00-17:00\" or \"closed\"");
  return Day{*open, *close};
}

bool OpeningHours::any_open() const noexcept {
  return std::any_of(days.begin(), days.end(), [](const Day& d) { return d.is_open(); });
}

Result<Holidays> Holidays::parse(std::string_view text, const std::string& source) {
  Holidays h;
  int line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    const auto date = parse_local_date(line.substr(0, std::min<std::size_t>(10, line.size())));
    if (!date || (line.size() > 10 && line[10] != ' ' && line[10] != '\t'))
      return classifier::Error(source + ":" + std::to_string(line_no) +
                               ": expected a date as YYYY-MM-DD, then the holiday's name");
    h.add(*date);
  }
  return h;
}

Result<Holidays> Holidays::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return classifier::Error("cannot read holidays file " + file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), file.string());
}

std::optional<LocalDate> Holidays::last() const {
  if (dates_.empty()) return std::nullopt;
  return *dates_.rbegin();
}

bool WorkingCalendar::is_working_day(const LocalDate& d) const {
  return hours_.days[static_cast<std::size_t>(d.weekday())].is_open() && !holidays_.contains(d);
}

std::int64_t WorkingCalendar::add_working_time(std::int64_t from_ms, std::int64_t working_ms) const {
  std::int64_t remaining = std::max<std::int64_t>(working_ms, 0);
  LocalDate date = zone_.to_local(from_ms).date;
  for (int i = 0; i < kMaxDaysAhead; ++i, date = date.next()) {
    if (!is_working_day(date)) continue;
    const OpeningHours::Day& h = hours_.days[static_cast<std::size_t>(date.weekday())];
    const std::int64_t open = zone_.to_utc({date, h.open / 60, h.open % 60, 0});
    const std::int64_t close = h.close == 24 * 60 ? zone_.start_of_day(date.next())
                                                  : zone_.to_utc({date, h.close / 60, h.close % 60, 0});
    const std::int64_t start = std::max(from_ms, open);
    if (start >= close) continue;
    if (remaining <= close - start) return start + remaining;
    remaining -= close - start;
  }
  // No opening hours at all within a year (config validation refuses this): fall back to the clock
  // rather than never being due.
  return from_ms + working_ms;
}

}  // namespace moderatord::daemon::policy
