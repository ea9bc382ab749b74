// The YouTube connector.
//
//   run():  quota ledger + cursor (CursorStore: "<id>" and "<id>#quota")
//             ─► poll_once: commentThreads.list (allThreadsRelatedToChannelId, order=time, newest
//                first) page by page until a page holds nothing newer than the cursor; threads with
//                more replies than the list brings get comments.list(parentId)
//             ─► sink ─► save cursor and ledger ─► sleep poll_delay() (slower when the quota is short;
//                until midnight Pacific when it is used up) ─┐
//             ▲                                              │
//             └──────────────────────────────────────────────┘
//   apply(): hide → heldForReview, unhide → published, remove → rejected (allow_reject only).
//            Calls arriving within batch_window of each other share one setModerationStatus call
//            (up to 50 ids, 50 units instead of 50 each).
//   errors:  quotaExceeded ─► ledger exhausted, nothing until the reset; 401 / keyInvalid ─► no more
//            calls, one admin alert per credential, the credential re-read every poll interval.
//   tokens:  with a refresh token (client_id + client secret + refresh token), the access token is
//            renewed at token_url before a call when there is none or it expires within 5 minutes,
//            and after a 401 (the refused call is then sent once more):
//
//              call ─401─► renew (one at a time; a call refused with a token renewed since just
//                │          sends again) ─ok─► send again
//                │            ├─ invalid_grant ─► one alert, no calls; files re-read every interval
//                │            └─ network / 5xx ─► no calls until the next poll tries again, no alert
//                └─ ok
//
// Threading: everything runs on the event loop (a single-threaded io_context); the open batches
// and the ledger are touched only there.
#include "connectors/youtube/youtube_connector.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <cctype>
#include <map>

#include "connectors/http/https_client.hpp"
#include "connectors/http/redact.hpp"
#include "connectors/meta/meta_connector.hpp"
#include "connectors/one_at_a_time.hpp"
#include "connectors/settings_reader.hpp"
#include "connectors/youtube/quota_ledger.hpp"
#include "connectors/youtube/youtube_json.hpp"

