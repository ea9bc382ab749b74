#include "connectors/meta/meta_connector.hpp"

#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>

#include "connectors/http/redact.hpp"
#include "connectors/settings_reader.hpp"

namespace moderatord::connectors::meta {

using namespace std::chrono_literals;
using http::HttpsFailure;

namespace {

// While the token is refused, apply() asks the outbox to come back this much later: long enough
// not to burn attempts, short enough that actions go through soon after the token is renewed.
constexpr std::chrono::milliseconds kTokenRetry = 15min;

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Graph ids are digits and '_'; letters and '-' are let through for other id schemes, but nothing
// that could change the request path ('/', '?', '#', '%', '.').
bool valid_graph_id(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

std::string origin_of(const std::string& url) {
  auto u = http::parse_https_url(url);
  if (!u) return {};
  return u->host + ":" + u->port;
}

}  // namespace

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string token_fingerprint(std::string_view token) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 6; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

Result<MetaSettings> read_meta_settings(const ConnectorConfig& config, MetaPlatform platform) {
  const bool fb = platform == MetaPlatform::facebook;
  const SettingsReader r(config);
  const std::string& who = r.who();
  MetaSettings s;
  s.owner.account = config.id;
  s.owner.platform = platform;
  s.http.name = config.id;
  std::string login = "instagram";
  for (const auto& [k, v] : config.settings) {
    std::optional<Error> bad;
    std::int64_t n = 0;
    if (k == "app_secret_file" || k == "app_secret_credential" || k == "access_token_file" ||
        k == "access_token_credential" || k == "verify_token_file" || k == "verify_token_credential" ||
        k == "verify_token")
      continue;  // read below
    if (fb && k == "page_id") s.owner.id = v;
    else if (!fb && k == "ig_user_id") s.owner.id = v;
    else if (!fb && k == "username") s.owner.username = v;
    else if (!fb && k == "login") {
      if (v != "instagram" && v != "facebook") bad = Error(who + "login must be \"instagram\" or \"facebook\"");
      login = v;
    } else if (fb && k == "poll_messages") {
      bad = r.boolean(k, v, s.poll_messages);
    } else if (k == "api_base") {
      bad = r.https_url(k, v, s.api_base);
    } else if (k == "poll_interval") {
      bad = r.duration(k, v, 0, 86'400, s.poll_interval);  // 0: off
    } else if (k == "lookback") {
      bad = r.duration(k, v, 60, 30 * 86'400, s.lookback);
    } else if (k == "allow_delete") {
      bad = r.boolean(k, v, s.allow_delete);
    } else if (k == "max_pages") {
      if (!(bad = r.whole_number(k, v, 1, 1000, n))) s.max_pages = static_cast<int>(n);
    } else if (!r.http_option(k, v, s.http, bad)) {
      bad = r.unknown(platform_name(platform), k);
    }
    if (bad) return *bad;
  }
  const bool numeric = !s.owner.id.empty() && s.owner.id.size() <= 32 &&
                       s.owner.id.find_first_not_of("0123456789") == std::string::npos;
  if (!numeric)
    return Error(who + (fb ? "page_id" : "ig_user_id") + " is required (the numeric id, e.g. \"1234567890321\")");
  if (s.api_base.empty())
    s.api_base = fb || login == "facebook" ? "https://graph.facebook.com/v21.0" : "https://graph.instagram.com/v21.0";
  auto secret = read_secret(config, "app_secret");
  if (!secret) return secret.error();
  s.app_secret = std::move(*secret);
  if (auto it = config.settings.find("verify_token"); it != config.settings.end()) {
    s.verify_token = it->second;
  } else {
    auto vt = read_secret(config, "verify_token");
    if (!vt) return Error(who + "set verify_token (or verify_token_file / verify_token_credential) for the webhook handshake");
    s.verify_token = std::move(*vt);
  }
  if (s.verify_token.empty()) return Error(who + "verify_token is empty");
  if (auto token = read_secret(config, "access_token"); !token) return token.error();
  return s;
}

MetaConnector::MetaConnector(MetaSettings settings, std::function<Result<std::string>()> token_source, AlertSink alerts)
    : s_(std::move(settings)), token_source_(std::move(token_source)), alerts_(std::move(alerts)) {
  auto t = token_source_();
  if (t) token_ = std::move(*t);  // the factory has read it once already
}

Capabilities MetaConnector::capabilities() const noexcept {
  Capabilities c;
  c.hide = {true, true};
  c.unhide = {true, true};
  c.remove = {s_.allow_delete, false};
  c.report = {false, false};  // Meta has no API to report a comment: the decision escalates instead
  return c;
}

WebhookDecoded MetaConnector::handle_webhook(const HttpRequest& request) const {
  MetaWebhookResult r = handle_meta_webhook(request, s_.owner, s_.app_secret, s_.verify_token);
  if (!r.mentions.empty()) {
    std::lock_guard lock(mentions_mutex_);
    for (auto& m : r.mentions)
      if (mentions_.size() < 1000) mentions_.push_back(std::move(m));  // bounded: the poll also finds them
  }
  return std::move(r.decoded);
}

std::vector<MetaDelivery::Mention> MetaConnector::take_mentions() {
  std::lock_guard lock(mentions_mutex_);
  std::vector<MetaDelivery::Mention> out(mentions_.begin(), mentions_.end());
  mentions_.clear();
  return out;
}

net::awaitable<bool> MetaConnector::deliver(const CommentSink& sink, std::vector<model::Comment> comments) {
  if (comments.empty()) co_return true;
  // GCC 12 may destroy temporaries of a co_await operand twice: make the awaitable first.
  auto stored = sink(std::move(comments));
  co_return co_await std::move(stored);
}

bool MetaConnector::same_origin(const std::string& url) const {
  return !url.empty() && origin_of(url) == origin_of(s_.api_base);
}

net::awaitable<void> MetaConnector::alert(std::string once_key, std::string subject, std::string detail) {
  if (!alerts_) co_return;
  AdminAlert a{s_.owner.account, std::string(platform()), std::move(once_key), std::move(subject), std::move(detail)};
  auto stored = alerts_(std::move(a));  // not inside co_await (GCC 12 temporaries, see deliver())
  if (!co_await std::move(stored))
    spdlog::error("{}: could not store the admin alert; it will be raised again at the next failure", id());
}

net::awaitable<void> MetaConnector::on_graph_error(const GraphError& e, const std::string& what) {
  const std::string text = http::scrub(describe(e), token_);
  switch (classify(e)) {
    case GraphErrorClass::token_invalid: {
      const bool first = dead_token_ != token_;
      dead_token_ = token_;
      if (!first) co_return;
      const std::string fp = token_fingerprint(token_);
      spdlog::error("{}: {} refused the access token ({}); no more calls until it is renewed: {}", id(), platform(), fp,
                    text);
      std::string key = "token_invalid:" + fp;
      std::string subject = "moderatord: the " + std::string(platform()) + " access token of account " + id() +
                            " is expired or revoked";
      std::string detail = "The Graph API refused the access token (fingerprint " + fp + ") on " + what + ": " + text +
                           ".\nModeration of this account has stopped: no polling, no hiding. Generate a new "
                           "long-lived access token, write it where access_token_file / access_token_credential "
                           "points, and moderatord will use it within one poll interval (or restart the service).";
      auto alerting = alert(std::move(key), std::move(subject), std::move(detail));
      co_await std::move(alerting);
      co_return;
    }
    case GraphErrorClass::permission: {
      std::string perm = missing_permission(e);
      spdlog::error("{}: missing permission {} for {}: {}", id(), perm.empty() ? "(unnamed)" : perm, what, text);
      std::string key = "permission:" + (perm.empty() ? std::to_string(e.code) : perm);
      std::string subject = "moderatord: the " + std::string(platform()) + " account " + id() + " lacks the " +
                            (perm.empty() ? std::string("needed") : perm) + " permission";
      std::string detail = "The Graph API refused " + what + ": " + text + ".\nGrant the app the " +
                           (perm.empty() ? std::string("permission named above") : perm + " permission") +
                           " for this account, then generate a new access token.";
      auto alerting = alert(std::move(key), std::move(subject), std::move(detail));
      co_await std::move(alerting);
      co_return;
    }
    case GraphErrorClass::rate_limited:
      spdlog::warn("{}: rate limited on {}: {}", id(), what, text);
      co_return;
    default:
      spdlog::warn("{}: Graph error on {}: {}", id(), what, text);
      co_return;
  }
}

net::awaitable<MetaConnector::Call> MetaConnector::call(std::string method, std::string url, std::string form_body,
                                                        std::optional<std::chrono::milliseconds> max_wait) {
  Call out;
  if (!client_) {
    auto ex = co_await net::this_coro::executor;
    auto hook = [usage = s_.usage](const http::HttpsResponse& r) { return graph_throttle(r, usage); };
    auto c = http::HttpsClient::create(ex, s_.http, hook);
    if (!c) {
      out.failure = HttpsFailure{HttpsFailure::Kind::tls, c.error().to_string(), {}};
      co_return out;
    }
    client_ = std::move(*c);
  }
  http::HttpsRequest req;
  req.method = std::move(method);
  req.url = std::move(url);
  // In a header, never in the URL: URLs end up in logs and paging links.
  req.headers.emplace_back("Authorization", "Bearer " + token_);
  req.body = std::move(form_body);
  if (!req.body.empty()) req.content_type = "application/x-www-form-urlencoded";
  req.max_wait = max_wait;
  const std::string what = req.method + " " + http::redact_url(req.url);
  auto sending = client_->send(std::move(req));  // not inside co_await (GCC 12 temporaries, see deliver())
  auto r = co_await std::move(sending);
  if (!r) {
    out.failure = r.error();
    out.failure->message = http::scrub(out.failure->message, token_);
    co_return out;
  }
  out.response = std::move(*r);
  if (out.response->status >= 400) {
    out.error = parse_graph_error(out.response->body);
    if (out.error) co_await on_graph_error(*out.error, what);
  }
  co_return out;
}

net::awaitable<std::optional<std::string>> MetaConnector::graph_get(const std::string& path_or_url) {
  if (!dead_token_.empty() && dead_token_ == token_) co_return std::nullopt;
  std::string url = path_or_url;
  if (url.rfind("https://", 0) == 0) {
    if (!same_origin(url)) {  // a paging link elsewhere would get our token: refuse
      spdlog::warn("{}: not following a paging link to another host: {}", id(), http::redact_url(url));
      co_return std::nullopt;
    }
  } else {
    url = s_.api_base + path_or_url;
  }
  std::string method = "GET", no_body;
  auto calling = call(std::move(method), std::move(url), std::move(no_body), std::nullopt);
  Call c = co_await std::move(calling);
  if (c.ok()) co_return std::move(c.response->body);
  if (c.failure)
    spdlog::warn("{}: GET {} failed: {} ({})", id(), http::redact_url(url), c.failure->message,
                 http::to_string(c.failure->kind));
  else if (!c.error)
    spdlog::warn("{}: GET {} answered HTTP {}", id(), http::redact_url(url), c.response->status);
  co_return std::nullopt;
}

net::awaitable<void> MetaConnector::recheck_token() {
  // A small file or credential, read at most once per poll interval while calls are stopped.
  auto t = token_source_();
  if (t && *t != dead_token_) {
    token_ = std::move(*t);
    dead_token_.clear();
    spdlog::info("{}: a new access token ({}); resuming calls", id(), token_fingerprint(token_));
  }
  co_return;
}

net::awaitable<void> MetaConnector::run(CommentSink sink, CursorStore& cursors) {
  auto executor = co_await net::this_coro::executor;
  net::steady_timer timer(executor);
  std::int64_t since = now_unix() - s_.lookback.count();
  if (auto saved = co_await cursors.load(id()); saved) {
    if (auto n = to_int(*saved)) since = *n;
  }
  if (s_.poll_interval.count() == 0) spdlog::info("{}: polling off (poll_interval = 0): webhooks only", id());
  for (;;) {
    if (!dead_token_.empty()) co_await recheck_token();
    if (dead_token_.empty() && s_.poll_interval.count() > 0) {
      auto next = co_await poll_once(sink, since);
      if (next && *next > since) {
        since = *next;
        const std::string value = std::to_string(since);
        if (!co_await cursors.save(id(), value))
          spdlog::warn("{}: could not save the poll cursor; the next start re-reads (deduplicated)", id());
      }
    }
    timer.expires_after(s_.poll_interval.count() > 0 ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(s_.poll_interval)
                                                     : std::chrono::steady_clock::duration(std::chrono::minutes(5)));
    co_await timer.async_wait(net::use_awaitable);
  }
}

net::awaitable<ActionOutcome> MetaConnector::apply(const ActionRequest& req) {
  using S = ActionOutcome::Status;
  const bool fb = s_.owner.platform == MetaPlatform::facebook;
  if (!valid_graph_id(req.platform_id)) co_return ActionOutcome{S::failed, "no valid comment id in the action", std::nullopt};
  std::string method, body;
  switch (req.kind) {
    case model::ActionKind::hide:
    case model::ActionKind::unhide:
      method = "POST";
      body = std::string(fb ? "is_hidden=" : "hide=") + (req.kind == model::ActionKind::hide ? "true" : "false");
      break;
    case model::ActionKind::remove:
      if (!s_.allow_delete)
        co_return ActionOutcome{S::failed, "deleting is off for this account (allow_delete = false)", std::nullopt};
      method = "DELETE";
      break;
    default:
      co_return ActionOutcome{S::failed,
                              "Meta has no API to " + std::string(model::to_string(req.kind)) +
                                  " a comment; a moderator must do it in the app",
                              std::nullopt};
  }
  if (!dead_token_.empty() && dead_token_ == token_)
    co_return ActionOutcome{S::retry, "the access token was refused (190); waiting for a new one", kTokenRetry};
  const std::string verb(model::to_string(req.kind));
  std::string url = s_.api_base + "/" + req.platform_id;
  auto calling = call(std::move(method), std::move(url), std::move(body), s_.action_max_wait);
  Call c = co_await std::move(calling);
  if (c.ok()) co_return ActionOutcome{S::done, verb + " on " + std::string(platform()), std::nullopt};
  if (c.failure) {
    const auto& f = *c.failure;
    std::optional<std::chrono::milliseconds> after;
    if (f.retry_after.count() > 0) after = f.retry_after;
    co_return ActionOutcome{S::retry, std::string(http::to_string(f.kind)) + ": " + f.message, after};
  }
  const auto& res = *c.response;
  std::optional<std::chrono::milliseconds> after;
  if (res.retry_after.count() > 0) after = res.retry_after;
  if (c.error) {
    const std::string text = http::scrub(describe(*c.error), token_);
    switch (classify(*c.error)) {
      case GraphErrorClass::rate_limited:
        co_return ActionOutcome{S::retry, "rate limited: " + text, after.value_or(s_.usage.rate_limit_error_wait)};
      case GraphErrorClass::token_invalid:
        co_return ActionOutcome{S::retry, "access token refused: " + text, kTokenRetry};
      case GraphErrorClass::transient:
        co_return ActionOutcome{S::retry, text, after};
      case GraphErrorClass::not_found:
        if (req.kind == model::ActionKind::remove)  // deleted before (by us, a crash ago, or someone else)
          co_return ActionOutcome{S::done, "already gone: " + text, std::nullopt};
        co_return ActionOutcome{S::failed, "the comment no longer exists: " + text, std::nullopt};
      case GraphErrorClass::permission:
        co_return ActionOutcome{S::failed, "missing permission " + missing_permission(*c.error) + ": " + text, std::nullopt};
      case GraphErrorClass::other:
        co_return ActionOutcome{S::failed, text, std::nullopt};
    }
  }
  if (http::retryable_status(res.status))
    co_return ActionOutcome{S::retry, "HTTP " + std::to_string(res.status), after};
  co_return ActionOutcome{S::failed, "HTTP " + std::to_string(res.status), std::nullopt};
}

}  // namespace moderatord::connectors::meta
