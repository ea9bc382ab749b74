// Store: the policy engine's tables (schema 2). The rules live in daemon/policy/sla_engine.*; this
// file only reads and writes rows. Statements are prepared on first use (StoreImpl::statement).
#include <string>

#include "store/store_impl.hpp"

namespace moderatord::store {
namespace {

constexpr const char* kItemColumns =
    "id, comment_id, account, thread_id, author_id, kind, state, coalesce(exemption, ''), coalesce(repeat_of, 0), "
    "coalesce(similarity, 0), tokens, opened_at, coalesce(due_at, 0), coalesce(platform_due_at, 0), "
    "coalesce(remind_at, 0), coalesce(reminded_at, 0), coalesce(breached_at, 0), coalesce(closed_at, 0), "
    "coalesce(closed_by, ''), coalesce(close_reason, ''), coalesce(response_ms, 0), coalesce(lateness_ms, 0)";

SlaItemRow read_item(const sqlite::Query& q) {
  SlaItemRow r;
  r.id = q.int64(0);
  r.comment_id = q.int64(1);
  r.account = q.text(2);
  r.thread_id = q.text(3);
  r.author_id = q.text(4);
  r.kind = q.text(5);
  r.state = q.text(6);
  r.exemption = q.text(7);
  r.repeat_of = q.int64(8);
  r.similarity = q.real(9);
  r.tokens = q.text(10);
  r.opened_at = q.int64(11);
  r.due_at = q.int64(12);
  r.platform_due_at = q.int64(13);
  r.remind_at = q.int64(14);
  r.reminded_at = q.int64(15);
  r.breached_at = q.int64(16);
  r.closed_at = q.int64(17);
  r.closed_by = q.text(18);
  r.close_reason = q.text(19);
  r.response_ms = q.int64(20);
  r.lateness_ms = q.int64(21);
  return r;
}

Result<std::vector<SlaItemRow>> read_items(sqlite::Query& q) {
  std::vector<SlaItemRow> out;
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(read_item(q));
  }
}

Result<std::optional<SlaItemRow>> read_one(sqlite::Query& q) {
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return std::optional<SlaItemRow>();
  return std::optional<SlaItemRow>(read_item(q));
}

// Binds 0 as NULL: the nullable columns mean "not yet" or "none" by NULL.
sqlite::Query& bind_opt(sqlite::Query& q, std::int64_t v) { return v == 0 ? q.bind_null() : q.bind(v); }

std::string item_select(const char* where_and_order) {
  return std::string("SELECT ") + kItemColumns + " FROM sla_items " + where_and_order;
}

}  // namespace

Result<std::int64_t> Store::enqueue_outbox(std::int64_t comment_id, model::ActionKind kind, std::string_view executor,
                                           std::string_view payload_json, std::int64_t now_ms) {
  StoreImpl& s = *impl_;
  sqlite::Query q(s.insert_outbox, executor);
  q.bind_id(comment_id).bind_null().bind(model::to_string(kind)).bind(executor).bind(payload_json).bind(now_ms);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return q.error("no id returned");
  return q.int64(0);
}

Result<std::int64_t> Store::insert_sla_item(const SlaItemRow& it, std::int64_t now_ms) {
  StoreImpl& s = *impl_;
  auto st = s.statement(
      "INSERT INTO sla_items (comment_id, account, thread_id, author_id, kind, state, exemption, repeat_of, "
      "similarity, tokens, opened_at, due_at, platform_due_at, remind_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
      "ON CONFLICT (comment_id) DO NOTHING RETURNING id",
      "recording the SLA item of comment");
  if (!st) return st.error();
  const std::string subject = std::to_string(it.comment_id);
  sqlite::Query q(**st, subject);
  q.bind(it.comment_id).bind(it.account).bind(it.thread_id).bind(it.author_id).bind(it.kind).bind(it.state);
  if (it.exemption.empty()) q.bind_null(); else q.bind(it.exemption);
  bind_opt(q, it.repeat_of);
  if (it.exemption == "repeat") q.bind_real(it.similarity); else q.bind_null();
  q.bind(it.tokens).bind(it.opened_at);
  bind_opt(q, it.due_at);
  bind_opt(q, it.platform_due_at);
  bind_opt(q, it.remind_at);
  auto row = q.step();
  if (!row) return row.error();
  // An edit of a comment that already has its item keeps the first one: the resident has been
  // waiting since the first version.
  if (!*row) return std::int64_t{0};
  const std::int64_t id = q.int64(0);
  const std::string detail = it.state == "exempt" ? "exempt: " + it.exemption : it.kind + " due " + std::to_string(it.due_at);
  if (auto r = s.audit(now_ms, "moderatord", "sla.open", it.comment_id, 0, detail); !r) return r.error();
  return id;
}

Result<std::optional<SlaItemRow>> Store::sla_item(std::int64_t id) {
  auto st = impl_->statement(item_select("WHERE id = ?1"), "reading SLA item");
  if (!st) return st.error();
  sqlite::Query q(**st);
  q.bind(id);
  return read_one(q);
}

