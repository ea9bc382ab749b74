#pragma once
// Appends JSON values to a string buffer. Output only: input is parsed with simdjson.
#include <string>
#include <string_view>

namespace moderatord::daemon {

// Appends `s` as a JSON string literal. Invalid UTF-8 bytes become U+FFFD so the output is always
// valid JSON; control characters are escaped.
void append_json_string(std::string& out, std::string_view s);

}  // namespace moderatord::daemon
