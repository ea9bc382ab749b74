#include "classifier/pattern.hpp"

#include <array>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "classifier/common_words.hpp"
#include "classifier/regex_prefix.hpp"

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

// Every word of `text` (the word view of an entry, words separated by single spaces) is common.
bool all_common(const std::string& text, const std::unordered_set<std::string>& common) {
  std::size_t from = 0;
  while (from <= text.size()) {
    const std::size_t to = std::min(text.find(' ', from), text.size());
    if (common.count(text.substr(from, to - from)) == 0) return false;
    from = to + 1;
  }
  return true;
}

void add_word(PatternTable& table, std::string_view entry, std::uint32_t owner, Role role, bool variants,
              Normaliser& normaliser, std::vector<Diagnostic>& errors, const std::string& file, int line,
              const std::string& rule_id, const std::unordered_set<std::string>& common, std::uint16_t near = 0) {
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
  const bool is_common = all_common(body.text, common);
  auto push = [&](const std::string& text, const std::vector<std::uint8_t>& runs) {
    WordPattern p;
    p.owner = owner;
    p.role = role;
    p.near = near;
    p.common = is_common;
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

std::unordered_set<std::string> normalised_common_words(Normaliser& normaliser) {
  std::unordered_set<std::string> out;
  for (auto w : common_words()) out.insert(normalise_entry(w, normaliser).text);
  return out;
}

// Which side of each `near` pair has its common entries deferred: the side with common entries
// when the other side has none. Every pair then needs a match from the other side, which stays in
// the main database and wakes the deferred scan. A pair with common entries on both sides defers
// nothing (its anchors would wake the deferred scan in most comments).
void choose_deferred_sides(PatternTable& table, std::set<std::pair<std::uint64_t, bool>>& deferred) {
  std::map<std::uint64_t, std::array<std::size_t, 2>> common;  // pair -> common entries of first, then
  auto key = [](const WordPattern& p) { return (std::uint64_t{p.owner} << 16) | p.near; };
  for (const auto& p : table.words)
    if ((p.role == Role::near_first || p.role == Role::near_then) && p.common)
      ++common[key(p)][p.role == Role::near_then ? 1 : 0];
  for (const auto& [k, c] : common) {
    if (c[0] > 0 && c[1] == 0) deferred.insert({k, false});
    else if (c[1] > 0 && c[0] == 0) deferred.insert({k, true});
  }
  for (auto& p : table.words) {
    if (p.role != Role::near_first && p.role != Role::near_then) continue;
    p.wakes_deferred = deferred.count({key(p), p.role != Role::near_then}) > 0;
  }
}

// One group per distinct literal: main groups first, then the deferred ones.
void group_literals(PatternTable& table, const std::set<std::pair<std::uint64_t, bool>>& deferred) {
  // Views into table.words, which does not change here. Group ids are in order of first appearance,
  // whatever the index's order (a std::map of 30,000 strings was a tenth of loading the rules).
  std::unordered_map<std::string_view, std::uint32_t> main_index, deferred_index;
  main_index.reserve(table.words.size());
  std::vector<LiteralGroup> main_groups, deferred_groups;
  for (std::uint32_t i = 0; i < table.words.size(); ++i) {
    const WordPattern& p = table.words[i];
    const bool near = p.role == Role::near_first || p.role == Role::near_then;
    const bool is_deferred =
        near && p.common && deferred.count({(std::uint64_t{p.owner} << 16) | p.near, p.role == Role::near_then}) > 0;
    auto& index = is_deferred ? deferred_index : main_index;
    auto& groups = is_deferred ? deferred_groups : main_groups;
    auto [it, fresh] = index.emplace(std::string_view(p.literal), static_cast<std::uint32_t>(groups.size()));
    if (fresh) groups.push_back({p.literal, {}, false});
    groups[it->second].entries.push_back(i);
    groups[it->second].wakes_deferred = groups[it->second].wakes_deferred || p.wakes_deferred;
  }
  table.first_deferred_group = static_cast<std::uint32_t>(main_groups.size());
  table.groups = std::move(main_groups);
  for (auto& g : deferred_groups) table.groups.push_back(std::move(g));
}

}  // namespace

std::vector<std::string> fixed_alternatives(std::string_view regex) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < regex.size(); ++i) {
    const char c = regex[i];
    if (c == '|') {
      if (out.back().empty()) return {};
      out.emplace_back();
    } else if (c == '\\') {
      // Only an escaped punctuation character is a fixed character (\d, \b, \x41 are not).
      if (i + 1 >= regex.size()) return {};
      const auto n = static_cast<unsigned char>(regex[i + 1]);
      if (n >= 0x80 || !std::ispunct(n)) return {};
      out.back() += regex[++i];
    } else if (std::string_view("^$.[]()*+?{}").find(c) != std::string_view::npos) {
      return {};
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == ' ') {
      return {};  // letters would need case folding, spaces a \\s reading: leave both to RE2
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      // A whole UTF-8 character: emoji and symbols are fixed, letters (É, Ж) would need folding.
      UChar32 cp = 0;
      auto at = static_cast<std::int32_t>(i);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"  // inside ICU's macro
      U8_NEXT(regex.data(), at, static_cast<std::int32_t>(regex.size()), cp);
#pragma GCC diagnostic pop
      if (cp < 0 || u_isalpha(cp)) return {};
      out.back().append(regex.substr(i, static_cast<std::size_t>(at) - i));
      i = static_cast<std::size_t>(at) - 1;
    } else {
      out.back() += c;
    }
  }
  if (out.back().empty()) return {};
  return out;
}

