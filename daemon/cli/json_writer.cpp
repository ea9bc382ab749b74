#include "daemon/cli/json_writer.hpp"

#include <unicode/utf8.h>

namespace moderatord::daemon {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto n = static_cast<int32_t>(s.size());
  for (int32_t i = 0; i < n;) {
    const uint8_t c = p[i];
    if (c >= 0x80) {
      const int32_t start = i;
      UChar32 cp;
      U8_NEXT(p, i, n, cp);
      if (cp < 0) out += "\xEF\xBF\xBD";
      else out.append(s.data() + start, static_cast<std::size_t>(i - start));
      continue;
    }
    ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace moderatord::daemon