namespace moderatord::connectors {
namespace {

using namespace std::chrono_literals;
using http::HttpsFailure;
using youtube::ApiErrorClass;

// Quota costs: https://developers.google.com/youtube/v3/determine_quota_cost
constexpr int kListCost = 1;
constexpr int kModerationCost = 50;
constexpr std::size_t kMaxBatch = 50;  // setModerationStatus takes a comma-separated id list
constexpr int kThreadsPerPage = 100;   // commentThreads.list maxResults: 1..100
// While the credential is refused, an action comes back this much later.
constexpr std::chrono::milliseconds kTokenRetry = 15min;
// Rate limited without a Retry-After.
constexpr std::chrono::milliseconds kRateLimitWait = 60s;
// While the token endpoint fails (not a refusal), an action comes back this much later.
constexpr std::chrono::milliseconds kRenewRetry = 60s;
// A refreshed token is renewed this long before it expires (Google's last an hour): a poll that
// starts just before the expiry must not run into it halfway through its pages.
constexpr std::chrono::seconds kRenewAhead = 5min;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Channel and comment ids: letters, digits, '_', '-' and (replies) '.'; nothing that could change
// the request's path or query.
bool valid_id(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
  return true;
}

struct Settings {
  youtube::Channel channel;
  std::string api_base = "https://www.googleapis.com/youtube/v3";
  http::HttpsClientOptions http;
  bool oauth = false;    // an access token or a refresh token is configured (else an API key: read only)
  bool refresh = false;  // client_id, client secret and refresh token: the connector renews access tokens
  std::string client_id;
  std::string token_url = "https://oauth2.googleapis.com/token";
  std::chrono::seconds poll_interval{300};
  std::chrono::seconds lookback{2 * 86'400};
  std::chrono::seconds overlap{300};  // re-read before the cursor: late indexing, clock skew
  int max_pages = 10;
  bool allow_reject = false;
  int quota_per_day = 10'000;
  int quota_reserve = 1'000;
  std::chrono::milliseconds batch_window{300};
  std::chrono::milliseconds action_max_wait{10'000};
};

// The OAuth client's secret and the refresh token (offline access): what renews the access token.
struct Grant {
  std::string client_secret;  // never logged
  std::string refresh_token;  // never logged
  bool operator==(const Grant&) const = default;
};

bool has_secret(const ConnectorConfig& config, const std::string& key) {
  return config.settings.count(key + "_file") > 0 || config.settings.count(key + "_credential") > 0;
}

Result<Grant> read_grant(const ConnectorConfig& config) {
  auto secret = read_secret(config, "client_secret");
  if (!secret) return secret.error();
  auto token = read_secret(config, "refresh_token");
  if (!token) return token.error();
  return Grant{std::move(*secret), std::move(*token)};
}

// client_id, client secret and refresh token go together: a partial set names what is missing
// (an admin who set two of them meant to set the third).
std::optional<Error> check_refresh_settings(const ConnectorConfig& config, const std::string& who, Settings& s) {
  const bool id = config.settings.count("client_id") > 0;
  const bool secret = has_secret(config, "client_secret");
  const bool token = has_secret(config, "refresh_token");
  const std::string all = "client_id, client_secret_file / client_secret_credential and refresh_token_file / "
                          "refresh_token_credential go together";
  if (!id && !secret && !token) {
    if (config.settings.count("token_url") > 0) return Error(who + "token_url is set but not the rest: " + all);
    return std::nullopt;
  }
  if (!id) return Error(who + "client_id is missing: " + all);
  if (!secret) return Error(who + "client_secret_file / client_secret_credential is missing: " + all);
  if (!token) return Error(who + "refresh_token_file / refresh_token_credential is missing: " + all);
  if (s.client_id.empty()) return Error(who + "client_id is empty");
  if (auto g = read_grant(config); !g) return g.error();
  s.refresh = true;
  return std::nullopt;
}

Result<Settings> read_settings(const ConnectorConfig& config) {
  const SettingsReader r(config);
  const std::string& who = r.who();
  Settings s;
  s.channel.account = config.id;
  s.http.name = config.id;
  for (const auto& [k, v] : config.settings) {
    std::optional<Error> bad;
    std::int64_t n = 0;
    if (k == "access_token_file" || k == "access_token_credential" || k == "api_key_file" || k == "api_key_credential" ||
        k == "client_secret_file" || k == "client_secret_credential" || k == "refresh_token_file" ||
        k == "refresh_token_credential")
      continue;  // read below
    if (k == "channel_id") s.channel.id = v;
    else if (k == "api_base") bad = r.https_url(k, v, s.api_base);
    else if (k == "client_id") s.client_id = v;
    else if (k == "token_url") bad = r.https_url(k, v, s.token_url);
    else if (k == "poll_interval") bad = r.duration(k, v, 0, 86'400, s.poll_interval);
    else if (k == "lookback") bad = r.duration(k, v, 60, 30 * 86'400, s.lookback);
    else if (k == "max_pages") {
      if (!(bad = r.whole_number(k, v, 1, 1000, n))) s.max_pages = static_cast<int>(n);
    } else if (k == "allow_reject") bad = r.boolean(k, v, s.allow_reject);
    else if (k == "quota_per_day") {
      if (!(bad = r.whole_number(k, v, 1, 100'000'000, n))) s.quota_per_day = static_cast<int>(n);
    } else if (k == "quota_reserve") {
      if (!(bad = r.whole_number(k, v, 0, 100'000'000, n))) s.quota_reserve = static_cast<int>(n);
    } else if (k == "batch_window_ms") bad = r.duration(k, v, 0, 5'000, s.batch_window);
    else if (!r.http_option(k, v, s.http, bad)) bad = r.unknown("youtube", k);
    if (bad) return *bad;
  }
  if (!valid_id(s.channel.id)) return Error(who + "channel_id is required (the channel's id, e.g. \"UCa-vrCLQHviTOVnEKDOdetQ\")");
  if (s.quota_reserve >= s.quota_per_day)
    return Error(who + "quota_reserve (" + std::to_string(s.quota_reserve) + ") must be below quota_per_day (" +
                 std::to_string(s.quota_per_day) + ")");
  if (auto bad = check_refresh_settings(config, who, s)) return *bad;
  if (has_secret(config, "access_token")) {
    if (auto t = read_secret(config, "access_token"); !t) return t.error();
    s.oauth = true;
  } else if (s.refresh) {
    s.oauth = true;  // the first access token comes from refreshing
  } else if (has_secret(config, "api_key")) {
    if (auto t = read_secret(config, "api_key"); !t) return t.error();
  } else {
    return Error(who + "set access_token_file / access_token_credential (OAuth: reading and moderating), "
                       "client_id with client_secret_file and refresh_token_file (OAuth, renewed by moderatord) or "
                       "api_key_file / api_key_credential (reading only)");
  }
  return s;
}

class YouTubeConnector final : public Connector {
 public:
  // `credential` reads the access token (or API key) file; `grant` the client secret and refresh
  // token (only called with s.refresh). Both block briefly (small local files).
  YouTubeConnector(Settings s, std::function<Result<std::string>()> credential, std::function<Result<Grant>()> grant,
                   AlertSink alerts, daemon::policy::TimeZone pacific)
      : s_(std::move(s)), credential_source_(std::move(credential)), grant_source_(std::move(grant)),
        alerts_(std::move(alerts)), ledger_(s_.quota_per_day, pacific), pacific_(std::move(pacific)) {
    // The factory read them once already. Without an access token file, credential_ stays empty
    // until the first refresh.
    if (auto c = credential_source_()) file_credential_ = credential_ = std::move(*c);
    if (s_.refresh)
      if (auto g = grant_source_()) grant_ = std::move(*g);
  }

  const std::string& id() const noexcept override { return s_.channel.account; }
  std::string_view platform() const noexcept override { return "youtube"; }

  Capabilities capabilities() const noexcept override {
    Capabilities c;
    // Moderation needs OAuth; an API key only reads. heldForReview is undone by publishing.
    c.hide = {s_.oauth, true};
    c.unhide = {s_.oauth, true};
    c.remove = {s_.oauth && s_.allow_reject, false};  // "rejected": YouTube deletes it for good
    c.report = {false, false};  // no API to report a comment: the decision escalates instead
    return c;
  }

  WebhookDecoded handle_webhook(const HttpRequest&) const override {
    WebhookDecoded out;
    out.reply = {404, "text/plain; charset=utf-8", "YouTube sends no comment webhooks; this account is polled\n"};
    return out;
  }

  net::awaitable<void> run(CommentSink sink, CursorStore& cursors) override;
  net::awaitable<ActionOutcome> apply(const ActionRequest& request) override;

 private:
  struct Call {
    std::optional<http::HttpsResponse> response;
    std::optional<HttpsFailure> failure;
    std::optional<youtube::ApiError> error;
    ApiErrorClass cls = ApiErrorClass::other;
    bool ok() const { return response && response->status >= 200 && response->status < 300; }
  };
  // A batch of moderation calls with the same status, sent by the first caller (the leader).
  struct Batch {
    explicit Batch(net::any_io_executor ex) : done(std::move(ex)) { done.expires_at(net::steady_timer::time_point::max()); }
    std::string status;
    std::vector<std::string> ids;
    std::map<std::string, ActionOutcome> outcomes;
    net::steady_timer done;  // cancelled when outcomes are in
    bool finished = false;
  };

  enum class Renewal { renewed, refused, unavailable };

  bool credential_dead() const { return !dead_credential_.empty() && dead_credential_ == credential_; }
  // A token (or key) to send that Google has not refused.
  bool usable() const { return !credential_.empty() && !credential_dead(); }
  bool grant_refused() const { return refused_grant_ && *refused_grant_ == grant_; }
  // Whether a refresh may be tried now (not while refused, nor again before the next poll after
  // the token endpoint failed).
  bool can_renew() const { return s_.refresh && !grant_refused() && !renew_backoff_; }
  // No calls until an admin writes new credentials: nothing usable and nothing that could renew it.
  bool stopped() const { return !usable() && !(s_.refresh && !grant_refused()); }
  bool expiring() const { return renew_at_ && std::chrono::steady_clock::now() >= *renew_at_; }
  http::HttpsRequest request(const std::string& method, std::string url,
                             std::optional<std::chrono::milliseconds> max_wait) const;
  net::awaitable<Call> call(std::string method, std::string url, int cost, std::optional<std::chrono::milliseconds> max_wait);
  net::awaitable<bool> ensure_token();
  net::awaitable<Renewal> renew(std::uint64_t sent_with);
  net::awaitable<Renewal> refresh_access_token();
  net::awaitable<void> on_grant_refused(const youtube::OAuthError& e);
  net::awaitable<std::optional<std::string>> get(const std::string& url);
  net::awaitable<std::optional<std::int64_t>> poll_once(const CommentSink& sink, std::int64_t since);
  net::awaitable<bool> read_replies(const youtube::ThreadPage::Thread& t, std::vector<model::Comment>& out);
  net::awaitable<std::map<std::string, ActionOutcome>> moderate(std::vector<std::string> ids, std::string status);
  net::awaitable<void> on_error(const Call& c, const std::string& what);
  net::awaitable<void> alert(std::string once_key, std::string subject, std::string detail);
  net::awaitable<void> save_ledger();
  void recheck_credentials();
  std::string redacted(std::string text) const {
    for (const std::string* secret : {&credential_, &grant_.refresh_token, &grant_.client_secret})
      if (!secret->empty()) text = http::scrub(std::move(text), *secret);
    return text;
  }

  Settings s_;
  std::function<Result<std::string>()> credential_source_;
  std::function<Result<Grant>()> grant_source_;
  AlertSink alerts_;
  youtube::QuotaLedger ledger_;
  daemon::policy::TimeZone pacific_;  // the quota day's zone, for log lines
  std::string credential_;       // token or API key; never logged
  std::string dead_credential_;  // the one Google refused (401/keyInvalid)
  std::string file_credential_;  // what the access token (API key) file held when last read
  std::unique_ptr<http::HttpsClient> client_;
  // OAuth refresh (s_.refresh only). All of it is touched on the event loop only.
  Grant grant_;                                 // never logged
  std::optional<Grant> refused_grant_;          // the one the token endpoint refused (invalid_grant)
  std::unique_ptr<http::HttpsClient> token_client_;  // token_url is on another host than api_base
  OneAtATime renewing_;                         // one refresh at a time
  std::uint64_t renewals_ = 0;                  // access tokens obtained by refreshing so far
  std::optional<std::chrono::steady_clock::time_point> renew_at_;  // a refreshed token's renewal time
  bool renew_backoff_ = false;                  // the token endpoint failed: no new try before the next poll
  CursorStore* cursors_ = nullptr;  // set by run(); the daemon keeps the store until every apply() has ended
  std::map<std::string, std::shared_ptr<Batch>> open_;  // by moderation status
  int units_per_poll_ = 1;          // the last polls' cost, to spread the quota
  bool quota_logged_ = false;       // "paused until the reset" logged for this exhaustion
};

std::string status_for(model::ActionKind k) {
  switch (k) {
    case model::ActionKind::hide: return "heldForReview";
    case model::ActionKind::unhide: return "published";
    case model::ActionKind::remove: return "rejected";
    default: return "";
  }
}

std::string pacific_time(const daemon::policy::TimeZone& zone, std::int64_t ms) {
  const auto l = zone.to_local(ms);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s %02d:%02d", l.date.iso().c_str(), l.hour, l.minute);
  return buf;
}

net::awaitable<void> YouTubeConnector::alert(std::string once_key, std::string subject, std::string detail) {
  if (!alerts_) co_return;
  AdminAlert a{id(), "youtube", std::move(once_key), std::move(subject), std::move(detail)};
  if (!co_await alerts_(std::move(a)))
    spdlog::error("{}: could not store the admin alert; it will be raised again at the next failure", id());
}

net::awaitable<void> YouTubeConnector::save_ledger() {
  if (cursors_ == nullptr) co_return;
  // Arguments of a co_await are named first: GCC 12 destroys temporaries in it twice.
  std::string key = id() + "#quota", value = ledger_.serialize();
  const bool saved = co_await cursors_->save(key, value);
  if (!saved)
    spdlog::warn("{}: could not save the quota ledger; a restart may under-count today's units", id());
}

// While stopped, every poll interval: an admin may have written a new access token (API key), or a
// new refresh token or client secret. The file's old token is not taken up again: after a refresh
// it is older than the refused one.
void YouTubeConnector::recheck_credentials() {
  auto c = credential_source_();
  if (c && *c != dead_credential_ && *c != file_credential_) {
    file_credential_ = credential_ = std::move(*c);
    dead_credential_.clear();
    spdlog::info("{}: a new {} ({}); resuming calls", id(), s_.oauth ? "access token" : "API key",
                 meta::token_fingerprint(credential_));
  }
  if (!grant_refused()) return;
  auto g = grant_source_();
  if (g && *g != *refused_grant_) {
    grant_ = std::move(*g);
    spdlog::info("{}: a new refresh token ({}) or client secret; renewing the access token", id(),
                 meta::token_fingerprint(grant_.refresh_token));
  }
}

net::awaitable<void> YouTubeConnector::on_error(const Call& c, const std::string& what) {
  const std::string text = redacted(youtube::describe(c.error, c.response->status));
  switch (c.cls) {
    case ApiErrorClass::quota: {
      ledger_.exhaust(now_ms());
      co_await save_ledger();
      spdlog::warn("{}: YouTube says the daily quota is used up ({}); no calls until {} (America/Los_Angeles)", id(),
                   text, pacific_time(pacific_, ledger_.reset_at(now_ms())));
      quota_logged_ = true;
      co_return;
    }
    case ApiErrorClass::auth_invalid: {
      const bool first = dead_credential_ != credential_;
      dead_credential_ = credential_;
      if (!first) co_return;
      const std::string fp = meta::token_fingerprint(credential_);
      const std::string kind = s_.oauth ? "access token" : "API key";
      spdlog::error("{}: YouTube refused the {} ({}); no more calls until it is renewed: {}", id(), kind, fp, text);
      // With a refresh token, each renewal brings a new access token: one alert per refresh token.
      std::string once = "token_invalid:" + (s_.refresh ? meta::token_fingerprint(grant_.refresh_token) : fp);
      std::string subject = "moderatord: the YouTube " + kind + " of account " + id() + " is invalid";
      std::string detail = "The YouTube Data API refused the " + kind + " (fingerprint " + fp + ") on " + what + ": " +
                           text + ".\nModeration of this channel has stopped: no polling, no holding for review. Write a new " +
                           kind + " where " +
                           (s_.oauth ? "access_token_file / access_token_credential" : "api_key_file / api_key_credential") +
                           " points; moderatord reads it again every poll interval.";
      if (s_.refresh)  // refused right after a refresh: the refresh token is good, its tokens are not
        detail += "\nThis token was just renewed with the refresh token (client_id " + s_.client_id +
                  "): check that the refresh token was issued to the channel's owner or a manager with the "
                  "youtube.force-ssl scope.";
      co_await alert(std::move(once), std::move(subject), std::move(detail));
      co_return;
    }
    case ApiErrorClass::permission: {
      spdlog::error("{}: YouTube refused {} (permission): {}", id(), what, text);
      std::string once = "permission:" + (c.error ? c.error->reason : std::string("403"));
      std::string subject = "moderatord: the YouTube account " + id() + " lacks a permission";
      std::string detail = "The YouTube Data API refused " + what + ": " + text +
                           ".\nThe OAuth token needs the https://www.googleapis.com/auth/youtube.force-ssl scope and "
                           "must belong to the channel's owner or a manager.";
      co_await alert(std::move(once), std::move(subject), std::move(detail));
      co_return;
    }
    default:
      spdlog::warn("{}: YouTube error on {}: {}", id(), what, text);
      co_return;
  }
}

net::awaitable<YouTubeConnector::Call> YouTubeConnector::call(std::string method, std::string url, int cost,
                                                              std::optional<std::chrono::milliseconds> max_wait) {
  Call out;
  if (!client_) {
    auto ex = co_await net::this_coro::executor;
    auto c = http::HttpsClient::create(ex, s_.http);
    if (!c) {
      out.failure = HttpsFailure{HttpsFailure::Kind::tls, c.error().to_string(), {}};
      co_return out;
    }
    client_ = std::move(*c);
  }
  http::HttpsRequest req = request(method, url, max_wait);
  const std::string what = req.method + " " + http::redact_url(req.url);
  const std::uint64_t sent_with = renewals_;
  const std::string sent_token = credential_;
  auto r = co_await client_->send(std::move(req));
  // Google counts every request that reaches it, failed or not.
  if (r) ledger_.charge(cost * std::max(1, r->attempts), now_ms());
  if (r && r->status >= 400 && s_.refresh) {
    out.error = youtube::parse_api_error(r->body);
    out.cls = youtube::classify(out.error, r->status);
  }
  if (out.cls == ApiErrorClass::auth_invalid) {  // refresh configured: renew and send once more
    const Renewal renewal = co_await renew(sent_with);
    if (renewal != Renewal::renewed) {
      // Refused: the renewal alerted once; the token endpoint failed: the next poll tries again.
      // Either way this token is spent, and it is not the admins' business yet.
      dead_credential_ = sent_token;
      out.response = std::move(*r);
      co_return out;
    }
    out.error.reset();  // the refused attempt's error says nothing about the one sent again
    out.cls = ApiErrorClass::other;
    http::HttpsRequest again = request(method, url, max_wait);
    r = co_await client_->send(std::move(again));
    if (r) ledger_.charge(cost * std::max(1, r->attempts), now_ms());
  }
  if (!r) {
    out.failure = r.error();
    out.failure->message = redacted(out.failure->message);
    co_return out;
  }
  out.response = std::move(*r);
  if (out.response->status >= 400) {
    out.error = youtube::parse_api_error(out.response->body);
    out.cls = youtube::classify(out.error, out.response->status);
    co_await on_error(out, what);
  }
  co_return out;
}

http::HttpsRequest YouTubeConnector::request(const std::string& method, std::string url,
                                             std::optional<std::chrono::milliseconds> max_wait) const {
  http::HttpsRequest req;
  req.method = method;
  if (s_.oauth) {
    req.headers.emplace_back("Authorization", "Bearer " + credential_);  // never in the URL
  } else {
    // API keys go in the query (Google takes them nowhere else for this API); redact_url hides `key`.
    url += (url.find('?') == std::string::npos ? "?key=" : "&key=") + meta::url_encode(credential_);
  }
  req.url = std::move(url);
  req.max_wait = max_wait;
  return req;
}

// Before a call: a token to send. With a refresh token, it is renewed first when there is none yet,
// Google refused it, or it expires soon. False: no call now.
net::awaitable<bool> YouTubeConnector::ensure_token() {
  if (can_renew() && (!usable() || expiring())) {
    const std::uint64_t seen = renewals_;
    co_await renew(seen);  // its outcome shows in usable(); a failed early renewal keeps the old token
  }
  co_return usable();
}

// One refresh at a time (one_at_a_time.hpp). Google's refresh tokens are not single-use, but two
// calls refused together must still not both renew: the second would throw away the first's new
// token. A call refused with a token that another call has renewed since it was sent just sends again.
net::awaitable<YouTubeConnector::Renewal> YouTubeConnector::renew(std::uint64_t sent_with) {
  co_await renewing_.wait_turn();
  if (renewals_ != sent_with) co_return Renewal::renewed;
  if (!can_renew()) co_return grant_refused() ? Renewal::refused : Renewal::unavailable;
  const auto turn = renewing_.enter();
  const Renewal r = co_await refresh_access_token();
  co_return r;
}

// POST token_url with the refresh_token grant: Google's "Refreshing an access token (offline access)",
// https://developers.google.com/identity/protocols/oauth2/web-server#offline
net::awaitable<YouTubeConnector::Renewal> YouTubeConnector::refresh_access_token() {
  if (!token_client_) {
    auto ex = co_await net::this_coro::executor;
    auto c = http::HttpsClient::create(ex, s_.http);
    if (!c) {
      spdlog::error("{}: no HTTPS client for the token endpoint: {}", id(), c.error().to_string());
      renew_backoff_ = true;
      co_return Renewal::unavailable;
    }
    token_client_ = std::move(*c);
  }
  http::HttpsRequest req;
  req.method = "POST";
  req.url = s_.token_url;
  req.content_type = "application/x-www-form-urlencoded";
  req.body = "grant_type=refresh_token&refresh_token=" + meta::url_encode(grant_.refresh_token) +
             "&client_id=" + meta::url_encode(s_.client_id) + "&client_secret=" + meta::url_encode(grant_.client_secret);
  req.max_wait = s_.action_max_wait;
  auto r = co_await token_client_->send(std::move(req));
  if (!r) {
    spdlog::warn("{}: could not renew the access token: {} ({}); trying again at the next poll", id(),
                 redacted(r.error().message), http::to_string(r.error().kind));
    renew_backoff_ = true;
    co_return Renewal::unavailable;
  }
  if (r->status == 200) {
    auto t = youtube::parse_access_token(r->body);
    if (!t) {
      spdlog::warn("{}: could not renew the access token: {}; trying again at the next poll", id(),
                   t.error().to_string());
      renew_backoff_ = true;
      co_return Renewal::unavailable;
    }
    credential_ = std::move(t->token);
    ++renewals_;
    renew_at_.reset();
    if (t->expires_in > 0) {
      const std::chrono::seconds lifetime(t->expires_in);
      renew_at_ = std::chrono::steady_clock::now() + lifetime - std::min<std::chrono::seconds>(kRenewAhead, lifetime / 2);
    }
    spdlog::info("{}: renewed the access token ({}), valid for {} s", id(), meta::token_fingerprint(credential_),
                 t->expires_in);
    co_return Renewal::renewed;
  }
  // A refusal is the token endpoint's own error object with 400 or 401 (invalid_grant: revoked or
  // expired; invalid_client: a wrong client id or secret): it will not get better by itself.
  auto e = youtube::parse_oauth_error(r->body);
  if ((r->status == 400 || r->status == 401) && e) {
    co_await on_grant_refused(*e);
    co_return Renewal::refused;
  }
  spdlog::warn("{}: could not renew the access token: the token endpoint answered HTTP {}; trying again at the "
               "next poll", id(), r->status);
  renew_backoff_ = true;
  co_return Renewal::unavailable;
}

net::awaitable<void> YouTubeConnector::on_grant_refused(const youtube::OAuthError& e) {
  refused_grant_ = grant_;
  dead_credential_ = credential_;  // stop now: one alert, not a 401 for every call until the token expires
  const std::string fp = meta::token_fingerprint(grant_.refresh_token);
  const std::string text = redacted(e.error + (e.description.empty() ? "" : ": " + e.description.substr(0, 300)));
  spdlog::error("{}: Google refused to renew the access token with the refresh token ({}): {}; no more calls until "
                "the refresh token or client secret is renewed", id(), fp, text);
  std::string once = "refresh_refused:" + fp;
  std::string subject = "moderatord: Google refused the YouTube refresh token of account " + id();
  std::string detail =
      "Google's token endpoint refused to renew the access token with the refresh token (fingerprint " + fp +
      ", client_id " + s_.client_id + "): " + text +
      ".\nModeration of this channel has stopped: no polling, no holding for review. " +
      (e.error == "invalid_client"
           ? "Check client_id and the client secret (client_secret_file / client_secret_credential) against the "
             "OAuth client in the Google Cloud console."
           : "The refresh token was revoked or has expired (unused for six months, the password changed, or the app "
             "is in testing mode, whose refresh tokens last seven days). Authorise the app again for the channel "
             "(scope https://www.googleapis.com/auth/youtube.force-ssl, access_type=offline) and write the new "
             "refresh token where refresh_token_file / refresh_token_credential points.") +
      " moderatord reads the files again every poll interval.";
  co_await alert(std::move(once), std::move(subject), std::move(detail));
}

net::awaitable<std::optional<std::string>> YouTubeConnector::get(const std::string& url) {
  if (stopped()) co_return std::nullopt;
  if (ledger_.remaining(now_ms()) - s_.quota_reserve < kListCost) {
    spdlog::info("{}: stopping this poll: the quota left is kept for moderation", id());
    co_return std::nullopt;
  }
  const bool ready = co_await ensure_token();
  if (!ready) co_return std::nullopt;
  std::string method = "GET", target = url;
  Call c = co_await call(std::move(method), std::move(target), kListCost, std::nullopt);
  if (c.ok()) co_return std::move(c.response->body);
  if (c.failure)
    spdlog::warn("{}: GET {} failed: {} ({})", id(), http::redact_url(url), c.failure->message, http::to_string(c.failure->kind));
  co_return std::nullopt;
}

net::awaitable<bool> YouTubeConnector::read_replies(const youtube::ThreadPage::Thread& t, std::vector<model::Comment>& out) {
  std::string token;
  for (int i = 0; i < s_.max_pages; ++i) {
    std::string url = s_.api_base + "/comments?part=snippet&parentId=" + meta::url_encode(t.id) +
                      "&maxResults=100&textFormat=plainText";
    if (!token.empty()) url += "&pageToken=" + meta::url_encode(token);
    auto body = co_await get(url);
    if (!body) co_return false;
    auto page = youtube::parse_comment_replies(*body, s_.channel, t.video_id);
    if (!page) {
      spdlog::warn("{}: unreadable replies page: {}", id(), page.error().to_string());
      co_return false;
    }
    for (auto& c : page->items) out.push_back(std::move(c));
    token = page->next_page_token;
    if (token.empty()) break;
  }
  co_return true;
}

net::awaitable<std::optional<std::int64_t>> YouTubeConnector::poll_once(const CommentSink& sink, std::int64_t since) {
  const std::int64_t from = since - s_.overlap.count();
  std::int64_t newest = since;
  std::size_t delivered = 0;
  std::string token;
  for (int page_no = 0; page_no < s_.max_pages; ++page_no) {
    std::string url = s_.api_base + "/commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=" +
                      meta::url_encode(s_.channel.id) + "&order=time&maxResults=" + std::to_string(kThreadsPerPage) +
                      "&textFormat=plainText";
    if (!token.empty()) url += "&pageToken=" + meta::url_encode(token);
    auto body = co_await get(url);
    if (!body) co_return std::nullopt;
    auto page = youtube::parse_comment_threads(*body, s_.channel);
    if (!page) {
      spdlog::warn("{}: unreadable commentThreads page: {}", id(), page.error().to_string());
      co_return std::nullopt;
    }
    // Newest first: a thread with nothing newer than the cursor was seen by an earlier poll. A
    // fresh thread is delivered whole (the store keeps repeats as repeats, edits re-classified).
    bool any_fresh = false;
    std::vector<model::Comment> fresh;
    for (const auto& t : page->threads) {
      newest = std::max(newest, t.newest);
      if (t.newest < from) continue;
      any_fresh = true;
      // A thread that did not bring all its replies gets them all from comments.list.
      for (const auto& c : page->items)
        if (c.platform_id == t.id || (c.parent_id == t.id && t.missing_replies == 0)) fresh.push_back(c);
      if (t.missing_replies > 0) {
        // co_await never inside && or ?: (GCC 12 miscompiles it).
        const bool ok = co_await read_replies(t, fresh);
        if (!ok) co_return std::nullopt;
      }
    }
    delivered += fresh.size();
    if (!fresh.empty()) {
      const bool stored = co_await sink(std::move(fresh));
      if (!stored) co_return std::nullopt;
    }
    token = page->next_page_token;
    if (!any_fresh || token.empty()) break;
  }
  if (delivered > 0) spdlog::info("{}: poll found {} comment(s) since {}", id(), delivered, from);
  co_return newest;
}

net::awaitable<void> YouTubeConnector::run(CommentSink sink, CursorStore& cursors) {
  cursors_ = &cursors;
  auto executor = co_await net::this_coro::executor;
  net::steady_timer timer(executor);
  const std::string quota_key = id() + "#quota";
  auto saved_quota = co_await cursors.load(quota_key);
  if (saved_quota && !ledger_.restore(*saved_quota))
    spdlog::warn("{}: unreadable quota ledger '{}'; counting today from 0", id(), *saved_quota);
  std::int64_t since = now_ms() / 1000 - s_.lookback.count();
  if (auto saved = co_await cursors.load(id()); saved)
    if (auto n = to_int(*saved)) since = *n;
  if (s_.poll_interval.count() == 0) spdlog::info("{}: polling off (poll_interval = 0)", id());
  for (;;) {
    renew_backoff_ = false;  // the token endpoint failed earlier: each poll tries it again
    if (stopped()) recheck_credentials();
    const std::int64_t t0 = now_ms();
    const bool polling = !stopped() && s_.poll_interval.count() > 0;
    if (polling && ledger_.remaining(t0) - s_.quota_reserve >= units_per_poll_) {
      quota_logged_ = false;
      const int before = ledger_.used(t0);
      auto next = co_await poll_once(sink, since);
      const int cost = ledger_.used(now_ms()) - before;
      if (cost > 0) units_per_poll_ = std::max(1, (units_per_poll_ + cost + 1) / 2);
      co_await save_ledger();
      if (next && *next > since) {
        since = *next;
        const std::string value = std::to_string(since);
        const bool saved = co_await cursors.save(id(), value);
        if (!saved)
          spdlog::warn("{}: could not save the poll cursor; the next start re-reads (deduplicated)", id());
      }
    }
    const std::int64_t now = now_ms();
    const std::chrono::milliseconds to_reset(ledger_.reset_at(now) - now);
    const std::chrono::milliseconds interval =
        s_.poll_interval.count() > 0 ? std::chrono::milliseconds(s_.poll_interval) : std::chrono::milliseconds(5min);
    std::chrono::milliseconds delay =
        youtube::poll_delay(ledger_.remaining(now), s_.quota_reserve, units_per_poll_, to_reset, interval);
    if (polling && delay >= to_reset) {
      delay = to_reset + 5s;  // a little after midnight Pacific: Google's reset is not to the millisecond
      if (!quota_logged_)
        spdlog::warn("{}: YouTube quota: {} of {} units used today; polls paused until {} (America/Los_Angeles)", id(),
                     ledger_.used(now), ledger_.daily_limit(), pacific_time(pacific_, ledger_.reset_at(now)));
      quota_logged_ = true;
    } else if (polling && delay > interval) {
      spdlog::info("{}: YouTube quota: {} units left today; polling every {} s to make them last", id(),
                   ledger_.remaining(now), delay.count() / 1000);
    }
    if (!usable()) delay = std::min(delay, interval);  // re-read the credentials (or renew) each interval
    timer.expires_after(delay);
    co_await timer.async_wait(net::use_awaitable);
  }
}

net::awaitable<std::map<std::string, ActionOutcome>> YouTubeConnector::moderate(std::vector<std::string> ids,
                                                                               std::string status) {
  using S = ActionOutcome::Status;
  std::map<std::string, ActionOutcome> out;
  auto all = [&](ActionOutcome o) {
    for (const auto& i : ids) out[i] = o;
    return out;
  };
  const std::int64_t now = now_ms();
  if (stopped()) co_return all({S::retry, "the access token was refused; waiting for a new one", kTokenRetry});
  if (ledger_.remaining(now) < kModerationCost)
    co_return all({S::retry, "the YouTube quota is used up until midnight Pacific time",
                   std::chrono::milliseconds(ledger_.reset_at(now) - now) + 5s});
  const bool ready = co_await ensure_token();
  if (!ready) {
    if (stopped()) co_return all({S::retry, "the refresh token was refused; waiting for a new one", kTokenRetry});
    co_return all({S::retry, "the access token could not be renewed yet", kRenewRetry});
  }
  std::string list;
  for (const auto& i : ids) list += (list.empty() ? "" : ",") + i;
  std::string method = "POST";
  std::string url = s_.api_base + "/comments/setModerationStatus?id=" + list + "&moderationStatus=" + status;
  Call c = co_await call(std::move(method), std::move(url), kModerationCost, s_.action_max_wait);
  co_await save_ledger();
  if (c.ok()) co_return all({S::done, status + " on youtube" + (ids.size() > 1 ? " (batch of " + std::to_string(ids.size()) + ")" : ""), std::nullopt});
  if (c.failure) {
    std::optional<std::chrono::milliseconds> after;
    if (c.failure->retry_after.count() > 0) after = c.failure->retry_after;
    co_return all({S::retry, std::string(http::to_string(c.failure->kind)) + ": " + c.failure->message, after});
  }
  const std::string text = redacted(youtube::describe(c.error, c.response->status));
  std::optional<std::chrono::milliseconds> after;
  if (c.response->retry_after.count() > 0) after = c.response->retry_after;
  switch (c.cls) {
    case ApiErrorClass::quota:
      co_return all({S::retry, "quota used up: " + text, std::chrono::milliseconds(ledger_.reset_at(now_ms()) - now_ms()) + 5s});
    case ApiErrorClass::rate_limited: co_return all({S::retry, "rate limited: " + text, after.value_or(kRateLimitWait)});
    case ApiErrorClass::auth_invalid:  // sooner when a refresh may still renew it
      co_return all({S::retry, "credential refused: " + text, stopped() ? kTokenRetry : kRenewRetry});
    case ApiErrorClass::transient: co_return all({S::retry, text, after});
    default: break;
  }
  if (ids.size() > 1) {
    // One bad id (deleted since) fails the whole call: try each alone, so the others go through.
    for (const auto& i : ids) {
      std::vector<std::string> single(1, i);  // no braced list inside co_await: GCC 12 miscompiles it
      std::string same = status;
      auto one = co_await moderate(std::move(single), std::move(same));
      out[i] = one[i];
    }
    co_return out;
  }
  if (c.cls == ApiErrorClass::not_found && status == "rejected")
    co_return all({S::done, "already gone: " + text, std::nullopt});
  co_return all({S::failed, text, std::nullopt});
}

net::awaitable<ActionOutcome> YouTubeConnector::apply(const ActionRequest& req) {
  using S = ActionOutcome::Status;
  const std::string status = status_for(req.kind);
  if (status.empty())
    co_return ActionOutcome{S::failed, "YouTube has no API to " + std::string(model::to_string(req.kind)) + " a comment",
                            std::nullopt};
  if (!s_.oauth)
    co_return ActionOutcome{S::failed, "moderating needs an OAuth access token (this account has an API key only)",
                            std::nullopt};
  if (req.kind == model::ActionKind::remove && !s_.allow_reject)
    co_return ActionOutcome{S::failed, "rejecting is off for this account (allow_reject = false)", std::nullopt};
  if (!valid_id(req.platform_id)) co_return ActionOutcome{S::failed, "no valid comment id in the action", std::nullopt};

  auto executor = co_await net::this_coro::executor;
  std::shared_ptr<Batch> batch;
  bool leader = false;
  if (auto it = open_.find(status); it != open_.end() && it->second->ids.size() < kMaxBatch) {
    batch = it->second;
  } else {
    batch = std::make_shared<Batch>(executor);
    batch->status = status;
    open_[status] = batch;
    leader = true;
  }
  if (std::find(batch->ids.begin(), batch->ids.end(), req.platform_id) == batch->ids.end())
    batch->ids.push_back(req.platform_id);

  if (leader) {
    // Whatever ends the leader (its outbox deadline cancels it), the followers are woken: a batch
    // never sent comes back to each of them as a retry.
    struct Finish {
      std::shared_ptr<Batch> b;
      ~Finish() {
        if (b->finished) return;
        for (const auto& i : b->ids)
          if (!b->outcomes.count(i)) b->outcomes[i] = {ActionOutcome::Status::retry, "the batch was not sent", std::nullopt};
        b->finished = true;
        b->done.cancel();
      }
    } finish{batch};
    if (s_.batch_window.count() > 0) {
      net::steady_timer window(executor, s_.batch_window);
      co_await window.async_wait(net::as_tuple(net::use_awaitable));
    }
    if (auto it = open_.find(status); it != open_.end() && it->second == batch) open_.erase(it);  // closed to joiners
    std::vector<std::string> ids = batch->ids;
    std::string moderation_status = status;
    batch->outcomes = co_await moderate(std::move(ids), std::move(moderation_status));
  } else {
    while (!batch->finished) {
      auto [ec] = co_await batch->done.async_wait(net::as_tuple(net::use_awaitable));
      if (ec && !batch->finished) co_return ActionOutcome{S::retry, "cancelled while waiting for the batch", std::nullopt};
    }
  }
  if (auto it = batch->outcomes.find(req.platform_id); it != batch->outcomes.end()) co_return it->second;
  co_return ActionOutcome{S::retry, "the batch was not sent", std::nullopt};
}

}  // namespace

Result<ConnectorPtr> make_youtube_connector(const ConnectorConfig& config) {
  auto s = read_settings(config);
  if (!s) return s.error();
  auto pacific = daemon::policy::TimeZone::load("America/Los_Angeles");
  if (!pacific) return Error("account " + config.id + ": ICU does not know America/Los_Angeles (the quota day)");
  const bool oauth = s->oauth;
  const bool token_file = has_secret(config, "access_token");
  auto source = [config, oauth, token_file]() -> Result<std::string> {
    if (oauth && !token_file) return Error("account " + config.id + ": no access token file (renewed by refreshing)");
    return read_secret(config, oauth ? "access_token" : "api_key");
  };
  auto grant = [config] { return read_grant(config); };
  return ConnectorPtr(
      std::make_unique<YouTubeConnector>(std::move(*s), source, grant, config.alerts, std::move(*pacific)));
}

}  // namespace moderatord::connectors
