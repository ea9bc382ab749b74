// The decision's fallback against what YouTube and Bluesky can do: for each breach, which steps
// happen on the platform and which become an escalation (the table in issue 7).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "connectors/connector.hpp"
#include "daemon/policy/decide.hpp"

namespace moderatord::daemon::policy {
namespace {

using model::ActionKind;
using Steps = std::vector<std::pair<ActionKind, bool>>;

class PlatformCapabilities : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("caps-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "secret") << "s3cret\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  connectors::Capabilities caps(const std::string& platform, std::map<std::string, std::string> settings) {
    connectors::ConnectorConfig c;
    c.id = "acct";
    c.platform = platform;
    c.settings = std::move(settings);
    c.config_dir = dir_;
    c.state_dir = dir_;
    auto r = connectors::make_connector(c);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? (*r)->capabilities() : connectors::Capabilities{};
  }
  static Steps steps(const Decision& d) {
    Steps out;
    for (const auto& s : d.steps) out.emplace_back(s.kind, s.on_platform);
    return out;
  }
  static Decision decide_for(Action a, const connectors::Capabilities& caps, bool allow_remove = false) {
    classifier::Verdict v;
    const auto c = static_cast<std::size_t>(Category::abusive);
    v.scores[c] = 9;
    v.category_action[c] = a;
    AccountPolicy p;
    p.allow_remove = allow_remove;
    return decide(v, classifier::Thresholds{}, p, caps, model::CommentKind::comment);
  }
  std::filesystem::path dir_;
};

TEST_F(PlatformCapabilities, YouTube) {
  const auto oauth = caps("youtube", {{"channel_id", "UCx"}, {"access_token_file", "secret"}});
  const auto key_only = caps("youtube", {{"channel_id", "UCx"}, {"api_key_file", "secret"}});
  const auto reject = caps("youtube", {{"channel_id", "UCx"}, {"access_token_file", "secret"}, {"allow_reject", "true"}});
  struct Row {
    const char* what;
    connectors::Capabilities caps;
    Action action;
    bool allow_remove;
    Steps expected;
  };
  const std::vector<Row> table = {
      {"hide: held for review", oauth, Action::hide, false, {{ActionKind::hide, true}}},
      {"hide with an API key only: escalated", key_only, Action::hide, false, {{ActionKind::escalate, false}}},
      {"report: no report API, held and escalated", oauth, Action::report, false,
       {{ActionKind::hide, true}, {ActionKind::escalate, false}}},
      {"remove without allow_reject: held instead", oauth, Action::remove, true, {{ActionKind::hide, true}}},
      {"remove with allow_reject: rejected", reject, Action::remove, true, {{ActionKind::remove, true}}},
      {"remove not allowed by the account: held", reject, Action::remove, false, {{ActionKind::hide, true}}},
  };
  for (const auto& row : table) EXPECT_EQ(steps(decide_for(row.action, row.caps, row.allow_remove)), row.expected) << row.what;
  EXPECT_FALSE(reject.remove.undoable);  // "rejected" cannot be undone
}

TEST_F(PlatformCapabilities, Bluesky) {
  const auto account = caps("bluesky", {{"identifier", "council.test"}, {"app_password_file", "secret"}});
  model::Comment in_thread, elsewhere;
  elsewhere.no_hide_reason = "Bluesky hides replies only in threads under the council's own posts";
  const auto mine = capabilities_for(account, in_thread);
  const auto theirs = capabilities_for(account, elsewhere);
  EXPECT_EQ(steps(decide_for(Action::hide, mine)), (Steps{{ActionKind::hide, true}}));
  const Decision hide_elsewhere = decide_for(Action::hide, theirs);
  EXPECT_EQ(steps(hide_elsewhere), (Steps{{ActionKind::escalate, false}}));
  EXPECT_EQ(steps(decide_for(Action::report, mine)),
            (Steps{{ActionKind::hide, true}, {ActionKind::report, true}, {ActionKind::escalate, false}}));
  EXPECT_EQ(steps(decide_for(Action::report, theirs)), (Steps{{ActionKind::report, true}, {ActionKind::escalate, false}}));
  // Nobody deletes another account's post: a remove becomes a hide (or an escalation elsewhere).
  EXPECT_EQ(steps(decide_for(Action::remove, mine, true)), (Steps{{ActionKind::hide, true}}));
  EXPECT_EQ(steps(decide_for(Action::remove, theirs, true)), (Steps{{ActionKind::escalate, false}}));
}

}  // namespace
}  // namespace moderatord::daemon::policy
