// Outbox rows the mailer adds by itself: digests of non-urgent emails and the daily report. Both
// live in the outbox table like every other email, so a restart loses neither; membership of a
// digest is its row's payload ("items"), written in the same transaction that finds or creates it.
//
//   non-urgent row R (in_flight) ── add_to_mail_digest ──► digest row D (pending, due at the next
//        │ marked done by the worker                       interval boundary), items += R
//        ▼                                                 ── claimed when due ──► one email
//   a crash between the two: R is claimed again, finds itself in D and is not added twice.
#include "store/store_impl.hpp"

namespace moderatord::store {
namespace {

Result<sqlite::Statement> prepare(StoreImpl& s, std::string_view sql, std::string_view what) {
  return sqlite::Statement::prepare(s.db.get(), sql, what);
}

}  // namespace

Result<std::int64_t> Store::add_to_mail_digest(std::int64_t member_id, std::string_view group,
                                               std::string_view member_payload_json, std::int64_t due_at_ms,
                                               std::int64_t now_ms) {
  StoreImpl& s = *impl_;
  const std::string subject = std::to_string(member_id);
  auto op = OpScope::enter(s);
  if (!op) return op.error();
  // Already in a digest (a retry after a crash)? Only digests created since the member can hold it.
  {
    auto st = prepare(s,
                      "SELECT d.id FROM outbox d, outbox m WHERE m.id = ?1 AND d.executor = 'mail' "
                      "AND d.created_at >= m.created_at AND json_extract(d.payload_json, '$.type') = 'digest' "
                      "AND EXISTS (SELECT 1 FROM json_each(d.payload_json, '$.items') i "
                      "WHERE json_extract(i.value, '$.outbox_id') = ?1) LIMIT 1",
                      "looking for the digest of mail");
    if (!st) return st.error();
    sqlite::Query q(*st, subject);
    q.bind(member_id);
    auto row = q.step();
    if (!row) return row.error();
    if (*row) {
      const std::int64_t id = q.int64(0);
      if (auto r = op->release(); !r) return r.error();
      return id;
    }
  }
  std::int64_t digest = 0;
  {
    // The group's digest that has not been claimed yet (pending, whether due or not).
    auto st = prepare(s,
                      "SELECT id FROM outbox WHERE executor = 'mail' AND state = 'pending' "
                      "AND json_extract(payload_json, '$.type') = 'digest' AND json_extract(payload_json, '$.to') = ?1 "
                      "ORDER BY id LIMIT 1",
                      "looking for the pending digest of");
    if (!st) return st.error();
    sqlite::Query q(*st, group);
    q.bind(group);
    auto row = q.step();
    if (!row) return row.error();
    if (*row) digest = q.int64(0);
  }
  if (digest == 0) {
    auto st = prepare(s,
                      "INSERT INTO outbox (comment_id, decision_id, kind, executor, payload_json, state, attempts, "
                      "next_attempt_at, last_error, created_at, updated_at) "
                      "VALUES (NULL, NULL, 'escalate', 'mail', json_object('type', 'digest', 'to', ?1, 'items', "
                      "json_array()), 'pending', 0, ?2, '', ?3, ?3) RETURNING id",
                      "creating the digest of");
    if (!st) return st.error();
    sqlite::Query q(*st, group);
    q.bind(group).bind(due_at_ms).bind(now_ms);
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return q.error("no id returned");
    digest = q.int64(0);
  }
  {
    auto st = prepare(s,
                      "UPDATE outbox SET payload_json = json_insert(payload_json, '$.items[#]', "
                      "json_set(json(?2), '$.outbox_id', ?3)), updated_at = ?4 WHERE id = ?1",
                      "adding to the digest mail");
    if (!st) return st.error();
    sqlite::Query q(*st, subject);
    q.bind(digest).bind(member_payload_json).bind(member_id).bind(now_ms);
    if (auto r = q.run(); !r) return r.error();
  }
  if (auto r = s.audit(now_ms, "moderatord", "mail.digest", 0, member_id,
                       "waits in digest #" + std::to_string(digest) + " for " + std::string(group));
      !r)
    return r.error();
  if (auto r = op->release(); !r) return r.error();
  return digest;
}

Result<bool> Store::enqueue_mail_once(std::string_view key, std::string_view payload_json, std::int64_t now_ms) {
  StoreImpl& s = *impl_;
  const std::string subject(key);
  auto op = OpScope::enter(s);
  if (!op) return op.error();
  {
    auto st = prepare(s,
                      "SELECT 1 FROM outbox WHERE executor = 'mail' AND json_extract(payload_json, '$.key') = ?1 LIMIT 1",
                      "looking for the mail");
    if (!st) return st.error();
    sqlite::Query q(*st, subject);
    q.bind(key);
    auto row = q.step();
    if (!row) return row.error();
    if (*row) {
      if (auto r = op->release(); !r) return r.error();
      return false;
    }
  }
  {
    auto st = prepare(s,
                      "INSERT INTO outbox (comment_id, decision_id, kind, executor, payload_json, state, attempts, "
                      "next_attempt_at, last_error, created_at, updated_at) "
                      "VALUES (NULL, NULL, 'escalate', 'mail', json_set(json(?1), '$.key', ?2), 'pending', 0, ?3, '', ?3, ?3)",
                      "enqueueing the mail");
    if (!st) return st.error();
    sqlite::Query q(*st, subject);
    q.bind(payload_json).bind(key).bind(now_ms);
    if (auto r = q.run(); !r) return r.error();
  }
  if (auto r = op->release(); !r) return r.error();
  return true;
}

}  // namespace moderatord::store
