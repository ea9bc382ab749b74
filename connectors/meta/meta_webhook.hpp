#pragma once
// Meta webhooks (Facebook Pages and Instagram share the format and the signing). Pure functions,
// no coroutines, so the fuzz target instruments them fully.
//
//   GET  ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C  → 200 "C" when T is ours, else 403
//   POST {"object":"page"|"instagram","entry":[{"id","time","changes":[{"field","value"}]|"messaging":[...]}]}
//        signed: X-Hub-Signature-256: sha256=<HMAC-SHA256(app secret, raw body)>
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started
// https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed
// https://developers.facebook.com/docs/instagram-platform/webhooks
#include <string>
#include <string_view>
#include <vector>

#include "classifier/error.hpp"
#include "connectors/connector.hpp"
#include "connectors/meta/graph_json.hpp"

namespace moderatord::connectors::meta {

struct MetaDelivery {
  std::vector<model::Comment> comments;  // new and edited comments, posts and messages; deletions (Comment::deleted)
  // Instagram "mentions": the account was @-mentioned in a comment elsewhere; the delivery has
  // only ids, so the connector fetches the text.
  struct Mention {
    std::string comment_id, media_id;
  };
  std::vector<Mention> mentions;
  std::size_t ignored = 0;  // events we do not moderate: removals, hides, reactions, reads...
};

// Decodes a signed delivery's body. Errors are 400-worthy messages. Events for another object
// type than `owner.platform` are ignored, not errors (one app may subscribe both).
classifier::Result<MetaDelivery> decode_meta_delivery(std::string_view body, const Owner& owner);

// The GET subscription handshake: 200 with the challenge, 403 for a wrong token, 400 otherwise.
HttpReply verify_subscription(std::string_view target, std::string_view verify_token);

// The whole webhook: GET handshake, or POST verified with the app secret and decoded.
struct MetaWebhookResult {
  WebhookDecoded decoded;
  std::vector<MetaDelivery::Mention> mentions;
};
MetaWebhookResult handle_meta_webhook(const HttpRequest& request, const Owner& owner, std::string_view app_secret,
                                      std::string_view verify_token);

// Percent-decoded value of `key` in the query of `target` ("" when absent).
std::string query_param(std::string_view target, std::string_view key);

}  // namespace moderatord::connectors::meta
