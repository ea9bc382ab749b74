#include "connectors/youtube/youtube_json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>

#include "connectors/meta/graph_json.hpp"

namespace moderatord::connectors::youtube {
namespace {

using classifier::Error;
using classifier::Result;
using meta::string_at;

std::int64_t time_of(simdjson::dom::object snippet, std::string_view key) {
  return meta::parse_graph_time(string_at(snippet, key)).value_or(0);
}

// One youtube#comment resource into page.items. Returns its newest time (published or updated).
std::int64_t read_comment(simdjson::dom::object o, const Channel& channel, std::string video_id,
                          const std::string& parent_id, ThreadPage& page) {
  simdjson::dom::object sn;
  if (o["snippet"].get_object().get(sn) != simdjson::SUCCESS) {
    ++page.skipped;
    return 0;
  }
  model::Comment c;
  c.account = channel.account;
  c.platform = "youtube";
  c.platform_id = string_at(o, "id");
  // textOriginal is only guaranteed to the comment's author; textDisplay is plain text when we ask
  // for textFormat=plainText (HTML otherwise, as in the recorded samples).
  c.text = string_at(sn, "textOriginal");
  if (c.text.empty()) c.text = string_at(sn, "textDisplay");
  if (video_id.empty()) video_id = string_at(sn, "videoId");
  c.parent_id = parent_id.empty() ? string_at(sn, "parentId") : parent_id;
  // A comment on the channel itself (no video) is its own thread.
  c.thread_id = !video_id.empty() ? video_id : !c.parent_id.empty() ? c.parent_id : c.platform_id;
  c.author_name = string_at(sn, "authorDisplayName");
  simdjson::dom::object author;
  if (sn["authorChannelId"].get_object().get(author) == simdjson::SUCCESS) c.author_id = string_at(author, "value");
  c.created_at = time_of(sn, "publishedAt");
  const std::int64_t newest = std::max(c.created_at, time_of(sn, "updatedAt"));
  c.kind = !channel.id.empty() && c.author_id == channel.id ? model::CommentKind::own_reply : model::CommentKind::comment;
  if (!video_id.empty() && !c.platform_id.empty())
    c.url = "https://www.youtube.com/watch?v=" + video_id + "&lc=" + c.platform_id;
  else if (const std::string ch = string_at(sn, "channelId"); !ch.empty() && !c.platform_id.empty())
    c.url = "https://www.youtube.com/channel/" + ch + "/community?lc=" + c.platform_id;
  if (c.platform_id.empty() || c.text.empty()) {
    ++page.skipped;
    return newest;
  }
  page.items.push_back(std::move(c));
  return newest;
}

Result<simdjson::dom::array> items_of(simdjson::dom::parser& parser, std::string_view body, ThreadPage& page) {
  simdjson::dom::element doc;
  if (auto e = parser.parse(body.data(), body.size()).get(doc); e)
    return Error(std::string("malformed JSON in a YouTube response: ") + simdjson::error_message(e));
  simdjson::dom::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return Error("YouTube response is not an object");
  page.next_page_token = string_at(root, "nextPageToken");
  simdjson::dom::array items;
  if (root["items"].get_array().get(items) != simdjson::SUCCESS) return Error("YouTube response without \"items\"");
  return items;
}

}  // namespace

Result<ThreadPage> parse_comment_threads(std::string_view body, const Channel& channel) {
  ThreadPage page;
  simdjson::dom::parser parser;
  auto items = items_of(parser, body, page);
  if (!items) return items.error();
  for (auto el : *items) {
    simdjson::dom::object thread, sn, top, top_sn;
    if (el.get_object().get(thread) != simdjson::SUCCESS || thread["snippet"].get_object().get(sn) != simdjson::SUCCESS ||
        sn["topLevelComment"].get_object().get(top) != simdjson::SUCCESS) {
      ++page.skipped;
      continue;
    }
    ThreadPage::Thread t;
    t.id = string_at(thread, "id");
    t.video_id = string_at(sn, "videoId");
    t.newest = read_comment(top, channel, t.video_id, "", page);
    if (t.id.empty()) t.id = string_at(top, "id");
    std::int64_t total = 0;
    if (sn["totalReplyCount"].get_int64().get(total) != simdjson::SUCCESS) total = 0;
    int brought = 0;
    simdjson::dom::object replies;
    simdjson::dom::array list;
    if (thread["replies"].get_object().get(replies) == simdjson::SUCCESS &&
        replies["comments"].get_array().get(list) == simdjson::SUCCESS) {
      for (auto r : list) {
        simdjson::dom::object ro;
        if (r.get_object().get(ro) != simdjson::SUCCESS) continue;
        ++brought;
        t.newest = std::max(t.newest, read_comment(ro, channel, t.video_id, t.id, page));
      }
    }
    t.missing_replies = static_cast<int>(std::max<std::int64_t>(0, total - brought));
    page.threads.push_back(std::move(t));
  }
  return page;
}

Result<ThreadPage> parse_comment_replies(std::string_view body, const Channel& channel, const std::string& video_id) {
  ThreadPage page;
  simdjson::dom::parser parser;
  auto items = items_of(parser, body, page);
  if (!items) return items.error();
  for (auto el : *items) {
    simdjson::dom::object o;
    if (el.get_object().get(o) != simdjson::SUCCESS) {
      ++page.skipped;
      continue;
    }
    read_comment(o, channel, video_id, "", page);
  }
  return page;
}

std::optional<ApiError> parse_api_error(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::object err;
  if (doc["error"].get_object().get(err) != simdjson::SUCCESS) return std::nullopt;
  ApiError e;
  std::int64_t code = 0;
  if (err["code"].get_int64().get(code) == simdjson::SUCCESS) e.code = static_cast<int>(code);
  e.message = string_at(err, "message");
  e.status = string_at(err, "status");
  simdjson::dom::array errors;
  if (err["errors"].get_array().get(errors) == simdjson::SUCCESS) {
    for (auto x : errors) {
      simdjson::dom::object first;
      if (x.get_object().get(first) != simdjson::SUCCESS) continue;
      e.reason = string_at(first, "reason");
      e.domain = string_at(first, "domain");
      break;
    }
  }
  return e;
}

Result<AccessToken> parse_access_token(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(body.data(), body.size()).get_object().get(o) != simdjson::SUCCESS)
    return Error("the token endpoint's answer is not a JSON object");
  AccessToken t;
  t.token = string_at(o, "access_token");
  if (t.token.empty()) return Error("the token endpoint's answer holds no access_token");
  // It goes into an Authorization header: RFC 6750's token characters only, never a CR or LF that
  // would end the header early.
  for (const char c : t.token)
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("-._~+/=").find(c) == std::string_view::npos)
      return Error("the token endpoint's access_token holds a character a bearer token cannot have");
  std::int64_t n = 0;
  if (o["expires_in"].get_int64().get(n) == simdjson::SUCCESS && n > 0) t.expires_in = n;
  return t;
}

