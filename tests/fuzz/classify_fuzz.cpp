// libFuzzer target: any bytes classified with the shipped rules. Every match must lie inside the
// input, and the word index (which reads the word view eight bytes at a time) must find exactly
// what Hyperscan's literal matcher finds for the same whole-word literals.
#include <hs/hs.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "classifier/rule_set.hpp"
#include "classifier/scanner.hpp"
#include "classifier/word_index.hpp"
#include "tests/classifier/indexed_literals.hpp"

using namespace moderatord::classifier;

#define CHECK(cond) \
  do {              \
    if (!(cond)) std::abort(); \
  } while (0)

namespace {

struct Reference {
  RuleSetPtr rules;
  DatabasePtr db;  // the whole-word literals, as the index holds them
  ScratchPtr scratch;
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
  return 0;
}
