// The Facebook and Instagram factories: settings are validated at startup (and by --check-config),
// errors name the setting and never the secret; capabilities follow allow_delete.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "connectors/connector.hpp"

namespace moderatord::connectors {
namespace {

namespace fs = std::filesystem;

class MetaConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("moderatord-meta-config-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "app.secret") << "app-s3cret\n";
    std::ofstream(dir_ / "page.token") << "EAAtoken\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  ConnectorConfig fb(std::map<std::string, std::string> extra = {}) {
    ConnectorConfig c;
    c.id = "council-fb";
    c.platform = "facebook";
    c.config_dir = dir_;
    c.state_dir = dir_;
    c.settings = {{"page_id", "1234567890321"}, {"app_secret_file", "app.secret"},
                  {"access_token_file", "page.token"}, {"verify_token", "vt"}};
    for (auto& [k, v] : extra) c.settings[k] = v;
    return c;
  }
  std::string error_of(const ConnectorConfig& c) {
    auto r = make_connector(c);
    return r ? "" : r.error().to_string();
  }
  fs::path dir_;
};

TEST_F(MetaConfig, ValidFacebookAndInstagram) {
  auto c = make_connector(fb());
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ((*c)->platform(), "facebook");
  EXPECT_TRUE((*c)->capabilities().hide.supported);
  EXPECT_TRUE((*c)->capabilities().hide.undoable);
  EXPECT_FALSE((*c)->capabilities().remove.supported);  // allow_delete is off by default
  EXPECT_FALSE((*c)->capabilities().report.supported);  // no API: the decision escalates
  auto d = make_connector(fb({{"allow_delete", "true"}, {"poll_interval", "60"}, {"requests_per_hour", "500"}}));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_TRUE((*d)->capabilities().remove.supported);

  auto ig = fb();
  ig.platform = "instagram";
  ig.settings.erase("page_id");
  ig.settings["ig_user_id"] = "17841400000000000";
  ig.settings["username"] = "council";
  ig.settings["login"] = "facebook";
  auto i = make_connector(ig);
  ASSERT_TRUE(i) << i.error().to_string();
  EXPECT_EQ((*i)->platform(), "instagram");
}

TEST_F(MetaConfig, BadSettingsAreNamed) {
  auto no_page = fb();
  no_page.settings.erase("page_id");
  EXPECT_NE(error_of(no_page).find("page_id is required"), std::string::npos);
  EXPECT_NE(error_of(fb({{"page_id", "12/../34"}})).find("page_id"), std::string::npos);
  EXPECT_NE(error_of(fb({{"page_id", "council"}})).find("page_id"), std::string::npos);
  EXPECT_NE(error_of(fb({{"colour", "blue"}})).find("unknown facebook setting 'colour'"), std::string::npos);
  EXPECT_NE(error_of(fb({{"api_base", "http://graph.facebook.com"}})).find("api_base"), std::string::npos);
  EXPECT_NE(error_of(fb({{"ca_file", "missing.pem"}})).find("ca_file"), std::string::npos);
  EXPECT_NE(error_of(fb({{"poll_interval", "soon"}})).find("poll_interval"), std::string::npos);
  EXPECT_NE(error_of(fb({{"allow_delete", "yes"}})).find("allow_delete"), std::string::npos);
  EXPECT_NE(error_of(fb({{"ig_user_id", "1"}})).find("unknown facebook setting"), std::string::npos);
  auto no_secret = fb();
  no_secret.settings.erase("app_secret_file");
  EXPECT_NE(error_of(no_secret).find("app_secret_file"), std::string::npos);
  auto no_token = fb();
  no_token.settings["access_token_file"] = "nope.token";
  const std::string e = error_of(no_token);
  EXPECT_NE(e.find("access_token"), std::string::npos);
  auto no_verify = fb();
  no_verify.settings.erase("verify_token");
  EXPECT_NE(error_of(no_verify).find("verify_token"), std::string::npos);
  // Errors never quote a secret.
  for (const auto& msg : {error_of(fb({{"colour", "blue"}})), e}) {
    EXPECT_EQ(msg.find("app-s3cret"), std::string::npos);
    EXPECT_EQ(msg.find("EAAtoken"), std::string::npos);
  }
}

TEST_F(MetaConfig, WebhookThroughTheConnector) {
  auto c = make_connector(fb());
  ASSERT_TRUE(c);
  HttpRequest get;
  get.method = "GET";
  get.target = "/webhooks/council-fb?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=77";
  auto hs = (*c)->handle_webhook(get);
  EXPECT_EQ(hs.reply.status, 200);
  EXPECT_EQ(hs.reply.body, "77");
  EXPECT_TRUE(hs.comments.empty());
  HttpRequest put;
  put.method = "PUT";
  EXPECT_EQ((*c)->handle_webhook(put).reply.status, 405);
}

}  // namespace
}  // namespace moderatord::connectors
