#include "connectors/bluesky/bluesky_json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "connectors/meta/graph_json.hpp"

namespace moderatord::connectors::bluesky {
namespace {

using classifier::Error;
using classifier::Result;
using meta::string_at;

std::int64_t ms_of(std::string_view iso) {
  // Graph's reader takes fractional seconds and drops them; keep them here (indexedAt ordering).
  auto s = meta::parse_graph_time(iso);
  if (!s) return 0;
  std::int64_t ms = *s * 1000;
  if (iso.size() > 20 && iso[19] == '.') {
    int digits = 0, frac = 0;
    for (std::size_t i = 20; i < iso.size() && digits < 3 && iso[i] >= '0' && iso[i] <= '9'; ++i, ++digits)
      frac = frac * 10 + (iso[i] - '0');
    while (digits++ < 3) frac *= 10;
    ms += frac;
  }
  return ms;
}

std::string reply_uri(simdjson::dom::object record, std::string_view which) {
  simdjson::dom::object reply, ref;
  if (record["reply"].get_object().get(reply) != simdjson::SUCCESS) return {};
  if (reply[which].get_object().get(ref) != simdjson::SUCCESS) return {};
  return string_at(ref, "uri");
}

}  // namespace

std::optional<AtUri> parse_at_uri(std::string_view uri) {
  constexpr std::string_view kScheme = "at://";
  if (uri.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  uri.remove_prefix(kScheme.size());
  const auto a = uri.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = uri.find('/', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  AtUri out{std::string(uri.substr(0, a)), std::string(uri.substr(a + 1, b - a - 1)), std::string(uri.substr(b + 1))};
  auto plain = [](const std::string& s, bool colon_ok) {
    if (s.empty() || s.size() > 512) return false;
    for (char c : s)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '~' ||
            (colon_ok && c == ':')))
        return false;
    return true;
  };
  if (out.did.rfind("did:", 0) != 0 || !plain(out.did, true) || !plain(out.collection, false) ||
      !plain(out.rkey, true))
    return std::nullopt;
  return out;
}

Result<Session> parse_session(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object o;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS || doc.get_object().get(o) != simdjson::SUCCESS)
    return Error("malformed session response");
  Session s{string_at(o, "accessJwt"), string_at(o, "refreshJwt"), string_at(o, "did"), string_at(o, "handle")};
  if (s.access_jwt.empty() || s.refresh_jwt.empty() || s.did.rfind("did:", 0) != 0)
    return Error("session response without accessJwt, refreshJwt or did");
  return s;
}

Result<NotificationPage> parse_notifications(std::string_view body, const Account& account) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(body.data(), body.size()).get(doc); e)
    return Error(std::string("malformed JSON in listNotifications: ") + simdjson::error_message(e));
  simdjson::dom::object root;
  simdjson::dom::array list;
  if (doc.get_object().get(root) != simdjson::SUCCESS || root["notifications"].get_array().get(list) != simdjson::SUCCESS)
    return Error("listNotifications response without \"notifications\"");
  NotificationPage page;
  page.cursor = string_at(root, "cursor");
  for (auto el : list) {
    simdjson::dom::object n, record, author;
    if (el.get_object().get(n) != simdjson::SUCCESS) continue;
    const std::int64_t indexed = ms_of(string_at(n, "indexedAt"));
    if (indexed > 0) {
      page.newest_ms = std::max(page.newest_ms, indexed);
      page.oldest_ms = page.oldest_ms == 0 ? indexed : std::min(page.oldest_ms, indexed);
    }
    const std::string reason = string_at(n, "reason");
    if (reason != "reply" && reason != "mention") continue;  // likes, follows, reposts, quotes...
    if (n["record"].get_object().get(record) != simdjson::SUCCESS || string_at(record, "$type") != "app.bsky.feed.post") {
      ++page.skipped;
      continue;
    }
    model::Comment c;
    c.account = account.account;
    c.platform = "bluesky";
    c.platform_id = string_at(n, "uri");
    c.text = string_at(record, "text");
    if (n["author"].get_object().get(author) == simdjson::SUCCESS) {
      c.author_id = string_at(author, "did");
      c.author_name = string_at(author, "handle");
    }
    c.created_at = ms_of(string_at(record, "createdAt")) / 1000;
    if (c.created_at == 0) c.created_at = indexed / 1000;
    const std::string root_uri = reply_uri(record, "root");
    c.parent_id = reply_uri(record, "parent");
    c.thread_id = root_uri.empty() ? c.platform_id : root_uri;
    const auto at = parse_at_uri(c.platform_id);
    if (!at || c.text.empty()) {
      ++page.skipped;
      continue;
    }
    c.url = "https://bsky.app/profile/" + at->did + "/post/" + at->rkey;
    const bool ours = !account.did.empty() && c.author_id == account.did;
    c.kind = ours ? (root_uri.empty() ? model::CommentKind::own_post : model::CommentKind::own_reply)
                  : model::CommentKind::comment;
    const auto root_at = parse_at_uri(c.thread_id);
    if (!ours && (root_uri.empty() || !root_at || root_at->did != account.did))
      c.no_hide_reason = "Bluesky hides replies only in threads under the council's own posts (threadgate), and this "
                         "post is not one";
    page.items.push_back(std::move(c));
    page.indexed_ms.push_back(indexed);
  }
  return page;
}

