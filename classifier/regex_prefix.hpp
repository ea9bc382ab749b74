#pragma once
// A regex rule may name a `prefilter`: the start of its regex that Hyperscan scans for instead of
// the whole regex, as Suricata rules name a `fast_pattern`. RE2 then confirms every hit against
// the whole regex, as it does for every regex, so the prefilter can only cost a confirmation, never
// change what matches, provided every match of the regex holds a match of the prefilter. That
// holds when the regex is the prefilter followed by more, at the top level: a concatenation P S,
// where S does not begin with a quantifier of P's last element and P S is not an alternation.
//
// Why a rule needs one: Hyperscan picks the literals it triggers on by itself, and for some regexes
// picks common short ones. obscene's `\bf[*#@%&!.'-]{1,3}\s?(?:k|(?:ing|in|ed|off)\b)` made Hyperscan
// trigger on "in", "ed" and "k" and cost more than the other 18 common regexes together; its
// prefilter `\bf[*#@%&!.'-]{1,3}` costs next to nothing (tests/bench, BM_HyperscanDatabase/1).
#include <string_view>

namespace moderatord::classifier {

// Whether `prefix` is a top-level concatenation prefix of `regex` (as above), shorter than it. Read
// by RE2's syntax: escapes (\x27, \x{2019}, \p{L}, \Q...\E), classes ([^]a-z], [[:alpha:]]) and
// groups. Conservative: a '{' after the cut counts as a quantifier even where RE2 reads a literal.
bool is_concatenation_prefix(std::string_view regex, std::string_view prefix);

}  // namespace moderatord::classifier
