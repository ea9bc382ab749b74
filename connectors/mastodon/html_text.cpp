#include "connectors/mastodon/html_text.hpp"

#include <cctype>
#include <charconv>
#include <cstdint>

namespace moderatord::connectors::mastodon {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The entity at the start of `s` ("&amp;..."): appends its text, returns its length; 0 when it is
// not one we know (the '&' is then kept as it is).
std::size_t decode_entity(std::string_view s, std::string& out) {
  const auto semi = s.find(';');
  if (semi == std::string_view::npos || semi > 10) return 0;
  const std::string_view name = s.substr(1, semi - 1);
  if (!name.empty() && name[0] == '#') {
    std::uint32_t cp = 0;
    const bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    const char* b = name.data() + (hex ? 2 : 1);
    const char* e = name.data() + name.size();
    auto [p, ec] = std::from_chars(b, e, cp, hex ? 16 : 10);
    if (ec != std::errc{} || p != e || b == e) return 0;
    append_utf8(out, cp);
    return semi + 1;
  }
  static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
      {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", "\xC2\xA0"}};
  for (const auto& [n, text] : kNamed)
    if (name == n) {
      out += text;
      return semi + 1;
    }
  return 0;
}

std::string tag_name(std::string_view tag) {  // "p", "/p", "br" from "<p class=...>"
  std::string name;
  for (std::size_t i = 1; i < tag.size(); ++i) {
    const char c = tag[i];
    if (c == '/' && name.empty()) {
      name += c;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c))) break;
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

}  // namespace

std::string html_to_text(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  for (std::size_t i = 0; i < html.size();) {
    const char c = html[i];
    if (c == '<') {
      const auto end = html.find('>', i);
      const std::string_view tag = html.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i + 1);
      const std::string name = tag_name(tag);
      if (name == "br") out += '\n';
      else if (name == "/p" || name == "/blockquote" || name == "/li") out += "\n\n";
      i = end == std::string_view::npos ? html.size() : end + 1;
    } else if (c == '&') {
      const std::size_t n = decode_entity(html.substr(i), out);
      if (n == 0) out += c;
      i += n == 0 ? 1 : n;
    } else {
      out += c;
      ++i;
    }
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace moderatord::connectors::mastodon
