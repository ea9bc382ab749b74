#pragma once
// `moderatord report --date YYYY-MM-DD --format text|html|csv`: the daily report from the command
// line, the same figures as the clerk's email. Reads the database through its own read-only
// connection (safe beside the running daemon).
#include <cstdio>
#include <optional>
#include <string>

#include "daemon/cli/store_commands.hpp"

namespace moderatord::daemon::report {

struct ReportOptions {
  std::string date;                      // "" = yesterday, local time
  std::string format = "text";           // text | html | csv
  std::optional<std::string> time_zone;  // Default: mail.time_zone of the config, else Europe/London
};

int report_command(const DatabaseOptions& db, const ReportOptions& options, std::FILE* out, std::FILE* err);

}  // namespace moderatord::daemon::report
