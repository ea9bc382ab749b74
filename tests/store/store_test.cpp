// The Store against real SQLite files: schema and migrations, ingest, decisions, the outbox state
// machine, the audit log, cursors and the reads the CLI uses.
#include "store/store.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "tests/store/store_test_support.hpp"

namespace moderatord::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using test::make_comment;
using test::make_decision;
using test::RawDb;

constexpr std::int64_t kNow = 1'700'000'000'000;

class StoreTest : public ::testing::Test {
 protected:
  std::filesystem::path db_path() const { return dir_.file("moderatord.db"); }

  std::unique_ptr<Store> open(bool read_only = false) {
    StoreOptions o = test::options_for(db_path());
    o.read_only = read_only;
    auto s = Store::open(o);
    if (!s) {
      ADD_FAILURE() << "open: " << s.error().message;
      return nullptr;
    }
    return std::move(*s);
  }

  std::int64_t ingest(Store& s, const std::string& platform_id, const std::string& text = "hello") {
    auto r = s.ingest_comment(make_comment(platform_id, text), kNow);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->comment_id : 0;
  }

  static std::vector<std::string> audit_actions(const CommentDetail& d) {
    std::vector<std::string> out;
    for (const auto& a : d.audit) out.push_back(a.action);
    return out;
  }

  test::TempDir dir_;
};

// --- schema and opening ---

TEST_F(StoreTest, MigratesANewFile) {
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_version(), Store::kSchemaVersion);
  s.reset();

  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("PRAGMA user_version"), Store::kSchemaVersion);
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
  for (const char* table : {"accounts", "comments", "verdicts", "decisions", "outbox", "sla_items", "threads_replies",
                            "cursors", "audit_log"})
    EXPECT_EQ(raw.scalar(std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '") + table +
                         "'"),
              1)
        << table;
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'audit_log'"), 2);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'outbox_due'"), 1);
}

TEST_F(StoreTest, ReopeningKeepsDataAndSchema) {
  std::int64_t id = 0;
  {
    auto s = open();
    ASSERT_TRUE(s);
    id = ingest(*s, "c1", "first");
    ASSERT_TRUE(s->save_cursor("website", "page-7", kNow));
  }
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->schema_version(), Store::kSchemaVersion);
  auto found = s->find_comment("website", "c1");
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, id);
  auto cursor = s->load_cursor("website");
  ASSERT_TRUE(cursor);
  EXPECT_EQ(*cursor, "page-7");
}

TEST_F(StoreTest, RefusesANewerSchema) {
  ASSERT_TRUE(open());
  {
    RawDb raw(db_path());
    ASSERT_EQ(raw.exec("PRAGMA user_version = 99"), SQLITE_OK);
  }
  for (bool read_only : {false, true}) {
    StoreOptions o = test::options_for(db_path());
    o.read_only = read_only;
    auto s = Store::open(o);
    ASSERT_FALSE(s);
    EXPECT_THAT(s.error().message, HasSubstr("database schema 99 is newer than this moderatord (" +
                                               std::to_string(Store::kSchemaVersion) + ")"));
    EXPECT_THAT(s.error().message, HasSubstr(db_path().string()));
  }
  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("PRAGMA user_version"), 99);  // untouched
}

TEST_F(StoreTest, OpenErrorsNameTheFile) {
  StoreOptions o = test::options_for(dir_.file("no-such-dir/moderatord.db"));
  auto s = Store::open(o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().sqlite_code, 0);
  EXPECT_THAT(s.error().message, HasSubstr("no-such-dir/moderatord.db"));
}

TEST_F(StoreTest, ReadOnlyOpenReadsButRefusesWrites) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    ingest(*s, "c1");
  }
  auto s = open(/*read_only=*/true);
  ASSERT_TRUE(s);
  auto st = s->status();
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st->comments, 1);

  auto r = s->ingest_comment(make_comment("c2", "new"), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sqlite_code, SQLITE_READONLY);
  EXPECT_THAT(r.error().message, HasSubstr("website/c2"));
  EXPECT_FALSE(s->save_cursor("website", "x", kNow));
  s.reset();

  EXPECT_EQ(RawDb(db_path()).scalar("SELECT count(*) FROM comments"), 1);
}

TEST_F(StoreTest, ReadOnlyOpenOfAMissingFileFails) {
  StoreOptions o = test::options_for(db_path());
  o.read_only = true;
  EXPECT_FALSE(Store::open(o));
  EXPECT_FALSE(std::filesystem::exists(db_path()));
}

