#include "daemon/report/report_command.hpp"

#include <chrono>

#include "daemon/config.hpp"
#include "daemon/report/daily_report.hpp"
#include "daemon/report/report_render.hpp"

namespace moderatord::daemon::report {

int report_command(const DatabaseOptions& db, const ReportOptions& options, std::FILE* out, std::FILE* err) {
  if (options.format != "text" && options.format != "html" && options.format != "csv") {
    std::fprintf(err, "moderatord: --format must be text, html or csv\n");
    return 2;
  }
  std::string zone = "Europe/London";
  std::vector<std::string> accounts;
  std::filesystem::path database;
  if (db.database) {
    database = *db.database;
    // The config is optional with --database; it still gives the time zone and accounts if readable.
    if (auto cfg = load_config(db.config, db.state_dir)) {
      zone = cfg->mail.time_zone;
      for (const auto& a : cfg->accounts) accounts.push_back(a.id);
    }
  } else {
    auto cfg = load_config(db.config, db.state_dir);
    if (!cfg) {
      std::fprintf(err, "moderatord: %s\n", cfg.error().to_string().c_str());
      return 1;
    }
    database = cfg->daemon.database;
    zone = cfg->mail.time_zone;
    for (const auto& a : cfg->accounts) accounts.push_back(a.id);
  }
  if (options.time_zone) zone = *options.time_zone;
  auto tz = policy::TimeZone::load(zone);
  if (!tz) {
    std::fprintf(err, "moderatord: %s\n", tz.error().to_string().c_str());
    return 1;
  }
  policy::LocalDate date;
  if (options.date.empty()) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    date = tz->to_local(tz->start_of_day(tz->to_local(now).date) - 1).date;
  } else if (auto d = policy::parse_local_date(options.date)) {
    date = *d;
  } else {
    std::fprintf(err, "moderatord: --date must be YYYY-MM-DD, a real date\n");
    return 2;
  }
  auto reader = store::ReportReader::open(database);
  if (!reader) {
    std::fprintf(err, "moderatord: %s\n", reader.error().message.c_str());
    return 1;
  }
  auto report = build_report(*reader, *tz, date, accounts);
  if (!report) {
    std::fprintf(err, "moderatord: %s\n", report.error().message.c_str());
    return 1;
  }
  const std::string text = options.format == "html"  ? report_html(*report)
                           : options.format == "csv" ? report_csv(*report)
                                                     : report_text(*report);
  std::fwrite(text.data(), 1, text.size(), out);
  return 0;
}

}  // namespace moderatord::daemon::report
