#pragma once
// Small readers shared by the Meta webhook and Graph response parsers: ids that come as strings
// or numbers, and Graph's time stamps ("2021-08-10T18:45:03+0000" or unix seconds).
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/comment.hpp"

namespace moderatord::connectors::meta {

enum class MetaPlatform { facebook, instagram };
std::string_view platform_name(MetaPlatform p) noexcept;  // "facebook", "instagram"

// Who we are on the platform, to tell the council's own posts and replies from residents'.
struct Owner {
  std::string account;        // our account id (config)
  MetaPlatform platform = MetaPlatform::facebook;
  std::string id;             // the Page id, or the Instagram professional account id
  std::string username;       // Instagram: the account's username (own comments may carry only that)
};

// The string or integer at `key` as a string; "" when absent or another type.
std::string id_at(simdjson::dom::object o, std::string_view key);
std::string string_at(simdjson::dom::object o, std::string_view key);
// ISO 8601 as Graph writes it (with +0000 or Z), or unix seconds (or ms when > 1e11). nullopt when unreadable.
std::optional<std::int64_t> time_at(simdjson::dom::object o, std::string_view key);
std::optional<std::int64_t> parse_graph_time(std::string_view s);

}  // namespace moderatord::connectors::meta