// --- ingest ---

TEST_F(StoreTest, IngestInsertsThenIgnoresRepeatsThenRecordsEdits) {
  auto s = open();
  ASSERT_TRUE(s);
  auto first = s->ingest_comment(make_comment("c1", "the bins were not collected"), kNow);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->change, Change::inserted);

  auto again = s->ingest_comment(make_comment("c1", "the bins were not collected"), kNow + 1);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->change, Change::unchanged);
  EXPECT_EQ(again->comment_id, first->comment_id);

  model::Comment edited = make_comment("c1", "the bins were not collected AGAIN");
  edited.author_name = "Renamed Resident";
  auto edit = s->ingest_comment(edited, kNow + 2);
  ASSERT_TRUE(edit);
  EXPECT_EQ(edit->change, Change::updated);
  EXPECT_EQ(edit->comment_id, first->comment_id);

  // The same platform id on another account is another comment.
  auto other = s->ingest_comment(make_comment("c1", "hello", "facebook-page"), kNow);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->change, Change::inserted);
  EXPECT_NE(other->comment_id, first->comment_id);

  auto d = s->comment_detail(first->comment_id);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_TRUE(*d);
  const StoredComment& c = (*d)->comment;
  EXPECT_EQ(c.revision, 2);
  EXPECT_EQ(c.comment.text, "the bins were not collected AGAIN");
  EXPECT_EQ(c.comment.author_name, "Renamed Resident");
  EXPECT_EQ(c.comment.created_at, 1'700'000'000);  // the platform's seconds, as given
  EXPECT_EQ(c.received_at, kNow);
  EXPECT_EQ(c.updated_at, kNow + 2);
  EXPECT_EQ(c.comment.kind, model::CommentKind::comment);
  EXPECT_THAT(audit_actions(**d), ElementsAre("ingest", "edit"));
  EXPECT_EQ((*d)->audit[0].actor, "website");

  auto st = s->status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->comments, 2);
  ASSERT_EQ(st->connectors.size(), 2u);
  EXPECT_EQ(st->connectors[0].account, "facebook-page");
  EXPECT_EQ(st->connectors[1].account, "website");
  EXPECT_EQ(st->connectors[1].comments, 1);
  EXPECT_EQ(st->connectors[1].last_received_at, kNow);
}

TEST_F(StoreTest, FindComment) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto id = ingest(*s, "c9");
  auto found = s->find_comment("website", "c9");
  ASSERT_TRUE(found);
  EXPECT_EQ(*found, id);
  auto missing = s->find_comment("website", "nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto none = s->comment_detail(id + 100);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// --- decisions ---

TEST_F(StoreTest, RecordDecisionWritesVerdictDecisionOutboxAndAudit) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto id = ingest(*s, "c1", "original");
  ASSERT_TRUE(s->ingest_comment(make_comment("c1", "edited"), kNow));  // revision 2

  auto ids = s->record_decision(make_decision(id), kNow + 5);
  ASSERT_TRUE(ids) << ids.error().message;
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_LT((*ids)[0], (*ids)[1]);

  auto d = s->comment_detail(id);
  ASSERT_TRUE(d);
  ASSERT_TRUE(*d);
  ASSERT_TRUE((*d)->verdict);
  EXPECT_EQ((*d)->verdict->labels, "obscene");
  EXPECT_TRUE((*d)->verdict->needs_response);
  EXPECT_FALSE((*d)->verdict->rhetorical);
  EXPECT_EQ((*d)->verdict->scores_json, R"({"obscene":3})");
  ASSERT_TRUE((*d)->decision);
  const DecisionRecord& dec = *(*d)->decision;
  EXPECT_EQ(dec.comment_id, id);
  EXPECT_EQ(dec.decided_action, "hide");
  EXPECT_EQ(dec.reason, "obscene score 3 >= hide 2");
  EXPECT_EQ(dec.actor, "moderatord");
  EXPECT_EQ(dec.verdict.rule_set_version, "rules-abc");
  ASSERT_EQ(dec.actions.size(), 2u);
  EXPECT_EQ(dec.actions[0].kind, model::ActionKind::hide);
  EXPECT_EQ(dec.actions[0].executor, "website");
  EXPECT_EQ(dec.actions[1].kind, model::ActionKind::escalate);
  EXPECT_EQ(dec.actions[1].payload_json, R"({"n":1})");

  ASSERT_EQ((*d)->outbox.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const OutboxRow& r = (*d)->outbox[i];
    EXPECT_EQ(r.id, (*ids)[i]);
    EXPECT_EQ(r.comment_id, id);
    EXPECT_EQ(r.state, OutboxState::pending);
    EXPECT_EQ(r.attempts, 0);
    EXPECT_EQ(r.next_attempt_at, kNow + 5);
    EXPECT_EQ(r.created_at, kNow + 5);
  }
  EXPECT_THAT(audit_actions(**d), ElementsAre("ingest", "edit", "decide"));

  auto st = s->status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->verdicts, 1);
  EXPECT_THAT(st->decisions_by_action, ElementsAre(Pair("hide", 1)));
  EXPECT_THAT(st->outbox_by_state, ElementsAre(Pair("pending", 2), Pair("in_flight", 0), Pair("done", 0), Pair("dead", 0)));
  s.reset();

  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("SELECT revision FROM verdicts"), 2);  // the revision that was classified
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM outbox WHERE kind = 'escalate' AND executor = 'mail'"), 1);
}

