// X and Mastodon capabilities against the decision's fallback: for every action a verdict can ask
// for, what each connector lets the decision do on the platform and what becomes an escalation,
// including X's per-comment limit (hiding only in conversations the account started).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "connectors/connector.hpp"
#include "daemon/policy/decide.hpp"

namespace moderatord::connectors {
namespace {

using daemon::policy::Action;
using daemon::policy::Category;
using model::ActionKind;
using Steps = std::vector<std::pair<ActionKind, bool>>;  // (kind, on the platform)

class XMastodonCapabilities : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("moderatord-xm-caps-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "secret") << "s3cret\n";
    ConnectorConfig x;
    x.id = "council-x";
    x.platform = "x";
    x.config_dir = x.state_dir = dir_;
    x.settings = {{"user_id", "1"}, {"consumer_key", "ck"}, {"consumer_secret_file", "secret"},
                  {"access_token_file", "secret"}, {"access_token_secret_file", "secret"}};
    auto xc = make_connector(x);
    ASSERT_TRUE(xc) << xc.error().to_string();
    x_ = (*xc)->capabilities();
    ConnectorConfig m;
    m.id = "council-masto";
    m.platform = "mastodon";
    m.config_dir = m.state_dir = dir_;
    m.settings = {{"api_base", "https://social.example.org"}, {"access_token_file", "secret"}};
    auto mc = make_connector(m);
    ASSERT_TRUE(mc) << mc.error().to_string();
    masto_ = (*mc)->capabilities();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static Steps steps(const connectors::Capabilities& caps, Action a, const model::Comment& c = {}) {
    classifier::Verdict v;
    const auto cat = a == Action::report ? Category::abusive : Category::obscene;
    v.scores[static_cast<std::size_t>(cat)] = 6;
    v.category_action[static_cast<std::size_t>(cat)] = a;
    daemon::policy::AccountPolicy account;
    account.allow_remove = true;
    const auto d = daemon::policy::decide(v, classifier::Thresholds{}, account,
                                          daemon::policy::capabilities_for(caps, c), c.kind);
    Steps out;
    for (const auto& s : d.steps) out.emplace_back(s.kind, s.on_platform);
    return out;
  }

  std::filesystem::path dir_;
  connectors::Capabilities x_, masto_;
};

TEST_F(XMastodonCapabilities, DeclaredPerPlatform) {
  struct Row {
    const char* platform;
    const connectors::Capabilities* caps;
    bool hide, hide_undo, unhide, remove, report, report_undo;
  };
  const Row rows[] = {
      {"x", &x_, true, true, true, false, false, false},               // hidden replies; no report API
      {"mastodon", &masto_, false, false, false, false, true, false},  // reports only; no hide of others
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.platform);
    EXPECT_EQ(r.caps->hide.supported, r.hide);
    EXPECT_EQ(r.caps->hide.undoable, r.hide_undo);
    EXPECT_EQ(r.caps->unhide.supported, r.unhide);
    EXPECT_EQ(r.caps->remove.supported, r.remove);
    EXPECT_EQ(r.caps->report.supported, r.report);
    EXPECT_EQ(r.caps->report.undoable, r.report_undo);
  }
}

TEST_F(XMastodonCapabilities, DecisionFallbackTable) {
  model::Comment elsewhere;  // an X reply in a conversation someone else started
  elsewhere.no_hide_reason = "X lets an account hide replies only in conversations it started";
  struct Row {
    const char* what;
    const connectors::Capabilities* caps;
    const model::Comment* comment;
    Action action;
    Steps expected;
  };
  const model::Comment plain;
  const Row rows[] = {
      {"x hide", &x_, &plain, Action::hide, {{ActionKind::hide, true}}},
      {"x report: hide, and a moderator reports", &x_, &plain, Action::report,
       {{ActionKind::hide, true}, {ActionKind::escalate, false}}},
      {"x remove: hidden instead", &x_, &plain, Action::remove, {{ActionKind::hide, true}}},
      {"x escalate", &x_, &plain, Action::escalate, {{ActionKind::escalate, false}}},
      {"x hide elsewhere", &x_, &elsewhere, Action::hide, {{ActionKind::escalate, false}}},
      {"x report elsewhere", &x_, &elsewhere, Action::report, {{ActionKind::escalate, false}}},
      {"x remove elsewhere", &x_, &elsewhere, Action::remove, {{ActionKind::escalate, false}}},
      {"mastodon hide", &masto_, &plain, Action::hide, {{ActionKind::escalate, false}}},
      {"mastodon report", &masto_, &plain, Action::report, {{ActionKind::report, true}, {ActionKind::escalate, false}}},
      {"mastodon remove", &masto_, &plain, Action::remove, {{ActionKind::escalate, false}}},
      {"mastodon escalate", &masto_, &plain, Action::escalate, {{ActionKind::escalate, false}}},
      // The per-comment mark changes nothing where the platform cannot hide anyway.
      {"mastodon marked", &masto_, &elsewhere, Action::report, {{ActionKind::report, true}, {ActionKind::escalate, false}}},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.what);
    EXPECT_EQ(steps(*r.caps, r.action, *r.comment), r.expected);
  }
}

TEST_F(XMastodonCapabilities, EscalationSaysWhyForOneComment) {
  model::Comment elsewhere;
  elsewhere.no_hide_reason = "X lets an account hide replies only in conversations it started";
  classifier::Verdict v;
  v.scores[static_cast<std::size_t>(Category::obscene)] = 3;
  v.category_action[static_cast<std::size_t>(Category::obscene)] = Action::hide;
  const auto caps = daemon::policy::capabilities_for(x_, elsewhere);
  EXPECT_FALSE(caps.hide.supported);
  EXPECT_FALSE(caps.unhide.supported);
  const auto d = daemon::policy::decide(v, classifier::Thresholds{}, {}, caps, model::CommentKind::comment);
  EXPECT_NE(d.reason.find("conversations it started: escalated"), std::string::npos) << d.reason;
  // Without the mark the account's capabilities are unchanged.
  EXPECT_TRUE(daemon::policy::capabilities_for(x_, model::Comment{}).hide.supported);
}

}  // namespace
}  // namespace moderatord::connectors
