// Meta webhooks against the recorded samples: signature, handshake, and every event shape the
// connectors must read (comment add/edit/remove/hide, replies, the Page's own comment, posts,
// Messenger messages and echoes, Instagram comments and mentions).
#include <gtest/gtest.h>

#include "connectors/meta/meta_webhook.hpp"
#include "connectors/webhook/webhook_connector.hpp"
#include "meta_test_support.hpp"

namespace moderatord::connectors::meta {
namespace {

using test::sample;
using model::CommentKind;

Owner page() { return {"council-fb", MetaPlatform::facebook, "1234567890321", ""}; }
Owner insta() { return {"council-ig", MetaPlatform::instagram, "17841400000000000", "council"}; }

MetaDelivery decode(const std::string& file, const Owner& owner) {
  auto r = decode_meta_delivery(sample(file), owner);
  EXPECT_TRUE(r.has_value()) << file << ": " << (r ? "" : r.error().to_string());
  return r ? *r : MetaDelivery{};
}

TEST(MetaSignature, RecordedDeliveryVerifiesWithTheAppSecret) {
  // webhook-post-signed.http: the body is webhook-feed-comment-add.json, secret "moderatord-test-app-secret".
  const std::string body = sample("facebook/webhook-feed-comment-add.json");
  const std::string sig = "sha256=8e2c41823e823af947e9ca261c9f92ce1962dde645cf64250bf77c70a897eb84";
  EXPECT_TRUE(verify_webhook_signature("moderatord-test-app-secret", body, sig));
  EXPECT_FALSE(verify_webhook_signature("another-secret", body, sig));
  EXPECT_FALSE(verify_webhook_signature("moderatord-test-app-secret", body + " ", sig));
}

TEST(MetaWebhook, SignedPostIsDecodedAndBadSignaturesAre401) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/webhooks/council-fb";
  req.body = sample("facebook/webhook-feed-comment-reply-add.json");
  req.headers = {{"x-hub-signature-256", webhook_signature("s3cret", req.body)}};
  auto ok = handle_meta_webhook(req, page(), "s3cret", "vt");
  EXPECT_EQ(ok.decoded.reply.status, 200);
  EXPECT_TRUE(ok.decoded.store_first);
  ASSERT_EQ(ok.decoded.comments.size(), 1u);

  req.headers = {{"x-hub-signature-256", webhook_signature("wrong", req.body)}};
  auto bad = handle_meta_webhook(req, page(), "s3cret", "vt");
  EXPECT_EQ(bad.decoded.reply.status, 401);
  EXPECT_TRUE(bad.decoded.comments.empty());
  req.headers.clear();
  EXPECT_EQ(handle_meta_webhook(req, page(), "s3cret", "vt").decoded.reply.status, 401);
  // The legacy SHA-1 header alone is not enough.
  req.headers = {{"x-hub-signature", "sha1=e644940f945b7c876aa505085bd965a31ad2f39a"}};
  EXPECT_EQ(handle_meta_webhook(req, page(), "s3cret", "vt").decoded.reply.status, 401);
}

TEST(MetaWebhook, SubscriptionHandshake) {
  // webhook-verification.http
  const std::string target =
      "/webhooks/facebook?hub.mode=subscribe&hub.challenge=1827364509&hub.verify_token=moderatord-verify-token";
  auto ok = verify_subscription(target, "moderatord-verify-token");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "1827364509");
  EXPECT_EQ(verify_subscription(target, "another-token").status, 403);
  EXPECT_EQ(verify_subscription("/webhooks/x?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=t", "t").status, 400);
  EXPECT_EQ(verify_subscription("/webhooks/x?hub.mode=subscribe&hub.challenge=%3Cscript%3E&hub.verify_token=t", "t").status,
            400);
  EXPECT_EQ(verify_subscription("/webhooks/x?hub.mode=subscribe&hub.challenge=42&hub.verify_token=a%20b", "a b").status, 200);
}

