// WordIndex must find exactly what Hyperscan's literal matcher finds for the same whole-word
// literals: same groups, same end offsets, in order of end.
#include "classifier/word_index.hpp"

#include <gtest/gtest.h>
#include <hs/hs.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "classifier/hs_database.hpp"
#include "classifier/pattern.hpp"
#include "classifier/rule_set.hpp"
#include "classifier/scanner.hpp"
#include "tests/classifier/indexed_literals.hpp"

namespace moderatord::classifier {
namespace {

PatternTable table_of(const std::vector<std::string>& main, const std::vector<std::string>& deferred = {}) {
  PatternTable t;
  for (const auto& l : main) t.groups.push_back({l, {}, false});
  t.first_deferred_group = static_cast<std::uint32_t>(t.groups.size());
  for (const auto& l : deferred) t.groups.push_back({l, {}, false});
  return t;
}

// A view in a heap buffer of exactly its size plus the slack find() may read, so that ASan reports
// any read beyond that.
struct View {
  explicit View(const std::string& s) : size(s.size()), bytes(new char[s.size() + WordIndex::kReadPastEnd]) {
    std::copy(s.begin(), s.end(), bytes.get());
    std::fill_n(bytes.get() + s.size(), WordIndex::kReadPastEnd, 'x');  // not a space: no token ends there
  }
  std::string_view view() const { return {bytes.get(), size}; }
  std::size_t size;
  std::unique_ptr<char[]> bytes;
};

struct Found {
  std::vector<LiteralHit> main, deferred;
};

Found index_hits(const WordIndex& index, const std::string& words) {
  const View v(words);
  Found f;
  index.find(v.view(), f.main, f.deferred);
  return f;
}

// The same literals through Hyperscan, split main/deferred as the index does.
class HyperscanReference {
 public:
  explicit HyperscanReference(const PatternTable& t) : first_deferred_(t.first_deferred_group) {
    std::string error;
    db_ = indexed_literals_in_hyperscan(t, error);
    if (!db_) {
      ADD_FAILURE() << error;
      return;
    }
    hs_scratch_t* scratch = nullptr;
    EXPECT_EQ(hs_alloc_scratch(db_.get(), &scratch), HS_SUCCESS);
    scratch_.reset(scratch);
  }

  Found hits(const std::string& words) const {
    std::vector<LiteralHit> all;
    hs_scan(
        db_.get(), words.data(), static_cast<unsigned>(words.size()), 0, scratch_.get(),
        [](unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
          static_cast<std::vector<LiteralHit>*>(ctx)->push_back({id, static_cast<std::uint32_t>(to)});
          return 0;
        },
        &all);
    Found f;
    for (const auto& h : all) (h.group < first_deferred_ ? f.main : f.deferred).push_back(h);
    return f;
  }

