#include "connectors/rest/rest_connector.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "connectors/http/redact.hpp"

namespace moderatord::connectors::rest {

using namespace std::chrono_literals;

namespace {

// While the credentials are refused, an action comes back this much later: long enough not to
// burn attempts, short enough that it goes through soon after an admin renews them.
constexpr std::chrono::milliseconds kRefusedRetry = 15min;

std::string origin_of(const std::string& url) {
  auto u = http::parse_https_url(url);
  return u ? u->host + ":" + u->port : std::string();
}

}  // namespace

std::string error_text(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS) {
    std::string_view s;
    if (root["error"].get_string().get(s) == simdjson::SUCCESS) return std::string(s);
    std::string out;
    if (root["title"].get_string().get(s) == simdjson::SUCCESS) out = std::string(s);
    if (root["detail"].get_string().get(s) == simdjson::SUCCESS && s != out) out += (out.empty() ? "" : ": ") + std::string(s);
    simdjson::dom::array errors;
    if (out.empty() && root["errors"].get_array().get(errors) == simdjson::SUCCESS)
      for (auto e : errors)
        if (e["message"].get_string().get(s) == simdjson::SUCCESS) return std::string(s);
    if (!out.empty()) return out;
  }
  return std::string(body.substr(0, 200));
}

RestConnector::RestConnector(RestSettings settings, std::string platform, AlertSink alerts, http::ThrottleHook hook)
    : s_(std::move(settings)), platform_(std::move(platform)), alerts_(std::move(alerts)), hook_(std::move(hook)) {}

WebhookDecoded RestConnector::handle_webhook(const HttpRequest&) const {
  WebhookDecoded d;
  d.reply.status = 404;
  d.reply.body = platform_ + " accounts are polled; there is no webhook here\n";
  return d;
}

std::string RestConnector::scrubbed(std::string text) const {
  for (const auto& secret : secrets()) text = http::scrub(std::move(text), secret);
  return text;
}

net::awaitable<void> RestConnector::alert_refused(const std::string& what, const std::string& text) {
  const std::string fp = credential_fingerprint();
  spdlog::error("{}: {} refused the credentials ({}); no more calls until they are renewed: {}", id(), platform_, fp,
                text);
  if (!alerts_) co_return;
  AdminAlert a{s_.account, platform_, "auth_refused:" + fp,
               "moderatord: the " + platform_ + " credentials of account " + id() + " were refused",
               "The " + platform_ + " API answered 401 to " + what + " (credentials " + fp + "): " + text +
                   ".\nModeration of this account has stopped: no polling, no actions. " + renew_hint() +
                   " moderatord re-reads them every poll interval (or restart the service)."};
  if (!co_await alerts_(std::move(a)))
    spdlog::error("{}: could not store the admin alert; it will be raised again at the next failure", id());
}

net::awaitable<bool> RestConnector::refresh_credentials() { co_return false; }

// One refresh at a time (one_at_a_time.hpp): a poll and a hide refused together must not both
// spend X's single-use refresh token; the second refresh would be refused and stop the account with
// an alert to the admins. A call refused with credentials that another call has renewed since it
// was sent just sends again.
net::awaitable<bool> RestConnector::refresh_once(std::uint64_t sent_with) {
  co_await refreshing_.wait_turn();
  if (refreshes_ != sent_with) co_return true;
  const auto turn = refreshing_.enter();
  const bool ok = co_await refresh_credentials();
  if (ok) ++refreshes_;
  co_return ok;
}

bool RestConnector::ensure_client(net::any_io_executor executor, Reply& out) {
  if (client_) return true;
  auto c = http::HttpsClient::create(std::move(executor), s_.http, hook_);
  if (!c) {
    out.failure = http::HttpsFailure{http::HttpsFailure::Kind::tls, c.error().to_string(), {}};
    return false;
  }
  client_ = std::move(*c);
  return true;
}

net::awaitable<RestConnector::Reply> RestConnector::send_raw(http::HttpsRequest req) {
  Reply out;
  auto executor = co_await net::this_coro::executor;
  if (!ensure_client(executor, out)) co_return out;
  if (req.url.rfind("https://", 0) != 0) req.url = s_.api_base + req.url;
  auto r = co_await client_->send(std::move(req));
  if (!r) {
    out.failure = r.error();
    out.failure->message = scrubbed(out.failure->message);
    co_return out;
  }
  out.response = std::move(*r);
  co_return out;
}