TEST(FacebookFeed, PagesOwnCommentIsOwnReply) {
  // from.id equals the Page id in this sample.
  auto d = decode("facebook/webhook-feed-comment-add.json", page());
  ASSERT_EQ(d.comments.size(), 1u);
  const auto& c = d.comments[0];
  EXPECT_EQ(c.platform_id, "901097836652708_903438993085259");
  EXPECT_EQ(c.thread_id, "1234567890321_901097836652708");
  EXPECT_EQ(c.parent_id, "");  // parent_id == post_id: top level
  EXPECT_EQ(c.text, "and the next one");
  EXPECT_EQ(c.kind, CommentKind::own_reply);
  EXPECT_EQ(c.created_at, 1449135003);
  EXPECT_EQ(c.platform, "facebook");
  EXPECT_EQ(c.account, "council-fb");
}

TEST(FacebookFeed, VisitorCommentAndReply) {
  auto top = decode("facebook/webhook-feed-comment-add-visitor.json", page());
  ASSERT_EQ(top.comments.size(), 1u);
  EXPECT_EQ(top.comments[0].kind, CommentKind::comment);
  EXPECT_EQ(top.comments[0].parent_id, "");
  auto reply = decode("facebook/webhook-feed-comment-reply-add.json", page());
  ASSERT_EQ(reply.comments.size(), 1u);
  const auto& c = reply.comments[0];
  EXPECT_EQ(c.kind, CommentKind::comment);
  EXPECT_EQ(c.parent_id, "901097836652708_903438993085259");
  EXPECT_EQ(c.author_id, "7654321098765");
  EXPECT_EQ(c.author_name, "Jane Resident");
  EXPECT_EQ(c.url, "https://www.facebook.com/1234567890321/posts/901097836652708?comment_id=901097836652708_903439123456789");
}

TEST(FacebookFeed, LegacySenderShapeAndEdits) {
  auto legacy = decode("facebook/webhook-feed-comment-add-legacy-sender.json", page());
  ASSERT_EQ(legacy.comments.size(), 1u);
  EXPECT_EQ(legacy.comments[0].author_id, "1234567890321");
  EXPECT_EQ(legacy.comments[0].author_name, "Tester");
  EXPECT_EQ(legacy.comments[0].kind, CommentKind::own_reply);
  auto edited = decode("facebook/webhook-feed-comment-edited.json", page());
  ASSERT_EQ(edited.comments.size(), 1u);  // an edit is re-classified: same platform id, new text
  EXPECT_EQ(edited.comments[0].platform_id, "900728623356296_900744590021366");
  EXPECT_EQ(edited.comments[0].text, "Let's see the Webhooks in action :D");
}

TEST(FacebookFeed, ARemovedCommentIsADeletion) {
  // "remove": deleted by its author or a page admin. Passed on as a deletion (no text to classify),
  // so that a reply it was owed is no longer counted against the council.
  auto d = decode("facebook/webhook-feed-comment-remove.json", page());
  ASSERT_EQ(d.comments.size(), 1u);
  EXPECT_TRUE(d.comments[0].deleted);
  EXPECT_EQ(d.comments[0].platform_id, "905578656204626_905579239537901");
  EXPECT_TRUE(d.comments[0].text.empty());
}

TEST(FacebookFeed, HideUnhideAndReactionsAreNotComments) {
  for (const char* f : {"facebook/webhook-feed-comment-hide.json",
                        "facebook/webhook-feed-comment-unhide.json", "facebook/webhook-feed-reaction-add-on-reply.json",
                        "facebook/webhook-feed-two-entries.json"}) {
    auto d = decode(f, page());
    EXPECT_TRUE(d.comments.empty()) << f;
    EXPECT_GT(d.ignored, 0u) << f;
  }
}

TEST(FacebookFeed, PhotoCommentAndMention) {
  auto photo = decode("facebook/webhook-feed-comment-add-with-photo.json", page());
  for (const auto& c : photo.comments) EXPECT_FALSE(c.text.empty());
  auto mention = decode("facebook/webhook-mention-comment-add.json", page());
  ASSERT_EQ(mention.comments.size(), 1u);
  EXPECT_EQ(mention.comments[0].platform_id, "7363534231324_3754798971271444");
  EXPECT_EQ(mention.comments[0].kind, CommentKind::comment);
}

