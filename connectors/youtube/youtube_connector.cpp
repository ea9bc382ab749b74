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
  bool oauth = false;  // an access token is configured (else an API key: read only)
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

Result<Settings> read_settings(const ConnectorConfig& config) {
  const SettingsReader r(config);
  const std::string& who = r.who();
  Settings s;
  s.channel.account = config.id;
  s.http.name = config.id;
  for (const auto& [k, v] : config.settings) {
    std::optional<Error> bad;
    std::int64_t n = 0;
    if (k == "access_token_file" || k == "access_token_credential" || k == "api_key_file" || k == "api_key_credential")
      continue;  // read below
    if (k == "channel_id") s.channel.id = v;
    else if (k == "api_base") bad = r.https_url(k, v, s.api_base);
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
  const auto has = [&](const std::string& k) {
    return config.settings.count(k + "_file") > 0 || config.settings.count(k + "_credential") > 0;
  };
  if (has("access_token")) {
    if (auto t = read_secret(config, "access_token"); !t) return t.error();
    s.oauth = true;
  } else if (has("api_key")) {
    if (auto t = read_secret(config, "api_key"); !t) return t.error();
  } else {
    return Error(who + "set access_token_file / access_token_credential (OAuth: reading and moderating) or "
                       "api_key_file / api_key_credential (reading only)");
  }
  return s;
}

class YouTubeConnector final : public Connector {
 public:
  YouTubeConnector(Settings s, std::function<Result<std::string>()> credential, AlertSink alerts,
                   daemon::policy::TimeZone pacific)
      : s_(std::move(s)), credential_source_(std::move(credential)), alerts_(std::move(alerts)),
        ledger_(s_.quota_per_day, pacific), pacific_(std::move(pacific)) {
    if (auto c = credential_source_()) credential_ = std::move(*c);  // the factory read it once already
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

  bool credential_dead() const { return !dead_credential_.empty() && dead_credential_ == credential_; }
  net::awaitable<Call> call(std::string method, std::string url, int cost, std::optional<std::chrono::milliseconds> max_wait);
  net::awaitable<std::optional<std::string>> get(const std::string& url);
  net::awaitable<std::optional<std::int64_t>> poll_once(const CommentSink& sink, std::int64_t since);
  net::awaitable<bool> read_replies(const youtube::ThreadPage::Thread& t, std::vector<model::Comment>& out);
  net::awaitable<std::map<std::string, ActionOutcome>> moderate(std::vector<std::string> ids, std::string status);
  net::awaitable<void> on_error(const Call& c, const std::string& what);
  net::awaitable<void> alert(std::string once_key, std::string subject, std::string detail);
  net::awaitable<void> save_ledger();
  void recheck_credential();
  std::string redacted(std::string text) const { return http::scrub(std::move(text), credential_); }

  Settings s_;
  std::function<Result<std::string>()> credential_source_;
  AlertSink alerts_;
  youtube::QuotaLedger ledger_;
  daemon::policy::TimeZone pacific_;  // the quota day's zone, for log lines
  std::string credential_;       // token or API key; never logged
  std::string dead_credential_;  // the one Google refused (401/keyInvalid)
  std::unique_ptr<http::HttpsClient> client_;
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

void YouTubeConnector::recheck_credential() {
  auto c = credential_source_();
  if (c && *c != dead_credential_) {
    credential_ = std::move(*c);
    dead_credential_.clear();
    spdlog::info("{}: a new {} ({}); resuming calls", id(), s_.oauth ? "access token" : "API key",
                 meta::token_fingerprint(credential_));
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
      std::string once = "token_invalid:" + fp;
      std::string subject = "moderatord: the YouTube " + kind + " of account " + id() + " is invalid";
      std::string detail = "The YouTube Data API refused the " + kind + " (fingerprint " + fp + ") on " + what + ": " +
                           text + ".\nModeration of this channel has stopped: no polling, no holding for review. Write a new " +
                           kind + " where " +
                           (s_.oauth ? "access_token_file / access_token_credential" : "api_key_file / api_key_credential") +
                           " points; moderatord reads it again every poll interval.";
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
  http::HttpsRequest req;
  req.method = std::move(method);
  if (s_.oauth) {
    req.headers.emplace_back("Authorization", "Bearer " + credential_);  // never in the URL
  } else {
    // API keys go in the query (Google takes them nowhere else for this API); redact_url hides `key`.
    url += (url.find('?') == std::string::npos ? "?key=" : "&key=") + meta::url_encode(credential_);
  }
  req.url = std::move(url);
  req.max_wait = max_wait;
  const std::string what = req.method + " " + http::redact_url(req.url);
  auto r = co_await client_->send(std::move(req));
  if (!r) {
    out.failure = r.error();
    out.failure->message = redacted(out.failure->message);
    co_return out;
  }
  // Google counts every request that reaches it, failed or not.
  ledger_.charge(cost * std::max(1, r->attempts), now_ms());
  out.response = std::move(*r);
  if (out.response->status >= 400) {
    out.error = youtube::parse_api_error(out.response->body);
    out.cls = youtube::classify(out.error, out.response->status);
    co_await on_error(out, what);
  }
  co_return out;
}

net::awaitable<std::optional<std::string>> YouTubeConnector::get(const std::string& url) {
  if (credential_dead()) co_return std::nullopt;
  if (ledger_.remaining(now_ms()) - s_.quota_reserve < kListCost) {
    spdlog::info("{}: stopping this poll: the quota left is kept for moderation", id());
    co_return std::nullopt;
  }
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
    if (credential_dead()) recheck_credential();
    const std::int64_t t0 = now_ms();
    const bool polling = !credential_dead() && s_.poll_interval.count() > 0;
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
    if (credential_dead()) delay = std::min(delay, interval);  // re-read the credential each interval
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
  if (credential_dead()) co_return all({S::retry, "the access token was refused; waiting for a new one", kTokenRetry});
  if (ledger_.remaining(now) < kModerationCost)
    co_return all({S::retry, "the YouTube quota is used up until midnight Pacific time",
                   std::chrono::milliseconds(ledger_.reset_at(now) - now) + 5s});
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
    case ApiErrorClass::auth_invalid: co_return all({S::retry, "credential refused: " + text, kTokenRetry});
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
  auto source = [config, oauth] { return read_secret(config, oauth ? "access_token" : "api_key"); };
  return ConnectorPtr(std::make_unique<YouTubeConnector>(std::move(*s), source, config.alerts, std::move(*pacific)));
}

}  // namespace moderatord::connectors