TEST_F(StoreTest, RecordDecisionForAnUnknownCommentWritesNothing) {
  auto s = open();
  ASSERT_TRUE(s);
  auto ids = s->record_decision(make_decision(999), kNow);
  ASSERT_FALSE(ids);
  EXPECT_THAT(ids.error().message, HasSubstr("999"));
  auto st = s->status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->verdicts, 0);
  EXPECT_TRUE(st->decisions_by_action.empty());
}

TEST_F(StoreTest, DecisionWithoutActions) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto id = ingest(*s, "c1");
  auto ids = s->record_decision(make_decision(id, 0), kNow);
  ASSERT_TRUE(ids);
  EXPECT_TRUE(ids->empty());
  auto d = s->comment_detail(id);
  ASSERT_TRUE(d && *d && (*d)->decision);
  EXPECT_TRUE((*d)->decision->actions.empty());
}

// --- outbox ---

TEST_F(StoreTest, OutboxLifecycle) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto id = ingest(*s, "c1");
  auto ids = s->record_decision(make_decision(id, 2), kNow);
  ASSERT_TRUE(ids);
  const std::int64_t a = (*ids)[0];
  const std::int64_t b = (*ids)[1];

  // Not yet due.
  auto none = s->claim_due_outbox(kNow - 1, 10);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto due = s->next_outbox_due();
  ASSERT_TRUE(due);
  EXPECT_EQ(*due, kNow);

  // The limit holds, oldest first.
  auto one = s->claim_due_outbox(kNow + 10, 1);
  ASSERT_TRUE(one) << one.error().message;
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].id, a);
  EXPECT_EQ((*one)[0].state, OutboxState::in_flight);
  EXPECT_EQ((*one)[0].attempts, 1);
  EXPECT_EQ((*one)[0].updated_at, kNow + 10);
  EXPECT_EQ((*one)[0].payload_json, R"({"n":0})");

  ASSERT_TRUE(s->complete_outbox(a, kNow + 20, "hidden"));
  // Done is final: neither completed again nor retried.
  EXPECT_FALSE(s->complete_outbox(a, kNow + 21, ""));
  auto retry_done = s->retry_outbox(a, kNow + 21, "cli:alice");
  ASSERT_TRUE(retry_done);
  EXPECT_FALSE(*retry_done);

  auto two = s->claim_due_outbox(kNow + 30, 10);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->size(), 1u);
  EXPECT_EQ((*two)[0].id, b);
  // In flight: not claimable again, not retryable from the CLI.
  auto again = s->claim_due_outbox(kNow + 30, 10);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  auto retry_in_flight = s->retry_outbox(b, kNow + 30, "cli:alice");
  ASSERT_TRUE(retry_in_flight);
  EXPECT_FALSE(*retry_in_flight);

  // A transient failure: back to pending, due at retry_at.
  ASSERT_TRUE(s->fail_outbox(b, kNow + 40, "smtp 451", kNow + 1000));
  auto early = s->claim_due_outbox(kNow + 999, 10);
  ASSERT_TRUE(early);
  EXPECT_TRUE(early->empty());
  due = s->next_outbox_due();
  ASSERT_TRUE(due);
  EXPECT_EQ(*due, kNow + 1000);
  auto retried = s->claim_due_outbox(kNow + 1000, 10);
  ASSERT_TRUE(retried);
  ASSERT_EQ(retried->size(), 1u);
  EXPECT_EQ((*retried)[0].attempts, 2);
  EXPECT_EQ((*retried)[0].last_error, "smtp 451");

  // Giving up: a dead letter.
  ASSERT_TRUE(s->fail_outbox(b, kNow + 1010, "smtp 550", std::nullopt));
  due = s->next_outbox_due();
  ASSERT_TRUE(due);
  EXPECT_FALSE(*due);
  auto dead = s->list_outbox(OutboxState::dead, 10);
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_EQ((*dead)[0].id, b);
  EXPECT_EQ((*dead)[0].last_error, "smtp 550");

  // The CLI retries it: pending, due now, a fresh set of attempts.
  auto retry = s->retry_outbox(b, kNow + 2000, "cli:alice");
  ASSERT_TRUE(retry);
  EXPECT_TRUE(*retry);
  auto missing = s->retry_outbox(12345, kNow, "cli:alice");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto back = s->claim_due_outbox(kNow + 2000, 10);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].attempts, 1);

  auto d = s->comment_detail(id);
  ASSERT_TRUE(d && *d);
  EXPECT_THAT(audit_actions(**d), ElementsAre("ingest", "decide", "outbox.done", "outbox.retry_scheduled",
                                              "outbox.dead", "outbox.retry"));
  const AuditEntry& manual = (*d)->audit.back();
  EXPECT_EQ(manual.actor, "cli:alice");
  EXPECT_EQ(manual.outbox_id, b);
  EXPECT_EQ(manual.comment_id, id);
  EXPECT_EQ(manual.at, kNow + 2000);
  EXPECT_THAT((*d)->audit[2].detail, HasSubstr("hidden"));
  EXPECT_THAT((*d)->audit[4].detail, HasSubstr("smtp 550"));

  auto all = s->list_outbox(std::nullopt, 10);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, b);  // newest first
  auto limited = s->list_outbox(std::nullopt, 1);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->size(), 1u);
}

