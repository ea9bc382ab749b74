#pragma once
// Whole-word literals found by looking tokens up, instead of by a literal automaton.
//
// An entry without a '*' wildcard is the literal " w1 w2 ... wk " on the word view, whose words are
// single-space-separated tokens. Such a literal occurs exactly where k consecutive tokens are w1..wk.
// So each token of a comment is hashed once (eight bytes at a time), looked up in the vocabulary of
// the rules' tokens, and followed along a trie of the rules' token sequences. On the bench corpus
// with the shipped rules (20,469 such literals) that finds them about twice as fast as Hyperscan's
// literal matcher does (BM_WordIndex against the old BM_HyperscanDatabase/0 in tests/bench): a
// literal automaton of that size reads every byte and confirms many candidate hits, a lookup reads
// each token once. Entries with a wildcard match inside tokens and stay in Hyperscan.
//
// Exact: every hit is compared byte for byte with its literal before it is reported, so a hash
// collision can cost a lookup but never produce or lose a match.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace moderatord::classifier {

struct PatternTable;

// One occurrence of a literal group: `to` is the offset just past its last byte (as Hyperscan reports).
struct LiteralHit {
  std::uint32_t group;
  std::uint32_t to;
};

class WordIndex {
 public:
  // Literals of more tokens than this stay in Hyperscan (the scan keeps one trie cursor per token).
  static constexpr std::size_t kMaxTokens = 16;
  // Bytes after the end of the view that find() may read (and must be readable).
  static constexpr std::size_t kReadPastEnd = 8;

  // Whether a group's literal belongs here: whole words on both sides, at most kMaxTokens of them.
  static bool indexable(std::string_view literal);

  WordIndex() = default;
  // Indexes every group of `patterns` that is indexable().
  explicit WordIndex(const PatternTable& patterns);

  // Appends every occurrence in `words` (a word view, " tok tok ... ") of every indexed literal, in
  // order of end, the longer first where several end together: groups before
  // `patterns.first_deferred_group` to `main`, the others to `deferred`. `words` must be followed by
  // kReadPastEnd readable bytes.
  void find(std::string_view words, std::vector<LiteralHit>& main, std::vector<LiteralHit>& deferred) const;

  std::size_t literal_count() const noexcept { return literals_; }

 private:
  struct Node {
    std::int32_t main = -1, deferred = -1;  // the groups whose literal ends here
    std::uint32_t text = 0, size = 0;       // the literal, in pool_
    std::uint64_t child_bits = 0;           // bit (token % 64) of each child's token: most lookups skipped
  };
  struct VocabSlot {  // a token's id is the index of its slot
    std::uint32_t tag = 0;   // upper half of the token's hash; 0: empty
    std::uint32_t root = 0;  // the node of the one-token sequence (0: none)
  };
  struct EdgeSlot {  // tagged like VocabSlot, keyed by (node, token)
    std::uint32_t tag = 0;
    std::uint32_t child = 0;
  };

  bool build(const PatternTable& patterns, std::uint64_t seed);
  std::uint32_t child(std::uint32_t node, std::uint32_t token) const noexcept;

  std::uint64_t seed_ = 0;
  std::uint32_t first_deferred_ = 0;
  std::vector<VocabSlot> vocab_;      // open addressing, power-of-two size
  std::vector<EdgeSlot> edges_;       // open addressing, power-of-two size
  std::vector<Node> nodes_;           // nodes_[0] is unused (0 means "no node")
  std::string pool_;                  // the literals, and kReadPastEnd bytes of padding
  std::size_t literals_ = 0;
};

}  // namespace moderatord::classifier
