#include "daemon/metrics.hpp"

#include <cstdio>

namespace moderatord::daemon {
namespace {

// HELP and TYPE lines for the counters we emit, so that every name is documented in the output.
struct CounterInfo {
  const char* name;
  const char* help;
};
constexpr CounterInfo kCounters[] = {
    {"moderatord_comments_total", "Comments received, by platform and whether new, edited, repeated or deleted."},
    {"moderatord_verdicts_total", "Comments labelled, by category (a comment may carry several)."},
    {"moderatord_decisions_total", "Decisions, by resulting action."},
    {"moderatord_actions_total", "Outbox actions executed, by kind and outcome."},
    {"moderatord_http_responses_total", "HTTP responses, by status code."},
    {"moderatord_webhook_rejections_total", "Webhook deliveries refused, by account and reason."},
    {"moderatord_store_errors_total", "Store batches or jobs that failed."},
    {"moderatord_reloads_total", "Reloads, by result."},
    {"moderatord_retention_redacted_total", "Residents' comments redacted after daemon.retention_days."},
};

}  // namespace

void Metrics::add(std::string_view name, std::string_view labels, std::uint64_t n) {
  std::string key(name);
  key += '{';
  key += labels;
  key += '}';
  std::lock_guard lock(mutex_);
  counters_[key] += n;
}

void Metrics::observe_classification(std::chrono::nanoseconds d) {
  const double s = std::chrono::duration<double>(d).count();
  std::size_t i = 0;
  while (i < kBucketsSeconds.size() && s > kBucketsSeconds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_ns_.fetch_add(static_cast<std::uint64_t>(d.count()), std::memory_order_relaxed);
}

std::string Metrics::render(const Gauges& g) const {
  std::string out;
  char buf[256];
  {
    std::lock_guard lock(mutex_);
    for (const auto& info : kCounters) {
      out += "# HELP ";
      out += info.name;
      out += ' ';
      out += info.help;
      out += "\n# TYPE ";
      out += info.name;
      out += " counter\n";
      const std::string prefix = std::string(info.name) + "{";
      for (auto it = counters_.lower_bound(prefix); it != counters_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
        out += it->first == prefix + "}" ? std::string(info.name) : it->first;
        out += ' ';
        out += std::to_string(it->second);
        out += '\n';
      }
    }
  }
  out += "# HELP moderatord_classification_seconds Time to classify one comment.\n"
         "# TYPE moderatord_classification_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::snprintf(buf, sizeof buf, "moderatord_classification_seconds_bucket{le=\"%g\"} %llu\n", kBucketsSeconds[i],
                  static_cast<unsigned long long>(cumulative));
    out += buf;
  }
  cumulative += buckets_.back().load(std::memory_order_relaxed);
  std::snprintf(buf, sizeof buf,
                "moderatord_classification_seconds_bucket{le=\"+Inf\"} %llu\n"
                "moderatord_classification_seconds_sum %.9f\nmoderatord_classification_seconds_count %llu\n",
                static_cast<unsigned long long>(cumulative),
                static_cast<double>(latency_sum_ns_.load(std::memory_order_relaxed)) / 1e9,
                static_cast<unsigned long long>(latency_count_.load(std::memory_order_relaxed)));
  out += buf;
  out += "# HELP moderatord_outbox_rows Outbox rows by state (pending and in_flight are the backlog).\n"
         "# TYPE moderatord_outbox_rows gauge\n";
  for (const char* state : {"pending", "in_flight", "done", "dead"}) {
    const auto it = g.outbox_by_state.find(state);
    out += "moderatord_outbox_rows{state=\"" + std::string(state) + "\"} " +
           std::to_string(it == g.outbox_by_state.end() ? 0 : it->second) + "\n";
  }
  out += "# HELP moderatord_sla_items Open SLA items: replies owed, and those past their due time.\n"
         "# TYPE moderatord_sla_items gauge\n";
  out += "moderatord_sla_items{state=\"open\"} " + std::to_string(g.sla_open) + "\n";
  out += "moderatord_sla_items{state=\"overdue\"} " + std::to_string(g.sla_overdue) + "\n";
  out += "# HELP moderatord_store_queue Jobs waiting for the store writer.\n# TYPE moderatord_store_queue gauge\n";
  out += "moderatord_store_queue " + std::to_string(g.store_queue) + "\n";
  out += "# HELP moderatord_http_connections Open HTTP connections.\n# TYPE moderatord_http_connections gauge\n";
  out += "moderatord_http_connections " + std::to_string(g.http_connections) + "\n";
  return out;
}

}  // namespace moderatord::daemon
