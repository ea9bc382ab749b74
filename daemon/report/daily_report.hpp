#pragma once
// The clerk's daily SLA report: figures computed from the store's rows for one local day. Pure.
//
//   store::ReportReader rows ──► compute_account_day (per account) ──► DailyReport
//                                 history (30 days)                      ──► text | html | csv
//
// Definitions (the report's footer says them too):
// - needing a reply: items opened on the day that were not exempt;
// - replied within the SLA: of the items that fell due on the day, those closed by their due time;
//   the percentage is of those that fell due (none due: no percentage);
// - response times: of items replied to on the day (closed_at on the day); median (the mean of the
//   two middle values for an even count) and 90th percentile (nearest rank);
// - breaches: items that fell due on the day and were answered late or are still open at the end
//   of the day (lateness then counted to the end of the day);
// - exemptions: items opened on the day and exempt, by reason (7.8.1 rhetorical, 7.8.2 repeat, 7.9 breach).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/policy/time_zone.hpp"
#include "store/report_reads.hpp"

namespace moderatord::daemon::report {

struct Window {
  std::int64_t from_ms = 0, to_ms = 0;  // [from, to): one local day, 23, 24 or 25 hours
};

struct Breach {
  store::SlaFact item;
  std::int64_t lateness_ms = 0;
  bool still_open = false;
};

struct SlaFigures {
  std::int64_t needing_reply = 0;
  std::int64_t due = 0;
  std::int64_t within = 0;
  std::optional<double> within_pct;      // 0..100; none when nothing fell due
  std::optional<std::int64_t> median_ms;  // none when nothing was replied to
  std::optional<std::int64_t> p90_ms;
  std::int64_t replied = 0;
  std::vector<Breach> breaches;
  std::map<std::string, std::int64_t> exemptions;  // reason -> count
};

struct AccountDay {
  std::string account;
  std::int64_t comments = 0;
  // category ("uncertain" for escalations without a label) -> action kind -> count
  std::map<std::string, std::map<std::string, std::int64_t>> actions;
  SlaFigures sla;
  std::vector<store::PolicyEventFact> one_reply_violations;
  std::vector<store::PolicyEventFact> own_post_alerts;
  std::vector<store::SlaFact> items;  // every item opened, due or closed on the day (the CSV)
};

struct HistoryPoint {
  policy::LocalDate date;
  std::optional<double> within_pct;
  std::optional<std::int64_t> median_ms;
  std::int64_t due = 0;
};

struct DailyReport {
  policy::LocalDate date;
  std::string time_zone;
  Window window;
  std::vector<AccountDay> accounts;
  std::vector<HistoryPoint> history;  // the 30 days ending with `date`, all accounts together
  std::vector<store::DeadLetterFact> dead_letters;  // all dead now
  std::int64_t dead_on_day = 0;                     // of which died on the day
};

// Figures of the SLA items touching `w`.
SlaFigures sla_figures(const std::vector<store::SlaFact>& items, Window w);
// Splits labels and sums counts per category and kind.
std::map<std::string, std::map<std::string, std::int64_t>> actions_by_category(const std::vector<store::ActionCount>& rows);
// Median (mean of the two middle values) and nearest-rank percentile of non-empty `values`.
std::int64_t median(std::vector<std::int64_t> values);
std::int64_t percentile(std::vector<std::int64_t> values, int p);

// Reads and computes the report for `date` in `tz`; `accounts` (from the config) are listed even
// without comments. Blocking (reads the database).
store::Result<DailyReport> build_report(store::ReportReader& reader, const policy::TimeZone& tz, policy::LocalDate date,
                                        const std::vector<std::string>& accounts);

}  // namespace moderatord::daemon::report
