// libFuzzer target: any bytes classified with the shipped rules. Every match must lie inside the
// input; the word index (which reads the word view eight bytes at a time) must find exactly what
// Hyperscan's literal matcher finds for the same whole-word literals; and each exact-width regex
// (RegexPattern::width), which the scanner takes from Hyperscan without RE2, must match where RE2
// would.
#include <hs/hs.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "classifier/rule_set.hpp"
#include "classifier/scanner.hpp"
#include "classifier/word_index.hpp"
#include "tests/classifier/indexed_literals.hpp"

using namespace moderatord::classifier;

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      std::fprintf(stderr, "classify_fuzz: line %d: %s\n", __LINE__, #cond); \
      std::abort();                                                  \
    }                                                                \
  } while (0)

namespace {

struct Reference {
  RuleSetPtr rules;
  DatabasePtr db;  // the whole-word literals, as the index holds them
  ScratchPtr scratch;
  struct Exact {
    const RegexPattern* pattern;
    DatabasePtr db;
    ScratchPtr scratch;
  };
  std::vector<Exact> exact;  // each exact-width regex alone
};

const Reference& reference() {
  static const Reference ref = [] {
    Reference r;
    auto loaded = RuleSet::load(MODERATORD_SOURCE_DIR "/config/rules");
    CHECK(loaded);
    r.rules = *loaded;
    std::string error;
    r.db = indexed_literals_in_hyperscan(r.rules->patterns(), error);
    CHECK(r.db);
    hs_scratch_t* scratch = nullptr;
    CHECK(hs_alloc_scratch(r.db.get(), &scratch) == HS_SUCCESS);
    r.scratch.reset(scratch);
    for (const RegexPattern& p : r.rules->patterns().regexes) {
      if (p.width == 0) continue;
      hs_database_t* db = nullptr;
      hs_compile_error_t* err = nullptr;
      CHECK(hs_compile(p.regex.c_str(), kExactRegexFlags, HS_MODE_BLOCK, nullptr, &db, &err) == HS_SUCCESS);
      hs_scratch_t* s = nullptr;
      CHECK(hs_alloc_scratch(db, &s) == HS_SUCCESS);
      r.exact.push_back({&p, DatabasePtr(db), ScratchPtr(s)});
    }
    CHECK(!r.exact.empty());
    return r;
  }();
  return ref;
}

using Hits = std::vector<std::pair<std::uint32_t, std::uint32_t>>;  // (end, group)

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Reference& ref = reference();
  static Scanner scanner;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const Verdict v = scanner.classify(*ref.rules, in);
  for (const Match& m : v.matches) CHECK(m.span.begin < m.span.end && m.span.end <= size);

  const std::string_view words = scanner.normalise(in).words();
  std::vector<LiteralHit> main, deferred;
  ref.rules->word_index().find(words, main, deferred);
  Hits got, want;
  for (const auto* hits : {&main, &deferred})
    for (const LiteralHit& h : *hits) got.emplace_back(h.to, h.group);
  CHECK(hs_scan(
            ref.db.get(), words.data(), static_cast<unsigned>(words.size()), 0, ref.scratch.get(),
            [](unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
              static_cast<Hits*>(ctx)->emplace_back(static_cast<std::uint32_t>(to), id);
              return 0;
            },
            &want) == HS_SUCCESS);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  CHECK(got == want);

  // Exact-width regexes: Hyperscan's ends, kept leftmost first without overlap (as the scanner
  // does), against RE2's search from the end of each match (as the scanner does for the others).
  // A vertical tab is \s to Hyperscan and not to RE2: such texts are left out.
  const std::string_view text = scanner.normalise(in).text();
  if (text.empty() || text.find('\v') != std::string_view::npos) return 0;
  for (const auto& e : ref.exact) {
    std::vector<std::uint32_t> ends;
    CHECK(hs_scan(
              e.db.get(), text.data(), static_cast<unsigned>(text.size()), 0, e.scratch.get(),
              [](unsigned, unsigned long long, unsigned long long to, unsigned, void* ctx) {
                static_cast<std::vector<std::uint32_t>*>(ctx)->push_back(static_cast<std::uint32_t>(to));
                return 0;
              },
              &ends) == HS_SUCCESS);
    Hits from_hs, from_re2;
    std::uint32_t next = 0;
    for (const std::uint32_t to : ends) {
      if (from_hs.size() == 8) break;
      if (to - e.pattern->width < next) continue;
      from_hs.emplace_back(to - e.pattern->width, to);
      next = to;
    }
    re2::StringPiece m;
    for (std::size_t pos = 0; from_re2.size() < 8 && pos < text.size();) {
      if (!e.pattern->re2->Match(re2::StringPiece(text.data(), text.size()), pos, text.size(), RE2::UNANCHORED, &m, 1))
        break;
      const auto from = static_cast<std::uint32_t>(m.data() - text.data());
      from_re2.emplace_back(from, from + static_cast<std::uint32_t>(m.size()));
      pos = m.size() > 0 ? from + m.size() : from + 1;
    }
    CHECK(from_hs == from_re2);
  }
  return 0;
}
