// Mastodon: parsers on the recorded samples (tests/data/platforms/mastodon/), HTML to text, Link
// paging, the rate-limit hook, and the factory's validation.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "connectors/connector.hpp"
#include "connectors/mastodon/html_text.hpp"
#include "connectors/mastodon/mastodon_api.hpp"
#include "connectors/meta/graph_json.hpp"
#include "connectors/rest/rest_connector.hpp"
#include "platform_sample.hpp"

namespace moderatord::connectors::mastodon {
namespace {

using testing::sample;
using testing::sample_response;

TEST(MastodonHtml, ParagraphsBreaksMentionsAndEntities) {
  EXPECT_EQ(html_to_text("<p><span class=\"h-card\" translate=\"no\"><a href=\"http://localhost:3000/@mastodonpy_test\" "
                         "class=\"u-url mention\">@<span>mastodonpy_test</span></a></span> hello!</p>"),
            "@mastodonpy_test hello!");
  EXPECT_EQ(html_to_text("<p>one<br>two<br />three</p><p>next &amp; last &lt;3 &#39;q&#x27; &quot;x&quot;</p>"),
            "one\ntwo\nthree\n\nnext & last <3 'q' \"x\"");
  EXPECT_EQ(html_to_text("caf&#233; &nbsp; &bogus; & <unterminated"), "caf\xC3\xA9 \xC2\xA0 &bogus; &");
  EXPECT_EQ(html_to_text(""), "");
}

TEST(MastodonApi, NotificationsSample) {
  Owner owner{"council-masto", "109000000000000001"};
  auto page = parse_notifications(sample("mastodon/notifications-mention.json"), owner);
  ASSERT_TRUE(page) << page.error().to_string();
  ASSERT_EQ(page->items.size(), 1u);
  const auto& c = page->items[0];
  EXPECT_EQ(c.platform, "mastodon");
  EXPECT_EQ(c.account, "council-masto");
  EXPECT_EQ(c.platform_id, "117020577157693549");
  EXPECT_EQ(c.text, "@mastodonpy_test hello!");
  EXPECT_EQ(c.author_id, "117020565693913441");
  EXPECT_EQ(c.author_name, "@admin");
  EXPECT_EQ(c.url, "http://localhost:3000/@admin/117020577157693549");
  EXPECT_EQ(c.thread_id, c.platform_id);  // not a reply
  EXPECT_EQ(c.parent_id, "");
  EXPECT_EQ(c.created_at, *meta::parse_graph_time("2026-08-01T13:51:42Z"));
  EXPECT_EQ(c.kind, model::CommentKind::comment);
  EXPECT_EQ(page->ids.size(), 1u);
  // The same status read as our own: the account's own post.
  owner.account_id = "117020565693913441";
  page = parse_notifications(sample("mastodon/notifications-mention.json"), owner);
  EXPECT_EQ(page->items.at(0).kind, model::CommentKind::own_post);
}

TEST(MastodonApi, StatusesRepliesDirectAndSkipped) {
  const std::string body = R"([
    {"id":"30","created_at":"2026-08-01T10:00:00.000Z","in_reply_to_id":"20","visibility":"public",
     "content":"<p>a reply</p>","spoiler_text":"","account":{"id":"7","acct":"bob@x.example"}},
    {"id":"29","created_at":"2026-08-01T09:00:00.000Z","in_reply_to_id":null,"visibility":"direct",
     "content":"<p>private</p>","spoiler_text":"cw","account":{"id":"8","acct":"ann"}},
    {"id":"28","content":"","account":{"id":"8"}}, 5])";
  auto page = parse_statuses(body, Owner{"a", "99"});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].parent_id, "20");
  EXPECT_EQ(page->items[0].thread_id, "20");
  EXPECT_EQ(page->items[1].kind, model::CommentKind::direct_message);
  EXPECT_EQ(page->items[1].text, "cw\n\nprivate");  // the content warning is part of what is read
  EXPECT_EQ(page->skipped, 2u);
  EXPECT_EQ(page->ids, (std::vector<std::string>{"30", "29", "28"}));
  EXPECT_FALSE(parse_statuses("{\"error\":\"x\"}", Owner{}));
}

