#include "classifier/word_index.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <unordered_map>

#include "classifier/normaliser.hpp"
#include "classifier/pattern.hpp"

namespace moderatord::classifier {
namespace {

static_assert(NormalisedText::kWordsSlack >= WordIndex::kReadPastEnd);
static_assert(std::endian::native == std::endian::little, "hash_token reads a token's first byte as the lowest");

constexpr std::uint64_t kSpaces = 0x2020202020202020ULL;
constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kHighs = 0x8080808080808080ULL;

constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 32;
  x *= 0xD6E8FEB86659FD93ULL;
  x ^= x >> 29;
  return x;
}

// Hashes the token that starts at `p` and ends before the next space, and sets `len` to its length.
// Eight bytes at a time: the lowest byte that equals ' ' ends the token (the zero-byte test below
// can misfire only on bytes above the first true zero). So there must be a space ahead and 7
// readable bytes after it.
inline std::uint64_t hash_token(const char* p, std::uint64_t seed, std::uint32_t& len) noexcept {
  std::uint64_t h = seed;
  for (std::uint32_t n = 0;; n += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + n, 8);
    const std::uint64_t x = w ^ kSpaces;
    const std::uint64_t zero = (x - kOnes) & ~x & kHighs;
    if (zero != 0) {
      const auto k = static_cast<std::uint32_t>(std::countr_zero(zero)) >> 3;  // bytes before the space
      const std::uint64_t keep = k == 0 ? 0 : ~std::uint64_t{0} >> (64 - 8 * k);
      len = n + k;
      // k <= 7, so the top byte of (w & keep) is free for the length.
      h = mix(h ^ (w & keep) ^ (std::uint64_t{len} << 56));
      return h;
    }
    h = mix(h ^ w);
  }
}

// A vocabulary slot's record of a hash (never 0, which marks an empty slot).
constexpr std::uint32_t tag_of(std::uint64_t h) noexcept {
  const auto t = static_cast<std::uint32_t>(h >> 32);
  return t == 0 ? 1 : t;
}

// The key of the trie edge from `node` by vocabulary slot `token`.
constexpr std::uint64_t edge_key(std::uint32_t node, std::uint32_t token) noexcept {
  return (std::uint64_t{node} << 32) | token;
}

// The tokens of a whole-word literal " a b c " (without its outer spaces).
std::vector<std::string_view> tokens_of(std::string_view literal) {
  std::vector<std::string_view> out;
  std::size_t from = 1;
  while (from < literal.size()) {
    const std::size_t to = literal.find(' ', from);
    out.push_back(literal.substr(from, to - from));
    from = to + 1;
  }
  return out;
}

// Open addressing at a load of at most 0.7: small enough to stay in cache, few probes.
std::size_t table_size(std::size_t entries) {
  std::size_t n = 16;
  while (n * 7 < entries * 10) n <<= 1;
  return n;
}

// The bit of a node's child filter for a token (Node::child_bits).
constexpr std::uint64_t child_bit(std::uint32_t token) noexcept { return std::uint64_t{1} << (token & 63); }

// n bytes at a and b equal; both readable for 7 bytes past n (the view has slack, pool_ padding).
inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    const std::uint64_t diff = x ^ y;
    if (n - i < 8) return (diff & (~std::uint64_t{0} >> (64 - 8 * (n - i)))) == 0;
    if (diff != 0) return false;
  }
  return true;
}

}  // namespace

bool WordIndex::indexable(std::string_view literal) {
  if (literal.size() < 3 || literal.front() != ' ' || literal.back() != ' ') return false;
  if (literal.find("  ") != std::string_view::npos) return false;
  const auto tokens = static_cast<std::size_t>(std::count(literal.begin(), literal.end(), ' ')) - 1;
  return tokens <= kMaxTokens;
}

WordIndex::WordIndex(const PatternTable& patterns) {
  // A seed under which a token's slot cannot be told from another's (see build) is replaced by the
  // next one; with some 10,000 tokens that happens about once in 10^5 seeds.
  while (!build(patterns, seed_)) seed_ = mix(seed_ + 0x9E3779B97F4A7C15ULL);
}

