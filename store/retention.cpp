// Store: the retention purge. Residents' words are kept as long as the council needs them
// (daemon.retention_days), then removed; what the council did about them stays.
#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "store/store_impl.hpp"

namespace moderatord::store {
namespace {

// The payload left in an outbox row whose contents were removed: the mailer and `outbox retry`
// recognise it.
constexpr std::string_view kRedactedPayload = R"({"redacted":true})";

}  // namespace

std::string text_digest(std::string_view text) {
  // FNV-1a, 64 bits: stable across builds and machines (std::hash is not), and ample to tell a
  // redelivery of one comment from an edit of it.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  std::array<char, 17> buf{};
  std::snprintf(buf.data(), buf.size(), "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf.data(), 16);
}

bool is_redacted_payload(std::string_view payload_json) noexcept { return payload_json == kRedactedPayload; }

Result<Store::RedactionCounts> Store::redact_expired(std::int64_t cutoff_ms, std::int64_t now_ms, int limit) {
  StoreImpl& s = *impl_;
  auto op = OpScope::enter(s);
  if (!op) return op.error();
  RedactionCounts counts;

  struct Due {
    std::int64_t id;
    std::string digest;
  };
  std::vector<Due> due;
  {
    auto st = s.statement(
        "SELECT c.id, c.text FROM comments c WHERE c.redacted_at IS NULL AND c.received_at < ?1 "
        "AND c.kind NOT IN ('own_post', 'own_reply') "
        "AND NOT EXISTS (SELECT 1 FROM sla_items i WHERE i.comment_id = c.id AND i.state = 'open') "
        "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.comment_id = c.id AND o.state IN ('pending', 'in_flight')) "
        "ORDER BY c.received_at LIMIT ?2",
        "finding comments past retention");
    if (!st) return st.error();
    sqlite::Query q(**st);
    q.bind(cutoff_ms).bind(std::int64_t{limit});
    for (;;) {
      auto row = q.step();
      if (!row) return row.error();
      if (!*row) break;
      due.push_back({q.int64(0), text_digest(q.text(1))});
    }
  }
  for (const Due& d : due) {
    const std::string subject = std::to_string(d.id);
    auto st = s.statement(
        "UPDATE comments SET text = '', author_name = '', author_id = '', url = '', text_digest = ?2, "
        "redacted_at = ?3 WHERE id = ?1",
        "redacting comment");
    if (!st) return st.error();
    sqlite::Query q(**st, subject);
    q.bind(d.id).bind(d.digest).bind(now_ms);
    if (auto r = q.run(); !r) return r.error();
    auto items = s.statement("UPDATE sla_items SET tokens = '', author_id = '' WHERE comment_id = ?1",
                             "redacting the SLA item of comment");
    if (!items) return items.error();
    sqlite::Query qi(**items, subject);
    qi.bind(d.id);
    if (auto r = qi.run(); !r) return r.error();
  }
  counts.comments = static_cast<std::int64_t>(due.size());

  // The rest by age alone, each one statement. RETURNING counts what changed.
  auto count_rows = [&](std::string_view sql, const char* what, std::int64_t& n) -> Result<void> {
    auto st = s.statement(sql, what);
    if (!st) return st.error();
    sqlite::Query q(**st);
    q.bind(cutoff_ms);
    for (;;) {
      auto row = q.step();
      if (!row) return row.error();
      if (!*row) return {};
      ++n;
    }
  };
  if (auto r = count_rows("UPDATE outbox SET payload_json = '{\"redacted\":true}' WHERE created_at < ?1 "
                          "AND state IN ('done', 'dead') AND payload_json != '{\"redacted\":true}' RETURNING id",
                          "redacting finished outbox rows", counts.outbox);
      !r)
    return r.error();
  if (auto r = count_rows("UPDATE policy_events SET detail = '{}' WHERE at < ?1 AND detail != '{}' RETURNING id",
                          "redacting policy events", counts.policy_events);
      !r)
    return r.error();
  if (auto r = count_rows("DELETE FROM threads_replies WHERE replied_at < ?1 RETURNING id",
                          "forgetting council replies", counts.council_replies);
      !r)
    return r.error();

  if (counts.comments + counts.outbox + counts.policy_events + counts.council_replies > 0) {
    const std::string detail = std::to_string(counts.comments) + " comment(s), " + std::to_string(counts.outbox) +
                               " outbox row(s), " + std::to_string(counts.policy_events) + " policy event(s), " +
                               std::to_string(counts.council_replies) + " council reply record(s) before " +
                               std::to_string(cutoff_ms);
    if (auto r = s.audit(now_ms, "moderatord", "retention.redact", 0, 0, detail); !r) return r.error();
  }
  if (auto r = op->release(); !r) return r.error();
  return counts;
}

}  // namespace moderatord::store
