// AT Protocol bodies against the recorded samples (tests/data/platforms/bluesky/): notifications,
// sessions, posts, threadgate records (fields kept, 50-entry lexicon), errors, rate-limit headers,
// the report reason for our labels, and the factory's validation of the account settings.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>

#include "connectors/bluesky/bluesky_json.hpp"
#include "connectors/bluesky/rate_limit_headers.hpp"
#include "connectors/connector.hpp"
#include "meta_test_support.hpp"

namespace moderatord::connectors::bluesky {
namespace {

using test::sample;
using namespace std::chrono_literals;

constexpr const char* kCouncil = "did:plc:iijrtk7ocored6zuziwmqq3c";  // the account of the recorded sample

TEST(BlueskyJson, NotificationsKeepRepliesAndMentions) {
  auto page = parse_notifications(sample("bluesky/listNotifications-output.json"), {"bsky", kCouncil});
  ASSERT_TRUE(page) << page.error().to_string();
  // 17 replies and 3 mentions; 149 likes, 14 reposts, 13 follows and 4 quotes are left out.
  EXPECT_EQ(page->items.size(), 20u);
  EXPECT_EQ(page->indexed_ms.size(), page->items.size());
  EXPECT_EQ(page->cursor, "1693647073508::bafyreif5ion4zgoeksmefhyjf6fbpsjpojbcw33vxhqlh3rc7u33hdde3i");
  EXPECT_GT(page->newest_ms, page->oldest_ms);
  const auto& first = page->items[0];
  EXPECT_EQ(first.platform, "bluesky");
  EXPECT_EQ(first.platform_id, "at://did:plc:wpmuup4caccl3a726wdni6wj/app.bsky.feed.post/3k6k4as23yu2g");
  EXPECT_EQ(first.author_id, "did:plc:wpmuup4caccl3a726wdni6wj");
  EXPECT_EQ(first.author_name, "maccalennon.bsky.social");
  EXPECT_EQ(first.thread_id, "at://did:plc:wpmuup4caccl3a726wdni6wj/app.bsky.feed.post/3k6k3k3gwjt2q");
  EXPECT_EQ(first.parent_id, "at://did:plc:iijrtk7ocored6zuziwmqq3c/app.bsky.feed.post/3k6k42e25xo2i");
  EXPECT_EQ(first.url, "https://bsky.app/profile/did:plc:wpmuup4caccl3a726wdni6wj/post/3k6k4as23yu2g");
  EXPECT_EQ(page->indexed_ms[0], 1693800035516);
  EXPECT_EQ(first.created_at, 1693800035);
  // Its thread is someone else's: a threadgate of ours cannot hide it.
  EXPECT_FALSE(first.no_hide_reason.empty());
  int hideable = 0;
  for (const auto& c : page->items) hideable += c.no_hide_reason.empty();
  EXPECT_EQ(hideable, 3);
}

TEST(BlueskyJson, OwnPostsAreTheCouncils) {
  // Read as if the replying account were the council: its posts become own_reply and are not marked.
  auto page = parse_notifications(sample("bluesky/listNotifications-output.json"), {"bsky", "did:plc:wpmuup4caccl3a726wdni6wj"});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items[0].kind, model::CommentKind::own_reply);
  EXPECT_TRUE(page->items[0].no_hide_reason.empty());
  EXPECT_FALSE(parse_notifications("{}", {"bsky", kCouncil}));
  EXPECT_FALSE(parse_notifications("[", {"bsky", kCouncil}));
}

TEST(BlueskyJson, AtUris) {
  auto u = parse_at_uri("at://did:plc:wpmuup4caccl3a726wdni6wj/app.bsky.feed.post/3k6k4as23yu2g");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->did, "did:plc:wpmuup4caccl3a726wdni6wj");
  EXPECT_EQ(u->collection, "app.bsky.feed.post");
  EXPECT_EQ(u->rkey, "3k6k4as23yu2g");
  for (const char* bad : {"", "https://bsky.app/x", "at://did:plc:x/app.bsky.feed.post", "at://handle/c/r",
                          "at://did:plc:x/app.bsky.feed.post/r?x=1", "at://did:plc:x/a/b/c"})
    EXPECT_FALSE(parse_at_uri(bad)) << bad;
}

