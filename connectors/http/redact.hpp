#pragma once
// Keeps tokens out of logs, audit details and error messages: every URL or header the HTTPS client
// (or a connector) mentions goes through these first.
#include <string>
#include <string_view>

namespace moderatord::connectors::http {

// The URL with the values of secret query parameters (access_token, appsecret_proof,
// client_secret, input_token, fb_exchange_token, token, key) replaced by "REDACTED".
std::string redact_url(std::string_view url);

// A header value fit for a log: Authorization, Proxy-Authorization and Cookie keep only their
// scheme ("Bearer REDACTED"); other headers are returned unchanged. `name` in any case.
std::string redact_header(std::string_view name, std::string_view value);

// Removes every occurrence of `secret` from `text` (for error text a server may have echoed).
std::string scrub(std::string text, std::string_view secret);

}  // namespace moderatord::connectors::http
