#pragma once
// Graph API read responses for the polling safety net, as comments. Pure; tested against the
// recorded responses in ../shared/platforms/. Every list is {"data": [...], "paging": {"cursors":
// {...}, "next": URL}}; an item without an id (a response that did not ask for it) is skipped.
#include <string>
#include <string_view>
#include <vector>

#include "classifier/error.hpp"
#include "connectors/meta/graph_json.hpp"

namespace moderatord::connectors::meta {

struct GraphPage {
  std::vector<model::Comment> items;
  std::string next;        // paging.next ("" on the last page)
  std::size_t skipped = 0; // items without id or text
  // Facebook feed: posts whose nested comments have more pages (paging.next of each). Instagram
  // media lists: the media ids, to read their comments.
  std::vector<std::string> more;
};

// GET /{page-id}/feed?fields=id,message,created_time,from,permalink_url,
//     comments.order(reverse_chronological).limit(N){id,message,created_time,from,parent{id},permalink_url}
// Posts by the Page become own_post, posts by visitors comments; their comments follow.
classifier::Result<GraphPage> parse_facebook_feed(std::string_view body, const Owner& owner);
// GET /{post-id}/comments (or a comments paging.next): comments on `post_id`.
classifier::Result<GraphPage> parse_facebook_comments(std::string_view body, const Owner& owner,
                                                      const std::string& post_id);
// GET /{page-id}/conversations?fields=id,updated_time,messages.limit(N){id,message,created_time,from}
classifier::Result<GraphPage> parse_facebook_conversations(std::string_view body, const Owner& owner);

// GET /{ig-user-id}/media?fields=id,caption,timestamp,permalink,comments_count
// Captions become own_post; `more` lists every media id.
classifier::Result<GraphPage> parse_instagram_media(std::string_view body, const Owner& owner);
// GET /{ig-media-id}/comments?fields=id,text,timestamp,username,from,parent_id,replies{...}
classifier::Result<GraphPage> parse_instagram_comments(std::string_view body, const Owner& owner,
                                                       const std::string& media_id);

}  // namespace moderatord::connectors::meta
