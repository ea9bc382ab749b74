#pragma once
// Counters and a latency histogram for GET /metrics (Prometheus text format 0.0.4). Updated from
// the event loop and the store thread; every member is guarded by mutex_ or atomic.
#include <array>
#include <chrono>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace moderatord::daemon {

// Values read from the store at scrape time.
struct Gauges {
  std::map<std::string, std::int64_t> outbox_by_state;  // pending, in_flight, done, dead
  std::int64_t sla_open = 0, sla_overdue = 0;           // replies owed, and those past due
  std::size_t store_queue = 0;
  std::size_t http_connections = 0;
};

class Metrics {
 public:
  // Adds `n` to the counter `name` with the label string `labels` (`platform="webhook"`).
  void add(std::string_view name, std::string_view labels, std::uint64_t n = 1);
  // Classification latency of one comment, normalise + scan + score.
  void observe_classification(std::chrono::nanoseconds d);
  std::string render(const Gauges& g) const;

 private:
  static constexpr std::array<double, 12> kBucketsSeconds = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5,
                                                             1e-4, 2e-4, 5e-4, 1e-3, 5e-3, 2e-2};
  mutable std::mutex mutex_;  // guards counters_
  std::map<std::string, std::uint64_t> counters_;  // key: name + '{' + labels + '}'
  std::array<std::atomic<std::uint64_t>, kBucketsSeconds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> latency_count_{0};
  std::atomic<std::uint64_t> latency_sum_ns_{0};
};

}  // namespace moderatord::daemon
