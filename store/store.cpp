#include "store/store.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/schema.hpp"
#include "store/store_impl.hpp"

namespace moderatord::store {
namespace {

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* synchronous_pragma(Synchronous s) noexcept {
  switch (s) {
    case Synchronous::off: return "PRAGMA synchronous = OFF";
    case Synchronous::normal: return "PRAGMA synchronous = NORMAL";
    case Synchronous::full: return "PRAGMA synchronous = FULL";
  }
  return "PRAGMA synchronous = FULL";
}

StoreError prefixed(const std::filesystem::path& path, StoreError e) {
  e.message = path.string() + ": " + e.message;
  return e;
}

// Runs a statement that returns nothing, ignoring failure: for the noexcept rollback paths, where
// the error that matters has already been reported (and SQLite may have rolled back by itself).
void run_quietly(sqlite::Statement& s) noexcept {
  sqlite::Query q(s);
  (void)sqlite3_step(s.get());
}

Result<void> run(sqlite::Statement& s) {
  sqlite::Query q(s);
  return q.run();
}

}  // namespace

void throw_exception_from_error(const StoreError& e, const boost::source_location& loc) {
  // Only reached by calling .value() on a failed Result, which is a bug in the caller.
  throw std::runtime_error(e.message + " (at " + loc.file_name() + ":" + std::to_string(loc.line()) + ")");
}

std::string_view to_string(OutboxState s) noexcept {
  switch (s) {
    case OutboxState::pending: return "pending";
    case OutboxState::in_flight: return "in_flight";
    case OutboxState::done: return "done";
    case OutboxState::dead: return "dead";
  }
  return "pending";
}

std::optional<OutboxState> parse_outbox_state(std::string_view s) noexcept {
  for (auto st : {OutboxState::pending, OutboxState::in_flight, OutboxState::done, OutboxState::dead})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

Result<void> StoreImpl::prepare_statements() {
  const std::string outbox_cols(kOutboxColumns);
  struct Entry {
    sqlite::Statement StoreImpl::*statement;
    std::string sql;
    const char* what;
  };
  const std::vector<Entry> entries = {
      // BEGIN IMMEDIATE: take the write lock up front, so that a busy database fails (after
      // busy_timeout) at BEGIN rather than half way through a batch.
      {&StoreImpl::begin, "BEGIN IMMEDIATE", "beginning a transaction"},
      {&StoreImpl::commit, "COMMIT", "committing"},
      {&StoreImpl::rollback, "ROLLBACK", "rolling back"},
      {&StoreImpl::job_savepoint, "SAVEPOINT job", "starting a job savepoint"},
      {&StoreImpl::job_release, "RELEASE job", "releasing a job savepoint"},
      {&StoreImpl::job_rollback_to, "ROLLBACK TO job", "rolling back a job savepoint"},
      {&StoreImpl::op_savepoint, "SAVEPOINT op", "starting a savepoint"},
      {&StoreImpl::op_release, "RELEASE op", "releasing a savepoint"},
      {&StoreImpl::op_rollback_to, "ROLLBACK TO op", "rolling back a savepoint"},

      {&StoreImpl::upsert_account,
       "INSERT INTO accounts (id, platform, first_seen_at) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING",
       "recording the account of comment"},
      {&StoreImpl::find_for_ingest,
       "SELECT id, text, revision, redacted_at IS NOT NULL, text_digest FROM comments WHERE account = ?1 AND platform_id = ?2",
       "looking up comment"},
      {&StoreImpl::insert_comment,
       "INSERT INTO comments (account, platform, platform_id, thread_id, parent_id, author_id, author_name, text, "
       "url, kind, created_at, received_at, updated_at, revision) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, 1) RETURNING id",
       "inserting comment"},
      {&StoreImpl::update_comment,
       "UPDATE comments SET platform = ?2, thread_id = ?3, parent_id = ?4, author_id = ?5, author_name = ?6, "
       "text = ?7, url = ?8, kind = ?9, created_at = ?10, updated_at = ?11, revision = revision + 1, "
       "redacted_at = NULL, text_digest = '' "
       "WHERE id = ?1 RETURNING revision",
       "updating comment"},
      {&StoreImpl::comment_revision, "SELECT revision FROM comments WHERE id = ?1", "reading the revision of comment"},
      {&StoreImpl::insert_verdict,
       "INSERT INTO verdicts (comment_id, revision, rule_set_version, labels, action, needs_response, rhetorical, "
       "scores_json, matches_json, created_at, negative) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
       "RETURNING id",
       "inserting the verdict for comment"},
      {&StoreImpl::insert_decision,
       "INSERT INTO decisions (comment_id, verdict_id, action, reason, actor, created_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
       "inserting the decision for comment"},
      {&StoreImpl::insert_outbox,
       "INSERT INTO outbox (comment_id, decision_id, kind, executor, payload_json, state, attempts, "
       "next_attempt_at, last_error, created_at, updated_at) "
       "VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, '', ?6, ?6) RETURNING id",
       "inserting an outbox row for comment"},

      {&StoreImpl::claim_outbox,
       "UPDATE outbox SET state = 'in_flight', attempts = attempts + 1, updated_at = ?1 WHERE id IN "
       "(SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1 "
       "ORDER BY next_attempt_at, id LIMIT ?2) RETURNING " + outbox_cols,
       "claiming due outbox rows"},
      {&StoreImpl::complete_outbox,
       "UPDATE outbox SET state = 'done', updated_at = ?2 WHERE id = ?1 AND state = 'in_flight' "
       "RETURNING comment_id, executor, attempts",
       "completing outbox row"},
      {&StoreImpl::fail_outbox_retry,
       "UPDATE outbox SET state = 'pending', next_attempt_at = ?3, last_error = ?4, updated_at = ?2 "
       "WHERE id = ?1 AND state = 'in_flight' RETURNING comment_id, executor, attempts",
       "scheduling a retry of outbox row"},
      {&StoreImpl::fail_outbox_dead,
       "UPDATE outbox SET state = 'dead', last_error = ?3, updated_at = ?2 "
       "WHERE id = ?1 AND state = 'in_flight' RETURNING comment_id, executor, attempts",
       "dead-lettering outbox row"},
      {&StoreImpl::outbox_state, "SELECT state, attempts, comment_id, payload_json FROM outbox WHERE id = ?1", "reading outbox row"},
      {&StoreImpl::requeue_outbox,
       "UPDATE outbox SET state = 'pending', next_attempt_at = ?1, updated_at = ?1 WHERE state = 'in_flight' "
       "RETURNING id, comment_id",
       "requeueing in-flight outbox rows"},
      {&StoreImpl::retry_outbox,
       "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?2, updated_at = ?2 "
       "WHERE id = ?1 AND state IN ('dead', 'pending')",
       "retrying outbox row"},
      {&StoreImpl::next_outbox_due, "SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'",
       "finding the next due outbox row"},
      {&StoreImpl::list_outbox_all, "SELECT " + outbox_cols + " FROM outbox ORDER BY id DESC LIMIT ?1",
       "listing the outbox"},
      {&StoreImpl::list_outbox_state, "SELECT " + outbox_cols + " FROM outbox WHERE state = ?1 ORDER BY id DESC LIMIT ?2",
       "listing the outbox"},

      {&StoreImpl::load_cursor, "SELECT value FROM cursors WHERE account = ?1", "loading the cursor of"},
      {&StoreImpl::save_cursor,
       "INSERT INTO cursors (account, value, updated_at) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (account) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
       "saving the cursor of"},
      {&StoreImpl::insert_audit,
       "INSERT INTO audit_log (at, actor, action, comment_id, outbox_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
       "writing the audit log entry"},

      {&StoreImpl::count_comments, "SELECT count(*) FROM comments", "counting comments"},
      {&StoreImpl::count_verdicts, "SELECT count(*) FROM verdicts", "counting verdicts"},
      {&StoreImpl::decisions_by_action, "SELECT action, count(*) FROM decisions GROUP BY action ORDER BY action",
       "counting decisions"},
      {&StoreImpl::outbox_by_state, "SELECT state, count(*) FROM outbox GROUP BY state", "counting outbox rows"},
      {&StoreImpl::account_activity,
       "SELECT a.id, count(c.id), coalesce(max(c.received_at), 0) FROM accounts a "
       "LEFT JOIN comments c ON c.account = a.id GROUP BY a.id ORDER BY a.id",
       "summarising accounts"},
      {&StoreImpl::select_comment,
       "SELECT id, account, platform, platform_id, thread_id, parent_id, author_id, author_name, text, url, kind, "
       "created_at, received_at, updated_at, revision, coalesce(redacted_at, 0) FROM comments WHERE id = ?1",
       "reading comment"},
      {&StoreImpl::latest_verdict,
       "SELECT rule_set_version, labels, action, needs_response, rhetorical, scores_json, matches_json "
       "FROM verdicts WHERE comment_id = ?1 ORDER BY id DESC LIMIT 1",
       "reading the latest verdict of comment"},
      {&StoreImpl::verdict_by_id,
       "SELECT rule_set_version, labels, action, needs_response, rhetorical, scores_json, matches_json "
       "FROM verdicts WHERE id = ?1",
       "reading the verdict of the decision on comment"},
      {&StoreImpl::latest_decision,
       "SELECT id, verdict_id, action, reason, actor FROM decisions WHERE comment_id = ?1 ORDER BY id DESC LIMIT 1",
       "reading the latest decision on comment"},
      {&StoreImpl::decision_actions, "SELECT kind, executor, payload_json FROM outbox WHERE decision_id = ?1 ORDER BY id",
       "reading the actions of the decision on comment"},
      {&StoreImpl::comment_outbox, "SELECT " + outbox_cols + " FROM outbox WHERE comment_id = ?1 ORDER BY id",
       "reading the outbox rows of comment"},
      {&StoreImpl::comment_audit,
       "SELECT id, at, actor, action, comment_id, outbox_id, detail FROM audit_log WHERE comment_id = ?1 "
       "ORDER BY id",
       "reading the audit log of comment"},
      {&StoreImpl::find_comment, "SELECT id FROM comments WHERE account = ?1 AND platform_id = ?2", "finding comment"},
  };
  for (const Entry& e : entries) {
    auto s = sqlite::Statement::prepare(db.get(), e.sql, e.what);
    if (!s) return s.error();
    this->*e.statement = std::move(*s);
  }
  return {};
}

Result<sqlite::Statement*> StoreImpl::statement(std::string_view sql, const char* what) {
  if (auto it = cached.find(sql); it != cached.end()) return &it->second;
  auto s = sqlite::Statement::prepare(db.get(), sql, what);
  if (!s) return s.error();
  return &cached.emplace(std::string(sql), std::move(*s)).first->second;
}

Result<void> StoreImpl::audit(std::int64_t at, std::string_view actor, std::string_view action,
                                std::int64_t comment_id, std::int64_t outbox_id, std::string_view detail) {
  sqlite::Query q(insert_audit, action);
  q.bind(at).bind(actor).bind(action).bind_id(comment_id).bind_id(outbox_id).bind(detail);
  return q.run();
}

Result<OpScope> OpScope::enter(StoreImpl& impl) {
  if (impl.in_job) return OpScope();  // the job's savepoint covers it (see StoreImpl::in_job)
  if (auto r = run(impl.op_savepoint); !r) return r.error();
  return OpScope(impl);
}

OpScope::~OpScope() {
  if (impl_ == nullptr) return;
  impl_->pending_accounts.clear();
  // After some errors (SQLITE_FULL, IOERR, NOMEM) SQLite has already rolled back the whole
  // transaction and the savepoint with it; there is nothing left to undo then.
  if (!impl_->db.in_transaction()) return;
  run_quietly(impl_->op_rollback_to);
  run_quietly(impl_->op_release);
}

Result<void> OpScope::release() {
  StoreImpl* impl = impl_;
  if (impl == nullptr) return {};  // covered by the job's savepoint
  impl_ = nullptr;
  if (auto r = run(impl->op_release); !r) {
    impl_ = impl;  // still open: the destructor rolls it back
    return r.error();
  }
  return {};
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const StoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = options.path;
  // NOMUTEX: a Store is used by one thread at a time (see store.hpp), so SQLite's own mutexes
  // would only cost.
  const int flags = (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  auto db = sqlite::Database::open(options.path, flags);
  if (!db) return db.error();
  impl->db = std::move(*db);
  sqlite3_busy_timeout(impl->db.get(), options.busy_timeout_ms);
  auto fail = [&](StoreError e) { return prefixed(options.path, std::move(e)); };

  // Refuse a newer schema before changing anything (not even the journal mode).
  auto version = impl->db.query_int("PRAGMA user_version", "reading the schema version");
  if (!version) return fail(version.error());
  if (*version > kSchemaVersion) return fail(schema::newer_schema_error(static_cast<int>(*version)));

  if (auto r = impl->db.exec("PRAGMA foreign_keys = ON", "enabling foreign keys"); !r) return fail(r.error());
  // Every job runs in a savepoint, and SQLite keeps a savepoint's undo log (the statement journal)
  // in a temp file once it passes 64 KiB: in /var/tmp, which the systemd sandbox may not even let
  // us write, at the cost of dozens of pwrite()s per job. In memory it is a few pages per job.
  if (auto r = impl->db.exec("PRAGMA temp_store = MEMORY", "keeping temporary data in memory"); !r)
    return fail(r.error());
  if (options.read_only) {
    // A read-only connection cannot migrate; the daemon does that when it starts.
    if (*version < kSchemaVersion)
      return fail(StoreError{0, "database schema " + std::to_string(*version) + " is older than this moderatord (" +
                                    std::to_string(kSchemaVersion) + "); start the daemon once to migrate it"});
    impl->schema_version = static_cast<int>(*version);
  } else {
    // WAL: readers (the CLI) never block the writer, and a commit is one append + fsync.
    auto mode = impl->db.query_text("PRAGMA journal_mode = WAL", "enabling WAL");
    if (!mode) return fail(mode.error());
    if (*mode != "wal") return fail(StoreError{0, "enabling WAL: the journal mode stayed '" + *mode + "'"});
    if (auto r = impl->db.exec(synchronous_pragma(options.synchronous), "setting synchronous"); !r)
      return fail(r.error());
    auto migrated = schema::migrate(impl->db);
    if (!migrated) return fail(migrated.error());
    impl->schema_version = *migrated;
  }
  if (auto r = impl->prepare_statements(); !r) return fail(r.error());
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

int Store::schema_version() const noexcept { return impl_->schema_version; }

Result<void> Store::begin() { return run(impl_->begin); }

Result<void> Store::commit() {
  impl_->in_job = false;
  auto r = run(impl_->commit);
  if (r) impl_->known_accounts.merge(impl_->pending_accounts);
  impl_->pending_accounts.clear();
  return r;
}

void Store::rollback() noexcept {
  impl_->in_job = false;
  impl_->pending_accounts.clear();
  // Some errors make SQLite roll back by itself; ROLLBACK would then only fail.
  if (impl_->db.in_transaction()) run_quietly(impl_->rollback);
}

Result<void> Store::savepoint() {
  // Outside a transaction SAVEPOINT would quietly start one of its own, and its RELEASE would
  // commit. That is exactly what must not happen when SQLite has rolled back a batch after an
  // error (SQLITE_FULL, IOERR): the rest of the batch would commit job by job while the writer
  // believes it is still in one transaction. So a savepoint requires begin().
  if (!impl_->db.in_transaction())
    return StoreError{0, "starting a job savepoint: no transaction is open (was the batch rolled back?)"};
  auto r = run(impl_->job_savepoint);
  impl_->in_job = r.has_value();
  return r;
}

Result<void> Store::release_savepoint() {
  impl_->in_job = false;
  return run(impl_->job_release);
}

void Store::rollback_to_savepoint() noexcept {
  impl_->in_job = false;
  impl_->pending_accounts.clear();
  if (!impl_->db.in_transaction()) return;
  run_quietly(impl_->job_rollback_to);
  run_quietly(impl_->job_release);
}

Result<std::optional<std::string>> Store::load_cursor(std::string_view account) {
  sqlite::Query q(impl_->load_cursor, account);
  q.bind(account);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(q.text(0));
}

Result<void> Store::save_cursor(std::string_view account, std::string_view value, std::int64_t now_ms) {
  sqlite::Query q(impl_->save_cursor, account);
  q.bind(account).bind(value).bind(now_ms);
  return q.run();
}

Result<void> Store::audit(const AuditEntry& e) {
  // e.id is ignored: the log assigns ids, so that they are in the order entries were written.
  return impl_->audit(e.at != 0 ? e.at : system_now_ms(), e.actor, e.action, e.comment_id, e.outbox_id, e.detail);
}

}  // namespace moderatord::store
