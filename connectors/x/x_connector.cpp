#include "connectors/x/x_connector.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <deque>
#include <unordered_set>

#include "connectors/meta/meta_connector.hpp"  // url_encode, token_fingerprint
#include "connectors/rest/rest_connector.hpp"
#include "connectors/x/oauth1.hpp"
#include "connectors/x/x_api.hpp"

namespace moderatord::connectors {
namespace {

using x::id_newer;

constexpr int kPageSize = 100;     // max_results for mentions and search
constexpr int kOwnPosts = 50;      // the account's recent posts read per poll
constexpr std::size_t kMaxRoots = 1000;  // conversations remembered as the council's
constexpr std::size_t kMaxQuery = 512;   // search query length on the basic tiers

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool digits(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

struct XSettings {
  rest::RestSettings rest;
  std::string user_id;
  bool oauth1 = true;
  int conversations = 10;
  bool search_replies = true;
  // OAuth 2.0 refresh (auth = "oauth2" with refresh_token_file): the daemon renews the access
  // token itself with POST /2/oauth2/token and writes the rotated refresh token back.
  std::string client_id;
  std::filesystem::path refresh_token_file;  // rewritten by the daemon; relative to state_dir
};

// The credentials, read from files or systemd credentials (again after a 401).
struct XCredentials {
  x::OAuth1Credentials oauth1;
  std::string bearer;
  std::string refresh;        // OAuth 2.0 refresh token (one use: X rotates it)
  std::string client_secret;  // confidential clients only
  bool operator==(const XCredentials& o) const {
    return bearer == o.bearer && refresh == o.refresh && client_secret == o.client_secret &&
           oauth1.consumer_key == o.oauth1.consumer_key &&
           oauth1.consumer_secret == o.oauth1.consumer_secret && oauth1.token == o.oauth1.token &&
           oauth1.token_secret == o.oauth1.token_secret;
  }
};

Result<XCredentials> read_credentials(const ConnectorConfig& config, const XSettings& s) {
  XCredentials c;
  if (!s.oauth1) {
    const bool has_bearer =
        config.settings.count("bearer_token_file") > 0 || config.settings.count("bearer_token_credential") > 0;
    if (has_bearer || s.refresh_token_file.empty()) {
      auto b = read_secret(config, "bearer_token");
      if (!b) return b.error();
      c.bearer = std::move(*b);
    }
    if (!s.refresh_token_file.empty()) {
      std::ifstream in(s.refresh_token_file);
      std::getline(in, c.refresh);
      while (!c.refresh.empty() && (c.refresh.back() == '\r' || c.refresh.back() == ' ')) c.refresh.pop_back();
      if (c.refresh.empty())
        return Error("account " + config.id + ": no refresh token in " + s.refresh_token_file.string());
      if (config.settings.count("client_secret_file") > 0 || config.settings.count("client_secret_credential") > 0) {
        auto cs = read_secret(config, "client_secret");
        if (!cs) return cs.error();
        c.client_secret = std::move(*cs);
      }
    }
    return c;
  }
  if (auto it = config.settings.find("consumer_key"); it != config.settings.end()) {
    c.oauth1.consumer_key = it->second;
  } else {
    auto k = read_secret(config, "consumer_key");
    if (!k) return k.error();
    c.oauth1.consumer_key = std::move(*k);
  }
  for (auto [key, out] : {std::pair{"consumer_secret", &c.oauth1.consumer_secret},
                          std::pair{"access_token", &c.oauth1.token},
                          std::pair{"access_token_secret", &c.oauth1.token_secret}}) {
    auto v = read_secret(config, key);
    if (!v) return v.error();
    *out = std::move(*v);
  }
  return c;
}

class XConnector final : public rest::RestConnector {
 public:
  XConnector(XSettings s, ConnectorConfig config, XCredentials creds)
      : RestConnector(s.rest, "x", config.alerts,
                      [](const http::HttpsResponse& r) { return x::x_throttle(r, now_unix()); }),
        x_(std::move(s)), config_(std::move(config)), creds_(std::move(creds)) {
    owner_.account = id();
    owner_.user_id = x_.user_id;
  }

  Capabilities capabilities() const noexcept override {
    Capabilities c;
    c.hide = {true, true};    // replies in the account's own conversations (others are marked per comment)
    c.unhide = {true, true};
    return c;                 // no report API; X deletes only the account's own posts
  }

  net::awaitable<ActionOutcome> apply(const ActionRequest& req) override {
    using S = ActionOutcome::Status;
    if (req.kind != model::ActionKind::hide && req.kind != model::ActionKind::unhide)
      co_return ActionOutcome{S::failed,
                              "X has no API to " + std::string(model::to_string(req.kind)) +
                                  " someone else's post; a moderator must do it in the app",
                              std::nullopt};
    if (!digits(req.platform_id)) co_return ActionOutcome{S::failed, "no valid post id in the action", std::nullopt};
    const bool hide = req.kind == model::ActionKind::hide;
    http::HttpsRequest put;
    put.method = "PUT";
    put.url = "/2/tweets/" + req.platform_id + "/hidden";
    put.body = hide ? R"({"hidden":true})" : R"({"hidden":false})";
    put.content_type = "application/json";
    put.max_wait = s_.action_max_wait;
    Reply r = co_await call(std::move(put));
    const std::string verb = hide ? "hide" : "unhide";
    if (r.ok()) {
      const auto state = x::parse_hidden(r.response->body);
      if (state && *state == hide) co_return ActionOutcome{S::done, verb + " on x", std::nullopt};
      co_return ActionOutcome{S::failed, verb + ": X answered without the expected state: " +
                                             scrubbed(rest::error_text(r.response->body)),
                              std::nullopt};
    }
    if (r.response && r.response->status == 403)
      co_return ActionOutcome{S::failed,
                              verb + " refused by X (403: " + scrubbed(rest::error_text(r.response->body)) +
                                  "); X hides only replies in conversations the account started",
                              std::nullopt};
    if (r.response && r.response->status == 404)
      co_return ActionOutcome{S::failed, "the post no longer exists (404)", std::nullopt};
    co_return failed_outcome(r, verb);
  }

 protected:
  net::awaitable<std::optional<std::string>> poll_once(const CommentSink& sink, const std::string& cursor) override {
    if (!x_.oauth1 && creds_.bearer.empty()) {
      const bool ok = co_await refresh_credentials();
      if (!ok) co_return std::nullopt;
    }
    std::vector<model::Comment> fresh;
    std::unordered_set<std::string> seen;
    std::string newest = cursor;
    // 1. Our own recent posts: the council's posts and replies, and the conversations we started.
    const std::string own_url =
        "/2/users/" + x_.user_id + "/tweets?max_results=" + std::to_string(kOwnPosts) + "&" + std::string(x::kTweetFields);
    auto own = co_await get(own_url);
    if (!own) co_return std::nullopt;
    auto own_page = x::parse_tweets(*own, owner_);
    if (!own_page) {
      spdlog::warn("{}: {}", id(), own_page.error().to_string());
      co_return std::nullopt;
    }
    std::vector<std::string> recent_roots;
    for (auto& c : own_page->items) {
      if (c.thread_id == c.platform_id) {
        remember_root(c.platform_id);
        recent_roots.push_back(c.platform_id);
      }
      take(std::move(c), cursor, newest, seen, fresh);
    }
    // 2. Replies in those conversations (they need not mention us).
    if (x_.search_replies && !recent_roots.empty()) {
      std::string query;
      for (int i = 0; i < x_.conversations && i < static_cast<int>(recent_roots.size()); ++i) {
        std::string term = (query.empty() ? "" : " OR ") + std::string("conversation_id:") + recent_roots[i];
        if (query.size() + term.size() > kMaxQuery) break;
        query += term;
      }
      const std::string search = "/2/tweets/search/recent?query=" + meta::url_encode(query);
      if (!co_await read_list(search, "next_token", cursor, newest, seen, fresh)) co_return std::nullopt;
    }
    // 3. Mentions anywhere (replies elsewhere, posts that name the council).
    const std::string mentions = "/2/users/" + x_.user_id + "/mentions?";
    if (!co_await read_list(mentions, "pagination_token", cursor, newest, seen, fresh)) co_return std::nullopt;
    const std::size_t n = fresh.size();
    if (!fresh.empty()) {  // not `a && co_await b`: GCC 12 miscompiles co_await in short-circuit operands
      if (!co_await sink(std::move(fresh))) co_return std::nullopt;
    }
    if (n > 0) spdlog::info("{}: poll found {} post(s)", id(), n);
    co_return newest;
  }

  void authorize(http::HttpsRequest& r) override {
    if (!x_.oauth1) {
      r.headers.emplace_back("Authorization", "Bearer " + creds_.bearer);
      return;
    }
    // A JSON body is not signed (only form bodies are); we send no form bodies.
    r.headers.emplace_back("Authorization",
                           x::oauth1_header(r.method, r.url, {}, creds_.oauth1, x::oauth1_nonce(), now_unix()));
  }
  bool reload_credentials() override {
    auto c = read_credentials(config_, x_);
    if (!c || *c == creds_) return false;
    creds_ = std::move(*c);
    return true;
  }
  std::string credential_fingerprint() const override {
    // Over all four OAuth 1.0a values: renewing any of them counts as new credentials.
    const auto& o = creds_.oauth1;
    if (!x_.oauth1) return meta::token_fingerprint(x_.refresh_token_file.empty() ? creds_.bearer : creds_.refresh);
    return meta::token_fingerprint(o.consumer_key + "/" + o.consumer_secret + "/" + o.token + "/" + o.token_secret);
  }
  std::vector<std::string> secrets() const override {
    return {creds_.bearer, creds_.refresh, creds_.client_secret, creds_.oauth1.consumer_secret, creds_.oauth1.token,
            creds_.oauth1.token_secret};
  }
  net::awaitable<bool> refresh_credentials() override {
    if (x_.oauth1 || x_.refresh_token_file.empty() || creds_.refresh.empty()) co_return false;
    // https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token (refresh_token grant)
    http::HttpsRequest req;
    req.method = "POST";
    req.url = "/2/oauth2/token";
    req.content_type = "application/x-www-form-urlencoded";
    req.body = "grant_type=refresh_token&refresh_token=" + meta::url_encode(creds_.refresh) +
               "&client_id=" + meta::url_encode(x_.client_id);
    if (!creds_.client_secret.empty())
      req.headers.emplace_back("Authorization", "Basic " + x::base64(x_.client_id + ":" + creds_.client_secret));
    req.max_wait = s_.action_max_wait;
    Reply r = co_await send_raw(std::move(req));
    if (!r.ok()) {
      spdlog::warn("{}: refreshing the OAuth 2.0 token failed: {}", id(),
                   r.failure ? r.failure->message
                             : "HTTP " + std::to_string(r.response->status) + ": " +
                                   scrubbed(rest::error_text(r.response->body)));
      co_return false;
    }
    simdjson::dom::parser parser;
    simdjson::dom::object o;
    std::string_view access, refresh;
    if (parser.parse(r.response->body).get_object().get(o) != simdjson::SUCCESS ||
        o["access_token"].get_string().get(access) != simdjson::SUCCESS || access.empty()) {
      spdlog::warn("{}: the token endpoint answered without an access token", id());
      co_return false;
    }
    creds_.bearer = std::string(access);
    if (o["refresh_token"].get_string().get(refresh) == simdjson::SUCCESS && !refresh.empty() &&
        refresh != creds_.refresh) {
      creds_.refresh = std::string(refresh);
      // X refresh tokens are single-use: the new one must be on disk before anything else, or the
      // next start cannot refresh. A few bytes every two hours: written here, not on the pool.
      if (!save_refresh_token())
        spdlog::error("{}: could not write the new refresh token to {}; re-authorise after a restart", id(),
                      x_.refresh_token_file.string());
    }
    spdlog::info("{}: refreshed the OAuth 2.0 access token ({})", id(), meta::token_fingerprint(creds_.bearer));
    co_return true;
  }

  bool save_refresh_token() const {
    const auto tmp = x_.refresh_token_file.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      if (!(out << creds_.refresh << "\n") || !out.flush()) return false;
    }
    std::error_code ec;
    std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    std::filesystem::rename(tmp, x_.refresh_token_file, ec);
    return !ec;
  }

  std::string renew_hint() const override {
    return x_.oauth1 ? "Regenerate the access token and secret (and the consumer keys if they were revoked) in the X "
                       "developer portal and write them where the *_file / *_credential settings point."
         : x_.refresh_token_file.empty()
             ? "Renew the OAuth 2.0 user access token (tweet.read users.read tweet.moderate.write) and write it "
               "where bearer_token_file / bearer_token_credential points."
             : "X refused the refresh token: authorise the app again (scopes tweet.read users.read "
               "tweet.moderate.write offline.access) and write the new refresh token to " +
                   x_.refresh_token_file.string() + ".";
  }

 private:
  void remember_root(const std::string& tweet_id) {
    if (roots_.insert(tweet_id).second) {
      roots_order_.push_back(tweet_id);
      if (roots_order_.size() > kMaxRoots) {
        roots_.erase(roots_order_.front());
        roots_order_.pop_front();
      }
    }
  }

  // Keeps `c` when it is newer than the cursor and not seen in this poll; marks a resident's post
  // in a conversation we did not start as one X will not let us hide.
  void take(model::Comment c, const std::string& cursor, std::string& newest, std::unordered_set<std::string>& seen,
            std::vector<model::Comment>& out) const {
    if (id_newer(c.platform_id, newest)) newest = c.platform_id;
    if (!cursor.empty() && !id_newer(c.platform_id, cursor)) return;
    if (!seen.insert(c.platform_id).second) return;
    const bool own = c.kind == model::CommentKind::own_post || c.kind == model::CommentKind::own_reply;
    if (!own && !roots_.count(c.thread_id))
      c.no_hide_reason = "X lets an account hide replies only in conversations it started, and the council did not "
                         "start this one";
    out.push_back(std::move(c));
  }

  // A list of posts from newest, following meta.next_token (as `token_param`) up to max_pages;
  // since_id limits it to what is newer than the cursor. The first start reads one page.
  net::awaitable<bool> read_list(std::string path, const std::string& token_param, const std::string& cursor,
                                 std::string& newest, std::unordered_set<std::string>& seen,
                                 std::vector<model::Comment>& out) {
    if (path.back() != '?') path += '&';
    path += "max_results=" + std::to_string(kPageSize) + "&" + std::string(x::kTweetFields);
    if (!cursor.empty()) path += "&since_id=" + cursor;
    std::string next;
    const int pages = cursor.empty() ? 1 : s_.max_pages;
    for (int i = 0; i < pages; ++i) {
      // Named, not a ?: inside co_await: GCC 12 destroys such temporaries twice.
      const std::string url = next.empty() ? path : path + "&" + token_param + "=" + meta::url_encode(next);
      auto body = co_await get(url);
      if (!body) co_return false;
      auto page = x::parse_tweets(*body, owner_);
      if (!page) {
        spdlog::warn("{}: {}", id(), page.error().to_string());
        co_return false;
      }
      for (auto& c : page->items) take(std::move(c), cursor, newest, seen, out);
      next = page->next_token;
      if (next.empty()) break;
    }
    co_return true;
  }

  XSettings x_;
  ConnectorConfig config_;
  XCredentials creds_;  // never logged
  x::Owner owner_;
  std::unordered_set<std::string> roots_;  // ids of conversations the account started (bounded)
  std::deque<std::string> roots_order_;
};

}  // namespace

Result<ConnectorPtr> make_x_connector(const ConnectorConfig& config) {
  const std::string who = "account " + config.id + ": ";
  XSettings s;
  s.rest.account = config.id;
  s.rest.http.name = config.id;
  s.rest.api_base = "https://api.x.com";
  static const std::unordered_set<std::string> kSecretKeys = {
      "consumer_key", "consumer_key_file", "consumer_key_credential", "consumer_secret_file",
      "consumer_secret_credential", "access_token_file", "access_token_credential", "access_token_secret_file",
      "access_token_secret_credential", "bearer_token_file", "bearer_token_credential", "client_secret_file",
      "client_secret_credential"};
  for (const auto& [k, v] : config.settings) {
    std::optional<Error> bad;
    if (kSecretKeys.count(k)) continue;  // read below
    if (rest::read_rest_setting(config, k, v, s.rest, bad)) {
      // shared key
    } else if (k == "user_id") {
      s.user_id = v;
    } else if (k == "auth") {
      if (v != "oauth1" && v != "oauth2") bad = Error(who + "auth must be \"oauth1\" or \"oauth2\"");
      s.oauth1 = v == "oauth1";
    } else if (k == "conversations") {
      auto n = rest::to_int(v);
      if (!n || *n < 1 || *n > 50) bad = Error(who + "conversations must be a whole number in [1, 50]");
      else s.conversations = static_cast<int>(*n);
    } else if (k == "client_id") {
      s.client_id = v;
    } else if (k == "refresh_token_file") {
      s.refresh_token_file = v;
      if (s.refresh_token_file.is_relative()) s.refresh_token_file = config.state_dir / s.refresh_token_file;
    } else if (k == "search_replies") {
      if (v != "true" && v != "false") bad = Error(who + "search_replies must be true or false");
      s.search_replies = v == "true";
    } else {
      bad = Error(who + "unknown x setting '" + k + "'");
    }
    if (bad) return *bad;
  }
  if (!digits(s.user_id)) return Error(who + "user_id is required (the account's numeric X user id)");
  if (!s.oauth1 && !s.refresh_token_file.empty() && s.client_id.empty())
    return Error(who + "refresh_token_file needs client_id (the app's OAuth 2.0 client id)");
  auto creds = read_credentials(config, s);
  if (!creds) return creds.error();
  return ConnectorPtr(std::make_unique<XConnector>(std::move(s), config, std::move(*creds)));
}

}  // namespace moderatord::connectors
