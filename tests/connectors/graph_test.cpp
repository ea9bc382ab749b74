// Graph API responses against the recorded samples: error objects and what each means, usage
// headers, time stamps, and the list shapes the polling safety net reads.
#include <gtest/gtest.h>

#include "connectors/http/https_client.hpp"
#include "connectors/meta/graph_error.hpp"
#include "connectors/meta/graph_reads.hpp"
#include "connectors/meta/usage_headers.hpp"
#include "meta_test_support.hpp"

namespace moderatord::connectors::meta {
namespace {

using test::sample;
using namespace std::chrono_literals;

GraphErrorClass class_of(const std::string& file) {
  auto e = parse_graph_error(sample(file));
  EXPECT_TRUE(e.has_value()) << file;
  return e ? classify(*e) : GraphErrorClass::other;
}

TEST(GraphError, SamplesAreClassified) {
  EXPECT_EQ(class_of("facebook/error-oauth-190-463-expired-token.json"), GraphErrorClass::token_invalid);
  EXPECT_EQ(class_of("facebook/error-oauth-190-460.json"), GraphErrorClass::token_invalid);
  EXPECT_EQ(class_of("facebook/error-oauth-190-invalidated.json"), GraphErrorClass::token_invalid);
  for (const char* f : {"facebook/error-rate-limit-4-app.json", "facebook/error-rate-limit-17-user.json",
                        "facebook/error-rate-limit-32-page.json", "facebook/error-rate-limit-613.json",
                        "facebook/error-rate-limit-80001-pages-buc.json"})
    EXPECT_EQ(class_of(f), GraphErrorClass::rate_limited) << f;
  EXPECT_EQ(class_of("facebook/error-100-missing-permission.json"), GraphErrorClass::permission);
  EXPECT_EQ(class_of("facebook/error-100-ppca.json"), GraphErrorClass::other);
  EXPECT_EQ(class_of("facebook/error-1-transient-with-user-msg.json"), GraphErrorClass::transient);
}

TEST(GraphError, FieldsAndMissingPermission) {
  auto e = parse_graph_error(sample("facebook/error-oauth-190-463-expired-token.json"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, 190);
  EXPECT_EQ(e->subcode, 463);
  EXPECT_EQ(e->type, "OAuthException");
  EXPECT_EQ(e->fbtrace_id, "AmOdEraToRdFiXtUrE00001");
  EXPECT_NE(describe(*e).find("code 190/463"), std::string::npos);
  auto p = parse_graph_error(sample("facebook/error-100-missing-permission.json"));
  ASSERT_TRUE(p);
  EXPECT_EQ(missing_permission(*p), "pages_read_engagement");
  GraphError e200{200, 0, "OAuthException", "(#200) Requires pages_manage_engagement permission to manage the object", "", false};
  EXPECT_EQ(classify(e200), GraphErrorClass::permission);
  EXPECT_EQ(missing_permission(e200), "pages_manage_engagement");
  EXPECT_FALSE(parse_graph_error(sample("facebook/comment-single.json")));
  EXPECT_FALSE(parse_graph_error("not json"));
}

TEST(UsageHeaders, BusinessUseCaseRegainTimeIsMinutes) {
  // headers-x-business-use-case-usage.http
  const auto u = parse_usage(
      R"({"call_count":2,"total_cputime":2,"total_time":2})",
      R"({"1234567890321":[{"type":"pages","call_count":100,"total_cputime":16,"total_time":45,"estimated_time_to_regain_access":10}]})");
  EXPECT_EQ(u.max_percent, 100);
  EXPECT_EQ(u.regain_access, 10min);
  // header-business-use-case-usage-value.json: the docs' value with its placeholder key.
  const auto docs = parse_usage("", sample("facebook/header-business-use-case-usage-value.json"));
  EXPECT_EQ(docs.regain_access, 10min);
  const auto low = parse_usage(R"({"call_count":2,"total_cputime":2,"total_time":2})", "");
  EXPECT_EQ(low.max_percent, 2);
  EXPECT_EQ(low.regain_access, 0ms);
  const auto junk = parse_usage("nope", "[1,2");
  EXPECT_EQ(junk.max_percent, 0);
}

TEST(UsageHeaders, ThrottleHook) {
  UsageOptions o;
  http::HttpsResponse r;
  r.status = 200;
  r.headers = {{"x-app-usage", R"({"call_count":2,"total_cputime":2,"total_time":2})"}};
  EXPECT_EQ(graph_throttle(r, o).wait, 0ms);
  r.headers = {{"x-app-usage", R"({"call_count":97,"total_cputime":2,"total_time":2})"}};
  EXPECT_EQ(graph_throttle(r, o).wait, o.throttled_wait);
  r.headers = {{"x-business-use-case-usage",
                R"({"1":[{"type":"pages","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":2}]})"}};
  EXPECT_EQ(graph_throttle(r, o).wait, 2min);
  // A rate-limit error is retried whatever its HTTP status (Meta sends 400 and 403 as often as 429).
  r.status = 400;
  r.headers.clear();
  r.body = sample("facebook/error-rate-limit-613.json");
  auto t = graph_throttle(r, o);
  EXPECT_TRUE(t.retry);
  EXPECT_EQ(t.wait, o.rate_limit_error_wait);
  r.body = sample("facebook/error-oauth-190-463-expired-token.json");
  EXPECT_FALSE(graph_throttle(r, o).retry);
}

TEST(GraphTime, IsoAndUnix) {
  EXPECT_EQ(parse_graph_time("2021-08-10T18:45:03+0000"), 1628621103);
  EXPECT_EQ(parse_graph_time("2021-08-10T18:45:03Z"), 1628621103);
  EXPECT_EQ(parse_graph_time("2021-08-10T20:45:03+02:00"), 1628621103);
  EXPECT_EQ(parse_graph_time("2021-08-10T18:45:03.123+0000"), 1628621103);
  EXPECT_FALSE(parse_graph_time("yesterday"));
  EXPECT_FALSE(parse_graph_time("2021-13-10T18:45:03+0000"));
}

const Owner kPage{"council-fb", MetaPlatform::facebook, "19292868552", ""};

TEST(GraphReads, FacebookCommentsPageSkipsItemsWithoutId) {
  // post-comments-paged.json was recorded without the id field: nothing is usable, nothing crashes.
  auto page = parse_facebook_comments(sample("facebook/post-comments-paged.json"), kPage, "p1");
  ASSERT_TRUE(page) << page.error().to_string();
  EXPECT_TRUE(page->items.empty());
  EXPECT_GT(page->skipped, 0u);
  EXPECT_NE(page->next.find("after="), std::string::npos);
}

TEST(GraphReads, FacebookFeedPostsAndNestedComments) {
  auto feed = parse_facebook_feed(sample("facebook/page-feed-paged.json"), kPage);
  ASSERT_TRUE(feed) << feed.error().to_string();
  ASSERT_FALSE(feed->items.empty());
  EXPECT_EQ(feed->items[0].platform_id, "2260975870792283_3053924814830714");
  EXPECT_EQ(feed->items[0].created_at, 1625789067);
  EXPECT_EQ(feed->items[0].kind, model::CommentKind::own_post);  // no `from`: the Page's own feed
  EXPECT_FALSE(feed->next.empty());
  auto posts = parse_facebook_feed(sample("facebook/posts-paged.json"), kPage);
  ASSERT_TRUE(posts);
  EXPECT_FALSE(posts->items.empty());

  const std::string nested = R"({"data":[{"id":"19292868552_1","message":"Bin day moves to Friday",
    "created_time":"2025-01-02T10:00:00+0000","from":{"id":"19292868552","name":"Council"},
    "comments":{"data":[{"id":"1_11","message":"Rubbish idea","created_time":"2025-01-02T11:00:00+0000",
      "from":{"id":"555","name":"Ann"}},{"id":"1_12","message":"Thanks Ann","created_time":"2025-01-02T11:05:00+0000",
      "from":{"id":"19292868552","name":"Council"},"parent":{"id":"1_11"}}],
      "paging":{"cursors":{"after":"x"},"next":"https://graph.example/v21.0/19292868552_1/comments?after=x"}}}],
    "paging":{"cursors":{"before":"a","after":"b"}}})";
  auto n = parse_facebook_feed(nested, kPage);
  ASSERT_TRUE(n) << n.error().to_string();
  ASSERT_EQ(n->items.size(), 3u);
  EXPECT_EQ(n->items[0].kind, model::CommentKind::own_post);
  EXPECT_EQ(n->items[1].kind, model::CommentKind::comment);
  EXPECT_EQ(n->items[1].thread_id, "19292868552_1");
  EXPECT_EQ(n->items[2].kind, model::CommentKind::own_reply);
  EXPECT_EQ(n->items[2].parent_id, "1_11");
  ASSERT_EQ(n->more.size(), 1u);
  EXPECT_EQ(n->more[0].substr(0, n->more[0].find(' ')), "19292868552_1");
  EXPECT_TRUE(n->next.empty());  // cursors only: the last page (paging-cursors-only.json shape)
}

