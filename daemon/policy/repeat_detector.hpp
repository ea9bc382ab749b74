#pragma once
// Policy 7.8.2: a comment that "repeats an earlier post which has already been responded to" needs
// no second reply. Residents rarely repeat word for word ("Quarry Lane drains still blocked. As I
// said last week."), so the test is on content words, not characters:
//
//   content words: lower-cased words, minus a stop list, plural -s dropped  {quarry, lane, drain, block}
//   overlap = |A ∩ B| / min(|A|, |B|)   (a short repeat is mostly contained in the original)
//
// A comment is a repeat of an answered original when the overlap reaches `near_duplicate` (small
// edits of the same text), or when it says it is repeating itself ("as I said") and the overlap
// reaches `marked` with at least `min_shared` words in common. Exact sets rather than SimHash or
// MinHash: a council's answered items in a fortnight are hundreds, and exact overlap on short texts
// is both cheaper at that size and not approximate.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moderatord::daemon::policy {

struct RepeatSettings {
  double near_duplicate = 0.7;  // Default: 0.7 overlap without a repeat phrase
  double marked = 0.2;          // Default: 0.2 overlap with one ("as I said", "again, same as before")
  std::size_t min_shared = 2;   // Default: 2 content words in common, always
};

// Sorted, unique content words, space-separated (how they are stored in sla_items.tokens).
std::string content_words(std::string_view text);

struct RepeatCandidate {
  std::int64_t comment_id = 0;
  std::string tokens;  // content_words() of the answered original
};

struct RepeatMatch {
  std::int64_t comment_id = 0;
  double similarity = 0;
};

// The best-matching answered original, if any qualifies. `tokens` = content_words(new comment).
std::optional<RepeatMatch> find_repeat(std::string_view tokens, bool marked, const std::vector<RepeatCandidate>& answered,
                                       const RepeatSettings& settings);

// The overlap coefficient of two content-word strings (0 when either is empty), and the number of
// shared words.
struct Overlap {
  double coefficient = 0;
  std::size_t shared = 0;
};
Overlap overlap(std::string_view a, std::string_view b);

}  // namespace moderatord::daemon::policy