std::uint8_t exact_width(std::string_view regex) {
  std::size_t i = 0, width = 0;
  if (!regex.empty() && regex[0] == '^') i = 1;
  // One escape: a class shorthand or an escaped punctuation character (both one byte); false for the
  // rest (\x41, \S, \p{L}, ...).
  auto one_byte_escape = [](char n) {
    const auto u = static_cast<unsigned char>(n);
    return n == 'd' || n == 's' || n == 'w' || (u < 0x80 && std::ispunct(u));
  };
  while (i < regex.size()) {
    const char c = regex[i];
    if (static_cast<unsigned char>(c) >= 0x80) return 0;
    if (c == '\\') {
      if (i + 1 >= regex.size()) return 0;
      const char n = regex[i + 1];
      i += 2;
      if (n == 'b') continue;  // zero width
      if (!one_byte_escape(n)) return 0;
    } else if (c == '[') {
      std::size_t j = i + 1;
      if (j < regex.size() && (regex[j] == '^' || regex[j] == ']')) return 0;
      while (j < regex.size() && regex[j] != ']') {
        const char k = regex[j];
        if (static_cast<unsigned char>(k) >= 0x80 || k == '[') return 0;
        if (k == '\\') {
          if (j + 1 >= regex.size() || !one_byte_escape(regex[j + 1])) return 0;
          j += 2;
        } else {
          ++j;
        }
      }
      if (j >= regex.size()) return 0;
      i = j + 1;
    } else if (std::string_view("^$.]()*+?{}|").find(c) != std::string_view::npos) {
      return 0;
    } else {
      ++i;
    }
    if (++width > 255) return 0;
  }
  return static_cast<std::uint8_t>(width);
}

Result<PatternTable> build_patterns(const RuleSource& source, Normaliser& normaliser) {
  PatternTable table;
  std::vector<Diagnostic> errors;
  const auto common = normalised_common_words(normaliser);
  for (std::uint32_t i = 0; i < source.rules.size(); ++i) {
    const Rule& r = source.rules[i];
    // Masked-letter variants ("f*ck") only for breach words: a signal word like "cant" would
    // otherwise read "c*nt" as a complaint.
    const bool variants = r.category != Category::needs_response && r.category != Category::rhetorical &&
                          r.category != Category::personal_data;
    for (const auto& w : r.words)
      add_word(table, w, i, Role::rule, variants, normaliser, errors, r.file, r.line, r.id, common);
    for (const auto& w : r.unless)
      add_word(table, w, i, Role::unless, false, normaliser, errors, r.file, r.line, r.id, common);
    for (std::size_t n = 0; n < r.near.size(); ++n) {
      const auto idx = static_cast<std::uint16_t>(n);
      for (const auto& w : r.near[n].first)
        add_word(table, w, i, Role::near_first, variants, normaliser, errors, r.file, r.near[n].line, r.id, common, idx);
      for (const auto& w : r.near[n].then)
        add_word(table, w, i, Role::near_then, variants, normaliser, errors, r.file, r.near[n].line, r.id, common, idx);
    }
    for (const auto& re : r.regexes) {
      // The longest prefilter that is the start of this regex (the rule file checked each is one's).
      std::string prefilter;
      for (const auto& p : r.prefilters)
        if (p.size() > prefilter.size() && is_concatenation_prefix(re, p)) prefilter = p;
      std::string stripped = strip_invisible(re);
      auto fixed = fixed_alternatives(stripped);
      const std::uint8_t width = prefilter.empty() && fixed.empty() ? exact_width(stripped) : 0;
      table.regexes.push_back(
          {std::move(stripped), i, Role::rule, nullptr, std::move(fixed), false, strip_invisible(prefilter), width});
    }
    for (const auto& re : r.unless_regexes) {
      std::string stripped = strip_invisible(re);
      auto fixed = fixed_alternatives(stripped);
      const std::uint8_t width = fixed.empty() ? exact_width(stripped) : 0;
      table.regexes.push_back({std::move(stripped), i, Role::unless, nullptr, std::move(fixed), false, {}, width});
    }
  }
  for (std::uint32_t i = 0; i < source.allow.size(); ++i) {
    const AllowEntry& a = source.allow[i];
    add_word(table, a.text, i, Role::allow, false, normaliser, errors, a.file, a.line, "", common);
  }
  if (!errors.empty()) return Error(std::move(errors));
  std::set<std::pair<std::uint64_t, bool>> deferred;
  choose_deferred_sides(table, deferred);
  group_literals(table, deferred);
  return table;
}

}  // namespace moderatord::classifier
