#pragma once
// What the clerk's daily report reads (daemon/report/): plain rows for a time window, no figures;
// the report computes those itself (pure, tested on fixtures). A ReportReader is its own read-only
// connection, so the report never waits for, or holds up, the daemon's writer; all reads of one
// report run in one read transaction (begin()/end()) and see one snapshot.
//
// Threading: not thread-safe; used by one thread (the blocking pool for the email, the CLI).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace moderatord::store {

// An outbox action count for comments of one account: kind (hide, remove, report, escalate) and
// the labels of the verdict that led to it ("" when it was an uncertain case).
struct ActionCount {
  std::string kind;
  std::string labels;  // comma-separated
  std::int64_t count = 0;
};

// An SLA item with what the report shows of its comment.
struct SlaFact {
  std::int64_t comment_id = 0;
  std::string platform_id, url, author, text;
  std::string kind;       // reply | message | offer_offline
  std::string state;      // open | closed | exempt
  std::string exemption;  // rhetorical | repeat | breach | ""
  std::int64_t opened_at = 0;
  std::int64_t due_at = 0;       // 0 when exempt
  std::int64_t closed_at = 0;    // 0 while open
  std::int64_t response_ms = -1; // -1 while open or when exempt
  std::int64_t lateness_ms = 0;
};

struct PolicyEventFact {
  std::string kind;  // one_reply_violation | own_post_alert | sla_breach
  std::int64_t at = 0;
  std::int64_t comment_id = 0;
  std::string url;
  std::string detail;  // JSON
};

struct DeadLetterFact {
  std::int64_t id = 0;
  std::string executor;
  std::string kind;
  std::int64_t comment_id = 0;
  std::string last_error;
  std::int64_t updated_at = 0;  // when it died
};

class ReportReader {
 public:
  static Result<ReportReader> open(const std::filesystem::path& database);
  ReportReader(ReportReader&&) noexcept;
  ReportReader& operator=(ReportReader&&) noexcept;
  ~ReportReader();

  // One snapshot for every read between them.
  Result<void> begin();
  void end() noexcept;

  // Accounts that have ever had a comment, by id.
  Result<std::vector<std::string>> accounts();
  // Comments first received in [from_ms, to_ms).
  Result<std::int64_t> comments_received(const std::string& account, std::int64_t from_ms, std::int64_t to_ms);
  // Outbox rows written with decisions in [from_ms, to_ms), by kind and verdict labels.
  Result<std::vector<ActionCount>> actions(const std::string& account, std::int64_t from_ms, std::int64_t to_ms);
  // Items opened, due or closed in [from_ms, to_ms), oldest first.
  Result<std::vector<SlaFact>> sla_items(const std::string& account, std::int64_t from_ms, std::int64_t to_ms);
  Result<std::vector<PolicyEventFact>> policy_events(const std::string& account, std::int64_t from_ms,
                                                      std::int64_t to_ms);
  // The SLA item of a comment, if it has one (the escalation email's "SLA state").
  Result<std::optional<SlaFact>> sla_item_for_comment(std::int64_t comment_id);
  // Every dead letter now (any executor), newest first.
  Result<std::vector<DeadLetterFact>> dead_letters();

 private:
  struct Impl;
  explicit ReportReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace moderatord::store
