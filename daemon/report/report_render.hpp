#pragma once
// The daily report as plain text, HTML (with a 30-day chart as inline SVG: SLA compliance bars and
// the median response time line) and CSV (the day's SLA items). Pure: strings in, strings out.
#include <string>

#include "daemon/report/daily_report.hpp"

namespace moderatord::daemon::report {

std::string report_text(const DailyReport& r);
// A whole HTML document (the email's HTML part, `report --format html`). Everything from the
// database is escaped.
std::string report_html(const DailyReport& r);
std::string report_csv(const DailyReport& r);
// The chart alone (<svg>...</svg>).
std::string history_svg(const DailyReport& r);

// "2 h 05 min", "45 min", "1 d 3 h" (rounded down to the minute).
std::string format_duration(std::int64_t ms);

}  // namespace moderatord::daemon::report
