#pragma once
// X (API v2): the account's mentions and the replies in conversations it started, polled with a
// persisted since_id; its own posts and replies recognised as the council's. Hide and unhide a
// reply (PUT /2/tweets/:id/hidden), which X allows only in conversations the account started:
// elsewhere the comment is marked (model::Comment::no_hide_reason) and the decision escalates.
// X has no API to report a post or to delete someone else's: those escalate too.
//
// settings (one [[account]] with platform = "x"):
//   user_id                 the account's numeric X user id                                  required
//   auth                    "oauth1" (user context, signed) or "oauth2" (a user-context bearer token)
//                                                                                   Default: "oauth1"
//   oauth1: consumer_key (or consumer_key_file / _credential), consumer_secret_file | _credential,
//           access_token_file | _credential, access_token_secret_file | _credential           required
//   oauth2: bearer_token_file | bearer_token_credential (scopes tweet.read users.read
//           tweet.moderate.write; re-read after a 401), and/or refresh_token_file (relative to the
//           state dir; the daemon refreshes with POST /2/oauth2/token and writes the rotated token
//           back) with client_id (and client_secret_file | _credential for confidential clients)
//   conversations           how many of the account's recent posts' conversations are searched  Default: 10
//   search_replies          search replies by conversation_id (GET /2/tweets/search/recent)  Default: true
//   api_base (Default "https://api.x.com"), ca_file, poll_interval (Default 120), max_pages
//   (Default 10), timeout_ms, requests_per_hour
//
//   GET /2/users/:id/tweets           the account's recent posts: own_post / own_reply, and the
//                                     conversations it started
//   GET /2/tweets/search/recent?query=conversation_id:A OR conversation_id:B&since_id=N
//   GET /2/users/:id/mentions?since_id=N      (pagination_token = meta.next_token)
//   PUT /2/tweets/:id/hidden {"hidden": true|false}
// The cursor is the newest post id seen. The first start reads one page of each list.
#include "connectors/connector.hpp"

namespace moderatord::connectors {

Result<ConnectorPtr> make_x_connector(const ConnectorConfig& config);

}  // namespace moderatord::connectors