bool WordIndex::build(const PatternTable& patterns, std::uint64_t seed) {
  first_deferred_ = patterns.first_deferred_group;
  literals_ = 0;
  std::unordered_map<std::string_view, std::uint32_t> slot_of;  // a token's id is its vocabulary slot
  std::size_t total_tokens = 0;
  for (const auto& g : patterns.groups) {
    if (!indexable(g.literal)) continue;
    ++literals_;
    for (auto t : tokens_of(g.literal)) {
      slot_of.emplace(t, 0);
      ++total_tokens;
    }
  }
  // A slot keeps only the upper half of its token's hash, the tag. That suffices when no token's
  // probe path passes a slot with the same tag before its own, which is checked below. A comment
  // word that is no rule word but has a rule word's tag is read as that word: harmless, since every
  // hit is compared byte for byte with its literal.
  vocab_.assign(slot_of.empty() ? 0 : table_size(slot_of.size()), {});
  const std::size_t mask = vocab_.size() - 1;
  std::string padded;
  std::vector<std::uint64_t> hashes;
  for (auto& [token, slot] : slot_of) {
    padded.assign(token);
    padded.append(WordIndex::kReadPastEnd + 1, ' ');
    std::uint32_t len = 0;
    const std::uint64_t h = hash_token(padded.data(), seed, len);
    std::size_t i = h & mask;
    while (vocab_[i].tag != 0) i = (i + 1) & mask;
    vocab_[i].tag = tag_of(h);
    slot = static_cast<std::uint32_t>(i);
    hashes.push_back(h);
  }
  {
    std::size_t k = 0;
    for (const auto& entry : slot_of) {
      const std::uint64_t h = hashes[k++];
      for (std::size_t i = h & mask; i != entry.second; i = (i + 1) & mask)
        if (vocab_[i].tag == tag_of(h)) return false;
    }
  }
  seed_ = seed;
  std::unordered_map<std::uint64_t, std::uint32_t> children;  // edge_key -> node
  children.reserve(total_tokens);
  nodes_.assign(1, Node{});
  pool_.clear();
  for (std::uint32_t g = 0; g < patterns.groups.size(); ++g) {
    const std::string& literal = patterns.groups[g].literal;
    if (!indexable(literal)) continue;
    std::uint32_t node = 0;
    for (auto t : tokens_of(literal)) {
      const std::uint32_t id = slot_of.at(t);
      if (node == 0) {
        if (vocab_[id].root == 0) {
          vocab_[id].root = static_cast<std::uint32_t>(nodes_.size());
          nodes_.emplace_back();
        }
        node = vocab_[id].root;
      } else {
        const std::uint32_t parent = node;
        auto [it, fresh] = children.try_emplace(edge_key(parent, id), static_cast<std::uint32_t>(nodes_.size()));
        if (fresh) nodes_.emplace_back();
        node = it->second;
        nodes_[parent].child_bits |= child_bit(id);
      }
    }
    Node& n = nodes_[node];
    (g < first_deferred_ ? n.main : n.deferred) = static_cast<std::int32_t>(g);
    if (n.size == 0) {
      n.text = static_cast<std::uint32_t>(pool_.size());
      n.size = static_cast<std::uint32_t>(literal.size());
      pool_ += literal;
    }
  }
  pool_.append(kReadPastEnd, '\0');  // same_bytes reads up to 7 bytes past a literal
  // The edges, tagged like the vocabulary (a wrong child found for a sequence that is in no rule
  // leads to no verified hit).
  edges_.assign(table_size(children.size()), {});
  const std::size_t edge_mask = edges_.size() - 1;
  std::vector<std::pair<std::uint64_t, std::size_t>> placed;  // hash, slot
  placed.reserve(children.size());
  for (const auto& [key, node] : children) {
    const std::uint64_t h = mix(key ^ seed);
    std::size_t i = h & edge_mask;
    while (edges_[i].tag != 0) i = (i + 1) & edge_mask;
    edges_[i] = {tag_of(h), node};
    placed.emplace_back(h, i);
  }
  for (const auto& [h, at] : placed)
    for (std::size_t i = h & edge_mask; i != at; i = (i + 1) & edge_mask)
      if (edges_[i].tag == tag_of(h)) return false;
  return true;
}

inline std::uint32_t WordIndex::child(std::uint32_t node, std::uint32_t token) const noexcept {
  const std::uint64_t h = mix(edge_key(node, token) ^ seed_);
  const std::uint32_t tag = tag_of(h);
  const std::size_t mask = edges_.size() - 1;
  for (std::size_t i = h & mask;; i = (i + 1) & mask) {
    if (edges_[i].tag == tag) return edges_[i].child;
    if (edges_[i].tag == 0) return 0;
  }
}

void WordIndex::find(std::string_view words, std::vector<LiteralHit>& main, std::vector<LiteralHit>& deferred) const {
  const char* const p = words.data();
  const std::size_t size = words.size();
  // A word view ends with a space; without one, token hashing would read past the slack.
  if (vocab_.empty() || size < 2 || p[size - 1] != ' ') return;
  const std::size_t vocab_mask = vocab_.size() - 1;
  // The trie nodes reached by the sequences that end at the current token and may go on, with their
  // child filters; at most one per start among the last kMaxTokens - 1 tokens.
  std::uint32_t active[kMaxTokens];
  std::uint64_t active_bits[kMaxTokens];
  std::size_t n_active = 0;
  auto reach = [&](std::uint32_t node, std::size_t to, std::size_t& kept) {
    const Node& n = nodes_[node];
    if ((n.main >= 0 || n.deferred >= 0) && n.size <= to && same_bytes(p + to - n.size, pool_.data() + n.text, n.size)) {
      if (n.main >= 0) main.push_back({static_cast<std::uint32_t>(n.main), static_cast<std::uint32_t>(to)});
      if (n.deferred >= 0) deferred.push_back({static_cast<std::uint32_t>(n.deferred), static_cast<std::uint32_t>(to)});
    }
    if (n.child_bits != 0) {
      active[kept] = node;
      active_bits[kept++] = n.child_bits;
    }
  };
  for (std::size_t i = 1; i < size;) {  // words[0] is the leading space
    std::uint32_t len = 0;
    const std::uint64_t h = hash_token(p + i, seed_, len);
    if (len == 0) {  // only in "  ", the view of a comment without words
      ++i;
      continue;
    }
    const std::size_t to = i + len + 1;  // past the space after the token
    std::size_t kept = 0;
    const std::uint32_t tag = tag_of(h);
    for (std::size_t v = h & vocab_mask;; v = (v + 1) & vocab_mask) {
      if (vocab_[v].tag == tag) {
        const auto id = static_cast<std::uint32_t>(v);
        const std::uint64_t bit = child_bit(id);
        for (std::size_t a = 0; a < n_active; ++a)
          if ((active_bits[a] & bit) != 0)
            if (const std::uint32_t c = child(active[a], id); c != 0) reach(c, to, kept);
        if (const std::uint32_t r = vocab_[v].root; r != 0) reach(r, to, kept);
        break;
      }
      if (vocab_[v].tag == 0) break;  // not a word of any rule: every sequence ends here
    }
    n_active = kept;
    i = to;
  }
}

}  // namespace moderatord::classifier
