#include "daemon/policy/decide.hpp"

#include <algorithm>
#include <cstdio>

namespace moderatord::daemon::policy {
namespace {

std::string score_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

connectors::Capabilities capabilities_for(const connectors::Capabilities& account, const model::Comment& c) {
  connectors::Capabilities caps = account;
  if (!c.no_hide_reason.empty() && caps.hide.supported) {
    caps.hide = {};
    caps.unhide = {};
    caps.why_not = c.no_hide_reason;
  }
  return caps;
}

Decision decide(const classifier::Verdict& v, const classifier::Thresholds& rule_thresholds,
                const AccountPolicy& account, const connectors::Capabilities& caps, model::CommentKind kind) {
  Decision d;
  // The council's own posts and replies are not moderated here (their checks are 6.1 / 7.6).
  if (kind == model::CommentKind::own_post || kind == model::CommentKind::own_reply) {
    d.reason = "the council's own " + std::string(model::to_string(kind)) + ": not moderated";
    return d;
  }
  std::string why;
  for (std::size_t c = 0; c < classifier::kLabelCount; ++c) {
    const auto cat = static_cast<Category>(c);
    Action a = v.category_action[c];  // the rule set's thresholds and rule overrides
    if (auto it = account.thresholds.find(cat); it != account.thresholds.end()) {
      classifier::Thresholds t = rule_thresholds;
      t.at[c] = it->second;
      a = std::max(t.decide(cat, v.scores[c]), v.rule_floor[c]);
    }
    if (a == Action::none) continue;
    if (classifier::is_breach_action(a)) d.labels = static_cast<std::uint16_t>(d.labels | (1U << c));
    if (a > d.action) d.action = a;
    if (!why.empty()) why += "; ";
    why += std::string(classifier::to_string(cat)) + " " + score_text(v.scores[c]) + " -> " +
           std::string(classifier::to_string(a));
  }
  if (d.action == Action::none) {
    d.reason = "no category reached a threshold";
    return d;
  }
  d.reason = why;

  auto escalate = [&](const std::string& because) {
    bool have = false;
    for (const auto& s : d.steps) have = have || s.kind == model::ActionKind::escalate;
    if (!have) d.steps.push_back({model::ActionKind::escalate, false});
    if (!because.empty()) d.reason += "; " + because;
  };

  if (account.observe) {
    // Observe mode takes no platform action. Threats and reports to make still reach a person:
    // trying rules out must not leave a threat unseen.
    d.reason += "; observe mode: no platform action";
    if (d.action >= Action::report) escalate("escalated because it asks for a report");
    return d;
  }
  if (kind == model::CommentKind::direct_message) {
    // Platforms do not let a page hide a message sent to it: a person deals with it.
    escalate("a direct message cannot be hidden: escalated");
    return d;
  }

  auto platform = [&](model::ActionKind k) {
    if (caps.of(k).supported) {
      d.steps.push_back({k, true});
      return true;
    }
    return false;
  };
  // 7.6.2: personal data is hidden and the person contacted privately: a moderator must know.
  if ((d.labels >> static_cast<unsigned>(Category::personal_data)) & 1U)
    escalate("personal data: contact the person privately (7.6.2)");
  switch (d.action) {
    case Action::none: break;
    case Action::escalate: escalate(""); break;
    case Action::hide:
      if (!platform(model::ActionKind::hide))
        escalate((caps.why_not.empty() ? "the platform cannot hide comments" : caps.why_not) + ": escalated");
      break;
    case Action::remove:
      if (account.allow_remove && platform(model::ActionKind::remove)) break;
      if (!account.allow_remove) d.reason += "; remove not allowed for this account: hidden instead";
      if (!platform(model::ActionKind::hide))
        escalate((caps.why_not.empty() ? "the platform cannot remove or hide comments" : caps.why_not) + ": escalated");
      break;
    case Action::report:
      // 7.9: report and hide. Moderators are told either way: a report is a serious step, and
      // where the comment cannot be hidden they must know why it is still up.
      if (!platform(model::ActionKind::hide))
        d.reason += "; not hidden: " + (caps.why_not.empty() ? std::string("the platform cannot hide comments") : caps.why_not);
      if (!platform(model::ActionKind::report)) escalate("the platform has no report API: a moderator must report it");
      else escalate("reported to the platform");
      break;
  }
  return d;
}

}  // namespace moderatord::daemon::policy
