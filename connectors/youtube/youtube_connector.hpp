#pragma once
// YouTube (Data API v3): the comments on a channel's videos, polled; holding for review, publishing
// and rejecting through comments.setModerationStatus. Settings (validated here, so a bad config
// fails at startup):
//
//   channel_id                 the channel ("UC..."): its comments are the council's (own_reply)   required
//   access_token_file / _credential   OAuth 2.0 bearer token (youtube.force-ssl scope): needed to
//                              moderate; re-read after a 401, so a refresher can rotate it. Optional
//                              with a refresh token: the connector then gets its own
//   client_id, client_secret_file / _credential, refresh_token_file / _credential
//                              the OAuth client and an offline refresh token, all three or none: the
//                              access token is renewed before it expires and after a 401
//   token_url                  default https://oauth2.googleapis.com/token (tests point it at a fake)
//   api_key_file / _credential an API key: reading only (no moderation); one of the two is required
//   api_base                   default https://www.googleapis.com/youtube/v3 (tests point it at a fake)
//   ca_file                    PEM file to trust instead of the system store
//   poll_interval              seconds between polls at most (slower when the quota is short); 300
//   lookback                   seconds read back on the first poll; 172800
//   max_pages                  commentThreads pages per poll; 10
//   allow_reject               allow "rejected" (irreversible: the comment is gone); false
//   quota_per_day              the project's daily quota in units; 10000
//   quota_reserve              units kept for moderation calls (50 each) when polling; 1000
//   batch_window_ms            how long a moderation call waits for others to batch with; 300
//   requests_per_hour, timeout_ms   as for the Meta connectors
#include "connectors/connector.hpp"

namespace moderatord::connectors {

Result<ConnectorPtr> make_youtube_connector(const ConnectorConfig& config);

}  // namespace moderatord::connectors