Result<PostRef> parse_get_posts(std::string_view body, std::string_view uri) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array posts;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS ||
      doc["posts"].get_array().get(posts) != simdjson::SUCCESS)
    return Error("getPosts response without \"posts\"");
  for (auto el : posts) {
    simdjson::dom::object p, record;
    if (el.get_object().get(p) != simdjson::SUCCESS || string_at(p, "uri") != uri) continue;
    PostRef ref{string_at(p, "uri"), string_at(p, "cid"), {}};
    if (p["record"].get_object().get(record) == simdjson::SUCCESS) ref.root_uri = reply_uri(record, "root");
    if (ref.cid.empty()) return Error("getPosts: the post has no cid");
    return ref;
  }
  return Error("the post is gone (deleted, or not visible to the account)");
}

Result<Threadgate> parse_threadgate(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object o, value;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS || doc.get_object().get(o) != simdjson::SUCCESS ||
      o["value"].get_object().get(value) != simdjson::SUCCESS)
    return Error("getRecord response without a record value");
  Threadgate t;
  t.cid = string_at(o, "cid");
  t.value_json = simdjson::minify(value);
  simdjson::dom::array hidden;
  if (value["hiddenReplies"].get_array().get(hidden) == simdjson::SUCCESS)
    for (auto h : hidden) {
      std::string_view s;
      if (h.get_string().get(s) == simdjson::SUCCESS) t.hidden_replies.emplace_back(s);
    }
  return t;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string threadgate_record(const std::optional<Threadgate>& existing, const std::string& post_uri,
                              const std::vector<std::string>& hidden, const std::string& created_at) {
  std::string list = "[";
  for (const auto& h : hidden) list += (list.size() > 1 ? "," : "") + json_string(h);
  list += "]";
  std::string out = "{";
  bool have_type = false, have_post = false, have_created = false;
  if (existing && !existing->value_json.empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::object value;
    if (parser.parse(existing->value_json).get_object().get(value) == simdjson::SUCCESS) {
      for (auto field : value) {
        if (field.key == "hiddenReplies") continue;
        have_type = have_type || field.key == "$type";
        have_post = have_post || field.key == "post";
        have_created = have_created || field.key == "createdAt";
        if (out.size() > 1) out += ',';
        out += json_string(field.key) + ":" + simdjson::minify(field.value);
      }
    }
  }
  auto add = [&](std::string_view k, const std::string& v) {
    if (out.size() > 1) out += ',';
    out += json_string(k) + ":" + v;
  };
  if (!have_type) add("$type", json_string("app.bsky.feed.threadgate"));
  if (!have_post) add("post", json_string(post_uri));
  if (!have_created) add("createdAt", json_string(created_at));
  add("hiddenReplies", list);
  return out + "}";
}

std::optional<XrpcError> parse_xrpc_error(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object o;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS || doc.get_object().get(o) != simdjson::SUCCESS)
    return std::nullopt;
  XrpcError e{string_at(o, "error"), string_at(o, "message")};
  if (e.error.empty()) return std::nullopt;
  return e;
}

std::string_view report_reason(std::string_view labels) noexcept {
  auto has = [&](std::string_view label) {
    for (std::size_t at = 0; (at = labels.find(label, at)) != std::string_view::npos; at += label.size()) {
      const bool start = at == 0 || labels[at - 1] == ',';
      const bool end = at + label.size() == labels.size() || labels[at + label.size()] == ',';
      if (start && end) return true;
    }
    return false;
  };
  // The most serious first: one report has one reason.
  if (has("illegal") || has("personal_data")) return "com.atproto.moderation.defs#reasonViolation";
  if (has("sexual")) return "com.atproto.moderation.defs#reasonSexual";
  if (has("abusive") || has("discriminatory") || has("obscene")) return "com.atproto.moderation.defs#reasonRude";
  if (has("deceptive")) return "com.atproto.moderation.defs#reasonMisleading";
  return "com.atproto.moderation.defs#reasonOther";
}

}  // namespace moderatord::connectors::bluesky