net::awaitable<RestConnector::Reply> RestConnector::call(http::HttpsRequest req) {
  Reply out;
  if (stopped()) {
    out.refused = true;
    co_return out;
  }
  auto executor = co_await net::this_coro::executor;
  if (!ensure_client(executor, out)) co_return out;
  if (req.url.rfind("https://", 0) != 0) req.url = s_.api_base + req.url;
  const http::HttpsRequest unsigned_copy = req;  // to send again after a refresh (signed anew)
  authorize(req);
  const std::string what = req.method + " " + http::redact_url(req.url);
  const std::uint64_t sent_with = refreshes_;
  auto r = co_await client_->send(std::move(req));
  bool refreshed = false;  // not `a && co_await b`: GCC 12 miscompiles co_await in short-circuit operands
  if (r && r->status == 401) refreshed = co_await refresh_once(sent_with);
  if (refreshed) {
    http::HttpsRequest again = unsigned_copy;
    authorize(again);
    r = co_await client_->send(std::move(again));
  }
  if (!r) {
    out.failure = r.error();
    out.failure->message = scrubbed(out.failure->message);
    co_return out;
  }
  out.response = std::move(*r);
  if (out.response->status == 401) {
    out.refused = true;
    const bool first = dead_ != credential_fingerprint();
    dead_ = credential_fingerprint();
    if (first) co_await alert_refused(what, scrubbed(error_text(out.response->body)));
  }
  co_return out;
}

net::awaitable<std::optional<std::string>> RestConnector::get(const std::string& path_or_url) {
  if (path_or_url.rfind("https://", 0) == 0 && origin_of(path_or_url) != origin_of(s_.api_base)) {
    spdlog::warn("{}: not following a link to another host: {}", id(), http::redact_url(path_or_url));
    co_return std::nullopt;
  }
  http::HttpsRequest req;
  req.url = path_or_url;
  Reply r = co_await call(std::move(req));
  if (r.ok()) co_return std::move(r.response->body);
  if (r.failure)
    spdlog::warn("{}: GET {} failed: {} ({})", id(), http::redact_url(path_or_url), r.failure->message,
                 http::to_string(r.failure->kind));
  else if (r.response && !r.refused)
    spdlog::warn("{}: GET {} answered HTTP {}: {}", id(), http::redact_url(path_or_url), r.response->status,
                 scrubbed(error_text(r.response->body)));
  co_return std::nullopt;
}

ActionOutcome RestConnector::failed_outcome(const Reply& r, const std::string& what) const {
  using S = ActionOutcome::Status;
  if (r.refused && !r.response)
    return {S::retry, "the " + platform_ + " credentials were refused (401); waiting for new ones", kRefusedRetry};
  if (r.failure) {
    std::optional<std::chrono::milliseconds> after;
    if (r.failure->retry_after.count() > 0) after = r.failure->retry_after;
    return {S::retry, what + ": " + std::string(http::to_string(r.failure->kind)) + ": " + r.failure->message, after};
  }
  const auto& res = *r.response;
  const std::string text = what + ": HTTP " + std::to_string(res.status) + ": " + scrubbed(error_text(res.body));
  std::optional<std::chrono::milliseconds> after;
  if (res.retry_after.count() > 0) after = res.retry_after;
  if (res.status == 401) return {S::retry, text, kRefusedRetry};
  if (res.status == 429 || http::retryable_status(res.status)) return {S::retry, text, after};
  return {S::failed, text, std::nullopt};
}

net::awaitable<void> RestConnector::run(CommentSink sink, CursorStore& cursors) {
  auto executor = co_await net::this_coro::executor;
  net::steady_timer timer(executor);
  std::string cursor = (co_await cursors.load(id())).value_or("");
  for (;;) {
    if (!dead_.empty() && reload_credentials() && !stopped()) {
      spdlog::info("{}: new credentials ({}); resuming calls", id(), credential_fingerprint());
      dead_.clear();
    }
    if (!stopped()) {
      auto next = co_await poll_once(sink, cursor);
      if (next && *next != cursor) {
        cursor = std::move(*next);
        if (!co_await cursors.save(id(), cursor))
          spdlog::warn("{}: could not save the poll cursor; the next start re-reads (deduplicated)", id());
      }
    }
    timer.expires_after(s_.poll_interval);
    co_await timer.async_wait(net::use_awaitable);
  }
}

}  // namespace moderatord::connectors::rest
