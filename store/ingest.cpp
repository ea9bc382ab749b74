// Store: comments in, decisions (with their outbox rows) recorded.
#include <string>

#include "store/store_impl.hpp"

namespace moderatord::store {

Result<IngestOutcome> Store::ingest_comment(const model::Comment& c, std::int64_t now_ms) {
  StoreImpl& s = *impl_;
  // Names the comment in errors. Never the text or the author: errors end up in logs.
  const std::string subject = c.account + "/" + c.platform_id;
  auto op = OpScope::enter(s);
  if (!op) return op.error();

  if (!s.known_accounts.count(c.account) && !s.pending_accounts.count(c.account)) {
    sqlite::Query q(s.upsert_account, subject);
    q.bind(c.account).bind(c.platform).bind(now_ms);
    if (auto r = q.run(); !r) return r.error();
    if (s.db.in_transaction()) s.pending_accounts.insert(c.account);
  }

  IngestOutcome out;
  std::int64_t revision = 1;
  {
    sqlite::Query q(s.find_for_ingest, subject);
    q.bind(c.account).bind(c.platform_id);
    auto row = q.step();
    if (!row) return row.error();
    if (*row) {
      out.comment_id = q.int64(0);
      // Platforms redeliver (webhook retries, overlapping polls): the same text is the same comment,
      // and nothing is written, not even to the audit log. A comment redacted after the retention
      // period has only the digest of its text to compare (retention.cpp).
      const bool redacted = q.int64(3) != 0;
      if (redacted ? text_digest(c.text) == q.text(4) : q.text(1) == c.text) {
        out.change = Change::unchanged;
        return out;  // the OpScope rolls back nothing but the account upsert, which was a no-op
      }
      out.change = Change::updated;
    }
  }

  const std::string_view kind = model::to_string(c.kind);
  if (out.change == Change::inserted) {
    sqlite::Query q(s.insert_comment, subject);
    q.bind(c.account).bind(c.platform).bind(c.platform_id).bind(c.thread_id).bind(c.parent_id).bind(c.author_id);
    q.bind(c.author_name).bind(c.text).bind(c.url).bind(kind).bind(c.created_at).bind(now_ms);
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return q.error("no id returned");
    out.comment_id = q.int64(0);
  } else {
    // An edit: everything the platform sends now replaces what it sent before (received_at stays
    // when we first saw it), and the new text is classified again under a new revision.
    sqlite::Query q(s.update_comment, subject);
    q.bind(out.comment_id).bind(c.platform).bind(c.thread_id).bind(c.parent_id).bind(c.author_id);
    q.bind(c.author_name).bind(c.text).bind(c.url).bind(kind).bind(c.created_at).bind(now_ms);
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return q.error("vanished while being updated");
    revision = q.int64(0);
  }

  const bool inserted = out.change == Change::inserted;
  if (auto r = s.audit(now_ms, c.account, inserted ? "ingest" : "edit", out.comment_id, 0,
                       c.platform_id + " revision " + std::to_string(revision));
      !r)
    return r.error();
  if (auto r = op->release(); !r) return r.error();
  return out;
}

Result<std::vector<std::int64_t>> Store::record_decision(const DecisionRecord& d, std::int64_t now_ms) {
  StoreImpl& s = *impl_;
  const std::string subject = std::to_string(d.comment_id);
  auto op = OpScope::enter(s);
  if (!op) return op.error();

  // The verdict is about the text as it is now: a later edit makes a new revision and a new verdict.
  std::int64_t revision = 0;
  {
    sqlite::Query q(s.comment_revision, subject);
    q.bind(d.comment_id);
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return q.error("no such comment");
    revision = q.int64(0);
  }

  std::int64_t verdict_id = 0;
  {
    const VerdictRecord& v = d.verdict;
    sqlite::Query q(s.insert_verdict, subject);
    q.bind(d.comment_id).bind(revision).bind(v.rule_set_version).bind(v.labels).bind(v.action);
    q.bind(std::int64_t{v.needs_response}).bind(std::int64_t{v.rhetorical}).bind(v.scores_json).bind(v.matches_json);
    q.bind(now_ms).bind(std::int64_t{v.negative});
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return q.error("no id returned");
    verdict_id = q.int64(0);
  }

  std::int64_t decision_id = 0;
  {
    sqlite::Query q(s.insert_decision, subject);
    q.bind(d.comment_id).bind(verdict_id).bind(d.decided_action).bind(d.reason).bind(d.actor).bind(now_ms);
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return q.error("no id returned");
    decision_id = q.int64(0);
  }

  std::vector<std::int64_t> ids;
  ids.reserve(d.actions.size());
  for (const PlannedAction& a : d.actions) {
    sqlite::Query q(s.insert_outbox, subject);
    q.bind(d.comment_id).bind(decision_id).bind(model::to_string(a.kind)).bind(a.executor).bind(a.payload_json);
    q.bind(now_ms);
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return q.error("no id returned");
    ids.push_back(q.int64(0));
  }

  std::string detail = d.decided_action + ": " + d.reason;
  if (!ids.empty()) detail += " (" + std::to_string(ids.size()) + " action(s) queued)";
  if (auto r = s.audit(now_ms, d.actor, "decide", d.comment_id, 0, detail); !r) return r.error();
  if (auto r = op->release(); !r) return r.error();
  return ids;
}

}  // namespace moderatord::store
