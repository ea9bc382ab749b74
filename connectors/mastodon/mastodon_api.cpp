#include "connectors/mastodon/mastodon_api.hpp"

#include <simdjson.h>

#include "connectors/mastodon/html_text.hpp"
#include "connectors/meta/graph_json.hpp"

namespace moderatord::connectors::mastodon {
namespace {

using classifier::Error;
using classifier::Result;
using meta::id_at;
using meta::string_at;

// One status as a comment; false when it lacks an id or text.
bool to_comment(simdjson::dom::object st, const Owner& owner, model::Comment& c) {
  c.account = owner.account;
  c.platform = "mastodon";
  c.platform_id = id_at(st, "id");
  const std::string spoiler = string_at(st, "spoiler_text");
  c.text = html_to_text(string_at(st, "content"));
  if (!spoiler.empty()) c.text = spoiler + "\n\n" + c.text;  // the content warning is part of what people read
  c.parent_id = id_at(st, "in_reply_to_id");
  // The API has no conversation id: a reply's thread is the status it answers.
  c.thread_id = c.parent_id.empty() ? c.platform_id : c.parent_id;
  c.url = string_at(st, "url");
  if (c.url.empty()) c.url = string_at(st, "uri");
  c.created_at = meta::time_at(st, "created_at").value_or(0);
  simdjson::dom::object acct;
  if (st["account"].get_object().get(acct) == simdjson::SUCCESS) {
    c.author_id = id_at(acct, "id");
    const std::string handle = string_at(acct, "acct");
    c.author_name = handle.empty() ? string_at(acct, "display_name") : "@" + handle;
  }
  const bool own = !owner.account_id.empty() && c.author_id == owner.account_id;
  if (own) c.kind = c.parent_id.empty() ? model::CommentKind::own_post : model::CommentKind::own_reply;
  else if (string_at(st, "visibility") == "direct") c.kind = model::CommentKind::direct_message;
  return !c.platform_id.empty() && !c.text.empty();
}

Result<simdjson::dom::array> array_of(simdjson::dom::parser& parser, std::string_view body, const char* what) {
  simdjson::dom::array arr;
  if (parser.parse(body.data(), body.size()).get_array().get(arr) != simdjson::SUCCESS)
    return Error(std::string("mastodon: ") + what + " is not a JSON array");
  return arr;
}

}  // namespace

Result<Page> parse_notifications(std::string_view body, const Owner& owner) {
  simdjson::dom::parser parser;
  auto arr = array_of(parser, body, "the notifications list");
  if (!arr) return arr.error();
  Page page;
  for (auto el : *arr) {
    simdjson::dom::object n, st;
    if (el.get_object().get(n) != simdjson::SUCCESS) {
      ++page.skipped;
      continue;
    }
    const std::string nid = id_at(n, "id");
    if (!nid.empty()) page.ids.push_back(nid);
    model::Comment c;
    if (string_at(n, "type") != "mention" || n["status"].get_object().get(st) != simdjson::SUCCESS ||
        !to_comment(st, owner, c)) {
      ++page.skipped;
      continue;
    }
    page.items.push_back(std::move(c));
  }
  return page;
}

Result<Page> parse_statuses(std::string_view body, const Owner& owner) {
  simdjson::dom::parser parser;
  auto arr = array_of(parser, body, "the statuses list");
  if (!arr) return arr.error();
  Page page;
  for (auto el : *arr) {
    simdjson::dom::object st;
    model::Comment c;
    if (el.get_object().get(st) != simdjson::SUCCESS) {
      ++page.skipped;
      continue;
    }
    const std::string sid = id_at(st, "id");
    if (!sid.empty()) page.ids.push_back(sid);
    if (!to_comment(st, owner, c)) {
      ++page.skipped;
      continue;
    }
    page.items.push_back(std::move(c));
  }
  return page;
}

std::string status_author_id(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object root, acct;
  if (parser.parse(body.data(), body.size()).get_object().get(root) != simdjson::SUCCESS ||
      root["account"].get_object().get(acct) != simdjson::SUCCESS)
    return {};
  return id_at(acct, "id");
}

std::string account_id_of(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(body.data(), body.size()).get_object().get(root) != simdjson::SUCCESS) return {};
  return id_at(root, "id");
}

std::string link_next(std::string_view link) {
  // <url>; rel="next", <url>; rel="prev"   (RFC 8288; Mastodon quotes the rel value)
  std::size_t pos = 0;
  while (pos < link.size()) {
    const auto open = link.find('<', pos);
    if (open == std::string_view::npos) break;
    const auto close = link.find('>', open);
    if (close == std::string_view::npos) break;
    auto next_entry = link.find('<', close);
    const std::string_view params = link.substr(close + 1, next_entry == std::string_view::npos ? std::string_view::npos
                                                                                                : next_entry - close - 1);
    if (params.find("rel=\"next\"") != std::string_view::npos || params.find("rel=next") != std::string_view::npos)
      return std::string(link.substr(open + 1, close - open - 1));
    pos = close + 1;
  }
  return {};
}

bool id_newer(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return a.size() > b.size();
  return a > b;
}

http::Throttle mastodon_throttle(const http::HttpsResponse& r, std::int64_t now_unix) {
  using std::chrono::milliseconds;
  http::Throttle t;
  const std::string_view remaining = r.header("x-ratelimit-remaining");
  const bool limited = r.status == 429;
  if (!limited && remaining != "0") return t;
  milliseconds wait{limited ? 1000 : 0};
  // The reset has fractions of a second that parse_graph_time drops: wait to the next whole second.
  if (auto reset = meta::parse_graph_time(r.header("x-ratelimit-reset")); reset && *reset + 1 > now_unix)
    wait = std::max(wait, milliseconds((*reset + 1 - now_unix) * 1000));
  t.wait = wait;
  t.retry = limited;
  return t;
}

}  // namespace moderatord::connectors::mastodon
