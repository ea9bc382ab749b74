// Store: what the CLI and metrics read. Each read that takes several statements runs in one
// savepoint, so that it sees one snapshot even while the daemon writes.
#include <string>

#include "store/store_impl.hpp"

namespace moderatord::store {
namespace {

Result<std::int64_t> count(sqlite::Statement& s) {
  sqlite::Query q(s);
  auto row = q.step();
  if (!row) return row.error();
  return *row ? q.int64(0) : 0;
}

// (text, count) rows, as GROUP BY gives them.
Result<std::vector<std::pair<std::string, std::int64_t>>> counts(sqlite::Statement& s) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  sqlite::Query q(s);
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return out;
    out.emplace_back(q.text(0), q.int64(1));
  }
}

// Columns: rule_set_version, labels, action, needs_response, rhetorical, scores_json, matches_json.
VerdictRecord read_verdict(const sqlite::Query& q) {
  VerdictRecord v;
  v.rule_set_version = q.text(0);
  v.labels = q.text(1);
  v.action = q.text(2);
  v.needs_response = q.int64(3) != 0;
  v.rhetorical = q.int64(4) != 0;
  v.scores_json = q.text(5);
  v.matches_json = q.text(6);
  return v;
}

Result<std::optional<VerdictRecord>> verdict(sqlite::Statement& s, std::int64_t key, const std::string& subject) {
  sqlite::Query q(s, subject);
  q.bind(key);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return std::optional<VerdictRecord>();
  return std::optional<VerdictRecord>(read_verdict(q));
}

Result<std::optional<DecisionRecord>> latest_decision(StoreImpl& s, std::int64_t comment_id,
                                                      const std::string& subject) {
  DecisionRecord d;
  d.comment_id = comment_id;
  std::int64_t decision_id = 0;
  std::int64_t verdict_id = 0;
  {
    sqlite::Query q(s.latest_decision, subject);
    q.bind(comment_id);
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return std::optional<DecisionRecord>();
    decision_id = q.int64(0);
    verdict_id = q.int64(1);
    d.decided_action = q.text(2);
    d.reason = q.text(3);
    d.actor = q.text(4);
  }
  auto v = verdict(s.verdict_by_id, verdict_id, subject);
  if (!v) return v.error();
  // The foreign key (ON DELETE RESTRICT) keeps a decision's verdict.
  if (*v) d.verdict = std::move(**v);
  sqlite::Query q(s.decision_actions, subject);
  q.bind(decision_id);
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) break;
    PlannedAction a;
    const std::string kind = q.text(0);
    const auto parsed = model::parse_action_kind(kind);
    if (!parsed) return q.error("unknown action kind '" + kind + "'");
    a.kind = *parsed;
    a.executor = q.text(1);
    a.payload_json = q.text(2);
    d.actions.push_back(std::move(a));
  }
  return std::optional<DecisionRecord>(std::move(d));
}

}  // namespace

Result<StatusSummary> Store::status() {
  StoreImpl& s = *impl_;
  auto op = OpScope::enter(s);
  if (!op) return op.error();
  StatusSummary st;
  st.schema_version = s.schema_version;
  auto comments = count(s.count_comments);
  if (!comments) return comments.error();
  st.comments = *comments;
  auto verdicts = count(s.count_verdicts);
  if (!verdicts) return verdicts.error();
  st.verdicts = *verdicts;
  auto decisions = counts(s.decisions_by_action);
  if (!decisions) return decisions.error();
  st.decisions_by_action = std::move(*decisions);

  // Every state, in lifecycle order and with zeros, so that "dead 0" is said rather than implied.
  auto by_state = counts(s.outbox_by_state);
  if (!by_state) return by_state.error();
  for (auto state : {OutboxState::pending, OutboxState::in_flight, OutboxState::done, OutboxState::dead}) {
    std::int64_t n = 0;
    for (const auto& [name, c] : *by_state)
      if (name == to_string(state)) n = c;
    st.outbox_by_state.emplace_back(std::string(to_string(state)), n);
  }

  {
    auto sla = s.statement("SELECT count(*), count(breached_at) FROM sla_items WHERE state = 'open'",
                           "counting open SLA items");
    if (!sla) return sla.error();
    sqlite::Query q(**sla);
    auto row = q.step();
    if (!row) return row.error();
    if (*row) {
      st.sla_open = q.int64(0);
      st.sla_overdue = q.int64(1);
    }
  }

  sqlite::Query q(s.account_activity);
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) break;
    st.connectors.push_back(ConnectorActivity{q.text(0), q.int64(1), q.int64(2)});
  }
  if (auto r = op->release(); !r) return r.error();
  return st;
}

Result<std::optional<CommentDetail>> Store::comment_detail(std::int64_t comment_id) {
  StoreImpl& s = *impl_;
  const std::string subject = std::to_string(comment_id);
  auto op = OpScope::enter(s);
  if (!op) return op.error();
  CommentDetail d;
  {
    sqlite::Query q(s.select_comment, subject);
    q.bind(comment_id);
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) {
      if (auto r = op->release(); !r) return r.error();
      return std::optional<CommentDetail>();
    }
    StoredComment& sc = d.comment;
    model::Comment& c = sc.comment;
    sc.id = q.int64(0);
    c.account = q.text(1);
    c.platform = q.text(2);
    c.platform_id = q.text(3);
    c.thread_id = q.text(4);
    c.parent_id = q.text(5);
    c.author_id = q.text(6);
    c.author_name = q.text(7);
    c.text = q.text(8);
    c.url = q.text(9);
    const std::string kind = q.text(10);
    const auto parsed = model::parse_comment_kind(kind);
    if (!parsed) return q.error("unknown comment kind '" + kind + "'");
    c.kind = *parsed;
    c.created_at = q.int64(11);
    sc.received_at = q.int64(12);
    sc.updated_at = q.int64(13);
    sc.revision = q.int32(14);
    sc.redacted_at = q.int64(15);
  }

  auto v = verdict(s.latest_verdict, comment_id, subject);
  if (!v) return v.error();
  d.verdict = std::move(*v);
  auto dec = latest_decision(s, comment_id, subject);
  if (!dec) return dec.error();
  d.decision = std::move(*dec);

  {
    sqlite::Query q(s.comment_outbox, subject);
    q.bind(comment_id);
    if (auto r = read_outbox_rows(q, d.outbox); !r) return r.error();
  }
  {
    sqlite::Query q(s.comment_audit, subject);
    q.bind(comment_id);
    for (;;) {
      auto more = q.step();
      if (!more) return more.error();
      if (!*more) break;
      d.audit.push_back(AuditEntry{q.int64(0), q.int64(1), q.text(2), q.text(3), q.is_null(4) ? 0 : q.int64(4),
                                   q.is_null(5) ? 0 : q.int64(5), q.text(6)});
    }
  }
  if (auto r = op->release(); !r) return r.error();
  return std::optional<CommentDetail>(std::move(d));
}

Result<std::optional<std::int64_t>> Store::find_comment(std::string_view account, std::string_view platform_id) {
  sqlite::Query q(impl_->find_comment, platform_id);
  q.bind(account).bind(platform_id);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(q.int64(0));
}

}  // namespace moderatord::store
