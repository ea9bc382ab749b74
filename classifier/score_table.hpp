#pragma once
// What Scanner::score() reads for each literal hit and each rule that fires, packed for the cache.
//
// A comment's word hits land on groups scattered over a table of some 20,000 literals. Read from the
// PatternTable, each hit cost four dependent cache misses (the group, its entry list, the
// WordPattern, its run lengths) in structures far larger than the L2 cache; score() spent most of
// its time waiting on them. Here one group is one record, its entries and run lengths side by side,
// usually within one or two cache lines, and a rule's weight, category and action are 16 bytes.
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "classifier/pattern.hpp"
#include "classifier/rule.hpp"

namespace moderatord::classifier {

// One WordPattern as score() needs it.
struct ScoreEntry {
  std::uint32_t owner = 0;
  std::uint16_t near = 0;    // near_first / near_then: the pair's index in the rule's `near`
  std::uint16_t within = 0;  // ... and its `within` (words allowed between the two)
  Role role = Role::rule;
  std::uint8_t lead = 1, trail = 1;
  std::uint8_t pad = 0;
};
static_assert(sizeof(ScoreEntry) == 12);

// One rule as score() needs it.
struct ScoreRule {
  double weight = 0;
  Category category = Category::abusive;
  bool has_action = false;
  Action action = Action::none;
};

class ScoreTable {
 public:
  // A group's record: its literal's size, then each entry, then each entry's run lengths (one byte
  // per byte of the literal; 0 where the literal has a '*' masked letter, which any run matches).
  struct Group {
    std::uint32_t size = 0;   // bytes of the literal
    std::uint32_t count = 0;  // entries
    const unsigned char* record = nullptr;
    ScoreEntry entry(std::uint32_t k) const noexcept {
      ScoreEntry e;
      std::memcpy(&e, record + k * sizeof(ScoreEntry), sizeof(ScoreEntry));  // no alignment assumed
      return e;
    }
    const unsigned char* runs(std::uint32_t k) const noexcept {
      return record + count * sizeof(ScoreEntry) + k * size;
    }
  };

  ScoreTable() = default;
  ScoreTable(const PatternTable& patterns, const std::vector<Rule>& rules);

  Group group(std::uint32_t g) const noexcept {
    const unsigned char* at = blob_.data() + offsets_[g];
    Group out;
    std::memcpy(&out.size, at, 4);
    std::memcpy(&out.count, at + 4, 4);
    out.record = at + 8;
    return out;
  }
  const ScoreRule& rule(std::uint32_t r) const noexcept { return rules_[r]; }
  // Asks for a group's record ahead of group(): the scanner does so for every word hit before its
  // Hyperscan scans, which then run while the records arrive.
  void prefetch(std::uint32_t g) const noexcept { __builtin_prefetch(blob_.data() + offsets_[g]); }

 private:
  std::vector<std::size_t> offsets_;  // per group: where its record starts in blob_
  std::vector<unsigned char> blob_;   // per group: its size and count (4 bytes each), then the record
  std::vector<ScoreRule> rules_;       // per rule
};

}  // namespace moderatord::classifier
