#pragma once
// Rules expanded into the literals and regexes that Hyperscan compiles. A Hyperscan match id is the
// index of its pattern in these tables, so the match callback only records (id, offsets).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "classifier/error.hpp"
#include "classifier/normaliser.hpp"
#include "classifier/rule.hpp"

namespace re2 {
class RE2;
}

namespace moderatord::classifier {

enum class Role : std::uint8_t {
  rule,    // a match adds the rule's weight
  unless,  // a match cancels matches of the same rule that overlap it
  allow,   // a match cancels any rule match that lies inside it
  near_first,  // the first word of a `near` pair (rule owner, pair index `near`)
  near_then,   // the second word of a `near` pair
};

// A literal on the word view. `literal` includes the spaces that stand for word boundaries
// (`lead`/`trail` of them: 0 where the entry had a '*' wildcard).
struct WordPattern {
  std::string literal;
  std::vector<std::uint8_t> runs;  // run length each byte must have (see runs_match)
  std::uint32_t owner = 0;         // rule index for rule/unless, allowlist index for allow
  Role role = Role::rule;
  std::uint8_t lead = 1, trail = 1;
  std::uint16_t near = 0;          // index into the rule's `near` list for near_first/near_then
  bool common = false;             // every word of the entry is in common_words()
  bool wakes_deferred = false;     // a near entry whose partner side is deferred (see PatternTable)
};

// The entries that share one literal: Hyperscan matches each literal once, and the scanner checks
// each entry of its group (run lengths, role).
struct LiteralGroup {
  std::string literal;
  std::vector<std::uint32_t> entries;  // indexes into PatternTable::words
  bool wakes_deferred = false;         // some entry's `near` partner side is deferred
};

// A regex on the text view.
struct RegexPattern {
  std::string regex;
  std::uint32_t owner = 0;
  Role role = Role::rule;
  std::shared_ptr<const re2::RE2> re2;  // confirms Hyperscan's prefilter hits (set by check_regexes)
  // Set when the regex is only alternatives of fixed strings without letters (`\?`, `🍆|💦`): the
  // scanner finds their matches with a plain search instead of RE2, with RE2's leftmost-first result.
  std::vector<std::string> fixed;
  bool rare = false;  // every match holds a rare byte (rare_bytes.hpp): scanned only where there is one
  std::string prefilter = {};  // what Hyperscan scans for, when not the whole regex (regex_prefix.hpp)
  // Non-zero when every match is exactly this many ASCII bytes (exact_width): Hyperscan then runs the
  // regex itself rather than a prefilter, reports every match, and each match starts `width` bytes
  // before its end, so RE2 is not needed. The @mention regexes are such, and fire on most tweets.
  std::uint8_t width = 0;
};

// The width of every match of `regex` when it is a plain sequence of single-byte ASCII atoms (a
// character, an escaped punctuation character, \d \s \w, a class like [\s(] or [a-z0-9_]), with
// at most a leading ^ and \b assertions: no repetition, alternation, group, dot or negated class.
// 0 for any other regex, or a width above 255.
std::uint8_t exact_width(std::string_view regex);

// The alternatives of a regex made only of fixed strings without ASCII letters (case folding cannot
// matter), or nothing when it uses any other regex syntax.
std::vector<std::string> fixed_alternatives(std::string_view regex);

struct PatternTable {
  std::vector<WordPattern> words;
  // The distinct literals of `words`; a group's index is its Hyperscan id. Groups from
  // first_deferred_group on hold the common side of `near` pairs anchored on their rare side
  // (common_words.hpp): they go into a second database, scanned only when an anchor matched.
  std::vector<LiteralGroup> groups;
  std::uint32_t first_deferred_group = 0;
  std::vector<RegexPattern> regexes;
};

// Expands every rule's words (with '*' variants for masked letters) and regexes, unless entries and
// allowlist entries. Uses `normaliser` so that entries are read exactly as comment text is.
Result<PatternTable> build_patterns(const RuleSource& source, Normaliser& normaliser);

// Does the run length `text` in a comment satisfy `pattern` in a rule? Exact, or a stretched run of
// three or more: "fuuuck" is "fuck", but "woop" is not "wop" and "shiite" is not "shite".
constexpr bool runs_match(std::uint8_t text, std::uint8_t pattern) noexcept {
  return text == pattern || (text > pattern && text >= 3);
}

}  // namespace moderatord::classifier
