#pragma once
// The store: the only code that speaks SQL. One SQLite file in WAL mode, schema migrated on
// PRAGMA user_version, foreign keys on, prepared statements only.
//
// Threading: a Store is not thread-safe. In the daemon it lives on the StoreWriter's thread (see
// store_writer.hpp), which batches jobs into one transaction (group commit). CLI commands open
// their own Store (read-only or not) on the main thread.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "model/comment.hpp"
#include "store/sla_records.hpp"

namespace moderatord::store {

struct StoreError {
  int sqlite_code = 0;  // SQLITE_* result code, 0 when not from SQLite
  std::string message;  // says what was being done ("inserting comment x: disk I/O error")
  StoreError() = default;
  // Not an aggregate: otherwise C++20 lets a bool or int convert to StoreError, and Result<bool>
  // or Result<int> could not be built from a plain value.
  StoreError(int code, std::string what) : sqlite_code(code), message(std::move(what)) {}
};
[[noreturn]] void throw_exception_from_error(const StoreError& e, const boost::source_location& loc);
template <class T>
using Result = boost::system::result<T, StoreError>;

// PRAGMA synchronous. FULL by default: a comment acknowledged to a platform survives a power cut.
enum class Synchronous { off, normal, full };

struct StoreOptions {
  std::filesystem::path path;               // the database file; created with the schema if absent
  Synchronous synchronous = Synchronous::full;  // Default: full
  bool read_only = false;                   // Default: false (CLI read commands set it)
  int busy_timeout_ms = 5000;               // Default: 5000 (CLI and daemon may overlap)
};

// What ingest did with a comment.
enum class Change { inserted, updated, unchanged };
struct IngestOutcome {
  std::int64_t comment_id = 0;
  Change change = Change::inserted;  // updated: same platform id, new text (an edit): re-classify
};

// A verdict as stored: rendered by the caller, so the store needs nothing from the classifier.
struct VerdictRecord {
  std::string rule_set_version;  // RuleSet::version()
  std::string labels;            // comma-separated categories, "" when clean
  std::string action;            // none|escalate|hide|report|remove (what the classifier asked)
  bool needs_response = false;
  bool rhetorical = false;
  bool negative = false;         // a complaint, jibe or breach (policy 7.8.3)
  std::string scores_json;       // {"obscene":3}
  std::string matches_json;      // [{"rule":"obscene.fuck","category":"obscene","start":9,"end":13}]
};

// One side effect to execute later (outbox row), written with the decision that caused it.
struct PlannedAction {
  model::ActionKind kind = model::ActionKind::escalate;
  std::string executor;      // who executes: an account/connector id, or "mail"
  std::string payload_json;  // what the executor needs (ids, reason, recipients...)
};

struct DecisionRecord {
  std::int64_t comment_id = 0;
  VerdictRecord verdict;
  std::string decided_action;        // the action after account config and connector capabilities
  std::string reason;                // human-readable why ("obscene score 3 >= hide 2; observe mode")
  std::vector<PlannedAction> actions;
  std::string actor = "moderatord";  // who decided, for the audit log
};

enum class OutboxState { pending, in_flight, done, dead };
std::string_view to_string(OutboxState s) noexcept;

struct OutboxRow {
  std::int64_t id = 0;  // also the idempotency key executors use
  std::int64_t comment_id = 0;  // 0 when not about a comment
  model::ActionKind kind = model::ActionKind::escalate;
  std::string executor;
  std::string payload_json;
  OutboxState state = OutboxState::pending;
  int attempts = 0;
  std::int64_t next_attempt_at = 0;  // unix ms
  std::string last_error;
  std::int64_t created_at = 0;       // unix ms
  std::int64_t updated_at = 0;       // unix ms
};

struct AuditEntry {
  std::int64_t id = 0;
  std::int64_t at = 0;  // unix ms
  std::string actor;    // "moderatord", "cli:<user>", a connector id
  std::string action;   // "ingest", "decide", "outbox.done", "outbox.dead", "outbox.retry", ...
  std::int64_t comment_id = 0;
  std::int64_t outbox_id = 0;
  std::string detail;
};

struct StoredComment {
  std::int64_t id = 0;
  model::Comment comment;
  std::int64_t received_at = 0;  // unix ms
  std::int64_t updated_at = 0;
  int revision = 1;              // 1 + number of edits
  std::int64_t redacted_at = 0;  // unix ms when retention removed its text and author; 0: kept
};

struct CommentDetail {
  StoredComment comment;
  std::optional<VerdictRecord> verdict;  // the latest
  std::optional<DecisionRecord> decision;  // the latest (actions filled from its outbox rows)
  std::vector<OutboxRow> outbox;
  std::vector<AuditEntry> audit;
};

struct ConnectorActivity {
  std::string account;
  std::int64_t comments = 0;
  std::int64_t last_received_at = 0;  // unix ms, 0 when none
};

struct StatusSummary {
  std::int64_t comments = 0;
  std::int64_t verdicts = 0;
  std::vector<std::pair<std::string, std::int64_t>> decisions_by_action;  // action -> count
  std::vector<std::pair<std::string, std::int64_t>> outbox_by_state;      // state -> count
  std::vector<ConnectorActivity> connectors;
  std::int64_t sla_open = 0;     // replies owed (policy 7.7.2)
  std::int64_t sla_overdue = 0;  // of those, past their due time
  int schema_version = 0;
};

class Store {
 public:
  // Opens (creating and migrating as needed) the database. Errors name the file and the step.
  static Result<std::unique_ptr<Store>> open(const StoreOptions& options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static constexpr int kSchemaVersion = 3;
  int schema_version() const noexcept;

  // Transactions. The writer wraps a batch in begin()/commit() and each job in a savepoint, so one
  // failing job rolls back alone and the others still commit.
  Result<void> begin();
  Result<void> commit();
  void rollback() noexcept;
  Result<void> savepoint();
  Result<void> release_savepoint();
  void rollback_to_savepoint() noexcept;

  // Inserts a comment, or updates it when (account, platform_id) exists: changed text is an edit
  // (updated, revision + 1); identical text is `unchanged`. Writes an audit entry for insert/edit.
  Result<IngestOutcome> ingest_comment(const model::Comment& c, std::int64_t now_ms);

  // The verdict, the decision, one outbox row per planned action (state pending, due now) and the
  // audit entries, for one comment. Returns the new outbox ids, in the order of `d.actions`.
  Result<std::vector<std::int64_t>> record_decision(const DecisionRecord& d, std::int64_t now_ms);

  // Outbox. claim_due marks up to `limit` pending rows due by `now_ms` as in_flight and returns them
  // (oldest first); the caller executes them and reports back with complete or fail.
  Result<std::vector<OutboxRow>> claim_due_outbox(std::int64_t now_ms, int limit);
  Result<void> complete_outbox(std::int64_t id, std::int64_t now_ms, std::string_view detail);
  // retry_at: when to try again (pending); nullopt: give up (dead letter). Both audited.
  Result<void> fail_outbox(std::int64_t id, std::int64_t now_ms, std::string_view error,
                           std::optional<std::int64_t> retry_at_ms);
  // At startup: rows left in_flight by a crash go back to pending (executors are idempotent by
  // outbox id, so the retry cannot act twice). Returns how many.
  Result<int> requeue_in_flight(std::int64_t now_ms);
  // CLI `outbox retry ID`: a dead (or pending) row becomes pending and due now; audited with actor.
  // False for a row past retention (its payload removed: nothing to send).
  Result<bool> retry_outbox(std::int64_t id, std::int64_t now_ms, std::string_view actor);
  // The soonest next_attempt_at among pending rows, for the worker's timer.
  Result<std::optional<std::int64_t>> next_outbox_due();

  // Mail the mailer schedules itself (mail_outbox.cpp). add_to_mail_digest: appends the payload of
  // mail row `member_id` (with "outbox_id") to `group`'s pending digest row, creating one due at
  // `due_at_ms` when there is none; a member already in a digest is not added again. Returns the
  // digest's outbox id. enqueue_mail_once: a mail row with `payload_json` + {"key": key}, unless a
  // mail row with that key exists (the daily report: one per day, whatever restarts); true if added.
  Result<std::int64_t> add_to_mail_digest(std::int64_t member_id, std::string_view group,
                                          std::string_view member_payload_json, std::int64_t due_at_ms,
                                          std::int64_t now_ms);
  Result<bool> enqueue_mail_once(std::string_view key, std::string_view payload_json, std::int64_t now_ms);

  // Connector cursors (polling position), by account id.
  Result<std::optional<std::string>> load_cursor(std::string_view account);
  Result<void> save_cursor(std::string_view account, std::string_view value, std::int64_t now_ms);

  Result<void> audit(const AuditEntry& e);  // id and `at` are filled by the store when 0

  // An outbox row that no decision caused (SLA reminders, alerts to the clerk or the admins);
  // comment_id 0 when it is about no comment. Returns its id.
  Result<std::int64_t> enqueue_outbox(std::int64_t comment_id, model::ActionKind kind, std::string_view executor,
                                      std::string_view payload_json, std::int64_t now_ms);

  // --- The policy engine's records (sla.cpp): policy 7.7.2, 7.8, 6.1, 7.6 ---
  Result<std::int64_t> insert_sla_item(const SlaItemRow& item, std::int64_t now_ms);
  Result<std::optional<SlaItemRow>> sla_item(std::int64_t id);
  Result<std::optional<SlaItemRow>> sla_item_for_comment(std::int64_t comment_id);
  // Closed (answered) items of `account` opened since `since_ms`, oldest first: the originals a
  // repeat may refer to (7.8.2). Items found to be repeats count too: a third repeat matches either.
  Result<std::vector<SlaItemRow>> answered_sla_items(std::string_view account, std::int64_t since_ms);
  // Open items in a thread (a post or a conversation), oldest first.
  Result<std::vector<SlaItemRow>> open_sla_items_in_thread(std::string_view account, std::string_view thread_id);
  // Every open item.
  Result<std::vector<SlaItemRow>> open_sla_items();
  // The open items the reminder and breach timer still has work for: not yet reminded or not yet
  // breached. An item that is both stays open until answered, but a sweep would do nothing with it,
  // and unanswered items pile up over months of running.
  Result<std::vector<SlaItemRow>> sla_items_to_sweep();
  Result<void> extend_sla_item(std::int64_t id, std::int64_t due_at, std::int64_t platform_due_at, std::int64_t remind_at);
  // Closes an open item; false when it was not open. Audited with `actor`.
  Result<bool> close_sla_item(std::int64_t id, std::int64_t closed_at, std::string_view closed_by,
                              std::string_view reason, std::int64_t response_ms, std::int64_t lateness_ms,
                              std::string_view actor);
  Result<void> mark_sla_reminded(std::int64_t id, std::int64_t at);
  Result<void> mark_sla_breached(std::int64_t id, std::int64_t at);
  // CLI: items by state ("" = all), newest first.
  Result<std::vector<SlaItemRow>> list_sla_items(std::string_view state, int limit);

  // 7.8.3: the council's replies to a commenter's negative comments in a thread.
  Result<int> council_replies_to(std::string_view account, std::string_view thread_id, std::string_view commenter_id);
  Result<void> record_council_reply(std::string_view account, std::string_view thread_id, std::string_view commenter_id,
                                    std::int64_t council_comment_id, std::int64_t at);
  // The comment with this platform id, with its latest verdict's negativity (a reply's parent).
  Result<std::optional<ReplyTarget>> reply_target(std::string_view account, std::string_view platform_id);

  // Events for the clerk's report: one_reply_violation, own_post_alert, sla_breach.
  Result<void> add_policy_event(std::string_view account, std::string_view kind, std::int64_t comment_id,
                                std::string_view detail_json, std::int64_t at);

  // The platform says a comment was deleted (sla.cpp). Marks it, and an SLA item still open on it
  // becomes exempt ("deleted"): nobody can answer a comment that is gone, and the clerk's report must
  // not count it as a breach to come (one already recorded stays on record). Audited. Returns whether
  // the comment was known, and how many items it exempted.
  struct DeletionOutcome {
    bool known = false;
    int exempted = 0;
  };
  Result<DeletionOutcome> record_deletion(std::string_view account, std::string_view platform_id, std::int64_t now_ms);

  // Retention (retention.cpp). Redacts up to `limit` residents' comments received before `cutoff_ms`
  // that nothing still waits on (no open SLA item, no outbox row pending or in flight): text, author
  // and link become "", a digest of the text is kept so that a redelivery is not taken for an edit.
  // With them: the tokens and author of their SLA items. Also, whatever the comment: the payloads of
  // outbox rows finished (done or dead) before the cutoff (emails quote comments), the details of
  // policy events and the one-reply records from before it. The council's own posts and replies
  // are its public record and are kept. Call again while `comments == limit`.
  struct RedactionCounts {
    std::int64_t comments = 0, outbox = 0, policy_events = 0, council_replies = 0;
  };
  Result<RedactionCounts> redact_expired(std::int64_t cutoff_ms, std::int64_t now_ms, int limit);

  // Reads for the CLI and metrics.
  Result<StatusSummary> status();
  Result<std::vector<OutboxRow>> list_outbox(std::optional<OutboxState> state, int limit);
  Result<std::optional<CommentDetail>> comment_detail(std::int64_t comment_id);
  Result<std::optional<std::int64_t>> find_comment(std::string_view account, std::string_view platform_id);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace moderatord::store
