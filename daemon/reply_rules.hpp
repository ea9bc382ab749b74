#pragma once
// Wires the pure policy engine (daemon/policy/sla_engine.hpp, own_post_checks.hpp) to the store:
// for one comment just stored, load what the engine needs, call it, write what it says. Runs on
// the store's writer thread inside the ingest job, so a comment, its decision and its SLA item
// commit together or not at all.
#include <cstdint>
#include <optional>
#include <vector>

#include "classifier/normaliser.hpp"
#include "daemon/policy/sla_engine.hpp"
#include "daemon/runtime.hpp"
#include "model/comment.hpp"
#include "store/store.hpp"

namespace moderatord::daemon {

// What the event loop worked out from the verdict, for the store job.
struct ReplyFacts {
  policy::ReplySignals signals;
  std::vector<classifier::Span> personal_data_spans;  // for the own-post check (7.6.2)
};

struct ReplyRulesSummary {
  std::size_t mails = 0;              // outbox rows written (offer-offline notices, own-post alerts)
  std::int64_t next_deadline = 0;     // the new item's reminder time (unix ms), 0 when none opened
};

// `first_time`: the comment is new (not an edit): replies are counted and items opened once.
store::Result<ReplyRulesSummary> apply_reply_rules(store::Store& s, const Runtime& rt, std::int64_t comment_id,
                                                   const model::Comment& c, const ReplyFacts& facts, bool first_time,
                                                   std::int64_t now_ms);

// When the resident posted: the platform's time if it is plausible, else when we received it.
std::int64_t posted_at_ms(const model::Comment& c, std::int64_t now_ms);

// The payload of an email about an open item: "offer_offline" when one opens (7.8.3), and
// "sla_reminder" from the timer before it is due (sla_timer.cpp). `wording`: the offer-offline
// template, included for offer_offline items.
std::string sla_item_payload(std::string_view type, const store::SlaItemRow& item, const model::Comment& c,
                             std::string_view wording, std::int64_t now_ms);

}  // namespace moderatord::daemon
