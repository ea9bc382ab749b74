#include "classifier/regex_prefix.hpp"

namespace moderatord::classifier {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
bool is_octal(char c) { return c >= '0' && c <= '7'; }

// The length of the escape that starts at re[i] == '\\' (at least 2, or what is left).
std::size_t escape_length(std::string_view re, std::size_t i) {
  if (i + 1 >= re.size()) return re.size() - i;
  const char c = re[i + 1];
  std::size_t end = i + 2;
  if (c == 'x') {
    if (end < re.size() && re[end] == '{') {
      const auto close = re.find('}', end);
      end = close == std::string_view::npos ? re.size() : close + 1;
    } else {
      for (int k = 0; k < 2 && end < re.size() && is_hex(re[end]); ++k) ++end;
    }
  } else if (c == 'p' || c == 'P') {
    if (end < re.size() && re[end] == '{') {
      const auto close = re.find('}', end);
      end = close == std::string_view::npos ? re.size() : close + 1;
    } else if (end < re.size()) {
      ++end;
    }
  } else if (c >= '0' && c <= '7') {
    for (int k = 0; k < 2 && end < re.size() && is_octal(re[end]); ++k) ++end;
  } else if (c == 'Q') {
    const auto close = re.find("\\E", end);
    end = close == std::string_view::npos ? re.size() : close + 2;
  }
  return end - i;
}

// The length of the class that starts at re[i] == '['.
std::size_t class_length(std::string_view re, std::size_t i) {
  std::size_t j = i + 1;
  if (j < re.size() && re[j] == '^') ++j;
  if (j < re.size() && re[j] == ']') ++j;  // a ']' first is a literal
  while (j < re.size() && re[j] != ']') {
    if (re[j] == '\\') {
      j += escape_length(re, j);
    } else if (re[j] == '[' && j + 1 < re.size() && re[j + 1] == ':') {
      const auto close = re.find(":]", j + 2);
      j = close == std::string_view::npos ? re.size() : close + 2;
    } else {
      ++j;
    }
  }
  return (j < re.size() ? j + 1 : re.size()) - i;
}

}  // namespace

bool is_concatenation_prefix(std::string_view regex, std::string_view prefix) {
  if (prefix.empty() || prefix.size() >= regex.size() || regex.substr(0, prefix.size()) != prefix) return false;
  // Walk the regex element by element: the cut must fall between two, at depth 0, and no '|' may
  // stand at depth 0 anywhere (then the regex is an alternation, not a concatenation).
  bool cut_ok = false;
  int depth = 0;
  for (std::size_t i = 0; i < regex.size();) {
    if (i == prefix.size()) cut_ok = depth == 0;
    if (i > prefix.size() && !cut_ok) return false;
    const char c = regex[i];
    std::size_t len = 1;
    if (c == '\\') len = escape_length(regex, i);
    else if (c == '[') len = class_length(regex, i);
    else if (c == '(') ++depth;
    else if (c == ')') --depth;
    else if (c == '|' && depth == 0) return false;
    if (i < prefix.size() && i + len > prefix.size()) return false;  // the cut splits an escape or a class
    i += len;
  }
  if (!cut_ok || depth != 0) return false;
  // What follows the cut must not be a quantifier of the prefix's last element.
  const char next = regex[prefix.size()];
  return next != '*' && next != '+' && next != '?' && next != '{';
}

}  // namespace moderatord::classifier
