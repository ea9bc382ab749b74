// Store: the outbox state machine.
//
//            record_decision
//                  │
//                  ▼        claim_due_outbox          complete_outbox
//   retry_outbox ─► pending ─────────────────► in_flight ─────────────► done
//        ▲           ▲                          │  │
//        │           └── fail_outbox(retry_at) ─┘  │ fail_outbox(nullopt)
//        │           └── requeue_in_flight ─────┘  ▼
//        └──────────────────────────────────────── dead
//
// Every transition out of in_flight, and every retry, is audited with the row's comment.
#include <algorithm>
#include <string>

#include "store/store_impl.hpp"

namespace moderatord::store {
namespace {

// What RETURNING comment_id, executor, attempts gives back from a transition.
struct Transition {
  std::int64_t comment_id = 0;
  std::string executor;
  std::int64_t attempts = 0;
};

// The row's state, for an error that says why a transition did not apply.
Result<std::string> describe_state(StoreImpl& s, std::int64_t id, const std::string& subject) {
  sqlite::Query q(s.outbox_state, subject);
  q.bind(id);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return std::string("no such row");
  return "it is " + q.text(0) + ", not in_flight";
}

// Runs one of the in_flight -> X updates. Fails when the row is not in flight: the caller (the
// outbox worker) holds a claim on it, so anything else is a bug worth hearing about.
Result<Transition> leave_in_flight(StoreImpl& s, sqlite::Query& q, std::int64_t id, const std::string& subject) {
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) {
    auto state = describe_state(s, id, subject);
    if (!state) return state.error();
    return q.error(*state);
  }
  return Transition{q.is_null(0) ? 0 : q.int64(0), q.text(1), q.int64(2)};
}

}  // namespace

Result<void> read_outbox_rows(sqlite::Query& q, std::vector<OutboxRow>& rows) {
  for (;;) {
    auto more = q.step();
    if (!more) return more.error();
    if (!*more) return {};
    auto row = read_outbox_row(q);
    if (!row) return row.error();
    rows.push_back(std::move(*row));
  }
}

Result<OutboxRow> read_outbox_row(const sqlite::Query& q) {
  OutboxRow r;
  r.id = q.int64(0);
  r.comment_id = q.is_null(1) ? 0 : q.int64(1);
  const std::string kind = q.text(2);
  const auto parsed_kind = model::parse_action_kind(kind);
  if (!parsed_kind) return q.error("outbox row " + std::to_string(r.id) + " has an unknown kind '" + kind + "'");
  r.kind = *parsed_kind;
  r.executor = q.text(3);
  r.payload_json = q.text(4);
  const std::string state = q.text(5);
  const auto parsed_state = parse_outbox_state(state);
  if (!parsed_state) return q.error("outbox row " + std::to_string(r.id) + " has an unknown state '" + state + "'");
  r.state = *parsed_state;
  r.attempts = q.int32(6);
  r.next_attempt_at = q.int64(7);
  r.last_error = q.text(8);
  r.created_at = q.int64(9);
  r.updated_at = q.int64(10);
  return r;
}

Result<std::vector<OutboxRow>> Store::claim_due_outbox(std::int64_t now_ms, int limit) {
  std::vector<OutboxRow> rows;
  if (limit <= 0) return rows;
  // In a savepoint: if a row cannot be decoded, none may stay in_flight without being handed out.
  auto op = OpScope::enter(*impl_);
  if (!op) return op.error();
  {
    sqlite::Query q(impl_->claim_outbox);
    q.bind(now_ms).bind(std::int64_t{limit});
    if (auto r = read_outbox_rows(q, rows); !r) return r.error();
  }
  if (auto r = op->release(); !r) return r.error();
  // RETURNING gives rows in no particular order; the worker wants the longest-waiting first.
  std::sort(rows.begin(), rows.end(), [](const OutboxRow& a, const OutboxRow& b) {
    return a.next_attempt_at != b.next_attempt_at ? a.next_attempt_at < b.next_attempt_at : a.id < b.id;
  });
  return rows;
}

Result<void> Store::complete_outbox(std::int64_t id, std::int64_t now_ms, std::string_view detail) {
  StoreImpl& s = *impl_;
  const std::string subject = std::to_string(id);
  auto op = OpScope::enter(s);
  if (!op) return op.error();
  Transition t;
  {
    sqlite::Query q(s.complete_outbox, subject);
    q.bind(id).bind(now_ms);
    auto r = leave_in_flight(s, q, id, subject);
    if (!r) return r.error();
    t = std::move(*r);
  }
  std::string text = t.executor + ", attempt " + std::to_string(t.attempts);
  if (!detail.empty()) text.append(": ").append(detail);
  if (auto r = s.audit(now_ms, "moderatord", "outbox.done", t.comment_id, id, text); !r) return r.error();
  return op->release();
}

