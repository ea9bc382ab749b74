#include "connectors/meta/graph_error.hpp"

#include <simdjson.h>

#include <cctype>
#include <regex>

namespace moderatord::connectors::meta {

std::optional<GraphError> parse_graph_error(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::object err;
  if (doc["error"].get_object().get(err) != simdjson::SUCCESS) return std::nullopt;
  GraphError e;
  int64_t n = 0;
  if (err["code"].get_int64().get(n) == simdjson::SUCCESS) e.code = static_cast<int>(n);
  if (err["error_subcode"].get_int64().get(n) == simdjson::SUCCESS) e.subcode = static_cast<int>(n);
  std::string_view s;
  if (err["type"].get_string().get(s) == simdjson::SUCCESS) e.type = std::string(s);
  if (err["message"].get_string().get(s) == simdjson::SUCCESS) e.message = std::string(s);
  if (err["fbtrace_id"].get_string().get(s) == simdjson::SUCCESS) e.fbtrace_id = std::string(s);
  bool b = false;
  if (err["is_transient"].get_bool().get(b) == simdjson::SUCCESS) e.is_transient = b;
  return e;
}

GraphErrorClass classify(const GraphError& e) noexcept {
  // https://developers.facebook.com/docs/graph-api/overview/rate-limiting (error codes table)
  if (e.code == 4 || e.code == 17 || e.code == 32 || e.code == 613 || (e.code >= 80001 && e.code <= 80014) ||
      e.subcode == 2446079)
    return GraphErrorClass::rate_limited;
  if (e.code == 190 || e.code == 102 || e.code == 463 || e.code == 467) return GraphErrorClass::token_invalid;
  if (e.code == 10 || (e.code >= 200 && e.code <= 299)) return GraphErrorClass::permission;
  if (e.code == 100 && e.subcode == 33) return GraphErrorClass::not_found;
  if (e.code == 100 && !missing_permission(e).empty()) return GraphErrorClass::permission;
  if (e.code == 1 || e.code == 2 || e.is_transient) return GraphErrorClass::transient;
  return GraphErrorClass::other;
}

std::string_view to_string(GraphErrorClass c) noexcept {
  switch (c) {
    case GraphErrorClass::rate_limited: return "rate_limited";
    case GraphErrorClass::token_invalid: return "token_invalid";
    case GraphErrorClass::permission: return "permission";
    case GraphErrorClass::not_found: return "not_found";
    case GraphErrorClass::transient: return "transient";
    case GraphErrorClass::other: return "other";
  }
  return "other";
}

std::string missing_permission(const GraphError& e) {
  // Permission names are lower-case words joined by '_' that start with a known product prefix.
  static const std::regex kName(
      R"(\b((?:pages|instagram|business|read|manage|publish|ads|user|email|public)_[a-z_]+)\b)");
  std::smatch m;
  if (std::regex_search(e.message, m, kName)) return m[1].str();
  return {};
}

std::string describe(const GraphError& e) {
  std::string out = "code " + std::to_string(e.code);
  if (e.subcode != 0) out += "/" + std::to_string(e.subcode);
  if (!e.type.empty()) out += " " + e.type;
  out += ": " + e.message.substr(0, 300);
  if (!e.fbtrace_id.empty()) out += " (fbtrace_id " + e.fbtrace_id + ")";
  return out;
}

}  // namespace moderatord::connectors::meta
