#include "connectors/meta/graph_reads.hpp"

#include <simdjson.h>

namespace moderatord::connectors::meta {
namespace {

using classifier::Error;
using classifier::Result;

Result<simdjson::dom::array> data_of(simdjson::dom::parser& parser, std::string_view body, GraphPage& page) {
  simdjson::dom::element doc;
  if (auto e = parser.parse(body.data(), body.size()).get(doc); e)
    return Error(std::string("malformed JSON in a Graph response: ") + simdjson::error_message(e));
  simdjson::dom::array data;
  if (doc["data"].get_array().get(data) != simdjson::SUCCESS) return Error("Graph response without a \"data\" list");
  simdjson::dom::object paging;
  if (doc["paging"].get_object().get(paging) == simdjson::SUCCESS) page.next = string_at(paging, "next");
  return data;
}

void author(simdjson::dom::object o, model::Comment& c) {
  simdjson::dom::object from;
  if (o["from"].get_object().get(from) == simdjson::SUCCESS) {
    c.author_id = id_at(from, "id");
    c.author_name = string_at(from, "name");
    if (c.author_name.empty()) c.author_name = string_at(from, "username");
  }
}

void facebook_comment(simdjson::dom::object o, const Owner& owner, const std::string& post_id, GraphPage& page) {
  model::Comment c;
  c.account = owner.account;
  c.platform = "facebook";
  c.platform_id = id_at(o, "id");
  c.text = string_at(o, "message");
  c.thread_id = post_id;
  c.created_at = time_at(o, "created_time").value_or(0);
  c.url = string_at(o, "permalink_url");
  author(o, c);
  simdjson::dom::object parent;
  if (o["parent"].get_object().get(parent) == simdjson::SUCCESS) c.parent_id = id_at(parent, "id");
  c.kind = !owner.id.empty() && c.author_id == owner.id ? model::CommentKind::own_reply : model::CommentKind::comment;
  if (c.platform_id.empty() || c.text.empty()) {
    ++page.skipped;
    return;
  }
  if (c.url.empty()) c.url = "https://www.facebook.com/" + post_id + "?comment_id=" + c.platform_id;
  page.items.push_back(std::move(c));
}

void instagram_comment(simdjson::dom::object o, const Owner& owner, const std::string& media_id,
                       const std::string& parent_id, GraphPage& page) {
  model::Comment c;
  c.account = owner.account;
  c.platform = "instagram";
  c.platform_id = id_at(o, "id");
  c.text = string_at(o, "text");
  c.thread_id = media_id;
  c.parent_id = parent_id.empty() ? id_at(o, "parent_id") : parent_id;
  c.created_at = time_at(o, "timestamp").value_or(0);
  simdjson::dom::object from, user;
  if (o["from"].get_object().get(from) == simdjson::SUCCESS) {
    c.author_id = id_at(from, "id");
    c.author_name = string_at(from, "username");
  } else if (o["user"].get_object().get(user) == simdjson::SUCCESS) {
    c.author_id = id_at(user, "id");
  }
  if (c.author_name.empty()) c.author_name = string_at(o, "username");
  const bool ours = (!owner.id.empty() && c.author_id == owner.id) ||
                    (!owner.username.empty() && c.author_name == owner.username);
  c.kind = ours ? model::CommentKind::own_reply : model::CommentKind::comment;
  if (c.platform_id.empty() || c.text.empty()) ++page.skipped;
  else page.items.push_back(std::move(c));
  // Replies come nested ({"replies": {"data": [...]}}) when asked for.
  simdjson::dom::object replies;
  simdjson::dom::array list;
  if (o["replies"].get_object().get(replies) == simdjson::SUCCESS && replies["data"].get_array().get(list) == simdjson::SUCCESS) {
    const std::string parent = id_at(o, "id");
    for (auto r : list) {
      simdjson::dom::object ro;
      if (r.get_object().get(ro) == simdjson::SUCCESS) instagram_comment(ro, owner, media_id, parent, page);
      else ++page.skipped;
    }
  }
}

}  // namespace

Result<GraphPage> parse_facebook_feed(std::string_view body, const Owner& owner) {
  simdjson::dom::parser parser;
  GraphPage page;
  auto data = data_of(parser, body, page);
  if (!data) return data.error();
  for (auto el : *data) {
    simdjson::dom::object post;
    if (el.get_object().get(post) != simdjson::SUCCESS) {
      ++page.skipped;
      continue;
    }
    const std::string post_id = id_at(post, "id");
    if (post_id.empty()) {
      ++page.skipped;
      continue;
    }
    model::Comment p;
    p.account = owner.account;
    p.platform = "facebook";
    p.platform_id = post_id;
    p.thread_id = post_id;
    p.text = string_at(post, "message");
    p.created_at = time_at(post, "created_time").value_or(0);
    p.url = string_at(post, "permalink_url");
    if (p.url.empty()) p.url = "https://www.facebook.com/" + post_id;
    author(post, p);
    const bool ours = p.author_id.empty() || p.author_id == owner.id;  // a Page's feed without `from`: its own posts
    p.kind = ours ? model::CommentKind::own_post : model::CommentKind::comment;
    if (!p.text.empty()) page.items.push_back(std::move(p));
    simdjson::dom::object comments;
    if (post["comments"].get_object().get(comments) == simdjson::SUCCESS) {
      simdjson::dom::array list;
      if (comments["data"].get_array().get(list) == simdjson::SUCCESS)
        for (auto c : list) {
          simdjson::dom::object co;
          if (c.get_object().get(co) == simdjson::SUCCESS) facebook_comment(co, owner, post_id, page);
          else ++page.skipped;
        }
      simdjson::dom::object paging;
      if (comments["paging"].get_object().get(paging) == simdjson::SUCCESS) {
        std::string next = string_at(paging, "next");
        if (!next.empty()) page.more.push_back(post_id + " " + next);
      }
    }
  }
  return page;
}

Result<GraphPage> parse_facebook_comments(std::string_view body, const Owner& owner, const std::string& post_id) {
  simdjson::dom::parser parser;
  GraphPage page;
  auto data = data_of(parser, body, page);
  if (!data) return data.error();
  for (auto el : *data) {
    simdjson::dom::object co;
    if (el.get_object().get(co) == simdjson::SUCCESS) facebook_comment(co, owner, post_id, page);
    else ++page.skipped;
  }
  return page;
}

Result<GraphPage> parse_facebook_conversations(std::string_view body, const Owner& owner) {
  simdjson::dom::parser parser;
  GraphPage page;
  auto data = data_of(parser, body, page);
  if (!data) return data.error();
  for (auto el : *data) {
    simdjson::dom::object conv, messages;
    simdjson::dom::array list;
    if (el.get_object().get(conv) != simdjson::SUCCESS || conv["messages"].get_object().get(messages) != simdjson::SUCCESS ||
        messages["data"].get_array().get(list) != simdjson::SUCCESS) {
      ++page.skipped;
      continue;
    }
    const std::string conv_id = id_at(conv, "id");
    std::string person;  // the conversation's other participant: the thread, as in webhooks
    for (auto m : list) {
      simdjson::dom::object mo, from;
      if (m.get_object().get(mo) == simdjson::SUCCESS && mo["from"].get_object().get(from) == simdjson::SUCCESS &&
          id_at(from, "id") != owner.id)
        person = id_at(from, "id");
    }
    for (auto m : list) {
      simdjson::dom::object mo;
      if (m.get_object().get(mo) != simdjson::SUCCESS) {
        ++page.skipped;
        continue;
      }
      model::Comment c;
      c.account = owner.account;
      c.platform = "facebook";
      c.platform_id = id_at(mo, "id");
      c.text = string_at(mo, "message");
      c.created_at = time_at(mo, "created_time").value_or(0);
      author(mo, c);
      c.thread_id = person.empty() ? conv_id : person;
      c.kind = c.author_id == owner.id ? model::CommentKind::own_reply : model::CommentKind::direct_message;
      c.url = "https://business.facebook.com/latest/inbox/all";
      if (c.platform_id.empty() || c.text.empty()) ++page.skipped;
      else page.items.push_back(std::move(c));
    }
  }
  return page;
}

Result<GraphPage> parse_instagram_media(std::string_view body, const Owner& owner) {
  simdjson::dom::parser parser;
  GraphPage page;
  auto data = data_of(parser, body, page);
  if (!data) return data.error();
  for (auto el : *data) {
    simdjson::dom::object m;
    if (el.get_object().get(m) != simdjson::SUCCESS) {
      ++page.skipped;
      continue;
    }
    const std::string id = id_at(m, "id");
    if (id.empty()) {
      ++page.skipped;
      continue;
    }
    page.more.push_back(id);
    model::Comment p;
    p.account = owner.account;
    p.platform = "instagram";
    p.platform_id = id;
    p.thread_id = id;
    p.text = string_at(m, "caption");
    p.created_at = time_at(m, "timestamp").value_or(0);
    p.url = string_at(m, "permalink");
    p.author_id = owner.id;
    p.author_name = owner.username;
    p.kind = model::CommentKind::own_post;
    if (!p.text.empty()) page.items.push_back(std::move(p));
  }
  return page;
}

Result<GraphPage> parse_instagram_comments(std::string_view body, const Owner& owner, const std::string& media_id) {
  simdjson::dom::parser parser;
  GraphPage page;
  auto data = data_of(parser, body, page);
  if (!data) return data.error();
  for (auto el : *data) {
    simdjson::dom::object co;
    if (el.get_object().get(co) == simdjson::SUCCESS) instagram_comment(co, owner, media_id, "", page);
    else ++page.skipped;
  }
  return page;
}

}  // namespace moderatord::connectors::meta
