#include "connectors/x/x_api.hpp"

#include <simdjson.h>

#include <charconv>
#include <map>

#include "connectors/meta/graph_json.hpp"

namespace moderatord::connectors::x {

using classifier::Error;
using classifier::Result;
using meta::id_at;
using meta::string_at;

Result<TweetPage> parse_tweets(std::string_view body, const Owner& owner) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(body.data(), body.size()).get_object().get(root) != simdjson::SUCCESS)
    return Error("x: the response is not a JSON object");
  std::map<std::string, std::string, std::less<>> usernames;
  simdjson::dom::array users;
  if (root.at_pointer("/includes/users").get_array().get(users) == simdjson::SUCCESS)
    for (auto u : users) {
      simdjson::dom::object uo;
      if (u.get_object().get(uo) == simdjson::SUCCESS) usernames[id_at(uo, "id")] = string_at(uo, "username");
    }
  TweetPage page;
  simdjson::dom::object meta;
  if (root["meta"].get_object().get(meta) == simdjson::SUCCESS) page.next_token = string_at(meta, "next_token");
  simdjson::dom::array data;
  if (root["data"].get_array().get(data) != simdjson::SUCCESS) return page;  // result_count 0: no "data"
  for (auto el : data) {
    simdjson::dom::object t;
    if (el.get_object().get(t) != simdjson::SUCCESS) {
      ++page.skipped;
      continue;
    }
    model::Comment c;
    c.account = owner.account;
    c.platform = "x";
    c.platform_id = id_at(t, "id");
    c.text = string_at(t, "text");
    // A long post: `text` is its first 280 characters, note_tweet.text the whole.
    if (std::string_view full; t.at_pointer("/note_tweet/text").get_string().get(full) == simdjson::SUCCESS && !full.empty())
      c.text = std::string(full);
    c.author_id = id_at(t, "author_id");
    c.thread_id = id_at(t, "conversation_id");
    if (c.thread_id.empty()) c.thread_id = c.platform_id;
    simdjson::dom::array refs;
    if (t["referenced_tweets"].get_array().get(refs) == simdjson::SUCCESS)
      for (auto r : refs) {
        simdjson::dom::object ro;
        if (r.get_object().get(ro) == simdjson::SUCCESS && string_at(ro, "type") == "replied_to")
          c.parent_id = id_at(ro, "id");
      }
    if (auto it = usernames.find(c.author_id); it != usernames.end() && !it->second.empty()) {
      c.author_name = "@" + it->second;
      c.url = "https://x.com/" + it->second + "/status/" + c.platform_id;
    } else {
      c.url = "https://x.com/i/web/status/" + c.platform_id;
    }
    c.created_at = meta::time_at(t, "created_at").value_or(0);
    if (!owner.user_id.empty() && c.author_id == owner.user_id)
      c.kind = c.parent_id.empty() ? model::CommentKind::own_post : model::CommentKind::own_reply;
    if (c.platform_id.empty() || c.text.empty()) {
      ++page.skipped;
      continue;
    }
    page.items.push_back(std::move(c));
  }
  return page;
}

std::optional<bool> parse_hidden(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  bool hidden = false;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS ||
      root.at_pointer("/data/hidden").get_bool().get(hidden) != simdjson::SUCCESS)
    return std::nullopt;
  return hidden;
}

bool id_newer(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return a.size() > b.size();
  return a > b;
}

http::Throttle x_throttle(const http::HttpsResponse& r, std::int64_t now_unix) {
  using std::chrono::milliseconds;
  http::Throttle t;
  const bool limited = r.status == 429;
  if (!limited && r.header("x-rate-limit-remaining") != "0") return t;
  milliseconds wait{limited ? 1000 : 0};
  const std::string_view reset = r.header("x-rate-limit-reset");
  std::int64_t at = 0;
  if (auto [p, ec] = std::from_chars(reset.data(), reset.data() + reset.size(), at);
      ec == std::errc{} && p == reset.data() + reset.size() && at > now_unix)
    wait = std::max(wait, milliseconds((at - now_unix) * 1000));
  t.wait = wait;
  t.retry = limited;
  return t;
}

}  // namespace moderatord::connectors::x