TEST(BlueskyJson, ThreadgateKeepsItsFieldsAndHidesUpToTheLexicon) {
  auto gate = parse_threadgate(sample("bluesky/threadgate-record-hiddenReplies.json"));
  ASSERT_TRUE(gate) << gate.error().to_string();
  EXPECT_EQ(gate->cid, "bafyreihvdsfczasqo7fadxtwsdq56e6mrodlfn6f4qaleglzr2nwmwkrxm");
  ASSERT_EQ(gate->hidden_replies.size(), 1u);
  std::vector<std::string> hidden = gate->hidden_replies;
  hidden.push_back("at://did:plc:x/app.bsky.feed.post/new");
  const std::string post = "at://did:plc:iijrtk7ocored6zuziwmqq3c/app.bsky.feed.post/3k6k42e25xo2i";
  const std::string record = threadgate_record(*gate, post, hidden, "2026-11-24T00:00:00.000Z");
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  ASSERT_EQ(parser.parse(record).get_object().get(o), simdjson::SUCCESS) << record;
  EXPECT_EQ(std::string_view(o["$type"]), "app.bsky.feed.threadgate");
  EXPECT_EQ(std::string_view(o["post"]), post);
  EXPECT_EQ(std::string_view(o["createdAt"]), "2023-09-04T04:30:00.000Z");  // kept, not renewed
  EXPECT_EQ(simdjson::dom::array(o["allow"]).size(), 2u);                   // who may reply: unchanged
  EXPECT_EQ(simdjson::dom::array(o["hiddenReplies"]).size(), 2u);
  // The lexicon's limit, read from the recorded schema: max_hidden_replies (default 50) may not
  // exceed it (see BlueskyConfig.InvalidAccountsFailAtStartup).
  simdjson::dom::element lex;
  ASSERT_EQ(parser.parse(sample("bluesky/lexicon-app.bsky.feed.threadgate.json")).get(lex), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(lex["defs"]["main"]["record"]["properties"]["hiddenReplies"]["maxLength"]), 300);
  // A new threadgate: no "allow" (anyone may still reply).
  const std::string fresh = threadgate_record(std::nullopt, post, {"at://did:plc:x/app.bsky.feed.post/r"}, "2026-11-24T00:00:00.000Z");
  EXPECT_EQ(fresh, "{\"$type\":\"app.bsky.feed.threadgate\",\"post\":\"" + post +
                       "\",\"createdAt\":\"2026-11-24T00:00:00.000Z\",\"hiddenReplies\":[\"at://did:plc:x/app.bsky.feed.post/r\"]}");
}

TEST(BlueskyJson, SessionsPostsAndErrors) {
  auto s = parse_session(R"({"accessJwt":"a.b.c","refreshJwt":"d.e.f","did":"did:plc:abc","handle":"council.test"})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->did, "did:plc:abc");
  EXPECT_FALSE(parse_session(R"({"accessJwt":"a","did":"did:plc:abc"})"));
  auto e = parse_xrpc_error(R"({"error":"ExpiredToken","message":"Token has expired"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->error, "ExpiredToken");
  EXPECT_FALSE(parse_xrpc_error(R"({"posts":[]})"));
  const std::string uri = "at://did:plc:a/app.bsky.feed.post/r1";
  auto ref = parse_get_posts(R"({"posts":[{"uri":")" + uri +
                                 R"(","cid":"bafy1","record":{"reply":{"root":{"uri":"at://did:plc:c/app.bsky.feed.post/root","cid":"x"}}}}]})",
                             uri);
  ASSERT_TRUE(ref) << ref.error().to_string();
  EXPECT_EQ(ref->cid, "bafy1");
  EXPECT_EQ(ref->root_uri, "at://did:plc:c/app.bsky.feed.post/root");
  EXPECT_FALSE(parse_get_posts(R"({"posts":[]})", uri));
  EXPECT_EQ(json_string("a\"b\\\n\x01"), "\"a\\\"b\\\\\\n\\u0001\"");
}

