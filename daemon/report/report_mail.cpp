#include "daemon/report/report_mail.hpp"

#include "daemon/report/daily_report.hpp"
#include "daemon/report/report_render.hpp"

namespace moderatord::daemon::report {

mail::ReportBuilder report_builder() {
  return [](const MailOptions& o, std::string_view date_text) -> mail::Result<mail::ReportContent> {
    const auto date = policy::parse_local_date(date_text);
    if (!date) return classifier::Error("daily_report row has no valid date: '" + std::string(date_text) + "'");
    auto tz = policy::TimeZone::load(o.time_zone);
    if (!tz) return tz.error();
    auto reader = store::ReportReader::open(o.database);
    if (!reader) return classifier::Error("report: " + reader.error().message);
    auto report = build_report(*reader, *tz, *date, {});
    if (!report) return classifier::Error("report: " + report.error().message);
    mail::ReportContent c;
    c.vars["date"] = date->iso();
    c.vars["report_text"] = report_text(*report);
    c.vars["report_html"] = report_html(*report);
    std::int64_t due = 0, within = 0, breaches = 0;
    for (const auto& a : report->accounts) {
      due += a.sla.due;
      within += a.sla.within;
      breaches += static_cast<std::int64_t>(a.sla.breaches.size());
    }
    c.vars["summary"] = std::to_string(within) + "/" + std::to_string(due) + " replied in time, " +
                        std::to_string(breaches) + " breach(es)";
    c.attachments.push_back({"moderatord-report-" + date->iso() + ".csv", "text/csv", report_csv(*report)});
    return c;
  };
}

}  // namespace moderatord::daemon::report
