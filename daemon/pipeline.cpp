#include "daemon/pipeline.hpp"

#include <chrono>

#include "classifier/scanner.hpp"
#include "daemon/cli/json_writer.hpp"
#include "daemon/policy/reply_signals.hpp"
#include "daemon/reply_rules.hpp"
#include "daemon/store_call.hpp"

namespace moderatord::daemon {
namespace {

using classifier::Category;

std::string labels_csv(std::uint16_t labels) {
  std::string out;
  for (std::size_t c = 0; c < classifier::kLabelCount; ++c) {
    if (!((labels >> c) & 1U)) continue;
    if (!out.empty()) out += ',';
    out += classifier::to_string(static_cast<Category>(c));
  }
  return out;
}

std::string scores_json(const classifier::Verdict& v) {
  std::string out = "{";
  for (std::size_t c = 0; c < classifier::kCategoryCount; ++c) {
    if (v.scores[c] == 0) continue;
    if (out.size() > 1) out += ',';
    out += '"';
    out += classifier::to_string(static_cast<Category>(c));
    out += "\":";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v.scores[c]);
    out += buf;
  }
  return out + "}";
}

std::string matches_json(const classifier::Verdict& v, const classifier::RuleSet& rules) {
  std::string out = "[";
  for (const auto& m : v.matches) {
    if (out.size() > 1) out += ',';
    out += "{\"rule\":";
    append_json_string(out, rules.rules()[m.rule].id);
    out += ",\"category\":\"";
    out += classifier::to_string(m.category);
    out += "\",\"start\":" + std::to_string(m.span.begin) + ",\"end\":" + std::to_string(m.span.end) + "}";
  }
  return out + "]";
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

namespace {
// Everything of the escalation payload after the comment id, which the store assigns later.
std::string escalation_tail(const model::Comment& c, const classifier::RuleSet& rules, const classifier::Verdict& v,
                            const policy::Decision& d) {
  std::string p = ",\"account\":";
  append_json_string(p, c.account);
  p += ",\"platform\":";
  append_json_string(p, c.platform);
  p += ",\"platform_id\":";
  append_json_string(p, c.platform_id);
  p += ",\"url\":";
  append_json_string(p, c.url);
  p += ",\"author\":";
  append_json_string(p, c.author_name.empty() ? c.author_id : c.author_name);
  p += ",\"kind\":\"" + std::string(model::to_string(c.kind)) + "\",\"text\":";
  append_json_string(p, c.text);
  p += ",\"labels\":\"" + labels_csv(d.labels) + "\",\"action\":\"" + std::string(classifier::to_string(d.action)) +
       "\",\"reason\":";
  append_json_string(p, d.reason);
  p += ",\"scores\":" + scores_json(v) + ",\"matches\":" + matches_json(v, rules) + ",\"steps\":[";
  bool first = true;
  for (const auto& s : d.steps) {
    if (!s.on_platform) continue;
    if (!first) p += ',';
    first = false;
    p += "\"" + std::string(model::to_string(s.kind)) + "\"";
  }
  return p + "]}";
}

std::string escalation_head(std::int64_t comment_id) { return "{\"comment_id\":" + std::to_string(comment_id); }

// A comment classified and decided on the event loop, waiting for its id from the store.
struct Prepared {
  store::DecisionRecord record;            // comment_id filled in by the store job
  std::vector<std::string> payload_tails;  // per action: the escalation payload after its head, or ""
  std::uint16_t labels = 0;
  ReplyFacts reply;                        // for the reply rules (7.7.2, 7.8) and own-post checks
};
}  // namespace

std::string escalation_payload(std::int64_t comment_id, const model::Comment& c, const classifier::RuleSet& rules,
                               const classifier::Verdict& v, const policy::Decision& d) {
  return escalation_head(comment_id) + escalation_tail(c, rules, v, d);
}

Pipeline::Pipeline(store::StoreWriter& writer, const RuntimeHolder& runtime, Metrics& metrics,
                   std::function<void()> on_actions, std::function<void(std::int64_t)> on_sla_item)
    : writer_(writer), runtime_(runtime), metrics_(metrics), on_actions_(std::move(on_actions)),
      on_sla_item_(std::move(on_sla_item)) {}

boost::asio::awaitable<store::Result<IngestSummary>> Pipeline::submit(std::vector<model::Comment> comments) {
  // One snapshot for the whole delivery: a reload never changes rules in the middle of it.
  RuntimePtr rt = runtime_.get();
  // Classify and decide here, on the event loop (pure and bounded: microseconds a comment), so
  // that the store's single writer thread only writes. A repeat is classified for nothing, but
  // repeats are rare and cheap next to keeping the writer free.
  thread_local classifier::Scanner scanner;
  classifier::Verdict verdict;
  std::vector<Prepared> prepared(comments.size());
  for (std::size_t i = 0; i < comments.size(); ++i) {
    const model::Comment& c = comments[i];
    const auto account = rt->accounts.find(c.account);
    if (account == rt->accounts.end())
      co_return store::Result<IngestSummary>(store::StoreError{0, "comment for unknown account '" + c.account + "'"});
    if (c.deleted) continue;  // nothing to classify: the store job records the deletion
    const auto t0 = std::chrono::steady_clock::now();
    scanner.classify(*rt->rules, c.text, verdict);
    metrics_.observe_classification(std::chrono::steady_clock::now() - t0);
    const policy::Decision d =
        policy::decide(verdict, rt->rules->thresholds(), account->second.policy,
                       policy::capabilities_for(account->second.capabilities, c), c.kind);
    Prepared& p = prepared[i];
    store::DecisionRecord& rec = p.record;
    p.labels = d.labels;
    rec.verdict.rule_set_version = rt->rules->version();
    rec.verdict.labels = labels_csv(verdict.labels);
    rec.verdict.action = std::string(classifier::to_string(verdict.action));
    rec.verdict.needs_response = verdict.needs_response;
    rec.verdict.rhetorical = verdict.rhetorical;
    p.reply.signals = policy::reply_signals(verdict, *rt->rules, d);
    rec.verdict.negative = p.reply.signals.negative;
    // The own-post check (7.6.2) counts personal data the classifier labelled, located by the rules
    // that found it (not those that argued against, such as a public building's address).
    if (verdict.has_label(Category::personal_data))
      for (const auto& m : verdict.matches)
        if (m.category == Category::personal_data && rt->rules->rules()[m.rule].weight > 0)
          p.reply.personal_data_spans.push_back(m.span);
    rec.verdict.scores_json = scores_json(verdict);
    rec.verdict.matches_json = matches_json(verdict, *rt->rules);
    rec.decided_action = std::string(classifier::to_string(d.action));
    rec.reason = d.reason;
    for (const auto& step : d.steps) {
      store::PlannedAction a;
      a.kind = step.kind;
      if (step.on_platform) {
        a.executor = c.account;
        a.payload_json = "{\"platform_id\":";
        append_json_string(a.payload_json, c.platform_id);
        // The labels let a connector pick the platform's report category (Mastodon, Bluesky).
        a.payload_json += ",\"labels\":\"" + labels_csv(d.labels) + "\"}";
        p.payload_tails.emplace_back();
      } else {
        a.executor = "mail";
        p.payload_tails.push_back(escalation_tail(c, *rt->rules, verdict, d));
      }
      rec.actions.push_back(std::move(a));
    }
  }

  Metrics* metrics = &metrics_;
  auto job = [metrics, rt, comments = std::move(comments),
              prepared = std::move(prepared)](store::Store& s) mutable -> store::Result<IngestSummary> {
    IngestSummary summary;
    const std::int64_t now = now_ms();
    for (std::size_t i = 0; i < comments.size(); ++i) {
      const model::Comment& c = comments[i];
      if (c.deleted) {
        auto d = s.record_deletion(c.account, c.platform_id, now);
        if (!d) return d.error();
        ++summary.deleted;
        metrics->add("moderatord_comments_total", "platform=\"" + c.platform + "\",change=\"deleted\"");
        continue;
      }
      auto ingested = s.ingest_comment(c, now);
      if (!ingested) return ingested.error();
      const char* change = ingested->change == store::Change::inserted  ? "new"
                           : ingested->change == store::Change::updated ? "edited"
                                                                        : "repeated";
      metrics->add("moderatord_comments_total", "platform=\"" + c.platform + "\",change=\"" + change + "\"");
      if (ingested->change == store::Change::unchanged) {
        ++summary.unchanged;
        continue;
      }
      ++(ingested->change == store::Change::inserted ? summary.inserted : summary.updated);
      store::DecisionRecord& rec = prepared[i].record;
      rec.comment_id = ingested->comment_id;
      for (std::size_t a = 0; a < rec.actions.size(); ++a)
        if (!prepared[i].payload_tails[a].empty())
          rec.actions[a].payload_json = escalation_head(ingested->comment_id) + prepared[i].payload_tails[a];
      if (auto r = s.record_decision(rec, now); !r) return r.error();
      summary.actions += rec.actions.size();
      auto replies = apply_reply_rules(s, *rt, ingested->comment_id, c, prepared[i].reply,
                                       ingested->change == store::Change::inserted, now);
      if (!replies) return replies.error();
      summary.actions += replies->mails;
      if (replies->next_deadline != 0 && (summary.sla_next == 0 || replies->next_deadline < summary.sla_next))
        summary.sla_next = replies->next_deadline;
      for (std::size_t cat = 0; cat < classifier::kLabelCount; ++cat)
        if ((prepared[i].labels >> cat) & 1U)
          metrics->add("moderatord_verdicts_total",
                       "category=\"" + std::string(classifier::to_string(static_cast<Category>(cat))) + "\"");
      metrics->add("moderatord_decisions_total", "action=\"" + rec.decided_action + "\"");
    }
    return summary;
  };
  auto result = co_await store_call<IngestSummary>(writer_, std::move(job));
  if (!result) metrics_.add("moderatord_store_errors_total", "");
  if (result && result->actions > 0 && on_actions_) on_actions_();
  if (result && result->sla_next != 0 && on_sla_item_) on_sla_item_(result->sla_next);
  co_return result;
}

}  // namespace moderatord::daemon
