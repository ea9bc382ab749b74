#pragma once
// From a verdict to what the daemon does (policy 7.9, 7.6.2), per account. Pure: values in,
// values out, so every combination is tested without a daemon.
//
//   verdict scores ──account thresholds──► action per category ──► strongest action
//        │                                                         │ observe mode: record only
//        └ rule overrides                                          ▼ platform cannot do it: escalate
//                                                       planned actions (outbox rows)
#include <array>
#include <map>
#include <string>
#include <vector>

#include "classifier/rule.hpp"
#include "classifier/verdict.hpp"
#include "connectors/connector.hpp"
#include "model/comment.hpp"

namespace moderatord::daemon::policy {

using classifier::Action;
using classifier::Category;

struct AccountPolicy {
  bool observe = false;       // classify and record, take no platform action
  bool allow_remove = false;  // "remove" is irreversible: without this it becomes hide
  // Per-category thresholds that replace the rule set's (row indexed by Action).
  std::map<Category, std::array<double, classifier::kActionCount>> thresholds;
};

struct PlannedStep {
  model::ActionKind kind;
  bool on_platform;  // true: the connector executes it; false: an email to the moderators
};

struct Decision {
  Action action = Action::none;  // after account thresholds (before fallbacks)
  std::uint16_t labels = 0;      // categories breached under the account's thresholds
  std::vector<PlannedStep> steps;
  std::string reason;            // for the audit log and the escalation email
};

// The account's capabilities narrowed to one comment: hide and unhide are off where the connector
// marked the comment (model::Comment::no_hide_reason), and why_not carries the reason.
connectors::Capabilities capabilities_for(const connectors::Capabilities& account, const model::Comment& c);

Decision decide(const classifier::Verdict& verdict, const classifier::Thresholds& rule_thresholds,
                const AccountPolicy& account, const connectors::Capabilities& caps, model::CommentKind kind);

}  // namespace moderatord::daemon::policy