Result<void> Store::fail_outbox(std::int64_t id, std::int64_t now_ms, std::string_view error,
                                std::optional<std::int64_t> retry_at_ms) {
  StoreImpl& s = *impl_;
  const std::string subject = std::to_string(id);
  auto op = OpScope::enter(s);
  if (!op) return op.error();
  Transition t;
  {
    sqlite::Query q(retry_at_ms ? s.fail_outbox_retry : s.fail_outbox_dead, subject);
    q.bind(id).bind(now_ms);
    if (retry_at_ms) q.bind(*retry_at_ms);
    q.bind(error);
    auto r = leave_in_flight(s, q, id, subject);
    if (!r) return r.error();
    t = std::move(*r);
  }
  std::string text = t.executor + ", attempt " + std::to_string(t.attempts) + ": " + std::string(error);
  if (retry_at_ms) text += " (next attempt at " + std::to_string(*retry_at_ms) + ")";
  if (auto r = s.audit(now_ms, "moderatord", retry_at_ms ? "outbox.retry_scheduled" : "outbox.dead", t.comment_id,
                       id, text);
      !r)
    return r.error();
  return op->release();
}

Result<int> Store::requeue_in_flight(std::int64_t now_ms) {
  StoreImpl& s = *impl_;
  auto op = OpScope::enter(s);
  if (!op) return op.error();
  std::vector<std::pair<std::int64_t, std::int64_t>> requeued;  // id, comment_id
  {
    sqlite::Query q(s.requeue_outbox);
    q.bind(now_ms);
    for (;;) {
      auto row = q.step();
      if (!row) return row.error();
      if (!*row) break;
      requeued.emplace_back(q.int64(0), q.is_null(1) ? 0 : q.int64(1));
    }
  }
  std::sort(requeued.begin(), requeued.end());
  for (const auto& [id, comment_id] : requeued)
    if (auto r = s.audit(now_ms, "moderatord", "outbox.requeue", comment_id, id, "left in flight by a previous run");
        !r)
      return r.error();
  if (auto r = op->release(); !r) return r.error();
  return static_cast<int>(requeued.size());
}

Result<bool> Store::retry_outbox(std::int64_t id, std::int64_t now_ms, std::string_view actor) {
  StoreImpl& s = *impl_;
  const std::string subject = std::to_string(id);
  auto op = OpScope::enter(s);
  if (!op) return op.error();
  std::string state;
  std::int64_t attempts = 0;
  std::int64_t comment_id = 0;
  {
    sqlite::Query q(s.outbox_state, subject);
    q.bind(id);
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return false;
    state = q.text(0);
    attempts = q.int64(1);
    comment_id = q.is_null(2) ? 0 : q.int64(2);
    // Past retention its payload was removed (retention.cpp): there is nothing left to send.
    if (is_redacted_payload(q.text(3))) return false;
  }
  if (state != "dead" && state != "pending") return false;  // done, or being executed right now
  {
    // attempts restarts at 0: whoever retries a dead letter has fixed something, and the row gets
    // the whole backoff schedule again rather than one try (the audit entry keeps the old count).
    sqlite::Query q(s.retry_outbox, subject);
    q.bind(id).bind(now_ms);
    if (auto r = q.run(); !r) return r.error();
  }
  if (auto r = s.audit(now_ms, actor, "outbox.retry", comment_id, id,
                       "was " + state + " after " + std::to_string(attempts) + " attempt(s)");
      !r)
    return r.error();
  if (auto r = op->release(); !r) return r.error();
  return true;
}

Result<std::optional<std::int64_t>> Store::next_outbox_due() {
  sqlite::Query q(impl_->next_outbox_due);
  auto row = q.step();
  if (!row) return row.error();
  // min() over no rows is one NULL row.
  if (!*row || q.is_null(0)) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(q.int64(0));
}

Result<std::vector<OutboxRow>> Store::list_outbox(std::optional<OutboxState> state, int limit) {
  std::vector<OutboxRow> rows;
  if (limit <= 0) return rows;
  sqlite::Query q(state ? impl_->list_outbox_state : impl_->list_outbox_all);
  if (state) q.bind(to_string(*state));
  q.bind(std::int64_t{limit});
  if (auto r = read_outbox_rows(q, rows); !r) return r.error();
  return rows;
}

}  // namespace moderatord::store
