#pragma once
// Comments in, durable decisions out. One store job per delivery does, in the writer's next
// transaction: ingest (dedupe by account + platform id) → classify (new or edited text only) →
// decide → verdict, decision and outbox rows. So a comment is never stored without its decision,
// and a delivery is acknowledged only once all of it is committed.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <vector>

#include "daemon/metrics.hpp"
#include "daemon/runtime.hpp"
#include "model/comment.hpp"
#include "store/store_writer.hpp"

namespace moderatord::daemon {

struct IngestSummary {
  std::size_t inserted = 0, updated = 0, unchanged = 0;
  std::size_t deleted = 0;  // deletions the platform reported (Comment::deleted)
  std::size_t actions = 0;  // outbox rows written
  std::int64_t sla_next = 0;  // the earliest reminder time of SLA items opened (unix ms), 0: none
};

class Pipeline {
 public:
  // `on_actions` is called on the caller's executor after a commit that wrote outbox rows;
  // `on_sla_item` after one that opened SLA items, with the earliest reminder time (unix ms).
  Pipeline(store::StoreWriter& writer, const RuntimeHolder& runtime, Metrics& metrics, std::function<void()> on_actions,
           std::function<void(std::int64_t)> on_sla_item = {});

  // Stores, classifies and decides `comments`; resumes on the caller's executor once committed.
  // An error means nothing of the delivery was stored (answer 503 so that the platform retries).
  boost::asio::awaitable<store::Result<IngestSummary>> submit(std::vector<model::Comment> comments);

 private:
  store::StoreWriter& writer_;
  const RuntimeHolder& runtime_;
  Metrics& metrics_;
  std::function<void()> on_actions_;
  std::function<void(std::int64_t)> on_sla_item_;
};

// The escalation email's content, rendered at decision time into the outbox payload so that the
// email says what was true when the decision was made.
std::string escalation_payload(std::int64_t comment_id, const model::Comment& c, const classifier::RuleSet& rules,
                               const classifier::Verdict& v, const policy::Decision& d);

}  // namespace moderatord::daemon
