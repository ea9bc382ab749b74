#pragma once
// Regexes that can only match text holding a "rare" byte (a digit, '@', '$' or any non-ASCII byte:
// phone numbers, postcodes, emails, mentions, prices, emoji) go into a database of their own, which
// the scanner runs only on comments that hold such a byte (NormalisedText::rare_bytes()). Plain-word comments, the most common kind,
// skip the costliest regexes (the address and @mention ones) without any change in what matches.
#include <string>
#include <string_view>

#include "classifier/pattern.hpp"

namespace moderatord::classifier {

constexpr bool is_rare_byte(unsigned char c) noexcept {
  return c >= 0x80 || (c >= '0' && c <= '9') || c == '@' || c == '$';
}

// Sets RegexPattern::rare where RE2's prefilter proves that every match holds a rare byte: its
// required substrings (FilteredRE2 atoms) cannot be satisfied by atoms without one. A regex RE2
// cannot prefilter stays common (scanned on every comment): the analysis may miss a rare regex,
// never mark a common one rare. Needs the regexes' RE2 compiled (check_regexes) first.
void mark_rare_regexes(PatternTable& patterns);

// The regex with every \d written as 0, for that analysis. Sound: a match without digits never
// went through a \d, so it is also a match of the rewritten regex; if that one needs a rare byte,
// so does the original.
std::string digits_as_zero(std::string_view regex);

}  // namespace moderatord::classifier
