#include "daemon/policy/reply_signals.hpp"

#include <set>

namespace moderatord::daemon::policy {

ReplySignals reply_signals(const classifier::Verdict& v, const classifier::RuleSet& rules, const Decision& d) {
  ReplySignals s;
  s.needs_response = v.needs_response;
  s.rhetorical = v.rhetorical;
  s.breach = d.labels != 0 && d.action >= Action::hide;
  std::set<std::uint32_t> repeat_rules;
  bool complaint = false;
  for (const classifier::Match& m : v.matches) {
    if (m.category != Category::needs_response) continue;
    const std::string& id = rules.rules()[m.rule].id;
    if (id.starts_with(kRepeatRulePrefix)) repeat_rules.insert(m.rule);
    if (id.starts_with(kComplaintRulePrefix)) complaint = true;
  }
  s.repeat_marker = !repeat_rules.empty();
  {
    // The classifier clears needs_response on a breach; the exemption needs to know it was asked.
    const auto nr = static_cast<std::size_t>(Category::needs_response);
    s.asks_for_reply = v.scores[nr] >= rules.thresholds().signal[nr];
  }
  s.negative = complaint || v.rhetorical || d.labels != 0;
  if (s.repeat_marker && !v.needs_response && !v.rhetorical && v.labels == 0) {
    // The score as it would be without the repeat phrase's (negative) weight.
    const auto nr = static_cast<std::size_t>(Category::needs_response);
    double score = v.scores[nr];
    for (std::uint32_t r : repeat_rules) score -= rules.rules()[r].weight;
    s.would_need_response = score >= rules.thresholds().signal[nr];
  }
  return s;
}

}  // namespace moderatord::daemon::policy
