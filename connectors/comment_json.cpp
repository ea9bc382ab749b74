#include "connectors/comment_json.hpp"

namespace moderatord::connectors {

using classifier::Error;

namespace {
// Ids come as strings or numbers depending on the bridge; we keep them as strings.
bool read_id(simdjson::dom::element e, std::string& out) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    out.assign(s);
    return true;
  }
  int64_t i;
  if (e.get_int64().get(i) == simdjson::SUCCESS) {
    out = std::to_string(i);
    return true;
  }
  uint64_t u;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) {
    out = std::to_string(u);
    return true;
  }
  return false;
}

bool optional_string(simdjson::dom::object obj, std::string_view key, std::string& out, std::string& problem) {
  simdjson::dom::element e;
  if (obj[key].get(e) != simdjson::SUCCESS || e.is_null()) return true;
  if (read_id(e, out)) return true;
  problem = "\"" + std::string(key) + "\" must be a string";
  return false;
}
}  // namespace

classifier::Result<model::Comment> comment_from_json(simdjson::dom::element el, const std::string& account,
                                                     const std::string& platform) {
  simdjson::dom::object obj;
  if (el.get_object().get(obj) != simdjson::SUCCESS) return Error("a comment must be a JSON object");
  model::Comment c;
  c.account = account;
  c.platform = platform;
  simdjson::dom::element e;
  if (obj["id"].get(e) != simdjson::SUCCESS || !read_id(e, c.platform_id) || c.platform_id.empty())
    return Error("comment without a string \"id\"");
  // {"id": "...", "deleted": true}: the comment is gone from the site; no text needed.
  if (obj["deleted"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    bool deleted = false;
    if (e.get_bool().get(deleted) != simdjson::SUCCESS)
      return Error("comment " + c.platform_id + ": \"deleted\" must be true or false");
    if (deleted) {
      c.deleted = true;
      return c;
    }
  }
  std::string_view text;
  if (obj["text"].get(e) != simdjson::SUCCESS || e.get_string().get(text) != simdjson::SUCCESS)
    return Error("comment " + c.platform_id + " has no string \"text\"");
  c.text.assign(text);
  std::string problem;
  if (!optional_string(obj, "thread_id", c.thread_id, problem) || !optional_string(obj, "parent_id", c.parent_id, problem) ||
      !optional_string(obj, "url", c.url, problem) || !optional_string(obj, "author_id", c.author_id, problem) ||
      !optional_string(obj, "author_name", c.author_name, problem))
    return Error("comment " + c.platform_id + ": " + problem);
  simdjson::dom::object author;
  if (obj["author"].get(author) == simdjson::SUCCESS) {
    if (!optional_string(author, "id", c.author_id, problem) || !optional_string(author, "name", c.author_name, problem))
      return Error("comment " + c.platform_id + ": author." + problem);
  }
  if (obj["created_at"].get(e) == simdjson::SUCCESS && !e.is_null()) {
    int64_t t;
    if (e.get_int64().get(t) != simdjson::SUCCESS || t < 0)
      return Error("comment " + c.platform_id + ": \"created_at\" must be unix seconds");
    c.created_at = t;
  }
  std::string_view kind;
  if (obj["kind"].get(e) == simdjson::SUCCESS) {
    if (e.get_string().get(kind) != simdjson::SUCCESS) return Error("comment " + c.platform_id + ": \"kind\" must be a string");
    auto k = model::parse_comment_kind(kind);
    if (!k)
      return Error("comment " + c.platform_id + ": unknown kind '" + std::string(kind) +
                   "' (comment, direct_message, own_post, own_reply)");
    c.kind = *k;
  }
  return c;
}

}  // namespace moderatord::connectors