Result<std::optional<SlaItemRow>> Store::sla_item_for_comment(std::int64_t comment_id) {
  auto st = impl_->statement(item_select("WHERE comment_id = ?1"), "reading the SLA item of a comment");
  if (!st) return st.error();
  sqlite::Query q(**st);
  q.bind(comment_id);
  return read_one(q);
}

Result<std::vector<SlaItemRow>> Store::answered_sla_items(std::string_view account, std::int64_t since_ms) {
  auto st = impl_->statement(
      item_select("WHERE account = ?1 AND opened_at >= ?2 AND tokens <> '' AND "
                  "(state = 'closed' OR exemption = 'repeat') ORDER BY opened_at, id"),
      "reading answered SLA items");
  if (!st) return st.error();
  sqlite::Query q(**st, account);
  q.bind(account).bind(since_ms);
  return read_items(q);
}

Result<std::vector<SlaItemRow>> Store::open_sla_items_in_thread(std::string_view account, std::string_view thread_id) {
  auto st = impl_->statement(
      item_select("WHERE account = ?1 AND thread_id = ?2 AND state = 'open' ORDER BY opened_at, id"),
      "reading the open SLA items of a thread");
  if (!st) return st.error();
  sqlite::Query q(**st, thread_id);
  q.bind(account).bind(thread_id);
  return read_items(q);
}

Result<std::vector<SlaItemRow>> Store::open_sla_items() {
  auto st = impl_->statement(item_select("WHERE state = 'open' ORDER BY due_at, id"), "reading open SLA items");
  if (!st) return st.error();
  sqlite::Query q(**st);
  return read_items(q);
}

Result<std::vector<SlaItemRow>> Store::sla_items_to_sweep() {
  auto st = impl_->statement(
      item_select("WHERE state = 'open' AND (reminded_at IS NULL OR breached_at IS NULL) ORDER BY due_at, id"),
      "reading the SLA items to sweep");
  if (!st) return st.error();
  sqlite::Query q(**st);
  return read_items(q);
}

Result<void> Store::extend_sla_item(std::int64_t id, std::int64_t due_at, std::int64_t platform_due_at,
                                    std::int64_t remind_at) {
  auto st = impl_->statement(
      "UPDATE sla_items SET due_at = ?2, platform_due_at = ?3, remind_at = ?4, "
      "reminded_at = CASE WHEN ?4 > coalesce(reminded_at, 0) THEN NULL ELSE reminded_at END "
      "WHERE id = ?1 AND state = 'open'",
      "moving the due time of SLA item");
  if (!st) return st.error();
  const std::string subject = std::to_string(id);
  sqlite::Query q(**st, subject);
  q.bind(id).bind(due_at);
  bind_opt(q, platform_due_at);
  q.bind(remind_at);
  return q.run();
}

Result<bool> Store::close_sla_item(std::int64_t id, std::int64_t closed_at, std::string_view closed_by,
                                   std::string_view reason, std::int64_t response_ms, std::int64_t lateness_ms,
                                   std::string_view actor) {
  StoreImpl& s = *impl_;
  auto st = s.statement(
      "UPDATE sla_items SET state = 'closed', closed_at = ?2, closed_by = ?3, close_reason = ?4, response_ms = ?5, "
      "lateness_ms = ?6 WHERE id = ?1 AND state = 'open' RETURNING comment_id",
      "closing SLA item");
  if (!st) return st.error();
  const std::string subject = std::to_string(id);
  sqlite::Query q(**st, subject);
  q.bind(id).bind(closed_at).bind(closed_by).bind(reason).bind(response_ms).bind(lateness_ms);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return false;
  const std::int64_t comment_id = q.int64(0);
  std::string detail = "item " + subject + " closed by " + std::string(closed_by);
  if (!reason.empty()) detail += ": " + std::string(reason);
  if (lateness_ms > 0) detail += " (" + std::to_string(lateness_ms / 60000) + " min late)";
  if (auto r = s.audit(closed_at, actor, "sla.close", comment_id, 0, detail); !r) return r.error();
  return true;
}

Result<void> Store::mark_sla_reminded(std::int64_t id, std::int64_t at) {
  auto st = impl_->statement("UPDATE sla_items SET reminded_at = ?2 WHERE id = ?1", "marking SLA item reminded");
  if (!st) return st.error();
  const std::string subject = std::to_string(id);
  sqlite::Query q(**st, subject);
  q.bind(id).bind(at);
  return q.run();
}

Result<void> Store::mark_sla_breached(std::int64_t id, std::int64_t at) {
  StoreImpl& s = *impl_;
  auto st = s.statement(
      "UPDATE sla_items SET breached_at = ?2 WHERE id = ?1 AND state = 'open' AND breached_at IS NULL "
      "RETURNING comment_id, account, due_at",
      "recording the SLA breach of item");
  if (!st) return st.error();
  const std::string subject = std::to_string(id);
  sqlite::Query q(**st, subject);
  q.bind(id).bind(at);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return {};
  const std::int64_t comment_id = q.int64(0);
  const std::string account = q.text(1);
  const std::int64_t due_at = q.int64(2);
  const std::string detail = "{\"sla_item_id\":" + subject + ",\"due_at\":" + std::to_string(due_at) + "}";
  if (auto r = add_policy_event(account, "sla_breach", comment_id, detail, at); !r) return r.error();
  return s.audit(at, "moderatord", "sla.breach", comment_id, 0, "item " + subject + " not answered by its due time");
}

