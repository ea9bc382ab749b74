#pragma once
// Reads the classifier's verdict and the decision for what policy 7.8 needs to know. Which rules
// mean what is a naming convention of the rule files (config/rules/README.md): rules whose id
// starts "needs_response.complaint" mark a negative comment, "needs_response.repeat" a comment
// saying it repeats itself ("as I said"). Pure.
#include "classifier/rule_set.hpp"
#include "classifier/verdict.hpp"
#include "daemon/policy/decide.hpp"
#include "daemon/policy/sla_engine.hpp"

namespace moderatord::daemon::policy {

inline constexpr std::string_view kComplaintRulePrefix = "needs_response.complaint";
inline constexpr std::string_view kRepeatRulePrefix = "needs_response.repeat";

ReplySignals reply_signals(const classifier::Verdict& verdict, const classifier::RuleSet& rules, const Decision& decision);

}  // namespace moderatord::daemon::policy
