#include "connectors/webhook/webhook_connector.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

namespace moderatord::connectors {
namespace {

class WebhookConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One file per test process: ctest runs the tests of this suite in parallel.
    secret_path_ = std::filesystem::temp_directory_path() /
                   ("moderatord-webhook-test-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".secret");
    std::ofstream(secret_path_) << "s3cret\n";
    ConnectorConfig cfg{"site", "webhook", {{"secret_file", secret_path_.string()}}, "/", "/", nullptr};
    auto c = make_webhook_connector(cfg);
    ASSERT_TRUE(c) << c.error().to_string();
    connector_ = std::move(*c);
  }
  void TearDown() override { std::filesystem::remove(secret_path_); }

  WebhookDecoded post(const std::string& body, const std::string& signature) {
    HttpRequest r;
    r.method = "POST";
    r.target = "/webhooks/site";
    r.body = body;
    if (!signature.empty()) r.headers.emplace_back("x-moderatord-signature", signature);
    return connector_->handle_webhook(r);
  }

  std::filesystem::path secret_path_;
  ConnectorPtr connector_;
};

TEST_F(WebhookConnectorTest, SignedDeliveryDecodes) {
  const std::string body =
      R"({"comments":[{"id":"c1","text":"hello","thread_id":"p1","parent_id":"c0","author":{"id":"u1","name":"Ann"},)"
      R"("url":"https://example.org/c1","created_at":1764000000,"kind":"direct_message"},{"id":7,"text":"x"}]})";
  const auto d = post(body, webhook_signature("s3cret", body));  // trailing newline of the file trimmed
  ASSERT_EQ(d.reply.status, 200) << d.reply.body;
  EXPECT_TRUE(d.store_first);
  ASSERT_EQ(d.comments.size(), 2u);
  const auto& c = d.comments[0];
  EXPECT_EQ(c.account, "site");
  EXPECT_EQ(c.platform, "webhook");
  EXPECT_EQ(c.author_name, "Ann");
  EXPECT_EQ(c.parent_id, "c0");
  EXPECT_EQ(c.created_at, 1764000000);
  EXPECT_EQ(c.kind, model::CommentKind::direct_message);
  EXPECT_EQ(d.comments[1].platform_id, "7");
}

TEST_F(WebhookConnectorTest, ADeletionNeedsNoText) {
  const std::string body = R"({"comments":[{"id":"c1","deleted":true},{"id":"c2","text":"still here","deleted":false}]})";
  const auto d = post(body, webhook_signature("s3cret", body));
  ASSERT_EQ(d.reply.status, 200) << d.reply.body;
  ASSERT_EQ(d.comments.size(), 2u);
  EXPECT_TRUE(d.comments[0].deleted);
  EXPECT_EQ(d.comments[0].platform_id, "c1");
  EXPECT_FALSE(d.comments[1].deleted);
  EXPECT_EQ(d.comments[1].text, "still here");
  const std::string bad = R"({"comments":[{"id":"c1","deleted":"yes"}]})";
  const auto e = post(bad, webhook_signature("s3cret", bad));
  EXPECT_EQ(e.reply.status, 400);
  EXPECT_NE(e.reply.body.find("\"deleted\" must be true or false"), std::string::npos) << e.reply.body;
}

TEST_F(WebhookConnectorTest, SignatureIsCheckedOverTheRawBody) {
  const std::string body = R"({"comment":{"id":"c1","text":"hello"}})";
  const std::string sig = webhook_signature("s3cret", body);
  EXPECT_EQ(post(body, "").reply.status, 401);
  EXPECT_EQ(post(body, webhook_signature("wrong", body)).reply.status, 401);
  EXPECT_EQ(post(body + " ", sig).reply.status, 401);  // one byte changed
  EXPECT_EQ(post(body, "sha256=abc").reply.status, 401);
  std::string upper = sig;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  upper.replace(0, 7, "sha256=");
  EXPECT_EQ(post(body, upper).reply.status, 200);  // hex digits in either case
}

TEST_F(WebhookConnectorTest, BadBodiesAreRejectedClearly) {
  auto check = [&](const std::string& body, const std::string& message) {
    const auto d = post(body, webhook_signature("s3cret", body));
    EXPECT_EQ(d.reply.status, 400) << body;
    EXPECT_NE(d.reply.body.find(message), std::string::npos) << d.reply.body;
    EXPECT_TRUE(d.comments.empty());
  };
  check("{not json", "malformed JSON");
  check("{\"comments\":[{\"id\":\"c1\",\"text\":\"bad \xff\"}]}", "not valid UTF-8");
  check("{\"comments\":[{\"id\":\"c1\"}]}", "no string \"text\"");
  check("{\"comments\":[]}", "no comments");
  check("{\"things\":1}", "expected {\"comments\"");
  check("{\"comments\":[{\"id\":\"c1\",\"text\":\"t\",\"kind\":\"tweet\"}]}", "unknown kind");
}

TEST_F(WebhookConnectorTest, GetIsNotAHandshakeHere) {
  HttpRequest r;
  r.method = "GET";
  EXPECT_EQ(connector_->handle_webhook(r).reply.status, 405);
}

TEST_F(WebhookConnectorTest, ItCannotActSoDecisionsFallBack) {
  const Capabilities caps = connector_->capabilities();
  for (auto k : {model::ActionKind::hide, model::ActionKind::remove, model::ActionKind::report})
    EXPECT_FALSE(caps.of(k).supported);
}

TEST(WebhookFactory, MissingOrEmptySecretIsAStartupError) {
  ConnectorConfig cfg{"site", "webhook", {}, "/", "/", nullptr};
  auto none = make_webhook_connector(cfg);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().to_string().find("secret_file or secret_credential"), std::string::npos);
  cfg.settings = {{"secret_file", "/nonexistent/secret"}};
  auto missing = make_webhook_connector(cfg);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().to_string().find("s3cret"), std::string::npos);
  cfg.settings = {{"secret_file", "x"}, {"colour", "red"}};
  EXPECT_FALSE(make_webhook_connector(cfg));
}

}  // namespace
}  // namespace moderatord::connectors
