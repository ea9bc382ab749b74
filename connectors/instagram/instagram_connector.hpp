#pragma once
// Instagram professional accounts: comments on the account's media (and replies), the account's
// own comments as the council's replies, and comments elsewhere that @-mention it. Webhook fields
// `comments`, `live_comments` and `mentions` (signed like Facebook's); polling reads the comments
// of the most recent media; hide/unhide (`hide=true|false`) and, when allowed, delete.
//
// settings (platform = "instagram"): as Facebook's (facebook_connector.hpp) except
//   ig_user_id     the professional account's id (instead of page_id)        required
//   username       the account's username (own comments may carry only it)   recommended
//   login          "instagram" (Instagram Login: graph.instagram.com) or "facebook" (Facebook
//                  Login: graph.facebook.com); picks the default api_base    Default: "instagram"
//   (no poll_messages)
// Permissions: instagram_business_basic + instagram_business_manage_comments (Instagram Login),
// or instagram_basic + instagram_manage_comments (Facebook Login).
#include "connectors/connector.hpp"

namespace moderatord::connectors {

Result<ConnectorPtr> make_instagram_connector(const ConnectorConfig& config);

}  // namespace moderatord::connectors