TEST_F(StoreTest, PendingRowsCanBeRetriedNow) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto id = ingest(*s, "c1");
  auto ids = s->record_decision(make_decision(id, 1), kNow);
  ASSERT_TRUE(ids);
  ASSERT_EQ(s->claim_due_outbox(kNow, 1)->size(), 1u);
  ASSERT_TRUE(s->fail_outbox((*ids)[0], kNow, "429", kNow + 60'000));
  auto r = s->retry_outbox((*ids)[0], kNow + 1, "cli:bob");
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
  auto due = s->claim_due_outbox(kNow + 1, 10);
  ASSERT_TRUE(due);
  EXPECT_EQ(due->size(), 1u);
}

TEST_F(StoreTest, CompletingARowThatIsNotInFlightIsAnError) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto id = ingest(*s, "c1");
  auto ids = s->record_decision(make_decision(id, 1), kNow);
  ASSERT_TRUE(ids);
  auto r = s->complete_outbox((*ids)[0], kNow, "");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("pending, not in_flight"));
  auto f = s->fail_outbox(4242, kNow, "x", std::nullopt);
  ASSERT_FALSE(f);
  EXPECT_THAT(f.error().message, HasSubstr("no such row"));
}

TEST_F(StoreTest, RequeueInFlightAfterACrash) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    const auto id = ingest(*s, "c1");
    ASSERT_TRUE(s->record_decision(make_decision(id, 2), kNow));
    ASSERT_EQ(s->claim_due_outbox(kNow, 10)->size(), 2u);
  }  // "crash": the rows stay in flight
  auto s = open();
  ASSERT_TRUE(s);
  auto n = s->requeue_in_flight(kNow + 100);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 2);
  auto again = s->requeue_in_flight(kNow + 100);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
  auto rows = s->claim_due_outbox(kNow + 100, 10);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].attempts, 2);  // the interrupted attempt still counts
  auto st = s->status();
  ASSERT_TRUE(st);
  EXPECT_THAT(st->outbox_by_state, ElementsAre(Pair("pending", 0), Pair("in_flight", 2), Pair("done", 0), Pair("dead", 0)));
}

// --- integrity ---

TEST_F(StoreTest, AuditLogIsAppendOnly) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    ingest(*s, "c1");
    AuditEntry e;
    e.actor = "cli:alice";
    e.action = "config.reload";
    e.detail = "rules v2";
    ASSERT_TRUE(s->audit(e));
  }
  RawDb raw(db_path());
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM audit_log"), 2);
  EXPECT_GT(raw.scalar("SELECT at FROM audit_log WHERE action = 'config.reload'"), 0);  // filled in
  EXPECT_NE(raw.exec("UPDATE audit_log SET detail = 'forged'"), SQLITE_OK);
  EXPECT_THAT(raw.last_error(), HasSubstr("append-only"));
  EXPECT_NE(raw.exec("DELETE FROM audit_log"), SQLITE_OK);
  EXPECT_THAT(raw.last_error(), HasSubstr("append-only"));
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM audit_log"), 2);
}

