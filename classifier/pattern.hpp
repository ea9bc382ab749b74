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
};

// A regex on the text view.
struct RegexPattern {
  std::string regex;
  std::uint32_t owner = 0;
  Role role = Role::rule;
  std::shared_ptr<const re2::RE2> re2;  // confirms Hyperscan's prefilter hits (set by check_regexes)
};

struct PatternTable {
  std::vector<WordPattern> words;
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
