// The policy engine's tables (schema 2) on a real SQLite file: items open, close once, breach
// once; the council's replies are counted per thread and commenter; a reply finds its parent.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store_test_support.hpp"

namespace moderatord::store {
namespace {

using test::make_comment;
using test::RawDb;
using test::TempDir;

constexpr std::int64_t kNow = 1'700'000'100'000;

class SlaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(test::options_for(dir_.file("sla.db")));
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  std::int64_t comment(const std::string& id, const std::string& author = "u-42", bool negative = false) {
    model::Comment c = make_comment(id, "text of " + id);
    c.author_id = author;
    auto in = store_->ingest_comment(c, kNow);
    EXPECT_TRUE(in);
    DecisionRecord d = test::make_decision(in->comment_id, 0);
    d.verdict.negative = negative;
    EXPECT_TRUE(store_->record_decision(d, kNow));
    return in->comment_id;
  }
  SlaItemRow item(std::int64_t comment_id, std::string state = "open") {
    return test::make_sla_item(comment_id, std::move(state), kNow);
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SlaStoreTest, AnItemOpensOncePerCommentAndClosesOnce) {
  const auto c = comment("c1");
  auto id = store_->insert_sla_item(item(c), kNow);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_GT(*id, 0);
  auto again = store_->insert_sla_item(item(c), kNow);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);  // an edit keeps the first item

  auto open = store_->open_sla_items_in_thread("website", "post-1");
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 1U);
  EXPECT_EQ((*open)[0].due_at, kNow + 86'400'000);
  EXPECT_EQ((*open)[0].reminded_at, 0);

  auto closed = store_->close_sla_item(*id, kNow + 1000, "reply:9", "the council replied", 1000, 0, "moderatord");
  ASSERT_TRUE(closed);
  EXPECT_TRUE(*closed);
  auto twice = store_->close_sla_item(*id, kNow + 2000, "cli:clerk", "", 2000, 0, "cli:clerk");
  ASSERT_TRUE(twice);
  EXPECT_FALSE(*twice);
  auto row = store_->sla_item(*id);
  ASSERT_TRUE(row && *row);
  EXPECT_EQ((*row)->state, "closed");
  EXPECT_EQ((*row)->closed_by, "reply:9");
  EXPECT_EQ((*row)->response_ms, 1000);

  // Answered items are what later repeats are compared with.
  auto answered = store_->answered_sla_items("website", kNow - 1);
  ASSERT_TRUE(answered);
  ASSERT_EQ(answered->size(), 1U);
  EXPECT_EQ((*answered)[0].tokens, "bin street");
  RawDb raw(dir_.file("sla.db"));
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM audit_log WHERE action IN ('sla.open', 'sla.close')"), 2);
}

TEST_F(SlaStoreTest, ABreachIsRecordedOnceWithAPolicyEvent) {
  auto id = store_->insert_sla_item(item(comment("c1")), kNow);
  ASSERT_TRUE(id);
  ASSERT_TRUE(store_->mark_sla_reminded(*id, kNow + 72'000'000));
  ASSERT_TRUE(store_->mark_sla_breached(*id, kNow + 86'400'001));
  ASSERT_TRUE(store_->mark_sla_breached(*id, kNow + 86'500'000));
  RawDb raw(dir_.file("sla.db"));
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM policy_events WHERE kind = 'sla_breach'"), 1);
  EXPECT_EQ(raw.scalar("SELECT breached_at FROM sla_items"), kNow + 86'400'001);
  auto open = store_->open_sla_items();
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 1U);  // still open: a late reply closes it with its lateness
  EXPECT_NE((*open)[0].reminded_at, 0);
}

TEST_F(SlaStoreTest, TheSweepReadsOnlyItemsItStillHasWorkFor) {
  auto fresh = store_->insert_sla_item(item(comment("c1")), kNow);
  auto reminded = store_->insert_sla_item(item(comment("c2")), kNow);
  auto breached = store_->insert_sla_item(item(comment("c3")), kNow);
  ASSERT_TRUE(fresh && reminded && breached);
  ASSERT_TRUE(store_->mark_sla_reminded(*reminded, kNow + 72'000'000));
  ASSERT_TRUE(store_->mark_sla_reminded(*breached, kNow + 72'000'000));
  ASSERT_TRUE(store_->mark_sla_breached(*breached, kNow + 86'400'001));
  auto to_sweep = store_->sla_items_to_sweep();
  ASSERT_TRUE(to_sweep);
  ASSERT_EQ(to_sweep->size(), 2U);
  EXPECT_EQ((*to_sweep)[0].id, *fresh);
  EXPECT_EQ((*to_sweep)[1].id, *reminded);
  auto open = store_->open_sla_items();  // the breached one is still open, waiting for its reply
  ASSERT_TRUE(open);
  EXPECT_EQ(open->size(), 3U);
}