TEST_F(StoreTest, ForeignKeysAreEnforced) {
  {
    auto s = open();
    ASSERT_TRUE(s);
    const auto id = ingest(*s, "c1");
    ASSERT_TRUE(s->record_decision(make_decision(id, 1), kNow));
  }
  RawDb raw(db_path());
  ASSERT_EQ(raw.exec("PRAGMA foreign_keys = ON"), SQLITE_OK);
  EXPECT_EQ(raw.exec("INSERT INTO verdicts (comment_id, revision, rule_set_version, labels, action, needs_response, "
                     "rhetorical, scores_json, matches_json, created_at) VALUES (999, 1, '', '', 'none', 0, 0, '{}', "
                     "'[]', 0)"),
            SQLITE_CONSTRAINT);
  EXPECT_THAT(raw.last_error(), HasSubstr("FOREIGN KEY"));
  EXPECT_EQ(raw.exec("INSERT INTO comments (account, platform, platform_id, thread_id, parent_id, author_id, "
                     "author_name, text, url, kind, created_at, received_at, updated_at) VALUES ('nobody', 'x', "
                     "'p', '', '', '', '', 't', '', 'comment', 0, 0, 0)"),
            SQLITE_CONSTRAINT);
  // ON DELETE RESTRICT: a comment with a verdict cannot be deleted from under it.
  EXPECT_EQ(raw.exec("DELETE FROM comments"), SQLITE_CONSTRAINT);
  EXPECT_EQ(raw.exec("UPDATE outbox SET state = 'lost'"), SQLITE_CONSTRAINT);  // the state CHECK
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM comments"), 1);
}

// --- transactions ---

TEST_F(StoreTest, SavepointsRollBackOneJobOnly) {
  auto s = open();
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->savepoint());  // only inside begin()
  ASSERT_TRUE(s->begin());
  ASSERT_TRUE(s->savepoint());
  ingest(*s, "rolled-back");
  s->rollback_to_savepoint();
  ASSERT_TRUE(s->savepoint());
  ingest(*s, "kept");
  ASSERT_TRUE(s->release_savepoint());
  ASSERT_TRUE(s->commit());

  ASSERT_TRUE(s->begin());
  ingest(*s, "whole-batch-rolled-back");
  s->rollback();
  s->rollback();  // harmless when there is nothing to roll back

  EXPECT_FALSE(*s->find_comment("website", "rolled-back"));
  EXPECT_TRUE(*s->find_comment("website", "kept"));
  EXPECT_FALSE(*s->find_comment("website", "whole-batch-rolled-back"));
}

TEST_F(StoreTest, BeginFailsWithBusyWhenAnotherConnectionWrites) {
  ASSERT_TRUE(open());
  RawDb other(db_path());
  ASSERT_EQ(other.exec("BEGIN IMMEDIATE"), SQLITE_OK);
  StoreOptions o = test::options_for(db_path());
  o.busy_timeout_ms = 20;
  auto s = Store::open(o);
  ASSERT_TRUE(s) << s.error().message;  // a current schema opens without the write lock
  const auto t0 = std::chrono::steady_clock::now();
  auto b = (*s)->begin();
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().sqlite_code, SQLITE_BUSY);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  ASSERT_EQ(other.exec("ROLLBACK"), SQLITE_OK);
  EXPECT_TRUE((*s)->begin());
  (*s)->rollback();
}

TEST_F(StoreTest, CursorsRoundTrip) {
  auto s = open();
  ASSERT_TRUE(s);
  auto none = s->load_cursor("youtube");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  ASSERT_TRUE(s->save_cursor("youtube", "token-1", kNow));
  ASSERT_TRUE(s->save_cursor("youtube", "token-2", kNow + 1));
  auto v = s->load_cursor("youtube");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, "token-2");
}

TEST_F(StoreTest, ValueMisuseThrows) {
  Result<int> r = StoreError{SQLITE_BUSY, "busy"};
  EXPECT_THROW((void)r.value(), std::runtime_error);
}

}  // namespace
}  // namespace moderatord::store
