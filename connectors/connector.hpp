#pragma once
// One social platform (or bridge) behind one interface. A connector owns its platform state (HTTP
// clients, files); it never touches the store or the classifier: comments go out through a
// CommentSink, actions come in from the outbox.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "classifier/error.hpp"
#include "model/comment.hpp"

namespace moderatord::connectors {

namespace net = boost::asio;
using classifier::Error;
using classifier::Result;

// What a platform lets us do to a comment. The decision falls back to escalation where an action
// is not supported, and the escalation email says why.
struct Capability {
  bool supported = false;
  bool undoable = false;  // can a moderator reverse it on the platform?
};
struct Capabilities {
  Capability hide, unhide, remove, report;
  std::string why_not;  // for one comment: why hide/unhide are off though the account has them ("" = n/a)
  const Capability& of(model::ActionKind k) const noexcept;
};

// A webhook delivery as the HTTP server received it. Header names are lower-case.
struct HttpRequest {
  std::string method;  // "GET", "POST"
  std::string target;  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;    // raw bytes: signatures are computed over exactly these
  std::string_view header(std::string_view lower_name) const noexcept;
};

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// A decoded delivery: the comments to store, and the reply to send once they are stored (or at
// once, when `reply.status` is not 2xx: a bad signature, malformed JSON, a handshake).
struct WebhookDecoded {
  HttpReply reply;
  std::vector<model::Comment> comments;
  bool store_first = false;  // true: reply only after `comments` are durably stored
};

struct ActionRequest {
  std::int64_t outbox_id = 0;  // idempotency key: the same id twice must act once
  model::ActionKind kind = model::ActionKind::hide;
  std::string platform_id;     // the comment's id on the platform
  std::string payload_json;
};

struct ActionOutcome {
  enum class Status { done, retry, failed };  // failed: retrying cannot help (dead letter now)
  Status status = Status::done;
  std::string detail;                                     // for the audit log; never secrets
  std::optional<std::chrono::milliseconds> retry_after;  // the platform's own hint (429 reset)
};

// Stores polled or replayed comments; true once they are committed (then the cursor may move).
using CommentSink = std::function<net::awaitable<bool>(std::vector<model::Comment>)>;

// Something only an admin can fix (an expired or revoked token, a missing permission). The daemon
// stores it as one outbox row for the "mail" executor (payload type "admin_alert"), in a
// transaction that also records `once_key`: the same key alerts once, across restarts.
struct AdminAlert {
  std::string account;   // the connector's account id
  std::string platform;  // "facebook", ...
  std::string once_key;  // e.g. "token_invalid:<token fingerprint>": a new token may alert again
  std::string subject;   // one line; never secrets
  std::string detail;    // what happened and what to do; never secrets
};
// Stores an alert; true once it is durable (or was stored before under its once_key), false when
// the store failed (the connector may try again later). Runs on the event loop.
using AlertSink = std::function<net::awaitable<bool>(AdminAlert)>;

// Persisted polling positions, by account id. The daemon keeps the store alive as long as the
// connectors, so a connector may also use it from apply() (which can outlive run() at shutdown).
class CursorStore {
 public:
  virtual ~CursorStore() = default;
  virtual net::awaitable<std::optional<std::string>> load(const std::string& account) = 0;
  virtual net::awaitable<bool> save(const std::string& account, const std::string& value) = 0;
};

class Connector {
 public:
  virtual ~Connector() = default;
  virtual const std::string& id() const noexcept = 0;      // the account id from the config
  virtual std::string_view platform() const noexcept = 0;  // "webhook", "replay", ...
  virtual Capabilities capabilities() const noexcept = 0;

  // Verifies and decodes one webhook request (POST delivery or GET handshake). Pure: no I/O, safe
  // to call from any thread; test it with recorded payloads.
  virtual WebhookDecoded handle_webhook(const HttpRequest& request) const = 0;

  // Polls or replays until cancelled (the daemon cancels it on shutdown). Runs on the event loop;
  // blocking work goes to the blocking pool. Default: webhook-only connectors have nothing to run.
  virtual net::awaitable<void> run(CommentSink sink, CursorStore& cursors);

  // Executes one outbox action on the platform. Idempotent by outbox_id.
  virtual net::awaitable<ActionOutcome> apply(const ActionRequest& request) = 0;
};
using ConnectorPtr = std::unique_ptr<Connector>;

// What a connector factory gets: its [[account]] section and the daemon's shared resources.
struct ConnectorConfig {
  std::string id;
  std::string platform;
  std::map<std::string, std::string> settings;  // platform-specific keys, validated by the factory
  std::filesystem::path config_dir;             // resolves relative paths of admin-provided files
  std::filesystem::path state_dir;              // resolves relative paths of files the daemon writes
  net::thread_pool* blocking = nullptr;         // for file and other blocking I/O
  AlertSink alerts;                             // empty (check-config, tests): connectors only log
};

// Builds the connector for `config.platform`, validating its settings, so that bad config fails at
// startup (or in `run --check-config`), never mid-poll.
Result<ConnectorPtr> make_connector(const ConnectorConfig& config);

// Reads a secret: settings[key + "_file"] (a path) or settings[key + "_credential"] (a name in
// $CREDENTIALS_DIRECTORY, systemd's LoadCredential=). Trailing newlines are trimmed. Errors name
// the file, never the secret.
Result<std::string> read_secret(const ConnectorConfig& config, const std::string& key);

}  // namespace moderatord::connectors
