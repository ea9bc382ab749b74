#pragma once
// Meta Graph API error objects, and what each means for us.
//   {"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id", ...}}
// https://developers.facebook.com/docs/graph-api/guides/error-handling
// Pure: tested against the error bodies in ../shared/platforms/facebook/.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace moderatord::connectors::meta {

struct GraphError {
  int code = 0;
  int subcode = 0;
  std::string type;        // "OAuthException", "GraphMethodException"
  std::string message;     // Meta's text (never contains our token: we send it in a header)
  std::string fbtrace_id;  // quote it to Meta support
  bool is_transient = false;
};

// What to do about an error.
enum class GraphErrorClass {
  rate_limited,   // 4, 17, 32, 613, 80001-80014: back off, then retry
  token_invalid,  // 190 (and 102, 463, 467...): stop calling; an admin must renew the token
  permission,     // 10, 200-299, or 100 naming a missing permission: an admin must grant it
  not_found,      // 100 with subcode 33 (object does not exist): e.g. the comment is already gone
  transient,      // 1, 2, is_transient, or HTTP 5xx: retry later
  other,          // anything else: retrying will not help
};

// Parses `body` when it holds an error object; nullopt otherwise (a success body, or not JSON).
std::optional<GraphError> parse_graph_error(std::string_view body);

GraphErrorClass classify(const GraphError& e) noexcept;
std::string_view to_string(GraphErrorClass c) noexcept;

// The permission an error names ("pages_read_engagement"), or "" when it names none. Meta's
// messages say "requires the 'pages_read_engagement' permission" or "(#200) Requires
// pages_manage_engagement permission to manage the object".
std::string missing_permission(const GraphError& e);

// "code 190/463 OAuthException: <message> (fbtrace_id X)", for logs and the audit log.
std::string describe(const GraphError& e);

}  // namespace moderatord::connectors::meta