TEST_F(SlaStoreTest, ExemptItemsAreNeitherOpenNorDue) {
  SlaItemRow r = item(comment("c1"), "exempt");
  r.exemption = "repeat";
  r.repeat_of = comment("c0");
  r.similarity = 0.8;
  r.due_at = r.remind_at = 0;
  ASSERT_TRUE(store_->insert_sla_item(r, kNow));
  auto open = store_->open_sla_items();
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->empty());
  auto listed = store_->list_sla_items("exempt", 10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1U);
  EXPECT_EQ((*listed)[0].exemption, "repeat");
  EXPECT_DOUBLE_EQ((*listed)[0].similarity, 0.8);
  EXPECT_EQ((*listed)[0].due_at, 0);
}

TEST_F(SlaStoreTest, ADeletedCommentIsOwedNoReply) {
  auto waiting = store_->insert_sla_item(item(comment("c1")), kNow);
  auto late = store_->insert_sla_item(item(comment("c2")), kNow);
  ASSERT_TRUE(waiting && late);
  ASSERT_TRUE(store_->mark_sla_breached(*late, kNow + 86'400'001));
  auto d1 = store_->record_deletion("website", "c1", kNow + 1000);
  ASSERT_TRUE(d1) << d1.error().message;
  EXPECT_TRUE(d1->known);
  EXPECT_EQ(d1->exempted, 1);
  auto d2 = store_->record_deletion("website", "c2", kNow + 86'500'000);
  ASSERT_TRUE(d2);
  EXPECT_EQ(d2->exempted, 1);
  auto open = store_->open_sla_items();
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->empty());  // neither swept nor reminded again
  RawDb raw(dir_.file("sla.db"));
  EXPECT_EQ(raw.text("SELECT exemption FROM sla_items WHERE id = " + std::to_string(*waiting)), "deleted");
  EXPECT_EQ(raw.scalar("SELECT due_at IS NULL FROM sla_items WHERE id = " + std::to_string(*waiting)), 1);
  // A breach already recorded stays on record: the reply was late before the comment went.
  EXPECT_EQ(raw.scalar("SELECT due_at FROM sla_items WHERE id = " + std::to_string(*late)), kNow + 86'400'000);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM policy_events WHERE kind = 'sla_breach'"), 1);
  EXPECT_EQ(raw.scalar("SELECT deleted_at FROM comments WHERE platform_id = 'c1'"), kNow + 1000);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM audit_log WHERE action = 'deleted'"), 2);
  // Again (a redelivered webhook), or a comment never seen: nothing more to do.
  auto again = store_->record_deletion("website", "c1", kNow + 2000);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->exempted, 0);
  EXPECT_EQ(raw.scalar("SELECT deleted_at FROM comments WHERE platform_id = 'c1'"), kNow + 1000);
  auto unknown = store_->record_deletion("website", "never-seen", kNow);
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->known);
}

TEST_F(SlaStoreTest, CouncilRepliesCountPerThreadAndCommenter) {
  const auto reply1 = comment("r1", "council");
  const auto reply2 = comment("r2", "council");
  ASSERT_TRUE(store_->record_council_reply("website", "post-1", "u-42", reply1, kNow));
  ASSERT_TRUE(store_->record_council_reply("website", "post-1", "u-42", reply1, kNow));  // same reply: once
  ASSERT_TRUE(store_->record_council_reply("website", "post-2", "u-42", reply2, kNow));
  EXPECT_EQ(store_->council_replies_to("website", "post-1", "u-42").value(), 1);
  EXPECT_EQ(store_->council_replies_to("website", "post-1", "u-7").value(), 0);
  EXPECT_EQ(store_->council_replies_to("website", "post-2", "u-42").value(), 1);
}

TEST_F(SlaStoreTest, AReplyFindsItsParentAndItsNegativity) {
  comment("p-neg", "u-1", true);
  comment("p-ok", "u-2", false);
  auto neg = store_->reply_target("website", "p-neg");
  ASSERT_TRUE(neg && *neg);
  EXPECT_EQ((*neg)->author_id, "u-1");
  EXPECT_TRUE((*neg)->negative);
  auto ok = store_->reply_target("website", "p-ok");
  ASSERT_TRUE(ok && *ok);
  EXPECT_FALSE((*ok)->negative);
  auto none = store_->reply_target("website", "missing");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST_F(SlaStoreTest, MailWithoutADecisionIsAnOutboxRow) {
  const auto c = comment("c1");
  auto id = store_->enqueue_outbox(c, model::ActionKind::escalate, "mail", R"({"type":"sla_reminder"})", kNow);
  ASSERT_TRUE(id);
  auto due = store_->claim_due_outbox(kNow, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1U);
  EXPECT_EQ((*due)[0].id, *id);
  EXPECT_EQ((*due)[0].executor, "mail");
}

}  // namespace
}  // namespace moderatord::store
