#include "daemon/report/daily_report.hpp"

#include <algorithm>
#include <set>

namespace moderatord::daemon::report {
namespace {

bool in(std::int64_t t, Window w) { return t >= w.from_ms && t < w.to_ms; }

constexpr int kHistoryDays = 30;

policy::LocalDate previous(policy::LocalDate d, int days, const policy::TimeZone& tz) {
  // Noon of the day, minus whole days, back to a local date: noon is never skipped or repeated.
  const std::int64_t noon = tz.to_utc({d, 12, 0, 0});
  return tz.to_local(noon - static_cast<std::int64_t>(days) * 86400000LL).date;
}

}  // namespace

std::int64_t median(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::int64_t percentile(std::vector<std::int64_t> v, int p) {
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  std::size_t rank = (static_cast<std::size_t>(p) * v.size() + 99) / 100;
  if (rank == 0) rank = 1;
  return v[rank - 1];
}

SlaFigures sla_figures(const std::vector<store::SlaFact>& items, Window w) {
  SlaFigures f;
  std::vector<std::int64_t> responses;
  for (const auto& it : items) {
    if (it.state == "exempt") {
      if (in(it.opened_at, w)) ++f.exemptions[it.exemption.empty() ? "unspecified" : it.exemption];
      continue;
    }
    if (in(it.opened_at, w)) ++f.needing_reply;
    if (it.state == "closed" && it.closed_at > 0 && in(it.closed_at, w) && it.response_ms >= 0) {
      responses.push_back(it.response_ms);
    }
    if (it.due_at > 0 && in(it.due_at, w)) {
      ++f.due;
      const bool closed = it.state == "closed" && it.closed_at > 0;
      if (closed && it.closed_at <= it.due_at) {
        ++f.within;
      } else if (closed) {
        f.breaches.push_back({it, it.closed_at - it.due_at, false});
      } else if (it.closed_at == 0 || it.closed_at >= w.to_ms) {
        f.breaches.push_back({it, w.to_ms - it.due_at, true});
      }
    }
  }
  f.replied = static_cast<std::int64_t>(responses.size());
  if (f.due > 0) f.within_pct = 100.0 * static_cast<double>(f.within) / static_cast<double>(f.due);
  if (!responses.empty()) {
    f.median_ms = median(responses);
    f.p90_ms = percentile(responses, 90);
  }
  return f;
}

std::map<std::string, std::map<std::string, std::int64_t>> actions_by_category(const std::vector<store::ActionCount>& rows) {
  std::map<std::string, std::map<std::string, std::int64_t>> out;
  for (const auto& r : rows) {
    if (r.labels.empty()) {
      out["uncertain"][r.kind] += r.count;
      continue;
    }
    std::size_t pos = 0;
    while (pos <= r.labels.size()) {
      const auto comma = r.labels.find(',', pos);
      const std::string label = r.labels.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      if (!label.empty()) out[label][r.kind] += r.count;
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
  }
  return out;
}

store::Result<DailyReport> build_report(store::ReportReader& reader, const policy::TimeZone& tz, policy::LocalDate date,
                                        const std::vector<std::string>& configured) {
  DailyReport r;
  r.date = date;
  r.time_zone = tz.name();
  r.window = {tz.start_of_day(date), tz.start_of_day(date.next())};
  if (auto b = reader.begin(); !b) return b.error();
  auto known = reader.accounts();
  if (!known) return known.error();
  std::set<std::string> ids(configured.begin(), configured.end());
  ids.insert(known->begin(), known->end());
  const policy::LocalDate first = previous(date, kHistoryDays - 1, tz);
  const Window history{tz.start_of_day(first), r.window.to_ms};
  std::vector<store::SlaFact> all_history;
  for (const auto& id : ids) {
    AccountDay a;
    a.account = id;
    auto comments = reader.comments_received(id, r.window.from_ms, r.window.to_ms);
    if (!comments) return comments.error();
    a.comments = *comments;
    auto actions = reader.actions(id, r.window.from_ms, r.window.to_ms);
    if (!actions) return actions.error();
    a.actions = actions_by_category(*actions);
    auto items = reader.sla_items(id, history.from_ms, history.to_ms);
    if (!items) return items.error();
    for (const auto& it : *items) {
      if (in(it.opened_at, r.window) || (it.due_at > 0 && in(it.due_at, r.window)) ||
          (it.closed_at > 0 && in(it.closed_at, r.window)))
        a.items.push_back(it);
    }
    a.sla = sla_figures(a.items, r.window);
    all_history.insert(all_history.end(), items->begin(), items->end());
    auto events = reader.policy_events(id, r.window.from_ms, r.window.to_ms);
    if (!events) return events.error();
    for (auto& e : *events) {
      if (e.kind == "one_reply_violation") a.one_reply_violations.push_back(std::move(e));
      else if (e.kind == "own_post_alert") a.own_post_alerts.push_back(std::move(e));
    }
    r.accounts.push_back(std::move(a));
  }
  for (policy::LocalDate d = first;; d = d.next()) {
    const Window w{tz.start_of_day(d), tz.start_of_day(d.next())};
    const SlaFigures f = sla_figures(all_history, w);
    r.history.push_back({d, f.within_pct, f.median_ms, f.due});
    if (d == date) break;
  }
  auto dead = reader.dead_letters();
  if (!dead) return dead.error();
  r.dead_letters = std::move(*dead);
  for (const auto& d : r.dead_letters)
    if (in(d.updated_at, r.window)) ++r.dead_on_day;
  reader.end();
  return r;
}

}  // namespace moderatord::daemon::report
