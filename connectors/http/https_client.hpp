#pragma once
// The shared HTTPS client every platform connector uses (Meta's Graph API now; X, YouTube,
// Mastodon and Bluesky next). Boost.Beast over OpenSSL, on the connector's executor.
//
//   send(request) ─► rate-limit gate (not_before) ─► request budget ─► idle connection for the
//        ▲            host, or resolve + connect + TLS (SNI, verified chain and host name)
//        │                 ─► write ─► read (each step its own deadline, all under total_timeout)
//        └── retry: connection errors, 429, 5xx, or the platform hook says so; backoff with
//            jitter, or the server's Retry-After / the platform's own signal when longer
//
// - TLS: peer verification always on, against the system store or `ca_file` (tests use a test CA).
//   A verification failure is not retried: it will not get better by itself.
// - Rate limits: Retry-After is understood here; platform signals (Meta's X-App-Usage and
//   X-Business-Use-Case-Usage, X's x-rate-limit-reset) come in through a ThrottleHook. Whatever
//   they say becomes `not_before`, which holds back every later request of this client too.
// - Budget: at most `requests_per_hour` attempts per client (one client per connector), so a bug
//   or a retry storm cannot burn the platform's quota for the whole app.
// - Secrets: URLs and headers are only ever logged through redact.hpp.
//
// Threading: one client belongs to one executor (the event loop); send() may run concurrently
// from several coroutines on it (each takes its own connection). Not thread-safe.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "classifier/error.hpp"
#include "connectors/http/retry_policy.hpp"

namespace moderatord::connectors::http {

namespace net = boost::asio;

struct HttpsClientOptions {
  std::string name;                               // for logs: the account id
  std::optional<std::filesystem::path> ca_file;   // Default: the system's trust store
  std::chrono::milliseconds connect_timeout{10'000};   // Default: 10 s (resolve + TCP connect)
  std::chrono::milliseconds io_timeout{30'000};        // Default: 30 s per TLS handshake, write or read
  std::chrono::milliseconds total_timeout{120'000};    // Default: 120 s for one send(), retries included
  std::chrono::milliseconds keep_alive{30'000};        // Default: 30 s: idle connections older are closed
  std::size_t max_idle_per_host = 4;                   // Default: 4
  std::uint64_t max_body_bytes = 16u << 20;            // Default: 16 MiB per response
  int requests_per_hour = 0;                           // Default: 0 = no budget
  RetryPolicy retry;
  std::string user_agent = "moderatord/0.1";
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpsRequest {
  std::string method = "GET";  // GET, POST, DELETE, PUT
  std::string url;             // https://host[:port]/path?query
  Headers headers;             // Authorization etc.; logged only redacted
  std::string body;
  std::string content_type;    // set when body is not empty
  // How long this call may wait for a rate limit or budget before giving up with `throttled`
  // (an outbox action would rather be rescheduled than hold its slot). Default: total_timeout.
  std::optional<std::chrono::milliseconds> max_wait;
};

struct HttpsResponse {
  unsigned status = 0;
  Headers headers;  // names lower-case
  std::string body;
  int attempts = 0;                            // tries it took
  std::chrono::milliseconds retry_after{0};    // what the server or hook asked us to wait (0: nothing)
  std::string_view header(std::string_view lower_name) const noexcept;
};

struct HttpsFailure {
  enum class Kind { bad_url, network, timeout, tls, throttled, budget, cancelled };
  Kind kind = Kind::network;
  std::string message;                       // redacted
  std::chrono::milliseconds retry_after{0};  // for throttled/budget: when it may work
};
[[noreturn]] void throw_exception_from_error(const HttpsFailure& e, const boost::source_location& loc);
using HttpsResult = boost::system::result<HttpsResponse, HttpsFailure>;
std::string_view to_string(HttpsFailure::Kind k) noexcept;

// A platform's reading of a response's rate-limit signals.
struct Throttle {
  std::chrono::milliseconds wait{0};  // hold every request of this client back this long
  bool retry = false;                 // this response is a rate-limit refusal: try again after `wait`
};
using ThrottleHook = std::function<Throttle(const HttpsResponse&)>;

struct Url {
  std::string host;
  std::string port;    // "443" when not given
  std::string target;  // path and query, "/" at least
};
// https only (a token never goes over plain HTTP).
classifier::Result<Url> parse_https_url(std::string_view url);

class HttpsClient {
 public:
  // Loads the trust store (or ca_file); errors name the file.
  static classifier::Result<std::unique_ptr<HttpsClient>> create(net::any_io_executor executor,
                                                                 HttpsClientOptions options, ThrottleHook hook = {});
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // One request, retried as described above. A response is returned whatever its status once
  // retries are over (the caller reads platform errors from it); a failure means no usable
  // response. Cancellation (terminal) ends it with `cancelled` or by throwing operation_aborted.
  net::awaitable<HttpsResult> send(HttpsRequest request);

  // Holds back every request until `until` (a platform signal seen outside send()).
  void defer_until(std::chrono::steady_clock::time_point until);
  std::chrono::steady_clock::time_point not_before() const noexcept;
  std::uint64_t connections_opened() const noexcept;  // tests check keep-alive with it

 private:
  struct Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace moderatord::connectors::http
