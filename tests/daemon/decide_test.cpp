// The decision table: verdict x account policy x platform capabilities x comment kind.
#include "daemon/policy/decide.hpp"

#include <gtest/gtest.h>

namespace moderatord::daemon::policy {
namespace {

using model::ActionKind;
using model::CommentKind;

classifier::Verdict verdict(Category c, double score, Action category_action) {
  classifier::Verdict v;
  v.scores[static_cast<std::size_t>(c)] = score;
  v.category_action[static_cast<std::size_t>(c)] = category_action;
  return v;
}

connectors::Capabilities full() {
  connectors::Capabilities caps;
  caps.hide = {true, true};
  caps.unhide = {true, true};
  caps.remove = {true, false};
  caps.report = {true, false};
  return caps;
}

std::vector<std::pair<ActionKind, bool>> steps(const Decision& d) {
  std::vector<std::pair<ActionKind, bool>> out;
  for (const auto& s : d.steps) out.emplace_back(s.kind, s.on_platform);
  return out;
}

using Steps = std::vector<std::pair<ActionKind, bool>>;
const classifier::Thresholds kRules;  // defaults: hide at 2

TEST(Decide, CleanCommentDoesNothing) {
  const Decision d = decide(classifier::Verdict{}, kRules, {}, full(), CommentKind::comment);
  EXPECT_EQ(d.action, Action::none);
  EXPECT_TRUE(d.steps.empty());
}

TEST(Decide, HideWhereThePlatformCan) {
  const Decision d = decide(verdict(Category::obscene, 3, Action::hide), kRules, {}, full(), CommentKind::comment);
  EXPECT_EQ(d.action, Action::hide);
  EXPECT_EQ(steps(d), (Steps{{ActionKind::hide, true}}));
  EXPECT_TRUE((d.labels >> static_cast<unsigned>(Category::obscene)) & 1U);
}

TEST(Decide, EscalateWhereThePlatformCannotHide) {
  const Decision d = decide(verdict(Category::obscene, 3, Action::hide), kRules, {}, {}, CommentKind::comment);
  EXPECT_EQ(steps(d), (Steps{{ActionKind::escalate, false}}));
  EXPECT_NE(d.reason.find("cannot hide"), std::string::npos) << d.reason;
}

TEST(Decide, ReportHidesReportsAndTellsAModerator) {
  const Decision d = decide(verdict(Category::abusive, 6, Action::report), kRules, {}, full(), CommentKind::comment);
  EXPECT_EQ(steps(d), (Steps{{ActionKind::hide, true}, {ActionKind::report, true}, {ActionKind::escalate, false}}));
}

TEST(Decide, AReportThatCannotBeHiddenSaysWhy) {
  connectors::Capabilities caps = full();
  caps.hide = caps.unhide = {};
  caps.why_not = "a reply in a thread the council did not start cannot be hidden";
  const Decision d = decide(verdict(Category::abusive, 6, Action::report), kRules, {}, caps, CommentKind::comment);
  EXPECT_EQ(steps(d), (Steps{{ActionKind::report, true}, {ActionKind::escalate, false}}));
  EXPECT_NE(d.reason.find("not hidden: a reply in a thread the council did not start"), std::string::npos) << d.reason;
}

TEST(Decide, ReportWithoutAReportApiAsksAModeratorToReport) {
  auto caps = full();
  caps.report = {};
  const Decision d = decide(verdict(Category::abusive, 6, Action::report), kRules, {}, caps, CommentKind::comment);
  EXPECT_EQ(steps(d), (Steps{{ActionKind::hide, true}, {ActionKind::escalate, false}}));
  EXPECT_NE(d.reason.find("must report"), std::string::npos) << d.reason;
}

TEST(Decide, RemoveBecomesHideUnlessAllowed) {
  const auto v = verdict(Category::deceptive, 9, Action::remove);
  EXPECT_EQ(steps(decide(v, kRules, {}, full(), CommentKind::comment)), (Steps{{ActionKind::hide, true}}));
  AccountPolicy allow;
  allow.allow_remove = true;
  EXPECT_EQ(steps(decide(v, kRules, allow, full(), CommentKind::comment)), (Steps{{ActionKind::remove, true}}));
}

TEST(Decide, ObserveModeTakesNoPlatformActionButStillEscalatesReports) {
  AccountPolicy observe;
  observe.observe = true;
  EXPECT_TRUE(decide(verdict(Category::obscene, 3, Action::hide), kRules, observe, full(), CommentKind::comment).steps.empty());
  EXPECT_EQ(steps(decide(verdict(Category::abusive, 6, Action::report), kRules, observe, full(), CommentKind::comment)),
            (Steps{{ActionKind::escalate, false}}));
}

TEST(Decide, UncertainCasesEscalate) {
  const Decision d = decide(verdict(Category::sexual, 1, Action::escalate), kRules, {}, full(), CommentKind::comment);
  EXPECT_EQ(steps(d), (Steps{{ActionKind::escalate, false}}));
  EXPECT_EQ(d.labels, 0);
}

TEST(Decide, PersonalDataIsHiddenAndEscalated) {
  const Decision d = decide(verdict(Category::personal_data, 2, Action::hide), kRules, {}, full(), CommentKind::comment);
  EXPECT_EQ(steps(d), (Steps{{ActionKind::escalate, false}, {ActionKind::hide, true}}));
  EXPECT_NE(d.reason.find("7.6.2"), std::string::npos) << d.reason;
}

TEST(Decide, DirectMessagesAreEscalatedNotHidden) {
  const Decision d = decide(verdict(Category::obscene, 3, Action::hide), kRules, {}, full(), CommentKind::direct_message);
  EXPECT_EQ(steps(d), (Steps{{ActionKind::escalate, false}}));
}

TEST(Decide, TheCouncilsOwnWordsAreNotModerated) {
  for (auto k : {CommentKind::own_post, CommentKind::own_reply})
    EXPECT_TRUE(decide(verdict(Category::obscene, 3, Action::hide), kRules, {}, full(), k).steps.empty());
}

TEST(Decide, AccountThresholdsReplaceTheRuleSets) {
  AccountPolicy strict;
  std::array<double, classifier::kActionCount> row;
  row.fill(classifier::Thresholds::kNever);
  row[static_cast<std::size_t>(Action::hide)] = 1;
  strict.thresholds[Category::abusive] = row;
  const auto v = verdict(Category::abusive, 1, Action::none);  // below the rules' hide at 2
  EXPECT_EQ(decide(v, kRules, {}, full(), CommentKind::comment).action, Action::none);
  EXPECT_EQ(decide(v, kRules, strict, full(), CommentKind::comment).action, Action::hide);
  // A rule's own action still applies under account thresholds.
  auto floored = verdict(Category::abusive, 0.5, Action::report);
  floored.rule_floor[static_cast<std::size_t>(Category::abusive)] = Action::report;
  EXPECT_EQ(decide(floored, kRules, strict, full(), CommentKind::comment).action, Action::report);
}

}  // namespace
}  // namespace moderatord::daemon::policy
