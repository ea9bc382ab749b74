#pragma once
// Rows of the policy engine's tables (schema 2): SLA items, the council's replies for 7.8.3, and
// policy events for the clerk's report. Plain data; the engine's own types live in
// daemon/policy/sla_engine.hpp, and the daemon converts between the two.
#include <cstdint>
#include <optional>
#include <string>

namespace moderatord::store {

struct SlaItemRow {
  std::int64_t id = 0;
  std::int64_t comment_id = 0;
  std::string account, thread_id, author_id;
  std::string kind;       // reply | message | offer_offline
  std::string state;      // open | closed | exempt
  std::string exemption;  // "" | rhetorical | repeat | breach
  std::int64_t repeat_of = 0;
  double similarity = 0;
  std::string tokens;
  std::int64_t opened_at = 0, due_at = 0, platform_due_at = 0, remind_at = 0;
  std::int64_t reminded_at = 0, breached_at = 0, closed_at = 0;  // 0: not yet
  std::string closed_by, close_reason;
  std::int64_t response_ms = 0, lateness_ms = 0;
};

// The comment a council reply answers.
struct ReplyTarget {
  std::int64_t comment_id = 0;
  std::string author_id;
  std::string kind;       // its CommentKind
  bool negative = false;  // from its latest verdict
};

}  // namespace moderatord::store
