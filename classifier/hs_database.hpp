#pragma once
// Hyperscan databases: RAII ownership and compilation of a PatternTable, with compile errors that
// name the rule file, rule id and pattern.
#include <hs/hs.h>

#include <memory>

#include "classifier/error.hpp"
#include "classifier/pattern.hpp"

namespace moderatord::classifier {

struct DatabaseDeleter {
  void operator()(hs_database_t* db) const noexcept { hs_free_database(db); }
};
using DatabasePtr = std::unique_ptr<hs_database_t, DatabaseDeleter>;

struct ScratchDeleter {
  void operator()(hs_scratch_t* s) const noexcept { hs_free_scratch(s); }
};
using ScratchPtr = std::unique_ptr<hs_scratch_t, ScratchDeleter>;

// The two compiled databases of a rule set; either may be null when it has no patterns.
struct Databases {
  DatabasePtr words;  // literal set on the word view
  DatabasePtr text;   // regexes on the text view (caseless, leftmost start of match)
  // Regexes Hyperscan cannot track the start of ("Pattern is too large" with SOM, e.g. wide
  // bounded repeats): matched without it; their start is estimated from the pattern's maximum width.
  DatabasePtr text_plain;
};

// Compiles both databases (block mode). Blocking and CPU-heavy: never call on an I/O thread.
// Checks every regex on its own (so that all bad patterns are reported, not just the first) and
// fills in each one's max_width. Cheap; runs whether or not the databases come from the cache.
std::vector<Diagnostic> check_regexes(PatternTable& patterns, const RuleSource& source);

// Compiles the databases (block mode). Blocking and CPU-heavy: never call on an I/O thread.
// `source` is used only to name files and rules in errors.
Result<Databases> compile_databases(const PatternTable& patterns, const RuleSource& source);

// Flags the text-view regexes are compiled with (part of the cache key through the format version).
inline constexpr unsigned kRegexFlags = HS_FLAG_CASELESS | HS_FLAG_SOM_LEFTMOST;
inline constexpr unsigned kPlainRegexFlags = HS_FLAG_CASELESS;

}  // namespace moderatord::classifier
