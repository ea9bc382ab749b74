#pragma once
// What the polled REST connectors (X, Mastodon) share: the HTTPS client with the platform's
// rate-limit hook, credentials added to each request, the poll loop with its persisted cursor, and
// what a refused credential does.
//
//   run():  cursor ─► poll_once(cursor) ─► sink(comments) ─► save cursor ─► sleep poll_interval ─┐
//             ▲                                                                                  │
//             └──────────────────────────────────────────────────────────────────────────────────┘
//   HTTP 401 ─► no more calls with these credentials, one admin alert (once per credential
//               fingerprint, across restarts); the credential files are re-read every poll
//               interval and calls resume when they change.
//   429 / rate-limit headers ─► the client holds every call back until the platform's reset.
//
// Threading: everything runs on the event loop (the client is made there on first use).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.hpp"
#include "connectors/http/https_client.hpp"
#include "connectors/one_at_a_time.hpp"
#include "connectors/rest/rest_settings.hpp"

namespace moderatord::connectors::rest {

class RestConnector : public Connector {
 public:
  RestConnector(RestSettings settings, std::string platform, AlertSink alerts, http::ThrottleHook hook);

  const std::string& id() const noexcept final { return s_.account; }
  std::string_view platform() const noexcept final { return platform_; }
  // Polling only: there are no webhooks to receive (404).
  WebhookDecoded handle_webhook(const HttpRequest& request) const final;
  net::awaitable<void> run(CommentSink sink, CursorStore& cursors) final;

 protected:
  // One poll from `cursor` ("" on the first start): hands what is new to `sink`, returns the new
  // cursor, or nullopt when it stopped early (already logged; the cursor stays, the next poll
  // reads again and the store de-duplicates).
  virtual net::awaitable<std::optional<std::string>> poll_once(const CommentSink& sink, const std::string& cursor) = 0;
  // Adds the credentials to a request about to be sent (an Authorization header).
  virtual void authorize(http::HttpsRequest& request) = 0;
  // Re-reads the credentials (files or systemd credentials); true when they changed.
  virtual bool reload_credentials() = 0;
  // Names the current credentials in logs, alerts and once-keys without revealing them.
  virtual std::string credential_fingerprint() const = 0;
  // Secrets to scrub from any text a server echoes back.
  virtual std::vector<std::string> secrets() const = 0;
  // One sentence for the admin alert: how to renew the credentials.
  virtual std::string renew_hint() const = 0;
  // After a 401: obtain new credentials on our own (an OAuth 2.0 refresh token), true when that
  // worked and the request is worth sending once more. Default: nothing to refresh.
  virtual net::awaitable<bool> refresh_credentials();

  struct Reply {
    std::optional<http::HttpsResponse> response;  // set when the platform answered
    std::optional<http::HttpsFailure> failure;    // set when it did not
    bool refused = false;                         // 401 now, or earlier with the same credentials
    bool ok() const { return response && response->status >= 200 && response->status < 300; }
  };
  // Sends `request` (a path is prefixed with api_base) with the credentials. A 401 stops calls
  // and alerts once; while stopped, returns `refused` without calling.
  net::awaitable<Reply> call(http::HttpsRequest request);
  // Sends `request` as it is: no credentials added, no 401 handling (a token endpoint).
  net::awaitable<Reply> send_raw(http::HttpsRequest request);
  // GET a path or a URL on api_base's host (paging links elsewhere are refused: they would get our
  // credentials). The body on 2xx, nullopt otherwise (logged).
  net::awaitable<std::optional<std::string>> get(const std::string& path_or_url);
  bool stopped() const noexcept { return !dead_.empty() && dead_ == credential_fingerprint(); }
  std::string scrubbed(std::string text) const;
  // The outcome of an action's call that did not succeed: retry for network errors, rate limits
  // (after the reset) and 5xx, retry later for refused credentials, failed otherwise.
  ActionOutcome failed_outcome(const Reply& r, const std::string& what) const;

  RestSettings s_;

 private:
  net::awaitable<void> alert_refused(const std::string& what, const std::string& text);
  net::awaitable<bool> refresh_once(std::uint64_t sent_with);
  bool ensure_client(net::any_io_executor executor, Reply& out);

  std::string platform_;
  AlertSink alerts_;
  http::ThrottleHook hook_;
  std::string dead_;  // fingerprint of the credentials the platform refused ("" = none)
  std::uint64_t refreshes_ = 0;  // successful refresh_credentials() so far
  OneAtATime refreshing_;
  std::unique_ptr<http::HttpsClient> client_;
};

// The message in an error body: Mastodon's {"error": "..."}, X's problem+json {"title", "detail"}
// or {"errors": [{"message"}]}; the first 200 bytes of anything else. For logs and audit details.
std::string error_text(std::string_view body);

}  // namespace moderatord::connectors::rest
