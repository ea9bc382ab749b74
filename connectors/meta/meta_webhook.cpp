#include "connectors/meta/meta_webhook.hpp"

#include <openssl/crypto.h>

#include <cctype>

#include "connectors/webhook/webhook_connector.hpp"

namespace moderatord::connectors::meta {
namespace {

using classifier::Error;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else out += s[i];
  }
  return out;
}

std::string facebook_link(const std::string& post_id, const std::string& comment_id) {
  // A Graph post id is "<page id>_<post id>"; a comment id "<post id>_<comment id>".
  if (comment_id.empty()) return "https://www.facebook.com/" + post_id;
  return "https://www.facebook.com/" + post_id + "?comment_id=" + comment_id;
}

void author_of(simdjson::dom::object v, model::Comment& c) {
  simdjson::dom::object from;
  if (v["from"].get_object().get(from) == simdjson::SUCCESS) {
    c.author_id = id_at(from, "id");
    c.author_name = string_at(from, "name");
    if (c.author_name.empty()) c.author_name = string_at(from, "username");
  } else {  // the pre-v2.11 shape
    c.author_id = id_at(v, "sender_id");
    c.author_name = string_at(v, "sender_name");
  }
}

// A deletion the platform reported (model::Comment::deleted): only the ids matter.
model::Comment deletion(const Owner& owner, std::string platform_id, model::CommentKind kind) {
  model::Comment c;
  c.account = owner.account;
  c.platform = "facebook";
  c.platform_id = std::move(platform_id);
  c.kind = kind;
  c.deleted = true;
  return c;
}

// One `feed` (or `mention`) change value.
void decode_feed_change(simdjson::dom::object v, const Owner& owner, std::int64_t entry_time, bool mention,
                        MetaDelivery& out) {
  const std::string item = string_at(v, "item");
  const std::string verb = string_at(v, "verb");
  if (verb == "remove" && item == "comment" && !id_at(v, "comment_id").empty()) {
    // Deleted (by its author or a page admin): nothing to classify, and no reply owed any more.
    out.comments.push_back(deletion(owner, id_at(v, "comment_id"), model::CommentKind::comment));
    return;
  }
  if (verb != "add" && verb != "edited" && verb != "edit") {  // hide, unhide, reactions: nothing to classify
    ++out.ignored;
    return;
  }
  model::Comment c;
  c.account = owner.account;
  c.platform = "facebook";
  author_of(v, c);
  c.text = string_at(v, "message");
  c.created_at = time_at(v, "created_time").value_or(entry_time);
  const std::string post_id = id_at(v, "post_id");
  if (item == "comment") {
    c.platform_id = id_at(v, "comment_id");
    c.thread_id = post_id;
    const std::string parent = id_at(v, "parent_id");
    if (parent != post_id) c.parent_id = parent;  // a reply; for a top-level comment parent_id is the post
    c.kind = !mention && !owner.id.empty() && c.author_id == owner.id ? model::CommentKind::own_reply
                                                                      : model::CommentKind::comment;
    simdjson::dom::object post;
    std::string permalink;
    if (v["post"].get_object().get(post) == simdjson::SUCCESS) permalink = string_at(post, "permalink_url");
    c.url = permalink.empty() ? facebook_link(post_id, c.platform_id) : permalink + "?comment_id=" + c.platform_id;
  } else if (item == "status" || item == "post" || item == "photo" || item == "video" || item == "share") {
    c.platform_id = post_id;
    c.thread_id = post_id;
    const bool ours = !owner.id.empty() && (c.author_id.empty() || c.author_id == owner.id);
    c.kind = ours ? model::CommentKind::own_post : model::CommentKind::comment;  // a visitor's post on the Page
    c.url = facebook_link(post_id, "");
  } else {  // reaction, like, event, ...
    ++out.ignored;
    return;
  }
  if (c.platform_id.empty() || c.text.empty()) {  // a photo-only comment or a post without text
    ++out.ignored;
    return;
  }
  out.comments.push_back(std::move(c));
}

