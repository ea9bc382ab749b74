#include "classifier/score_table.hpp"

#include <algorithm>
#include <limits>

namespace moderatord::classifier {
namespace {

void put_u32(std::vector<unsigned char>& blob, std::uint32_t v) {
  unsigned char b[4];
  std::memcpy(b, &v, 4);
  blob.insert(blob.end(), b, b + 4);
}

}  // namespace

ScoreTable::ScoreTable(const PatternTable& patterns, const std::vector<Rule>& rules) {
  offsets_.reserve(patterns.groups.size());
  for (const LiteralGroup& g : patterns.groups) {
    offsets_.push_back(blob_.size());
    put_u32(blob_, static_cast<std::uint32_t>(g.literal.size()));
    put_u32(blob_, static_cast<std::uint32_t>(g.entries.size()));
    for (const std::uint32_t e : g.entries) {
      const WordPattern& p = patterns.words[e];
      ScoreEntry s;
      s.owner = p.owner;
      s.near = p.near;
      s.role = p.role;
      s.lead = p.lead;
      s.trail = p.trail;
      if (p.role == Role::near_first || p.role == Role::near_then) {
        const int within = rules[p.owner].near[p.near].within;  // 0..20, checked by the rule loader
        s.within = static_cast<std::uint16_t>(std::clamp(within, 0, int{std::numeric_limits<std::uint16_t>::max()}));
      }
      unsigned char b[sizeof(ScoreEntry)];
      std::memcpy(b, &s, sizeof s);
      blob_.insert(blob_.end(), b, b + sizeof b);
    }
    for (const std::uint32_t e : g.entries) {
      const WordPattern& p = patterns.words[e];
      for (std::size_t i = 0; i < g.literal.size(); ++i)
        blob_.push_back(g.literal[i] == '*' ? 0 : p.runs[i]);
    }
  }
  rules_.reserve(rules.size());
  for (const Rule& r : rules) rules_.push_back({r.weight, r.category, r.action.has_value(), r.action.value_or(Action::none)});
}

}  // namespace moderatord::classifier
