#pragma once
// Bluesky (AT Protocol): replies to and mentions of the council's account, from its notifications;
// hiding replies under the council's own posts (threadgate hiddenReplies) and reporting posts to
// Bluesky's moderation service. Settings (validated here, so a bad config fails at startup):
//
//   identifier                        the account's handle ("wyverleytc.bsky.social") or DID    required
//   app_password_file / _credential   an app password (Settings > App passwords)                 required
//   service                           the account's PDS; default https://bsky.social
//   ca_file                           PEM file to trust instead of the system store
//   session_file                      where the refresh token is kept (0600), relative to the
//                                     state dir; default bluesky-<account id>.session
//   poll_interval                     seconds between polls; 120 (0 = off)
//   lookback                          seconds read back on the first poll; 172800
//   max_pages                         notification pages per poll; 10
//   max_hidden_replies                hidden replies per thread before a hide is escalated instead;
//                                     50 (the lexicon's first limit), at most 300 (its current one)
//   report_service                    who gets reports; default Bluesky's moderation service
//                                     "did:plc:ar7c4by46qjdydhdevvrndac#atproto_labeler"
//   requests_per_hour, timeout_ms     as for the Meta connectors
#include "connectors/connector.hpp"

namespace moderatord::connectors {

Result<ConnectorPtr> make_bluesky_connector(const ConnectorConfig& config);

}  // namespace moderatord::connectors
