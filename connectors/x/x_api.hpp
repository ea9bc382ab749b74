#pragma once
// X API v2 responses and headers, as comments and throttles. Pure; tested against the recorded
// samples in ../shared/platforms/x/.
//   {"data": [Tweet{id, text, note_tweet{text}, author_id, conversation_id, created_at, referenced_tweets}],
//    "includes": {"users": [{id, username, name}]}, "meta": {newest_id, result_count, next_token},
//    "errors": [...]}   (errors beside data: some items were not available; they are skipped)
//   x-rate-limit-limit / -remaining / -reset (unix seconds)
//   https://docs.x.com/x-api/fundamentals/rate-limits
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifier/error.hpp"
#include "connectors/http/https_client.hpp"
#include "model/comment.hpp"

namespace moderatord::connectors::x {

// Who we are on X: our posts and replies are the council's own.
struct Owner {
  std::string account;   // the account id (config)
  std::string user_id;   // the X user id
};

struct TweetPage {
  std::vector<model::Comment> items;  // thread_id = conversation_id, parent_id = the replied_to post
  std::string next_token;             // meta.next_token ("" on the last page)
  std::size_t skipped = 0;            // items without id or text
};

// The fields every read asks for, so that parse_tweets has what it needs. note_tweet: a post longer than
// 280 characters comes with its `text` cut there; the whole of it is in note_tweet.text, and a breach
// written past the cut would otherwise never be read.
inline constexpr std::string_view kTweetFields = "tweet.fields=author_id,conversation_id,created_at,referenced_tweets,"
                                                 "in_reply_to_user_id,note_tweet&expansions=author_id&user.fields=username";

classifier::Result<TweetPage> parse_tweets(std::string_view body, const Owner& owner);

// PUT /2/tweets/:id/hidden answers {"data": {"hidden": true}}: the state X reports, if readable.
std::optional<bool> parse_hidden(std::string_view body);

// Decimal snowflake ids: true when `a` is newer than `b` ("" is oldest).
bool id_newer(std::string_view a, std::string_view b) noexcept;

// The ThrottleHook: x-rate-limit-remaining 0 holds calls back until x-rate-limit-reset; a 429 is
// retried after it (1 s when the header is missing or past). `now_unix` for tests.
http::Throttle x_throttle(const http::HttpsResponse& response, std::int64_t now_unix);

}  // namespace moderatord::connectors::x
