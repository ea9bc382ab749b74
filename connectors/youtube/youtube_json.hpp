#pragma once
// YouTube Data API v3 responses, read into our Comment model. Pure: tested on the recorded samples
// in ../shared/platforms/youtube/.
//   commentThreads.list  https://developers.google.com/youtube/v3/docs/commentThreads/list
//   comments.list        https://developers.google.com/youtube/v3/docs/comments/list
//   errors               https://developers.google.com/youtube/v3/docs/errors
//   token refresh        https://developers.google.com/identity/protocols/oauth2/web-server#offline
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifier/error.hpp"
#include "model/comment.hpp"

namespace moderatord::connectors::youtube {

// Whose comments are the council's: the channel's own id ("UC..."), compared with authorChannelId.
struct Channel {
  std::string account;  // our account id (config)
  std::string id;       // the channel id
};

struct ThreadPage {
  std::vector<model::Comment> items;  // top-level comments and the replies that came with them
  // Per thread: its id, the newest time in it (published or updated, of any item), and how many
  // replies it has but did not bring (replies.comments holds at most 5: the rest needs comments.list).
  struct Thread {
    std::string id;
    std::int64_t newest = 0;
    int missing_replies = 0;
    std::string video_id;
  };
  std::vector<Thread> threads;
  std::string next_page_token;  // "" on the last page
  int skipped = 0;              // items without an id or text
};

// A commentThreads.list page (part=snippet,replies).
classifier::Result<ThreadPage> parse_comment_threads(std::string_view body, const Channel& channel);
// A comments.list page (parentId=...): replies of one thread; `video_id` is the thread's video.
classifier::Result<ThreadPage> parse_comment_replies(std::string_view body, const Channel& channel,
                                                     const std::string& video_id);

// Google's error object: {"error": {"code", "message", "errors": [{"domain", "reason", "message"}], "status"}}
struct ApiError {
  int code = 0;            // the HTTP status it repeats
  std::string reason;      // errors[0].reason: "quotaExceeded", "keyInvalid", "commentNotFound"...
  std::string domain;      // errors[0].domain: "youtube.quota", "usageLimits"...
  std::string status;      // "PERMISSION_DENIED" (newer shape)
  std::string message;     // Google's text; may hold HTML
};
std::optional<ApiError> parse_api_error(std::string_view body);

enum class ApiErrorClass {
  quota,          // quotaExceeded, dailyLimitExceeded: nothing works until the daily reset
  rate_limited,   // rateLimitExceeded, userRateLimitExceeded, 429: back off a little
  auth_invalid,   // 401, keyInvalid, authError: an admin must renew the token or key
  permission,     // 403 forbidden / insufficientPermissions / PERMISSION_DENIED
  not_found,      // 404 commentNotFound and friends
  transient,      // 5xx, backendError
  other,
};
// `http_status` decides when the body names no reason.
ApiErrorClass classify(const std::optional<ApiError>& e, unsigned http_status) noexcept;
std::string describe(const std::optional<ApiError>& e, unsigned http_status);  // "HTTP 403 quotaExceeded: ..."

// Google's token endpoint, refresh_token grant. Success: {"access_token", "expires_in", "scope",
// "token_type": "Bearer"}. A refusal (400/401): {"error": "invalid_grant", "error_description"}.
struct AccessToken {
  std::string token;            // never logged
  std::int64_t expires_in = 0;  // seconds from now; 0 when not given
};
classifier::Result<AccessToken> parse_access_token(std::string_view body);  // errors never quote the body
struct OAuthError {
  std::string error;        // "invalid_grant", "invalid_client"...
  std::string description;  // Google's text (may be empty)
};
std::optional<OAuthError> parse_oauth_error(std::string_view body);

}  // namespace moderatord::connectors::youtube
