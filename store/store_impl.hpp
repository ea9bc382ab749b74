#pragma once
// StoreImpl: the connection and every prepared statement. Store::Impl is just this; the
// namespace-level name lets the helpers in the .cpp files take it. Private to store/; the Store
// methods are spread over store.cpp (open, transactions, cursors, audit), ingest.cpp (comments
// and decisions), outbox.cpp and reads.cpp (what the CLI and metrics read).
//
// Threading: whatever thread owns the Store (the writer thread in the daemon).
#include <filesystem>
#include <map>
#include <set>
#include <string_view>

#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace moderatord::store {

struct StoreImpl {
  sqlite::Database db;  // declared first: destroyed after the statements that use it
  std::filesystem::path path;
  int schema_version = 0;
  // Accounts known to have their row, so ingest upserts an account once, not once per comment.
  // `pending_accounts` were written in the open transaction: they count only once it commits, and
  // any rollback forgets them (the next comment upserts again).
  std::set<std::string, std::less<>> known_accounts, pending_accounts;
  // Inside a writer job's savepoint, an operation needs no savepoint of its own: a failing
  // operation fails its job, and the writer rolls the whole job back. Saves two statements per
  // operation (three savepoint pairs per comment became one).
  bool in_job = false;

  // Prepared once in open(), in store.cpp, which holds the SQL for each.
  // Transactions.
  sqlite::Statement begin, commit, rollback;
  sqlite::Statement job_savepoint, job_release, job_rollback_to;
  sqlite::Statement op_savepoint, op_release, op_rollback_to;
  // Comments and decisions.
  sqlite::Statement upsert_account, find_for_ingest, insert_comment, update_comment;
  sqlite::Statement comment_revision, insert_verdict, insert_decision, insert_outbox;
  // Outbox.
  sqlite::Statement claim_outbox, complete_outbox, fail_outbox_retry, fail_outbox_dead, outbox_state;
  sqlite::Statement requeue_outbox, retry_outbox, next_outbox_due, list_outbox_all, list_outbox_state;
  // Cursors and audit.
  sqlite::Statement load_cursor, save_cursor, insert_audit;
  // Reads.
  sqlite::Statement count_comments, count_verdicts, decisions_by_action, outbox_by_state, account_activity;
  sqlite::Statement select_comment, latest_verdict, verdict_by_id, latest_decision, decision_actions;
  sqlite::Statement comment_outbox, comment_audit, find_comment;

  Result<void> prepare_statements();

  // Statements of the less frequent operations (sla.cpp), prepared on first use and kept, keyed by
  // their SQL text.
  std::map<std::string, sqlite::Statement, std::less<>> cached;
  Result<sqlite::Statement*> statement(std::string_view sql, const char* what);

  // Appends to audit_log; `at` is the entry's time (unix ms).
  Result<void> audit(std::int64_t at, std::string_view actor, std::string_view action, std::int64_t comment_id,
                     std::int64_t outbox_id, std::string_view detail);
};
struct Store::Impl : StoreImpl {};

// Retention (retention.cpp): the digest kept of a redacted comment's text, and whether an outbox
// row's payload was removed.
std::string text_digest(std::string_view text);
bool is_redacted_payload(std::string_view payload_json) noexcept;

// Makes a multi-statement write (or a multi-statement read) atomic on its own: a savepoint that
// rolls back unless released. Inside the writer's batch it nests in the job's savepoint; outside
// any transaction (the CLI) it is the transaction, committed by release().
class OpScope {
 public:
  static Result<OpScope> enter(StoreImpl& impl);
  OpScope(OpScope&& other) noexcept : impl_(other.impl_) { other.impl_ = nullptr; }
  OpScope& operator=(OpScope&&) = delete;
  ~OpScope();
  Result<void> release();

 private:
  OpScope() noexcept : impl_(nullptr) {}  // inside a job: nothing of its own to release or undo
  explicit OpScope(StoreImpl& impl) noexcept : impl_(&impl) {}
  StoreImpl* impl_;  // null once released, moved from, or inside a job
};

// Row decoders shared by outbox.cpp and reads.cpp. The column order is kOutboxColumns.
inline constexpr std::string_view kOutboxColumns =
    "id, comment_id, kind, executor, payload_json, state, attempts, next_attempt_at, last_error, created_at, "
    "updated_at";
Result<OutboxRow> read_outbox_row(const sqlite::Query& q);
// Steps `q` to the end, appending each row.
Result<void> read_outbox_rows(sqlite::Query& q, std::vector<OutboxRow>& rows);
std::optional<OutboxState> parse_outbox_state(std::string_view s) noexcept;

}  // namespace moderatord::store
