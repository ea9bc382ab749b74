#include "classifier/pattern.hpp"

#include <set>

namespace moderatord::classifier {
namespace {

struct Body {
  std::string text;
  std::vector<std::uint8_t> runs;
};

// The word view of an entry without its outer boundary spaces.
Body normalise_entry(std::string_view entry, Normaliser& normaliser) {
  NormalisedText view;
  normaliser.normalise(entry, view);
  Body body;
  const std::string_view w = view.words();
  // words() is " a b ": drop the first and last byte (the boundary spaces).
  if (w.size() >= 2) {
    body.text.assign(w.substr(1, w.size() - 2));
    body.runs.assign(view.runs().begin() + 1, view.runs().end() - 1);
  }
  while (!body.text.empty() && body.text.back() == ' ') {  // an entry with no letters at the end
    body.text.pop_back();
    body.runs.pop_back();
  }
  return body;
}

bool plain_word(const std::string& s) {
  for (char c : s)
    if (c < 'a' || c > 'z') return false;
  return true;
}

void add_word(PatternTable& table, std::string_view entry, std::uint32_t owner, Role role, bool variants,
              Normaliser& normaliser, std::vector<Diagnostic>& errors, const std::string& file, int line,
              const std::string& rule_id, std::uint16_t near = 0) {
  std::string_view e = entry;
  const bool prefix_wild = !e.empty() && e.front() == '*';
  if (prefix_wild) e.remove_prefix(1);
  const bool suffix_wild = !e.empty() && e.back() == '*';
  if (suffix_wild) e.remove_suffix(1);
  Body body = normalise_entry(e, normaliser);
  if (body.text.empty()) {
    errors.push_back({file, line, rule_id, "\"" + std::string(entry) + "\" has no letters to match"});
    return;
  }
  auto push = [&](const std::string& text, const std::vector<std::uint8_t>& runs) {
    WordPattern p;
    p.owner = owner;
    p.role = role;
    p.near = near;
    p.lead = prefix_wild ? 0 : 1;
    p.trail = suffix_wild ? 0 : 1;
    if (p.lead) p.literal += ' ';
    p.literal += text;
    if (p.trail) p.literal += ' ';
    if (p.lead) p.runs.push_back(1);
    p.runs.insert(p.runs.end(), runs.begin(), runs.end());
    if (p.trail) p.runs.push_back(1);
    table.words.push_back(std::move(p));
  };
  push(body.text, body.runs);
  // Masked letters ("f*ck", "f**k", "c*nt"): one or two letters inside the word replaced by '*'.
  // The comment's "**" is squeezed to one '*', so one variant covers both.
  if (!variants || !plain_word(body.text) || body.text.size() < 4) return;
  std::set<std::string> seen;
  const std::size_t n = body.text.size();
  for (std::size_t width = 1; width <= 2; ++width) {
    for (std::size_t p = 1; p + width < n; ++p) {
      std::string v = body.text.substr(0, p) + '*' + body.text.substr(p + width);
      if (!seen.insert(v).second) continue;
      std::vector<std::uint8_t> runs(body.runs.begin(), body.runs.begin() + static_cast<std::ptrdiff_t>(p));
      runs.push_back(1);
      runs.insert(runs.end(), body.runs.begin() + static_cast<std::ptrdiff_t>(p + width), body.runs.end());
      push(v, runs);
    }
  }
}

// The text view has no invisible characters (zero-width, variation selectors, soft hyphens), so a
// regex written with one ("❄️" is U+2744 U+FE0F) must not require it either.
std::string strip_invisible(std::string_view re) {
  static constexpr std::string_view kInvisible[] = {
      "\xEF\xB8\x8F", "\xEF\xB8\x8E", "\xE2\x80\x8B", "\xE2\x80\x8C", "\xE2\x80\x8D",
      "\xE2\x81\xA0", "\xEF\xBB\xBF", "\xC2\xAD"};
  std::string out(re);
  for (auto inv : kInvisible)
    for (auto pos = out.find(inv); pos != std::string::npos; pos = out.find(inv, pos)) out.erase(pos, inv.size());
  return out;
}

}  // namespace

Result<PatternTable> build_patterns(const RuleSource& source, Normaliser& normaliser) {
  PatternTable table;
  std::vector<Diagnostic> errors;
  for (std::uint32_t i = 0; i < source.rules.size(); ++i) {
    const Rule& r = source.rules[i];
    // Masked-letter variants ("f*ck") only for breach words: a signal word like "cant" would
    // otherwise read "c*nt" as a complaint.
    const bool variants = r.category != Category::needs_response && r.category != Category::rhetorical &&
                          r.category != Category::personal_data;
    for (const auto& w : r.words) add_word(table, w, i, Role::rule, variants, normaliser, errors, r.file, r.line, r.id);
    for (const auto& w : r.unless) add_word(table, w, i, Role::unless, false, normaliser, errors, r.file, r.line, r.id);
    for (std::size_t n = 0; n < r.near.size(); ++n) {
      const auto idx = static_cast<std::uint16_t>(n);
      for (const auto& w : r.near[n].first)
        add_word(table, w, i, Role::near_first, variants, normaliser, errors, r.file, r.near[n].line, r.id, idx);
      for (const auto& w : r.near[n].then)
        add_word(table, w, i, Role::near_then, variants, normaliser, errors, r.file, r.near[n].line, r.id, idx);
    }
    for (const auto& re : r.regexes) table.regexes.push_back({strip_invisible(re), i, Role::rule, nullptr});
    for (const auto& re : r.unless_regexes) table.regexes.push_back({strip_invisible(re), i, Role::unless, nullptr});
  }
  for (std::uint32_t i = 0; i < source.allow.size(); ++i) {
    const AllowEntry& a = source.allow[i];
    add_word(table, a.text, i, Role::allow, false, normaliser, errors, a.file, a.line, "");
  }
  if (!errors.empty()) return Error(std::move(errors));
  return table;
}

}  // namespace moderatord::classifier