 private:
  std::uint32_t first_deferred_;
  DatabasePtr db_;
  ScratchPtr scratch_;
};

// Hyperscan's order among hits that end together is its own; compare in order of (end, group) and
// check separately that the index reports in order of end.
std::vector<std::pair<std::uint32_t, std::uint32_t>> sorted(const std::vector<LiteralHit>& hits) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (const auto& h : hits) out.emplace_back(h.to, h.group);
  std::sort(out.begin(), out.end());
  return out;
}

void expect_same(const WordIndex& index, const HyperscanReference& ref, const std::string& words) {
  const Found got = index_hits(index, words), want = ref.hits(words);
  EXPECT_EQ(sorted(got.main), sorted(want.main)) << "view: \"" << words << "\"";
  EXPECT_EQ(sorted(got.deferred), sorted(want.deferred)) << "view: \"" << words << "\"";
  for (const auto* v : {&got.main, &got.deferred})
    EXPECT_TRUE(std::is_sorted(v->begin(), v->end(), [](auto& a, auto& b) { return a.to < b.to; }));
}

TEST(WordIndex, IndexesOnlyWholeWordLiterals) {
  EXPECT_TRUE(WordIndex::indexable(" word "));
  EXPECT_TRUE(WordIndex::indexable(" two words "));
  EXPECT_FALSE(WordIndex::indexable(" word"));   // "word*"
  EXPECT_FALSE(WordIndex::indexable("word "));   // "*word"
  EXPECT_FALSE(WordIndex::indexable("word"));
  EXPECT_FALSE(WordIndex::indexable("  "));
  EXPECT_FALSE(WordIndex::indexable(" a  b "));  // not a word view
  std::string longest = " ";
  for (std::size_t i = 0; i < WordIndex::kMaxTokens; ++i) longest += "w ";
  EXPECT_TRUE(WordIndex::indexable(longest));
  EXPECT_FALSE(WordIndex::indexable(longest + "w "));
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> as_pairs(const std::vector<LiteralHit>& hits) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  for (const auto& h : hits) out.emplace_back(h.group, h.to);
  return out;
}

TEST(WordIndex, FindsPhrasesOverlapsAndRepeatsInOrderOfEnd) {
  //                             0      1            2       3                   4         5
  const auto t = table_of({" kill ", " kill you ", " you ", " i will kill you ", " will ", " a b a "},
                          {" you ", " the "});  // 6, 7: the same literal as a main group, and another
  const WordIndex index(t);
  EXPECT_EQ(index.literal_count(), 8u);
  // " i will kill you the a b a b a ": "will" ends at 8, "kill" at 13, "you" at 17, "the" at 21,
  // the a's at 23, 27 and 31.
  const Found f = index_hits(index, " i will kill you the a b a b a ");
  using P = std::vector<std::pair<std::uint32_t, std::uint32_t>>;
  EXPECT_EQ(as_pairs(f.main), (P{{4, 8}, {0, 13}, {3, 17}, {1, 17}, {2, 17}, {5, 27}, {5, 31}}));
  EXPECT_EQ(as_pairs(f.deferred), (P{{6, 17}, {7, 21}}));
}

TEST(WordIndex, NeedsWholeTokens) {
  const auto t = table_of({" kill ", " kill you "});
  const WordIndex index(t);
  EXPECT_TRUE(index_hits(index, " skill killer kil kil you kil yo ").main.empty());
  EXPECT_TRUE(index_hits(index, "  ").main.empty());  // the view of a comment without words
  EXPECT_TRUE(index_hits(index, "").main.empty());
  EXPECT_TRUE(index_hits(index, " kill").main.empty());  // not a word view (no closing space): nothing read
}

TEST(WordIndex, LongTokensAndOtherBytes) {
  // Tokens of 7, 8, 9, 16 and 17 bytes cross the 8-byte steps of the hash; UTF-8 and '*' are bytes
  // like any other.
  const std::vector<std::string> words = {"sevenqq", "eightqqq", "nineqqqqq", "sixteenqqqqqqqqq", "seventeenqqqqqqqq",
                                          "f*ck", "\xd0\xb6\xd0\xb6", "\xf0\x9f\x96\x95"};
  std::vector<std::string> literals;
  for (const auto& w : words) literals.push_back(" " + w + " ");
  literals.push_back(" eightqqq nineqqqqq ");
  const auto t = table_of(literals);
  const WordIndex index(t);
  const HyperscanReference ref(t);
  std::string view = " ";
  for (const auto& w : words) view += w + " ";
  view += "eightqqq nineqqqqq eightqqqq sevenqqq ";
  expect_same(index, ref, view);
  // Each word once, then "eightqqq" and "nineqqqqq" again, and their phrase twice.
  EXPECT_EQ(index_hits(index, view).main.size(), words.size() + 4);
}

// Random views over a small vocabulary (rule words, their prefixes and extensions, other words)
// against the same literals in Hyperscan.
TEST(WordIndex, FindsWhatHyperscanFinds) {
  std::mt19937 rng(20261124);
  const std::vector<std::string> vocabulary = {"you", "yo", "youu", "are", "a", "an", "idiot", "idiots", "the",
                                               "council", "kill", "skill", "b", "f*ck", "sh1t", "longwordlongword",
                                               "longwordlongwor", "\xc3\xa9t\xc3\xa9", "x"};
  auto pick = [&](std::size_t n) {
    std::string s = " ";
    for (std::size_t i = 0; i < n; ++i) s += vocabulary[rng() % vocabulary.size()] + " ";
    return s;
  };
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> main, deferred;
    std::set<std::string> seen;
    for (int i = 0; i < 40; ++i) {
      std::string l = pick(1 + rng() % 4);
      if (!seen.insert(l).second) continue;
      (rng() % 4 == 0 ? deferred : main).push_back(l);
    }
    main.push_back(" you");  // wildcards: not indexed, and not found by the index
    main.push_back("idiot ");
    const auto t = table_of(main, deferred);
    const WordIndex index(t);
    const HyperscanReference ref(t);
    for (int v = 0; v < 200; ++v) expect_same(index, ref, pick(rng() % 30));
  }
}

// The shipped rules on the shipped sample comments: the index finds what Hyperscan would.
TEST(WordIndex, ShippedRulesOnSampleComments) {
  auto loaded = RuleSet::load(std::string(MODERATORD_SOURCE_DIR) + "/config/rules");
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  const RuleSet& rules = **loaded;
  const HyperscanReference ref(rules.patterns());
  Scanner scanner;
  const std::vector<std::string> comments = {
      "You are an absolute idiot and everyone knows it",
      "I will kill you, you f*cking c u n t",
      "When will the bins on Station Road be collected? Third week running!!",
      "Lovely to see the Christmas lights going up in Scunthorpe and Penistone",
      "sh1t council, total w a n k e r s the lot of you",
      "\xd0\xa0\xd0\xb5nis enlargement: visit cheap-pills.xyz now \xf0\x9f\x8d\x86",
  };
  for (const auto& c : comments) {
    const auto& n = scanner.normalise(c);
    expect_same(rules.word_index(), ref, std::string(n.words()));
  }
}

}  // namespace
}  // namespace moderatord::classifier