// One Messenger `messaging` event.
void decode_messaging(simdjson::dom::object ev, const Owner& owner, MetaDelivery& out) {
  simdjson::dom::object msg, sender, recipient;
  if (ev["message"].get_object().get(msg) != simdjson::SUCCESS) {  // delivery, read, postback...
    ++out.ignored;
    return;
  }
  bool flag = false;
  if (msg["is_deleted"].get_bool().get(flag) == simdjson::SUCCESS && flag) {
    // Unsent by the sender: the message no longer waits for a reply.
    if (id_at(msg, "mid").empty()) ++out.ignored;
    else out.comments.push_back(deletion(owner, id_at(msg, "mid"), model::CommentKind::direct_message));
    return;
  }
  bool echo = false;
  if (msg["is_echo"].get_bool().get(echo) != simdjson::SUCCESS) echo = false;
  model::Comment c;
  c.account = owner.account;
  c.platform = "facebook";
  c.platform_id = id_at(msg, "mid");
  c.text = string_at(msg, "text");
  std::string sender_id, recipient_id;
  if (ev["sender"].get_object().get(sender) == simdjson::SUCCESS) sender_id = id_at(sender, "id");
  if (ev["recipient"].get_object().get(recipient) == simdjson::SUCCESS) recipient_id = id_at(recipient, "id");
  // The conversation is the person's id; an echo is the Page's own message to them.
  c.author_id = sender_id;
  c.thread_id = echo ? recipient_id : sender_id;
  c.kind = echo ? model::CommentKind::own_reply : model::CommentKind::direct_message;
  c.created_at = time_at(ev, "timestamp").value_or(0);
  c.url = "https://business.facebook.com/latest/inbox/all";
  if (c.platform_id.empty() || c.text.empty()) {  // attachments only
    ++out.ignored;
    return;
  }
  out.comments.push_back(std::move(c));
}

void decode_instagram_change(std::string_view field, simdjson::dom::object v, const Owner& owner,
                             std::int64_t entry_time, MetaDelivery& out) {
  if (field == "mentions") {
    MetaDelivery::Mention m{id_at(v, "comment_id"), id_at(v, "media_id")};
    if (m.comment_id.empty()) ++out.ignored;
    else out.mentions.push_back(std::move(m));
    return;
  }
  if (field != "comments" && field != "live_comments") {
    ++out.ignored;
    return;
  }
  model::Comment c;
  c.account = owner.account;
  c.platform = "instagram";
  c.platform_id = id_at(v, "id");
  c.text = string_at(v, "text");
  c.parent_id = id_at(v, "parent_id");
  simdjson::dom::object from, media;
  if (v["from"].get_object().get(from) == simdjson::SUCCESS) {
    c.author_id = id_at(from, "id");
    c.author_name = string_at(from, "username");
  }
  if (v["media"].get_object().get(media) == simdjson::SUCCESS) c.thread_id = id_at(media, "id");
  c.created_at = time_at(v, "timestamp").value_or(entry_time);
  const bool ours = (!owner.id.empty() && c.author_id == owner.id) ||
                    (!owner.username.empty() && c.author_name == owner.username);
  c.kind = ours ? model::CommentKind::own_reply : model::CommentKind::comment;
  if (c.platform_id.empty() || c.text.empty()) {
    ++out.ignored;
    return;
  }
  out.comments.push_back(std::move(c));
}

}  // namespace

