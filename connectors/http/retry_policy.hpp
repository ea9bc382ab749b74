#pragma once
// When the HTTPS client tries a request again, and how long it waits first. Pure, so the schedule
// is tested without a network.
#include <chrono>
#include <optional>
#include <string_view>

namespace moderatord::connectors::http {

struct RetryPolicy {
  int max_attempts = 4;                                  // Default: 4 (the first try included)
  std::chrono::milliseconds initial_backoff{500};        // Default: 500 ms, doubled per attempt
  std::chrono::milliseconds max_backoff{30'000};         // Default: 30 s
  // A server's Retry-After (or a platform's own signal) longer than this is not waited for inside
  // one send(): the caller gets the response and decides (an outbox row is rescheduled instead).
  std::chrono::milliseconds max_retry_after{60'000};     // Default: 60 s

  // Backoff before attempt `attempt + 1` (attempt >= 1): initial * 2^(attempt-1), capped, then
  // scaled by a jitter factor in [0.5, 1.5) so that clients after an outage do not retry together.
  std::chrono::milliseconds backoff(int attempt, double jitter01) const;
};

// Statuses worth retrying on their own: 429 and 5xx except 501 (not implemented) and 505.
bool retryable_status(unsigned status) noexcept;

// Retry-After: delta-seconds, or an HTTP-date (RFC 9110 section 10.2.3) relative to `now_unix`.
// nullopt when absent or unreadable; a date in the past is 0.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_unix);

}  // namespace moderatord::connectors::http
