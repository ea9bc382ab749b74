// The retention purge against a real SQLite file: what is redacted, what is kept because something
// still waits on it, and that a platform delivering a redacted comment again is not taken for an edit.
#include <gtest/gtest.h>

#include "store/store.hpp"
#include "tests/store/store_test_support.hpp"

namespace moderatord::store {
namespace {

using test::make_comment;
using test::RawDb;

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kNow = 1'700'000'000'000;
constexpr std::int64_t kOld = kNow - 400 * kDay;     // received before the cutoff
constexpr std::int64_t kCutoff = kNow - 365 * kDay;  // retention_days = 365

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(test::options_for(dir_.file("retention.db")));
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  std::int64_t ingest(const std::string& id, std::int64_t at, model::CommentKind kind = model::CommentKind::comment,
                      const std::string& text = "") {
    model::Comment c = make_comment(id, text.empty() ? "Call Jo Bloggs on 07700 900123 about " + id : text);
    c.kind = kind;
    auto r = store_->ingest_comment(c, at);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->comment_id : 0;
  }
  // A decision with a hide and an escalation email, both finished long ago (one done, one dead).
  void decide_and_finish(std::int64_t comment_id, std::int64_t at) {
    auto ids = store_->record_decision(test::make_decision(comment_id, 2), at);
    ASSERT_TRUE(ids) << ids.error().message;
    auto claimed = store_->claim_due_outbox(at, 10);
    ASSERT_TRUE(claimed);
    ASSERT_TRUE(store_->complete_outbox((*ids)[0], at, "hidden"));
    ASSERT_TRUE(store_->fail_outbox((*ids)[1], at, "smtp refused", std::nullopt));
    outbox_ = *ids;
  }
  SlaItemRow item(std::int64_t comment_id, const std::string& state) {
    return test::make_sla_item(comment_id, state, kOld);
  }
  RawDb raw() { return RawDb(dir_.file("retention.db")); }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::vector<std::int64_t> outbox_;
};

TEST_F(RetentionTest, OldCommentsLoseTheirWordsAndKeepWhatWasDone) {
  const auto old = ingest("old", kOld);
  decide_and_finish(old, kOld);
  ASSERT_TRUE(store_->insert_sla_item(item(old, "closed"), kOld));
  const auto recent = ingest("recent", kNow - 10 * kDay);
  const auto own = ingest("own", kOld, model::CommentKind::own_post, "Bin collections move to Friday");
  ASSERT_TRUE(store_->record_council_reply("website", "post-1", "u-42", own, kOld));
  ASSERT_TRUE(store_->add_policy_event("website", "one_reply_violation", old, R"({"author":"Jo Bloggs"})", kOld));

  auto counts = store_->redact_expired(kCutoff, kNow, 100);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->comments, 1);
  EXPECT_EQ(counts->outbox, 2);  // the done hide and the dead email
  EXPECT_EQ(counts->policy_events, 1);
  EXPECT_EQ(counts->council_replies, 1);

  auto detail = store_->comment_detail(old);
  ASSERT_TRUE(detail && *detail);
  const auto& c = (*detail)->comment.comment;
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(c.author_name, "");
  EXPECT_EQ(c.author_id, "");
  EXPECT_EQ(c.url, "");
  EXPECT_EQ(c.platform_id, "old");  // the row stays: what was done about it is still on record
  EXPECT_EQ((*detail)->comment.redacted_at, kNow);
  ASSERT_TRUE((*detail)->verdict);
  EXPECT_EQ((*detail)->verdict->labels, "obscene");
  ASSERT_TRUE((*detail)->decision);
  for (const auto& o : (*detail)->outbox) EXPECT_EQ(o.payload_json, R"({"redacted":true})");

  RawDb db = raw();
  EXPECT_EQ(db.text("SELECT tokens || '|' || author_id FROM sla_items WHERE comment_id = " + std::to_string(old)), "|");
  EXPECT_EQ(db.text("SELECT detail FROM policy_events"), "{}");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM threads_replies"), 0);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'retention.redact'"), 1);
  // Kept: a recent comment, and the council's own post (its public record).
  EXPECT_EQ(db.text("SELECT text FROM comments WHERE id = " + std::to_string(recent)), "Call Jo Bloggs on 07700 900123 about recent");
  EXPECT_EQ(db.text("SELECT text FROM comments WHERE id = " + std::to_string(own)), "Bin collections move to Friday");
  // Nothing in the file still holds the number.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM comments WHERE text LIKE '%07700%' AND id != " + std::to_string(recent)), 0);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM outbox WHERE payload_json LIKE '%07700%'"), 0);

  // A dead email past retention has nothing left to send.
  auto retried = store_->retry_outbox(outbox_[1], kNow, "cli:admin");
  ASSERT_TRUE(retried);
  EXPECT_FALSE(*retried);

  // Idempotent: a second run finds nothing more.
  auto again = store_->redact_expired(kCutoff, kNow, 100);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->comments + again->outbox + again->policy_events + again->council_replies, 0);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM audit_log WHERE action = 'retention.redact'"), 1);
}

TEST_F(RetentionTest, WhatStillWaitsIsKept) {
  const auto open_item = ingest("owed-a-reply", kOld);
  ASSERT_TRUE(store_->insert_sla_item(item(open_item, "open"), kOld));
  const auto pending = ingest("action-pending", kOld);
  ASSERT_TRUE(store_->record_decision(test::make_decision(pending, 1), kOld));  // never executed

  auto counts = store_->redact_expired(kCutoff, kNow, 100);
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->comments, 0);
  RawDb db = raw();
  EXPECT_EQ(db.scalar("SELECT count(*) FROM comments WHERE text != '' AND redacted_at IS NULL"), 2);
  EXPECT_EQ(db.text("SELECT tokens FROM sla_items"), "bin street");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM outbox WHERE payload_json = '{\"redacted\":true}'"), 0);
}

TEST_F(RetentionTest, ARedeliveryIsNotAnEditButAnEditIsReadAgain) {
  const auto id = ingest("c1", kOld, model::CommentKind::comment, "The bins on Elm Grove were missed");
  ASSERT_TRUE(store_->redact_expired(kCutoff, kNow, 100));
  // The platform sends the same comment again (a full re-sync): the same comment, nothing to do.
  auto same = store_->ingest_comment(make_comment("c1", "The bins on Elm Grove were missed"), kNow);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->comment_id, id);
  EXPECT_EQ(same->change, Change::unchanged);
  RawDb db = raw();
  EXPECT_EQ(db.text("SELECT text FROM comments WHERE id = " + std::to_string(id)), "");
  // Edited since: new words, classified like any edit, and kept from now on.
  auto edited = store_->ingest_comment(make_comment("c1", "The bins on Elm Grove were missed again, useless"), kNow);
  ASSERT_TRUE(edited);
  EXPECT_EQ(edited->change, Change::updated);
  EXPECT_EQ(db.text("SELECT text FROM comments WHERE id = " + std::to_string(id)),
            "The bins on Elm Grove were missed again, useless");
  EXPECT_EQ(db.scalar("SELECT redacted_at IS NULL FROM comments WHERE id = " + std::to_string(id)), 1);
}

TEST_F(RetentionTest, BatchesAreLimited) {
  for (int i = 0; i < 5; ++i) ingest("c" + std::to_string(i), kOld + i);
  auto first = store_->redact_expired(kCutoff, kNow, 3);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->comments, 3);
  auto second = store_->redact_expired(kCutoff, kNow, 3);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->comments, 2);
}

}  // namespace
}  // namespace moderatord::store