std::optional<OAuthError> parse_oauth_error(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(body.data(), body.size()).get_object().get(o) != simdjson::SUCCESS) return std::nullopt;
  OAuthError e{string_at(o, "error"), string_at(o, "error_description")};
  if (e.error.empty()) return std::nullopt;  // {"error": {...}} is the API's shape, not the token endpoint's
  return e;
}

ApiErrorClass classify(const std::optional<ApiError>& e, unsigned http_status) noexcept {
  const std::string_view reason = e ? std::string_view(e->reason) : std::string_view();
  if (reason == "quotaExceeded" || reason == "dailyLimitExceeded" || (e && e->domain == "youtube.quota"))
    return ApiErrorClass::quota;
  if (reason == "rateLimitExceeded" || reason == "userRateLimitExceeded" || http_status == 429)
    return ApiErrorClass::rate_limited;
  if (http_status == 401 || reason == "keyInvalid" || reason == "authError" || reason == "keyExpired")
    return ApiErrorClass::auth_invalid;
  if (http_status == 404 || reason == "commentNotFound" || reason == "notFound") return ApiErrorClass::not_found;
  if (http_status >= 500 || reason == "backendError") return ApiErrorClass::transient;
  if (http_status == 403) return ApiErrorClass::permission;
  return ApiErrorClass::other;
}

std::string describe(const std::optional<ApiError>& e, unsigned http_status) {
  std::string out = "HTTP " + std::to_string(http_status);
  if (!e) return out;
  if (!e->reason.empty()) out += " " + e->reason;
  if (!e->status.empty()) out += " (" + e->status + ")";
  if (!e->message.empty()) out += ": " + e->message.substr(0, 300);
  return out;
}

}  // namespace moderatord::connectors::youtube
