#pragma once
// Mastodon REST responses and headers, as comments and throttles. Pure; tested against the
// recorded samples in ../shared/platforms/mastodon/.
//   GET /api/v1/notifications?types[]=mention   [Notification{id, type, account, status}], newest first
//   GET /api/v1/accounts/:id/statuses           [Status{id, content (HTML), in_reply_to_id, visibility, account}]
//   Link: <...?max_id=N>; rel="next", <...?min_id=M>; rel="prev"        (older page / newer page)
//   X-RateLimit-Limit / -Remaining / -Reset (ISO 8601)   https://docs.joinmastodon.org/api/rate-limits/
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "classifier/error.hpp"
#include "connectors/http/https_client.hpp"
#include "model/comment.hpp"

namespace moderatord::connectors::mastodon {

// Who we are on the instance: our statuses are the council's own posts and replies.
struct Owner {
  std::string account;     // the account id (config)
  std::string account_id;  // the Mastodon account id ("" until verify_credentials answered)
};

struct Page {
  std::vector<model::Comment> items;  // in the order received (newest first)
  std::vector<std::string> ids;       // every entry's id (notification or status), for the cursor
  std::size_t skipped = 0;            // entries without a status, id or text (other notification types...)
};

// Notifications (type "mention"; others skipped): each one's status as a comment (a direct
// status as a direct message; our own as own_post / own_reply).
classifier::Result<Page> parse_notifications(std::string_view body, const Owner& owner);
// A list of statuses (our own timeline).
classifier::Result<Page> parse_statuses(std::string_view body, const Owner& owner);
// GET /api/v1/statuses/:id or verify_credentials: the "account.id" of a status, or "id" of an account.
std::string status_author_id(std::string_view body);
std::string account_id_of(std::string_view body);

// The URL of rel="next" in a Link header ("" when none).
std::string link_next(std::string_view link_header);

// Snowflake-style ids as decimal strings: true when `a` is newer than `b` ("" is oldest).
bool id_newer(std::string_view a, std::string_view b) noexcept;

// The ThrottleHook: X-RateLimit-Remaining 0 holds calls back until X-RateLimit-Reset; a 429 is
// retried after it (1 s when the header is missing or in the past). `now_unix` for tests.
http::Throttle mastodon_throttle(const http::HttpsResponse& response, std::int64_t now_unix);

}  // namespace moderatord::connectors::mastodon
