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

// The compiled databases of a rule set; any may be null when it has no patterns.
struct Databases {
  // Literal sets on the word view, for the groups with a '*' wildcard (whole-word groups are in the
  // RuleSet's WordIndex): `words` those before PatternTable::first_deferred_group, `deferred` the
  // deferred ones (common sides of anchored `near` pairs).
  DatabasePtr words;
  DatabasePtr deferred;
  // Every regex in prefilter mode on the text view: a hit means "may match", confirmed (with exact
  // offsets) by the pattern's RE2 in the scanner. Rspamd and Suricata use Hyperscan this way:
  // prefiltering turns wide bounded repeats (".{0,40}") into cheap automata, and start-of-match
  // tracking, which cost 10x the scan time of some rules, is not needed.
  DatabasePtr text;
  DatabasePtr text_rare;  // the regexes marked rare, same mode: only for texts with a rare byte
};

// Compiles both databases (block mode). Blocking and CPU-heavy: never call on an I/O thread.
// Compiles every regex with RE2 (the confirming engine) and checks it with Hyperscan, each on its
// own so that all bad patterns are reported, not just the first. Cheap; runs whether or not the
// databases come from the cache.
std::vector<Diagnostic> check_regexes(PatternTable& patterns, const RuleSource& source);

// Compiles the databases (block mode). Blocking and CPU-heavy: never call on an I/O thread.
// `source` is used only to name files and rules in errors.
Result<Databases> compile_databases(const PatternTable& patterns, const RuleSource& source);

// Flags the text-view regexes are compiled with (part of the cache key through the format version).
// SINGLEMATCH: one "may match" per pattern is all the scanner needs; RE2 finds every match.
inline constexpr unsigned kRegexFlags = HS_FLAG_CASELESS | HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH;
// For a regex of exact width (RegexPattern::width): every match, exactly.
inline constexpr unsigned kExactRegexFlags = HS_FLAG_CASELESS;

}  // namespace moderatord::classifier
