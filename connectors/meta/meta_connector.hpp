#pragma once
// What the Facebook Pages and Instagram connectors share: Graph API calls through the shared HTTPS
// client, Meta's webhooks, the poll loop with its cursor, hide/unhide/delete, and the handling of
// Graph errors.
//
//   run():  cursor ─► poll_once(since) ─► sink(comments) ─► save cursor ─► sleep poll_interval ─┐
//             ▲                                                                                │
//             └────────────────────────────────────────────────────────────────────────────────┘
//   errors: rate limit ─► the client holds every call back (usage headers, codes 4/17/32/613/80001)
//           token invalid (190) ─► no more calls, one admin alert; the token source is re-read
//                                  every poll interval and calls resume when it changes
//           missing permission ─► one admin alert naming it; the action is a dead letter
//
// Threading: everything runs on the event loop (the client is created there on first use).
// handle_webhook is pure apart from queueing Instagram mention ids (mutex-guarded).
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "connectors/connector.hpp"
#include "connectors/http/https_client.hpp"
#include "connectors/meta/graph_error.hpp"
#include "connectors/meta/graph_json.hpp"
#include "connectors/meta/meta_webhook.hpp"
#include "connectors/meta/usage_headers.hpp"

namespace moderatord::connectors::meta {

struct MetaSettings {
  Owner owner;                 // account id, platform, page or IG user id, IG username
  std::string app_secret;      // signs webhooks; never logged
  std::string verify_token;    // the webhook subscription handshake; never logged
  std::string api_base;        // "https://graph.facebook.com/v21.0" (no trailing slash)
  http::HttpsClientOptions http;
  UsageOptions usage;
  std::chrono::seconds poll_interval{300};  // Default: 5 min; 0 = webhooks only
  std::chrono::seconds lookback{2 * 86'400};  // Default: 2 days (first poll, and posts whose comments are read)
  std::chrono::seconds overlap{300};        // Default: 5 min re-read before the cursor (clock skew, late indexing)
  int max_pages = 20;                       // Default: 20 pages per list per poll
  bool allow_delete = false;                // Default: false (hiding is reversible and keeps the evidence)
  bool poll_messages = true;                // Facebook: read Messenger conversations too
  std::chrono::milliseconds action_max_wait{10'000};  // an action waits at most this for a rate limit
};

// Reads and validates an account's settings (the keys are listed in facebook_connector.hpp and
// instagram_connector.hpp). Secrets via read_secret (…_file / …_credential); errors never quote them.
Result<MetaSettings> read_meta_settings(const ConnectorConfig& config, MetaPlatform platform);

// Form and query encoding (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view s);

class MetaConnector : public Connector {
 public:
  // `token_source` reads the access token (again, after a 190): a file or credential.
  MetaConnector(MetaSettings settings, std::function<Result<std::string>()> token_source, AlertSink alerts);

  const std::string& id() const noexcept final { return s_.owner.account; }
  std::string_view platform() const noexcept final { return platform_name(s_.owner.platform); }
  Capabilities capabilities() const noexcept final;
  WebhookDecoded handle_webhook(const HttpRequest& request) const final;
  net::awaitable<void> run(CommentSink sink, CursorStore& cursors) final;
  net::awaitable<ActionOutcome> apply(const ActionRequest& request) final;

 protected:
  // One poll: read what is new since `since` (unix seconds), give it to `sink`. Returns the new
  // cursor (the newest created_at seen), or nullopt when the poll stopped early (already logged;
  // the cursor stays, so the next poll reads it again).
  virtual net::awaitable<std::optional<std::int64_t>> poll_once(const CommentSink& sink, std::int64_t since) = 0;

  // GET a Graph path ("/{id}/feed?...") or a paging URL of the same host. nullopt on any failure
  // (logged; a token or permission error also stops calls or alerts).
  net::awaitable<std::optional<std::string>> graph_get(const std::string& path_or_url);
  // Instagram mentions queued by webhooks, taken by the poll.
  std::vector<MetaDelivery::Mention> take_mentions();

  // Hands `comments` to the sink (filtered to created_at >= since); false when the store failed.
  static net::awaitable<bool> deliver(const CommentSink& sink, std::vector<model::Comment> comments);

  MetaSettings s_;

 private:
  struct Call {
    std::optional<http::HttpsResponse> response;  // set when the platform answered
    std::optional<GraphError> error;              // the Graph error in it, if any
    std::optional<http::HttpsFailure> failure;    // set when it did not
    bool ok() const { return response && response->status >= 200 && response->status < 300 && !error; }
  };
  net::awaitable<Call> call(std::string method, std::string url, std::string form_body,
                            std::optional<std::chrono::milliseconds> max_wait);
  net::awaitable<void> on_graph_error(const GraphError& e, const std::string& what);
  net::awaitable<void> alert(std::string once_key, std::string subject, std::string detail);
  net::awaitable<void> recheck_token();
  bool same_origin(const std::string& url) const;

  std::function<Result<std::string>()> token_source_;
  AlertSink alerts_;
  std::string token_;                    // never logged
  std::string dead_token_;               // the token Meta refused (190); calls stop while token_ == dead_token_
  std::unique_ptr<http::HttpsClient> client_;  // made on the event loop at first use
  mutable std::mutex mentions_mutex_;    // guards mentions_ (handle_webhook may run on any thread)
  mutable std::deque<MetaDelivery::Mention> mentions_;
};

// The first 12 hex digits of SHA-256(token): names a token in alerts and once-keys, reveals nothing.
std::string token_fingerprint(std::string_view token);

}  // namespace moderatord::connectors::meta