TEST(MastodonApi, LinkHeaderOfTheRecordedResponse) {
  const auto r = sample_response("mastodon/rate-limit-headers.http");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(link_next(r.header("link")), "http://localhost:3000/api/v1/notifications?max_id=21&types%5B%5D=mention");
  EXPECT_EQ(link_next("<https://a/x?min_id=5>; rel=\"prev\""), "");
  EXPECT_EQ(link_next(""), "");
}

TEST(MastodonApi, RateLimitHook) {
  auto r = sample_response("mastodon/rate-limit-headers.http");  // 299 left: nothing to do
  EXPECT_EQ(mastodon_throttle(r, 0).wait.count(), 0);
  auto limited = sample_response("mastodon/error-429-rate-limited.http");
  ASSERT_EQ(limited.status, 429u);
  const std::int64_t reset = *meta::parse_graph_time("2026-08-01T14:00:00Z");
  auto t = mastodon_throttle(limited, reset - 30);
  EXPECT_TRUE(t.retry);
  EXPECT_EQ(t.wait.count(), 31'000);  // to the reset, rounded up to the next second
  t = mastodon_throttle(limited, reset + 100);  // reset already past: a short pause
  EXPECT_EQ(t.wait.count(), 1000);
  limited.status = 200;  // remaining 0 on a success: hold back, do not retry
  t = mastodon_throttle(limited, reset - 10);
  EXPECT_FALSE(t.retry);
  EXPECT_EQ(t.wait.count(), 11'000);
}

TEST(MastodonApi, ErrorBodiesAndReportResponse) {
  EXPECT_EQ(rest::error_text(sample("mastodon/error-401-invalid-token.json")), "The access token is invalid");
  EXPECT_NE(rest::error_text(sample("mastodon/error-422-rule-ids-invalid.json")).find("Rule"), std::string::npos);
  EXPECT_EQ(account_id_of(sample("mastodon/report-create-response.json")), "2");  // the report id
  EXPECT_EQ(status_author_id(R"({"id":"5","account":{"id":"77"}})"), "77");
  EXPECT_TRUE(id_newer("117020577157693549", "99999999999999999"));
  EXPECT_FALSE(id_newer("21", "21"));
  EXPECT_TRUE(id_newer("1", ""));
}

class MastodonConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("moderatord-mastodon-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "token") << "masto-s3cret\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  ConnectorConfig config(std::map<std::string, std::string> extra = {}) {
    ConnectorConfig c;
    c.id = "council-masto";
    c.platform = "mastodon";
    c.config_dir = c.state_dir = dir_;
    c.settings = {{"api_base", "https://social.example.org/"}, {"access_token_file", "token"}};
    for (auto& [k, v] : extra) c.settings[k] = v;
    return c;
  }
  std::string error_of(const ConnectorConfig& c) {
    auto r = make_connector(c);
    return r ? "" : r.error().to_string();
  }
  std::filesystem::path dir_;
};

TEST_F(MastodonConfig, ValidatesKeys) {
  auto c = make_connector(config({{"report_rule_ids", "1, 4"}, {"report_forward", "true"}, {"poll_interval", "60"}}));
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ((*c)->platform(), "mastodon");
  EXPECT_NE(error_of(config({{"api_base", "http://social.example.org"}})).find("api_base"), std::string::npos);
  auto no_base = config();
  no_base.settings.erase("api_base");
  EXPECT_NE(error_of(no_base).find("api_base is required"), std::string::npos);
  EXPECT_NE(error_of(config({{"report_rule_ids", "1,x"}})).find("report_rule_ids"), std::string::npos);
  EXPECT_NE(error_of(config({{"report_forward", "yes"}})).find("report_forward"), std::string::npos);
  EXPECT_NE(error_of(config({{"poll_interval", "0"}})).find("poll_interval"), std::string::npos);
  EXPECT_NE(error_of(config({{"hide_replies", "true"}})).find("unknown mastodon setting 'hide_replies'"),
            std::string::npos);
  auto no_token = config();
  no_token.settings.erase("access_token_file");
  const std::string e = error_of(no_token);
  EXPECT_NE(e.find("access_token_file"), std::string::npos);
  EXPECT_EQ(e.find("masto-s3cret"), std::string::npos);
}

TEST_F(MastodonConfig, PolledOnlyNoWebhook) {
  auto c = make_connector(config());
  ASSERT_TRUE(c);
  HttpRequest req;
  req.method = "POST";
  EXPECT_EQ((*c)->handle_webhook(req).reply.status, 404);
}

}  // namespace
}  // namespace moderatord::connectors::mastodon