TEST(FacebookMessenger, MessageIsDirectMessageAndEchoIsOwnReply) {
  const Owner owner{"council-fb", MetaPlatform::facebook, "12345654332", ""};
  auto d = decode("facebook/webhook-messages-text.json", owner);
  ASSERT_EQ(d.comments.size(), 1u);
  const auto& m = d.comments[0];
  EXPECT_EQ(m.kind, CommentKind::direct_message);
  EXPECT_EQ(m.platform_id, "mid.1457764197618:41d102a3e1ae206a38");
  EXPECT_EQ(m.thread_id, "987654321432");  // numeric ids read as strings
  EXPECT_EQ(m.text, "hello, world!");
  EXPECT_EQ(m.created_at, 1457764197);  // ms in the payload
  auto echo = decode("facebook/webhook-messages-echo.json", owner);
  ASSERT_EQ(echo.comments.size(), 1u);
  EXPECT_EQ(echo.comments[0].kind, CommentKind::own_reply);
  EXPECT_EQ(echo.comments[0].thread_id, "12345654332");  // the recipient
  auto deleted = decode("facebook/webhook-messages-deleted.json", owner);  // unsent by its sender
  ASSERT_EQ(deleted.comments.size(), 1u);
  EXPECT_TRUE(deleted.comments[0].deleted);
  EXPECT_EQ(deleted.comments[0].platform_id, "message_id");
  EXPECT_EQ(deleted.comments[0].kind, CommentKind::direct_message);
}

TEST(InstagramWebhook, CommentsAndMentions) {
  auto d = decode("instagram/webhook-comments.json", insta());
  ASSERT_EQ(d.comments.size(), 1u);
  const auto& c = d.comments[0];
  EXPECT_EQ(c.platform, "instagram");
  EXPECT_EQ(c.platform_id, "123456789");
  EXPECT_EQ(c.parent_id, "987654321");
  EXPECT_EQ(c.thread_id, "76543987");
  EXPECT_EQ(c.author_name, "testuser");
  EXPECT_EQ(c.kind, CommentKind::comment);
  EXPECT_EQ(c.created_at, 1519399307);  // the entry's time
  auto minimal = decode("instagram/webhook-comments-minimal.json", insta());
  ASSERT_EQ(minimal.comments.size(), 1u);
  auto live = decode("instagram/webhook-live-comments.json", insta());
  EXPECT_EQ(live.comments.size(), 1u);
  auto mentions = decode("instagram/webhook-mentions.json", insta());
  EXPECT_TRUE(mentions.comments.empty());
  ASSERT_EQ(mentions.mentions.size(), 1u);
  EXPECT_EQ(mentions.mentions[0].comment_id, "17887498072083520");
  // The account's own comment (by username) is the council's reply.
  Owner me = insta();
  me.username = "testuser";
  EXPECT_EQ(decode("instagram/webhook-comments.json", me).comments[0].kind, CommentKind::own_reply);
}

TEST(MetaWebhook, EntriesForAnotherPageAreIgnored) {
  Owner other = page();
  other.id = "999";
  auto d = decode("facebook/webhook-feed-comment-reply-add.json", other);
  EXPECT_TRUE(d.comments.empty());
  EXPECT_EQ(d.ignored, 1u);
}

TEST(MetaWebhook, OtherObjectTypesAreIgnoredAndGarbageIsAnError) {
  auto d = decode("instagram/webhook-comments.json", page());  // an Instagram delivery on a Page account
  EXPECT_TRUE(d.comments.empty());
  for (std::string bad : {"", "[]", "{}", "{\"object\":\"page\"}", "{\"object\":\"page\",\"entry\":[1]}",
                          "{\"object\":\"page\",\"entry\":[{\"changes\":[3]}]}", "\xff\xfe"})
    EXPECT_FALSE(decode_meta_delivery(bad, page()).has_value()) << bad;
}

}  // namespace
}  // namespace moderatord::connectors::meta