classifier::Result<MetaDelivery> decode_meta_delivery(std::string_view body, const Owner& owner) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(body.data(), body.size()).get(doc); e) {
    if (e == simdjson::UTF8_ERROR) return Error("body is not valid UTF-8");
    return Error(std::string("malformed JSON: ") + simdjson::error_message(e));
  }
  simdjson::dom::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return Error("expected a JSON object");
  std::string_view object;
  if (root["object"].get_string().get(object) != simdjson::SUCCESS) return Error("no \"object\"");
  simdjson::dom::array entries;
  if (root["entry"].get_array().get(entries) != simdjson::SUCCESS) return Error("no \"entry\" list");
  MetaDelivery out;
  const std::string_view want = owner.platform == MetaPlatform::facebook ? "page" : "instagram";
  if (object != want) {
    out.ignored = entries.size();
    return out;
  }
  for (auto entry_el : entries) {
    simdjson::dom::object entry;
    if (entry_el.get_object().get(entry) != simdjson::SUCCESS) return Error("an entry must be an object");
    const std::int64_t entry_time = time_at(entry, "time").value_or(0);
    // One Meta app can serve several Pages through one callback URL: an entry for another Page is
    // not this account's (storing it here would moderate it under the wrong account).
    if (owner.platform == MetaPlatform::facebook && !owner.id.empty()) {
      const std::string entry_id = id_at(entry, "id");
      if (!entry_id.empty() && entry_id != owner.id) {
        ++out.ignored;
        continue;
      }
    }
    simdjson::dom::array changes, messaging;
    if (entry["changes"].get_array().get(changes) == simdjson::SUCCESS) {
      for (auto ch_el : changes) {
        simdjson::dom::object ch, value;
        if (ch_el.get_object().get(ch) != simdjson::SUCCESS) return Error("a change must be an object");
        const std::string field = string_at(ch, "field");
        if (ch["value"].get_object().get(value) != simdjson::SUCCESS) {
          ++out.ignored;  // e.g. {"field":"parking"} with no value
          continue;
        }
        if (owner.platform == MetaPlatform::instagram) decode_instagram_change(field, value, owner, entry_time, out);
        else if (field == "feed" || field == "mention") decode_feed_change(value, owner, entry_time, field == "mention", out);
        else ++out.ignored;
      }
    }
    if (entry["messaging"].get_array().get(messaging) == simdjson::SUCCESS && owner.platform == MetaPlatform::facebook) {
      for (auto ev_el : messaging) {
        simdjson::dom::object ev;
        if (ev_el.get_object().get(ev) != simdjson::SUCCESS) return Error("a messaging event must be an object");
        decode_messaging(ev, owner, out);
      }
    }
  }
  return out;
}

std::string query_param(std::string_view target, std::string_view key) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == key)
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

HttpReply verify_subscription(std::string_view target, std::string_view verify_token) {
  const std::string mode = query_param(target, "hub.mode");
  const std::string token = query_param(target, "hub.verify_token");
  const std::string challenge = query_param(target, "hub.challenge");
  if (mode != "subscribe" || challenge.empty()) return {400, "text/plain; charset=utf-8", "not a subscription request\n"};
  if (token.size() != verify_token.size() || CRYPTO_memcmp(token.data(), verify_token.data(), token.size()) != 0)
    return {403, "text/plain; charset=utf-8", "wrong verify token\n"};
  // Meta's challenge is a number; echo nothing else (this reply is reflected content).
  if (challenge.size() > 128) return {400, "text/plain; charset=utf-8", "bad challenge\n"};
  for (char ch : challenge)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_')
      return {400, "text/plain; charset=utf-8", "bad challenge\n"};
  return {200, "text/plain", challenge};
}

MetaWebhookResult handle_meta_webhook(const HttpRequest& req, const Owner& owner, std::string_view app_secret,
                                      std::string_view verify_token) {
  MetaWebhookResult out;
  if (req.method == "GET") {
    out.decoded.reply = verify_subscription(req.target, verify_token);
    return out;
  }
  if (req.method != "POST") {
    out.decoded.reply = {405, "text/plain; charset=utf-8", "GET or POST only\n"};
    return out;
  }
  const std::string_view sig = req.header("x-hub-signature-256");
  if (sig.empty()) {
    out.decoded.reply = {401, "text/plain; charset=utf-8", "missing X-Hub-Signature-256\n"};
    return out;
  }
  if (!verify_webhook_signature(app_secret, req.body, sig)) {
    out.decoded.reply = {401, "text/plain; charset=utf-8", "bad signature\n"};
    return out;
  }
  auto delivery = decode_meta_delivery(req.body, owner);
  if (!delivery) {
    out.decoded.reply = {400, "text/plain; charset=utf-8", delivery.error().to_string() + "\n"};
    return out;
  }
  out.decoded.comments = std::move(delivery->comments);
  out.mentions = std::move(delivery->mentions);
  // Meta wants a 200 quickly (it retries otherwise, and disables a callback that keeps failing);
  // with comments, 200 only once they are stored, so a lost commit is redelivered.
  out.decoded.store_first = !out.decoded.comments.empty();
  out.decoded.reply = {200, "text/plain; charset=utf-8", "EVENT_RECEIVED\n"};
  return out;
}

}  // namespace moderatord::connectors::meta
