#pragma once
// Facebook Pages: comments on the Page's posts, the Page's own posts and replies, and Messenger
// conversations. Webhooks (`feed`, `mention`, `messages`) with polling as the safety net; hide,
// unhide and (when allowed) delete through the Graph API. See connectors/meta/ for what it shares
// with Instagram.
//
// settings (one [[account]] with platform = "facebook"):
//   page_id                                 the Page's numeric id                         required
//   app_secret_file | app_secret_credential verifies X-Hub-Signature-256                   required
//   access_token_file | access_token_credential  a Page access token                       required
//   verify_token (or _file / _credential)   the webhook subscription handshake            required
//   api_base        Default: "https://graph.facebook.com/v21.0"
//   ca_file         PEM bundle to trust instead of the system store (tests, proxies)
//   poll_interval   seconds between polls; 0 = webhooks only           Default: 300
//   lookback        seconds: first poll, and posts whose comments are re-read  Default: 172800
//   poll_messages   read Messenger conversations when polling         Default: true
//   allow_delete    let decisions delete comments (irreversible)       Default: false
//   requests_per_hour  the account's request budget; 0 = none          Default: 0
//   max_pages       pages per list per poll                            Default: 20
//   timeout_ms      connect and per-step I/O timeout                   Default: 10000 / 30000
// Permissions: pages_read_engagement, pages_manage_engagement (hide, delete), pages_messaging.
#include "connectors/connector.hpp"

namespace moderatord::connectors {

Result<ConnectorPtr> make_facebook_connector(const ConnectorConfig& config);

}  // namespace moderatord::connectors