TEST(GraphReads, InstagramCommentsAndReplies) {
  const Owner ig{"council-ig", MetaPlatform::instagram, "17841400000000000", "council"};
  auto page = parse_instagram_comments(sample("instagram/media-comments-paged.json"), ig, "17846368219941692");
  ASSERT_TRUE(page) << page.error().to_string();
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].platform_id, "17858154961981086");
  EXPECT_EQ(page->items[0].thread_id, "17846368219941692");
  EXPECT_EQ(page->items[0].created_at, 1591009012);  // 2020-06-01T10:56:52+0000
  EXPECT_FALSE(page->next.empty());
  auto replies = parse_instagram_comments(sample("instagram/comment-replies.json"), ig, "m1");
  ASSERT_TRUE(replies);
  EXPECT_EQ(replies->items.size(), 1u);
  // comment-with-replies.json: one node with nested replies.data[].
  const std::string wrapped = "{\"data\":[" + sample("instagram/comment-with-replies.json") + "]}";
  auto nested = parse_instagram_comments(wrapped, ig, "987654321");
  ASSERT_TRUE(nested) << nested.error().to_string();
  ASSERT_EQ(nested->items.size(), 2u);
  EXPECT_EQ(nested->items[1].parent_id, "123456789");
  EXPECT_EQ(nested->items[0].author_id, "98765432123");
}

}  // namespace
}  // namespace moderatord::connectors::meta
