#pragma once
// The generic webhook: comments pushed by a council's own website or any bridge, as JSON
// ({"comments": [comment, ...]}, see comment_json.hpp), signed with HMAC-SHA256 of the raw body:
//   X-Moderatord-Signature: sha256=<hex>
// It cannot act on the sender's site: every hide or report falls back to an escalation.
#include <string>
#include <string_view>

#include "connectors/connector.hpp"

namespace moderatord::connectors {

// settings: secret_file | secret_credential (required).
Result<ConnectorPtr> make_webhook_connector(const ConnectorConfig& config);

// The signature header value for `body` ("sha256=" + lower-case hex). Exposed for tests and tools.
std::string webhook_signature(std::string_view secret, std::string_view body);

// Constant-time check of a "sha256=<hex>" header against the body.
bool verify_webhook_signature(std::string_view secret, std::string_view body, std::string_view header);

// Decodes a delivery body into comments (used by the connector after the signature check, and by
// the fuzz target). Errors are 400-worthy messages.
Result<std::vector<model::Comment>> decode_webhook_body(std::string_view body, const std::string& account);

}  // namespace moderatord::connectors
