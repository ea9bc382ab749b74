#include "store/schema.hpp"

#include <array>
#include <string>

namespace moderatord::store::schema {
namespace {

// Conventions for every migration:
// - STRICT tables: a wrong type is an error, not a silently stored string.
// - *_at columns we set are unix ms; comments.created_at is the platform's unix seconds, as given.
// - Foreign keys are ON DELETE RESTRICT: retention purge deletes children first, on purpose.
// - Enumerations that will grow (comment kind, action names) have no CHECK, because SQLite cannot
//   alter a CHECK without rebuilding the table; the outbox state machine is closed, so it has one.
// - A migration that has to rebuild a table must do it the way https://sqlite.org/lang_altertable.html
//   (section 7) describes; foreign_keys is ON for our connection, and the pragma is a no-op inside
//   the migration's transaction, so check with PRAGMA foreign_key_check before COMMIT.
constexpr const char* kMigration1 = R"sql(
CREATE TABLE accounts (
  id            TEXT PRIMARY KEY,   -- the configured account (= connector instance) id
  platform      TEXT NOT NULL,
  first_seen_at INTEGER NOT NULL
) STRICT;

CREATE TABLE comments (
  id          INTEGER PRIMARY KEY,
  account     TEXT NOT NULL REFERENCES accounts(id) ON DELETE RESTRICT,
  platform    TEXT NOT NULL,
  platform_id TEXT NOT NULL,
  thread_id   TEXT NOT NULL,
  parent_id   TEXT NOT NULL,
  author_id   TEXT NOT NULL,
  author_name TEXT NOT NULL,
  text        TEXT NOT NULL,
  url         TEXT NOT NULL,
  kind        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,    -- unix seconds, as the platform says
  received_at INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  revision    INTEGER NOT NULL DEFAULT 1,
  UNIQUE (account, platform_id)
) STRICT;
CREATE INDEX comments_thread ON comments (account, thread_id);

CREATE TABLE verdicts (
  id               INTEGER PRIMARY KEY,
  comment_id       INTEGER NOT NULL REFERENCES comments(id) ON DELETE RESTRICT,
  revision         INTEGER NOT NULL,  -- the comment's revision that was classified
  rule_set_version TEXT NOT NULL,
  labels           TEXT NOT NULL,
  action           TEXT NOT NULL,
  needs_response   INTEGER NOT NULL CHECK (needs_response IN (0, 1)),
  rhetorical       INTEGER NOT NULL CHECK (rhetorical IN (0, 1)),
  scores_json      TEXT NOT NULL,
  matches_json     TEXT NOT NULL,
  created_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX verdicts_comment ON verdicts (comment_id);

CREATE TABLE decisions (
  id         INTEGER PRIMARY KEY,
  comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE RESTRICT,
  verdict_id INTEGER NOT NULL REFERENCES verdicts(id) ON DELETE RESTRICT,
  action     TEXT NOT NULL,
  reason     TEXT NOT NULL,
  actor      TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX decisions_comment ON decisions (comment_id);
CREATE INDEX decisions_verdict ON decisions (verdict_id);

CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,  -- also the executors' idempotency key
  comment_id      INTEGER REFERENCES comments(id) ON DELETE RESTRICT,
  decision_id     INTEGER REFERENCES decisions(id) ON DELETE RESTRICT,
  kind            TEXT NOT NULL,
  executor        TEXT NOT NULL,
  payload_json    TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'done', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT NOT NULL DEFAULT '',
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_comment ON outbox (comment_id);
CREATE INDEX outbox_decision ON outbox (decision_id);

-- Response deadlines (policy 7.7.2). Filled by a later issue; created now so that it needs no
-- migration of its own.
CREATE TABLE sla_items (
  id         INTEGER PRIMARY KEY,
  comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE RESTRICT,
  kind       TEXT NOT NULL,
  opened_at  INTEGER NOT NULL,
  due_at     INTEGER NOT NULL,
  closed_at  INTEGER,
  state      TEXT NOT NULL,
  exemption  TEXT,
  detail     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sla_items_due ON sla_items (state, due_at);
CREATE INDEX sla_items_comment ON sla_items (comment_id);

-- The council's replies to a commenter in a thread, for the one-reply rule (policy 7.8.3).
CREATE TABLE threads_replies (
  id                 INTEGER PRIMARY KEY,
  account            TEXT NOT NULL,
  thread_id          TEXT NOT NULL,
  commenter_id       TEXT NOT NULL,
  council_comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE RESTRICT,
  replied_at         INTEGER NOT NULL
) STRICT;
CREATE INDEX threads_replies_commenter ON threads_replies (account, thread_id, commenter_id);
CREATE INDEX threads_replies_comment ON threads_replies (council_comment_id);

-- Connector polling positions. No foreign key to accounts: a connector saves its cursor before
-- (or without) ever seeing a comment.
CREATE TABLE cursors (
  account    TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

-- Who did what, append-only. comment_id and outbox_id are deliberately not foreign keys: the record
-- of an action has to outlive the rows it is about (retention purge).
CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  comment_id INTEGER,
  outbox_id  INTEGER,
  detail     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_comment ON audit_log (comment_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
)sql";

// Policy engine (7.7.2, 7.8, 6.1, 7.6). Version 1 created sla_items and threads_replies as
// placeholders that no code wrote; they are dropped and made again in their real shape (a DROP
// of an empty table loses nothing, and is simpler than seven ALTERs).
constexpr const char* kMigration2 = R"sql(
-- A complaint, a jibe or a breach (policy 7.8.3 counts replies to these); see reply_signals.hpp.
ALTER TABLE verdicts ADD COLUMN negative INTEGER NOT NULL DEFAULT 0 CHECK (negative IN (0, 1));

DROP TABLE sla_items;
DROP TABLE threads_replies;

-- One row per comment or message that needed a reply, or would have but for an exemption.
--   state open:   waiting for the council's reply (breached_at is set once due_at has passed)
--   state closed: replied (closed_by 'reply:<comment id>') or resolved by a moderator ('cli:<user>')
--   state exempt: no reply needed, exemption says why; never due, never reminded
CREATE TABLE sla_items (
  id              INTEGER PRIMARY KEY,
  comment_id      INTEGER NOT NULL REFERENCES comments(id) ON DELETE RESTRICT,
  account         TEXT NOT NULL,
  thread_id       TEXT NOT NULL,
  author_id       TEXT NOT NULL,
  kind            TEXT NOT NULL,       -- reply | message | offer_offline
  state           TEXT NOT NULL CHECK (state IN ('open', 'closed', 'exempt')),
  exemption       TEXT,                -- rhetorical (7.8.1) | repeat (7.8.2) | breach (7.9)
  repeat_of       INTEGER REFERENCES comments(id) ON DELETE RESTRICT,  -- the answered original
  similarity      REAL,                -- of the repeat to its original, 0..1
  tokens          TEXT NOT NULL DEFAULT '',  -- content words, for finding later repeats of it
  opened_at       INTEGER NOT NULL,    -- when the resident posted it (unix ms)
  due_at          INTEGER,             -- NULL when exempt
  platform_due_at INTEGER,             -- the platform's own reply window (Messenger: 24 h), if any
  remind_at       INTEGER,
  reminded_at     INTEGER,             -- set with the reminder's outbox row: never reminded twice
  breached_at     INTEGER,             -- set once found open after due_at
  closed_at       INTEGER,
  closed_by       TEXT,
  close_reason    TEXT,
  response_ms     INTEGER,             -- closed_at - opened_at
  lateness_ms     INTEGER,             -- closed_at - due_at when late, else 0
  UNIQUE (comment_id)
) STRICT;
CREATE INDEX sla_items_open ON sla_items (state, due_at);
CREATE INDEX sla_items_thread ON sla_items (account, thread_id, state);
CREATE INDEX sla_items_closed ON sla_items (account, closed_at);
CREATE INDEX sla_items_opened ON sla_items (account, opened_at);

-- The council's replies to a commenter's negative comments, per thread (policy 7.8.3).
CREATE TABLE threads_replies (
  id                 INTEGER PRIMARY KEY,
  account            TEXT NOT NULL,
  thread_id          TEXT NOT NULL,
  commenter_id       TEXT NOT NULL,
  council_comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE RESTRICT,
  replied_at         INTEGER NOT NULL,
  UNIQUE (council_comment_id)
) STRICT;
CREATE INDEX threads_replies_commenter ON threads_replies (account, thread_id, commenter_id);

-- Things the clerk reads about in the daily report: one_reply_violation, own_post_alert, sla_breach.
CREATE TABLE policy_events (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,       -- unix ms
  account    TEXT NOT NULL,
  kind       TEXT NOT NULL,
  comment_id INTEGER REFERENCES comments(id) ON DELETE RESTRICT,
  detail     TEXT NOT NULL DEFAULT ''  -- JSON
) STRICT;
CREATE INDEX policy_events_at ON policy_events (account, at);
CREATE INDEX policy_events_kind ON policy_events (kind, at);
)sql";

// Retention (retention.cpp): a resident's comment past daemon.retention_days keeps its row (so that a
// platform redelivering it is still recognised, and the foreign keys of its verdicts, decisions and
// SLA item stay whole) but loses its text, author and link.
constexpr const char* kMigration3 = R"sql(
ALTER TABLE comments ADD COLUMN redacted_at INTEGER;  -- unix ms; NULL while the text is kept
-- FNV-1a (64-bit, hex) of the text that was removed: the same text delivered again is the same
-- comment; a different one is an edit, classified like any other.
ALTER TABLE comments ADD COLUMN text_digest TEXT NOT NULL DEFAULT '';
-- unix ms when the platform said the comment was deleted (Store::record_deletion); NULL while it stands.
ALTER TABLE comments ADD COLUMN deleted_at INTEGER;
CREATE INDEX comments_unredacted ON comments (received_at) WHERE redacted_at IS NULL;
CREATE INDEX outbox_created ON outbox (created_at);
CREATE INDEX threads_replies_at ON threads_replies (replied_at);
)sql";

constexpr std::array kMigrations = {
    Migration{1, "1 (initial schema)", kMigration1},
    Migration{2, "2 (policy engine: SLA items, one-reply rule, policy events)", kMigration2},
    Migration{3, "3 (retention: redacted comments; deletions on the platform)", kMigration3},
};
static_assert(kMigrations.back().version == Store::kSchemaVersion,
              "Store::kSchemaVersion must be the version of the last migration");

Result<void> apply(sqlite::Database& db, const Migration& m, const std::string& what) {
  if (auto r = db.exec(m.sql, what); !r) return r.error();
  // PRAGMA takes no bound parameters; the version is our own constant, not data.
  const std::string set_version = "PRAGMA user_version = " + std::to_string(m.version);
  return db.exec(set_version.c_str(), what + ": setting user_version");
}

}  // namespace

std::span<const Migration> migrations() noexcept { return kMigrations; }

StoreError newer_schema_error(int found) {
  return StoreError{0, "database schema " + std::to_string(found) + " is newer than this moderatord (" +
                           std::to_string(Store::kSchemaVersion) + ")"};
}

Result<int> migrate(sqlite::Database& db) {
  // The common case, every start: already current. Checked without the write lock, so opening a
  // current database never waits for a busy writer.
  auto current = db.query_int("PRAGMA user_version", "reading the schema version");
  if (!current) return current.error();
  if (*current > Store::kSchemaVersion) return newer_schema_error(static_cast<int>(*current));
  if (*current == Store::kSchemaVersion) return Store::kSchemaVersion;
  for (const Migration& m : kMigrations) {
    const std::string what = "migrating to schema " + std::string(m.name);
    // IMMEDIATE: take the write lock before reading user_version, so that two processes opening a
    // new file at once cannot both decide to run the same migration.
    if (auto r = db.exec("BEGIN IMMEDIATE", what); !r) return r.error();
    auto version = db.query_int("PRAGMA user_version", what + ": reading user_version");
    Result<void> step;
    if (!version) {
      step = version.error();
    } else if (*version > Store::kSchemaVersion) {
      step = newer_schema_error(static_cast<int>(*version));
    } else if (*version < m.version) {
      step = apply(db, m, what);
    }
    if (!step) {
      (void)db.exec("ROLLBACK", what);  // the error to report is the one that got us here
      return step.error();
    }
    if (auto r = db.exec("COMMIT", what); !r) {
      (void)db.exec("ROLLBACK", what);
      return r.error();
    }
  }
  return Store::kSchemaVersion;
}

}  // namespace moderatord::store::schema
