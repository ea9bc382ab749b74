#include "daemon/mail/template.hpp"

#include <set>

namespace moderatord::daemon::mail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

enum class Tag { value, raw, open, close };

// Calls on_text(text) and on_tag(kind, name) for each piece of `tmpl`, in order.
template <class OnText, class OnTag>
void scan(std::string_view tmpl, OnText on_text, OnTag on_tag) {
  std::size_t pos = 0;
  while (pos < tmpl.size()) {
    const auto open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) break;
    const bool triple = tmpl.compare(open, 3, "{{{") == 0;
    const auto close = tmpl.find(triple ? "}}}" : "}}", open + (triple ? 3 : 2));
    if (close == std::string_view::npos) break;
    on_text(tmpl.substr(pos, open - pos));
    std::string_view name = trim(tmpl.substr(open + (triple ? 3 : 2), close - open - (triple ? 3 : 2)));
    Tag kind = triple ? Tag::raw : Tag::value;
    if (!triple && !name.empty() && (name.front() == '#' || name.front() == '/')) {
      kind = name.front() == '#' ? Tag::open : Tag::close;
      name = trim(name.substr(1));
    }
    on_tag(kind, name, tmpl.substr(open, close + (triple ? 3 : 2) - open));
    pos = close + (triple ? 3 : 2);
  }
  on_text(tmpl.substr(pos));
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Result<MailTemplate> parse_template(std::string_view source, std::string_view name) {
  MailTemplate t;
  std::string* section = nullptr;
  bool have_subject = false;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos <= source.size()) {
    const auto nl = source.find('\n', pos);
    std::string_view line = source.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    ++line_no;
    pos = nl == std::string_view::npos ? source.size() + 1 : nl + 1;
    const std::string_view bare = trim(line);
    if (bare == "--- text") {
      section = &t.text;
    } else if (bare == "--- html") {
      section = &t.html;
    } else if (section == nullptr) {
      if (bare.empty() || bare.front() == '#') continue;  // comments before the first section
      if (bare.rfind("Subject:", 0) != 0)
        return classifier::Error(std::vector<classifier::Diagnostic>{
            {std::string(name), line_no, "", "expected 'Subject: ...', '--- text' or '--- html'"}});
      t.subject = std::string(trim(bare.substr(8)));
      have_subject = true;
    } else {
      section->append(line);
      if (nl != std::string_view::npos) section->push_back('\n');
    }
  }
  if (!have_subject || t.text.empty())
    return classifier::Error(std::vector<classifier::Diagnostic>{
        {std::string(name), 0, "", "a template needs a 'Subject:' line and a '--- text' section"}});
  return t;
}

std::string expand(std::string_view tmpl, const Vars& vars, bool html) {
  std::string out;
  // Depth of sections being skipped (an empty {{#name}}); nested sections inside are skipped too.
  int skipping = 0;
  std::vector<bool> stack;
  scan(
      tmpl, [&](std::string_view text) { if (skipping == 0) out += text; },
      [&](Tag kind, std::string_view name, std::string_view whole) {
        const auto it = vars.find(name);
        switch (kind) {
          case Tag::open: {
            const bool show = it != vars.end() && !it->second.empty();
            stack.push_back(show);
            if (!show) ++skipping;
            return;
          }
          case Tag::close:
            if (!stack.empty()) {
              if (!stack.back()) --skipping;
              stack.pop_back();
            }
            return;
          case Tag::value:
          case Tag::raw:
            if (skipping > 0) return;
            if (it == vars.end()) out += whole;
            else if (kind == Tag::value && html) out += html_escape(it->second);
            else out += it->second;
            return;
        }
      });
  return out;
}

std::vector<std::string> unknown_names(std::string_view tmpl, const Vars& vars) {
  std::set<std::string> names;
  scan(tmpl, [](std::string_view) {}, [&](Tag, std::string_view name, std::string_view) {
    if (vars.find(name) == vars.end()) names.emplace(name);
  });
  return {names.begin(), names.end()};
}

}  // namespace moderatord::daemon::mail