TEST(BlueskyReport, ReasonFitsTheLabels) {
  EXPECT_EQ(report_reason("abusive"), "com.atproto.moderation.defs#reasonRude");
  EXPECT_EQ(report_reason("discriminatory"), "com.atproto.moderation.defs#reasonRude");
  EXPECT_EQ(report_reason("obscene,sexual"), "com.atproto.moderation.defs#reasonSexual");
  EXPECT_EQ(report_reason("abusive,illegal"), "com.atproto.moderation.defs#reasonViolation");
  EXPECT_EQ(report_reason("personal_data"), "com.atproto.moderation.defs#reasonViolation");
  EXPECT_EQ(report_reason("deceptive"), "com.atproto.moderation.defs#reasonMisleading");
  EXPECT_EQ(report_reason(""), "com.atproto.moderation.defs#reasonOther");
  EXPECT_EQ(report_reason("nonsexual"), "com.atproto.moderation.defs#reasonOther");  // whole labels only
  // Every reason we send is one the recorded createReport lexicon accepts (by its defs reference).
  const std::string lexicon = sample("bluesky/lexicon-com.atproto.moderation.createReport.json");
  EXPECT_NE(lexicon.find("com.atproto.moderation.defs#reasonType"), std::string::npos);
}

TEST(BlueskyRateLimit, HeadersHoldCallsBackUntilTheReset) {
  http::HttpsResponse r;
  r.status = 429;
  r.headers = {{"ratelimit-limit", "3000"}, {"ratelimit-remaining", "0"}, {"ratelimit-reset", "1767225900"},
               {"ratelimit-policy", "3000;w=300"}};
  auto t = atproto_throttle(r, 1767225870);
  EXPECT_TRUE(t.retry);
  EXPECT_EQ(t.wait, 30s);
  r.status = 200;  // the last call of the window went through: the next waits
  t = atproto_throttle(r, 1767225870);
  EXPECT_FALSE(t.retry);
  EXPECT_EQ(t.wait, 30s);
  r.headers[1].second = "12";
  EXPECT_EQ(atproto_throttle(r, 1767225870).wait, 0ms);
  r.status = 429;
  r.headers[2].second = "9999999999";  // a reset far away is capped
  EXPECT_EQ(atproto_throttle(r, 1767225870).wait, 3600s);
}

class BlueskyConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("bsky-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "password") << "abcd-efgh-ijkl-mnop\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Result<ConnectorPtr> make(std::map<std::string, std::string> settings) {
    ConnectorConfig c;
    c.id = "council-bsky";
    c.platform = "bluesky";
    c.settings = std::move(settings);
    c.config_dir = dir_;
    c.state_dir = dir_;
    return make_connector(c);
  }
  std::string error_of(std::map<std::string, std::string> settings) {
    auto r = make(std::move(settings));
    return r ? std::string() : r.error().to_string();
  }
  std::filesystem::path dir_;
};

TEST_F(BlueskyConfig, ValidAccountAndItsCapabilities) {
  auto c = make({{"identifier", "council.test"}, {"app_password_file", "password"}});
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ((*c)->platform(), "bluesky");
  const auto caps = (*c)->capabilities();
  EXPECT_TRUE(caps.hide.supported && caps.hide.undoable);
  EXPECT_TRUE(caps.report.supported);
  EXPECT_FALSE(caps.report.undoable);
  EXPECT_FALSE(caps.remove.supported);
}

TEST_F(BlueskyConfig, InvalidAccountsFailAtStartup) {
  EXPECT_NE(error_of({{"app_password_file", "password"}}).find("identifier is required"), std::string::npos);
  EXPECT_NE(error_of({{"identifier", "council.test"}}).find("app_password_file"), std::string::npos);
  EXPECT_NE(error_of({{"identifier", "council.test"}, {"app_password_file", "password"}, {"service", "http://pds"}})
                .find("https://"),
            std::string::npos);
  EXPECT_NE(error_of({{"identifier", "council.test"}, {"app_password_file", "password"}, {"report_service", "mod"}})
                .find("report_service"),
            std::string::npos);
  EXPECT_NE(error_of({{"identifier", "council.test"}, {"app_password_file", "password"}, {"poll_interval", "x"}})
                .find("poll_interval"),
            std::string::npos);
  EXPECT_NE(error_of({{"identifier", "council.test"}, {"app_password_file", "password"}, {"max_hidden_replies", "301"}})
                .find("max_hidden_replies must be a whole number in [1, 300]"),
            std::string::npos);
  EXPECT_EQ(error_of({{"identifier", "council.test"}, {"app_password_file", "password"}, {"max_hidden_replies", "300"}}), "");
  const std::string unknown = error_of({{"identifier", "council.test"}, {"app_password_file", "password"}, {"password", "x"}});
  EXPECT_NE(unknown.find("unknown bluesky setting 'password'"), std::string::npos);
  EXPECT_EQ(unknown.find("abcd-efgh"), std::string::npos);
}

}  // namespace
}  // namespace moderatord::connectors::bluesky