Result<std::vector<SlaItemRow>> Store::list_sla_items(std::string_view state, int limit) {
  auto st = impl_->statement(
      item_select("WHERE (?1 = '' OR state = ?1) ORDER BY opened_at DESC, id DESC LIMIT ?2"),
      "listing SLA items");
  if (!st) return st.error();
  sqlite::Query q(**st);
  q.bind(state).bind(std::int64_t{limit});
  return read_items(q);
}

Result<int> Store::council_replies_to(std::string_view account, std::string_view thread_id,
                                      std::string_view commenter_id) {
  auto st = impl_->statement(
      "SELECT count(*) FROM threads_replies WHERE account = ?1 AND thread_id = ?2 AND commenter_id = ?3",
      "counting the council's replies in thread");
  if (!st) return st.error();
  sqlite::Query q(**st, thread_id);
  q.bind(account).bind(thread_id).bind(commenter_id);
  auto row = q.step();
  if (!row) return row.error();
  return *row ? q.int32(0) : 0;
}

Result<void> Store::record_council_reply(std::string_view account, std::string_view thread_id,
                                         std::string_view commenter_id, std::int64_t council_comment_id,
                                         std::int64_t at) {
  auto st = impl_->statement(
      "INSERT INTO threads_replies (account, thread_id, commenter_id, council_comment_id, replied_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (council_comment_id) DO NOTHING",
      "recording the council's reply in thread");
  if (!st) return st.error();
  sqlite::Query q(**st, thread_id);
  q.bind(account).bind(thread_id).bind(commenter_id).bind(council_comment_id).bind(at);
  return q.run();
}

Result<std::optional<ReplyTarget>> Store::reply_target(std::string_view account, std::string_view platform_id) {
  auto st = impl_->statement(
      "SELECT c.id, c.author_id, c.kind, coalesce((SELECT v.negative FROM verdicts v WHERE v.comment_id = c.id "
      "ORDER BY v.id DESC LIMIT 1), 0) FROM comments c WHERE c.account = ?1 AND c.platform_id = ?2",
      "finding the comment a reply answers");
  if (!st) return st.error();
  sqlite::Query q(**st, platform_id);
  q.bind(account).bind(platform_id);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return std::optional<ReplyTarget>();
  return std::optional<ReplyTarget>(ReplyTarget{q.int64(0), q.text(1), q.text(2), q.int64(3) != 0});
}

Result<void> Store::add_policy_event(std::string_view account, std::string_view kind, std::int64_t comment_id,
                                     std::string_view detail_json, std::int64_t at) {
  auto st = impl_->statement(
      "INSERT INTO policy_events (at, account, kind, comment_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
      "recording a policy event");
  if (!st) return st.error();
  sqlite::Query q(**st, kind);
  q.bind(at).bind(account).bind(kind).bind_id(comment_id).bind(detail_json);
  return q.run();
}

Result<Store::DeletionOutcome> Store::record_deletion(std::string_view account, std::string_view platform_id,
                                                      std::int64_t now_ms) {
  StoreImpl& s = *impl_;
  const std::string subject = std::string(account) + "/" + std::string(platform_id);
  auto op = OpScope::enter(s);
  if (!op) return op.error();
  DeletionOutcome out;
  auto id = find_comment(account, platform_id);
  if (!id) return id.error();
  if (!*id) return out;  // never seen (deleted before we read it): nothing owed
  out.known = true;
  {
    auto st = s.statement("UPDATE comments SET deleted_at = coalesce(deleted_at, ?2) WHERE id = ?1",
                          "marking comment deleted");
    if (!st) return st.error();
    sqlite::Query q(**st, subject);
    q.bind(**id).bind(now_ms);
    if (auto r = q.run(); !r) return r.error();
  }
  {
    // An item not yet breached is never due now; a breach already recorded keeps its due time.
    auto st = s.statement(
        "UPDATE sla_items SET state = 'exempt', exemption = 'deleted', "
        "due_at = CASE WHEN breached_at IS NULL THEN NULL ELSE due_at END, "
        "remind_at = CASE WHEN breached_at IS NULL THEN NULL ELSE remind_at END "
        "WHERE comment_id = ?1 AND state = 'open' RETURNING id",
        "exempting the SLA item of deleted comment");
    if (!st) return st.error();
    sqlite::Query q(**st, subject);
    q.bind(**id);
    for (;;) {
      auto row = q.step();
      if (!row) return row.error();
      if (!*row) break;
      ++out.exempted;
    }
  }
  const std::string detail = std::string(platform_id) + " deleted on the platform" +
                             (out.exempted > 0 ? "; its SLA item is exempt (deleted)" : "");
  if (auto r = s.audit(now_ms, account, "deleted", **id, 0, detail); !r) return r.error();
  if (auto r = op->release(); !r) return r.error();
  return out;
}

}  // namespace moderatord::store
