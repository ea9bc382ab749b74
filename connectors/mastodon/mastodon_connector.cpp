#include "connectors/mastodon/mastodon_connector.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <set>
#include <unordered_set>

#include "connectors/mastodon/mastodon_api.hpp"
#include "connectors/meta/meta_connector.hpp"  // url_encode, token_fingerprint
#include "connectors/rest/rest_connector.hpp"

namespace moderatord::connectors {
namespace {

using mastodon::id_newer;
using meta::url_encode;

constexpr int kPageSize = 40;          // Mastodon's maximum for notifications and statuses
constexpr std::size_t kMaxComment = 1000;  // a report comment's limit on Mastodon

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool digits(const std::string& s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

struct MastodonSettings {
  rest::RestSettings rest;
  bool report_forward = false;
  std::vector<std::string> rule_ids;
};

class MastodonConnector final : public rest::RestConnector {
 public:
  MastodonConnector(MastodonSettings s, ConnectorConfig config, std::string token)
      : RestConnector(s.rest, "mastodon", config.alerts,
                      [](const http::HttpsResponse& r) { return mastodon::mastodon_throttle(r, now_unix()); }),
        m_(std::move(s)), config_(std::move(config)), token_(std::move(token)) {
    owner_.account = id();
  }

  Capabilities capabilities() const noexcept override {
    Capabilities c;
    c.report = {true, false};  // a report cannot be withdrawn through the API
    return c;                  // no hide, unhide or remove of others' statuses
  }

  net::awaitable<ActionOutcome> apply(const ActionRequest& req) override {
    using S = ActionOutcome::Status;
    if (req.kind != model::ActionKind::report)
      co_return ActionOutcome{S::failed,
                              "Mastodon has no API to " + std::string(model::to_string(req.kind)) +
                                  " someone else's status; a moderator must deal with it",
                              std::nullopt};
    if (!digits(req.platform_id)) co_return ActionOutcome{S::failed, "no valid status id in the action", std::nullopt};
    if (reported_.count(req.outbox_id))  // the outcome was lost (crash); do not report twice
      co_return ActionOutcome{S::done, "reported before", std::nullopt};
    // The report names the author's account: read it from the status (also tells us it still exists).
    http::HttpsRequest look;
    look.url = "/api/v1/statuses/" + req.platform_id;
    look.max_wait = s_.action_max_wait;
    Reply st = co_await call(std::move(look));
    if (!st.ok()) {
      if (st.response && st.response->status == 404)
        co_return ActionOutcome{S::failed, "the status is gone (404): nothing to report", std::nullopt};
      co_return failed_outcome(st, "GET status");
    }
    const std::string author = mastodon::status_author_id(st.response->body);
    if (author.empty()) co_return ActionOutcome{S::failed, "the status has no account id", std::nullopt};
    const std::string labels = labels_of(req.payload_json);
    std::string category = "other";
    if (!m_.rule_ids.empty()) category = "violation";
    else if (labels.find("deceptive") != std::string::npos) category = "spam";
    std::string comment = "Reported by moderatord for " + id() + ": breaches the council's social media policy" +
                          (labels.empty() ? std::string() : " (" + labels + ")");
    if (comment.size() > kMaxComment) comment.resize(kMaxComment);
    std::string form = "account_id=" + url_encode(author) + "&status_ids%5B%5D=" + url_encode(req.platform_id) +
                       "&comment=" + url_encode(comment) + "&category=" + category +
                       "&forward=" + (m_.report_forward ? "true" : "false");
    if (category == "violation")
      for (const auto& r : m_.rule_ids) form += "&rule_ids%5B%5D=" + url_encode(r);
    http::HttpsRequest post;
    post.method = "POST";
    post.url = "/api/v1/reports";
    post.body = std::move(form);
    post.content_type = "application/x-www-form-urlencoded";
    post.max_wait = s_.action_max_wait;
    Reply rep = co_await call(std::move(post));
    if (!rep.ok()) co_return failed_outcome(rep, "POST report");
    if (reported_.size() > 10'000) reported_.clear();  // bounded; the outbox retries rarely
    reported_.insert(req.outbox_id);
    co_return ActionOutcome{S::done, "reported to " + s_.api_base + " as " + category + " (report " +
                                         mastodon::account_id_of(rep.response->body) + ")",
                            std::nullopt};
  }

 protected:
  net::awaitable<std::optional<std::string>> poll_once(const CommentSink& sink, const std::string& cursor) override {
    const auto slash = cursor.find('/');
    const std::string since_n = cursor.substr(0, slash);
    const std::string since_s = slash == std::string::npos ? std::string() : cursor.substr(slash + 1);
    if (owner_.account_id.empty()) {
      auto me = co_await get("/api/v1/accounts/verify_credentials");
      if (!me) co_return std::nullopt;
      owner_.account_id = mastodon::account_id_of(*me);
      if (!digits(owner_.account_id)) {
        owner_.account_id.clear();
        spdlog::warn("{}: verify_credentials gave no account id", id());
        co_return std::nullopt;
      }
    }
    std::vector<model::Comment> fresh;
    std::unordered_set<std::string> seen;
    std::string newest_n = since_n, newest_s = since_s;
    const std::string notifications =
        "/api/v1/notifications?types%5B%5D=mention&limit=" + std::to_string(kPageSize) +
        (since_n.empty() ? std::string() : "&since_id=" + since_n);
    if (!co_await read_list(notifications, since_n, newest_n, fresh, seen, true)) co_return std::nullopt;
    const std::string own = "/api/v1/accounts/" + owner_.account_id + "/statuses?limit=" + std::to_string(kPageSize) +
                            (since_s.empty() ? std::string() : "&since_id=" + since_s);
    if (!co_await read_list(own, since_s, newest_s, fresh, seen, false)) co_return std::nullopt;
    const std::size_t n = fresh.size();
    if (!fresh.empty()) {  // not `a && co_await b`: GCC 12 miscompiles co_await in short-circuit operands
      if (!co_await sink(std::move(fresh))) co_return std::nullopt;
    }
    if (n > 0) spdlog::info("{}: poll found {} status(es)", id(), n);
    co_return newest_n + "/" + newest_s;
  }

  void authorize(http::HttpsRequest& r) override { r.headers.emplace_back("Authorization", "Bearer " + token_); }
  bool reload_credentials() override {
    auto t = read_secret(config_, "access_token");
    if (!t || *t == token_) return false;
    token_ = std::move(*t);
    return true;
  }
  std::string credential_fingerprint() const override { return meta::token_fingerprint(token_); }
  std::vector<std::string> secrets() const override { return {token_}; }
  std::string renew_hint() const override {
    return "Create a new access token (Preferences > Development, scopes read and write:reports) and write it where "
           "access_token_file / access_token_credential points.";
  }

 private:
  // Reads a list newest first, following Link rel="next" (older) until it reaches `since` (the
  // server drops since_id from its next links) or max_pages; the first start reads one page.
  net::awaitable<bool> read_list(std::string url, const std::string& since, std::string& newest,
                                 std::vector<model::Comment>& out, std::unordered_set<std::string>& seen,
                                 bool notifications) {
    const int pages = since.empty() ? 1 : s_.max_pages;
    for (int i = 0; i < pages && !url.empty(); ++i) {
      http::HttpsRequest req;
      req.url = url;
      Reply r = co_await call(std::move(req));
      if (!r.ok()) {
        if (r.failure) spdlog::warn("{}: GET {} failed: {}", id(), url, r.failure->message);
        else if (r.response && !r.refused)
          spdlog::warn("{}: GET {} answered HTTP {}: {}", id(), url, r.response->status,
                       scrubbed(rest::error_text(r.response->body)));
        co_return false;
      }
      auto page = notifications ? mastodon::parse_notifications(r.response->body, owner_)
                                : mastodon::parse_statuses(r.response->body, owner_);
      if (!page) {
        spdlog::warn("{}: {}", id(), page.error().to_string());
        co_return false;
      }
      bool reached = page->ids.empty();
      for (const auto& pid : page->ids) {
        if (!since.empty() && !id_newer(pid, since)) reached = true;
        if (id_newer(pid, newest)) newest = pid;
      }
      for (auto& c : page->items) {
        if (!since.empty() && !notifications && !id_newer(c.platform_id, since)) continue;
        if (seen.insert(c.platform_id).second) out.push_back(std::move(c));
      }
      if (reached || page->ids.size() < static_cast<std::size_t>(kPageSize)) break;  // a short page is the last
      url = mastodon::link_next(r.response->header("link"));
      if (!url.empty() && url.rfind(s_.api_base, 0) != 0) {
        spdlog::warn("{}: not following a Link to another host", id());
        break;
      }
    }
    co_return true;
  }

  static std::string labels_of(const std::string& payload) {
    simdjson::dom::parser parser;
    std::string_view v;
    if (parser.parse(payload).get_object()["labels"].get_string().get(v) != simdjson::SUCCESS) return {};
    return std::string(v);
  }

  MastodonSettings m_;
  ConnectorConfig config_;
  std::string token_;  // never logged
  mastodon::Owner owner_;
  std::set<std::int64_t> reported_;  // outbox ids reported by this process
};

}  // namespace

Result<ConnectorPtr> make_mastodon_connector(const ConnectorConfig& config) {
  const std::string who = "account " + config.id + ": ";
  MastodonSettings s;
  s.rest.account = config.id;
  s.rest.http.name = config.id;
  for (const auto& [k, v] : config.settings) {
    std::optional<Error> bad;
    if (k == "access_token_file" || k == "access_token_credential") continue;
    if (rest::read_rest_setting(config, k, v, s.rest, bad)) {
      // shared key
    } else if (k == "report_forward") {
      if (v != "true" && v != "false") bad = Error(who + "report_forward must be true or false");
      s.report_forward = v == "true";
    } else if (k == "report_rule_ids") {
      std::size_t at = 0;
      while (at <= v.size() && !v.empty()) {
        auto comma = v.find(',', at);
        std::string idv = v.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        while (!idv.empty() && idv.front() == ' ') idv.erase(idv.begin());
        while (!idv.empty() && idv.back() == ' ') idv.pop_back();
        if (!digits(idv)) {
          bad = Error(who + "report_rule_ids must be the instance's rule ids, comma-separated (\"1,4\")");
          break;
        }
        s.rule_ids.push_back(idv);
        if (comma == std::string::npos) break;
        at = comma + 1;
      }
    } else {
      bad = Error(who + "unknown mastodon setting '" + k + "'");
    }
    if (bad) return *bad;
  }
  if (s.rest.api_base.empty()) return Error(who + "api_base is required (the instance, e.g. \"https://social.example.org\")");
  auto token = read_secret(config, "access_token");
  if (!token) return token.error();
  return ConnectorPtr(std::make_unique<MastodonConnector>(std::move(s), config, std::move(*token)));
}

}  // namespace moderatord::connectors
