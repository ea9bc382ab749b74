#pragma once
// An immutable, compiled rule set: the rules, their expanded patterns and the Hyperscan databases.
// Shared as shared_ptr<const RuleSet>; a reload builds a new one beside the old and swaps the
// pointer, and each classification holds its own copy of the pointer for its whole duration.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "classifier/error.hpp"
#include "classifier/hs_database.hpp"
#include "classifier/pattern.hpp"
#include "classifier/rule.hpp"
#include "classifier/score_table.hpp"
#include "classifier/word_index.hpp"

namespace moderatord::classifier {

class RuleSet;
using RuleSetPtr = std::shared_ptr<const RuleSet>;

struct RuleSetOptions {
  // Where compiled databases are cached. Default: none (always compile).
  std::optional<std::filesystem::path> cache_dir;
};

class RuleSet {
 public:
  // Reads, validates and compiles a rules directory. Blocking (file reads, compile up to ~1 s):
  // run off the event loop. Errors list every problem with file, line and rule id.
  static Result<RuleSetPtr> load(const std::filesystem::path& dir, const RuleSetOptions& options = {});
  // The same from an already parsed source (tests, fuzzing).
  static Result<RuleSetPtr> build(RuleSource&& source, const RuleSetOptions& options = {});

  const std::vector<Rule>& rules() const noexcept { return source_.rules; }
  const Thresholds& thresholds() const noexcept { return source_.thresholds; }
  const PatternTable& patterns() const noexcept { return patterns_; }
  const Databases& databases() const noexcept { return dbs_; }
  const WordIndex& word_index() const noexcept { return word_index_; }
  const ScoreTable& score_table() const noexcept { return score_table_; }
  std::size_t allowlist_size() const noexcept { return source_.allow.size(); }
  // The rule-set version: SHA-256 of the rules directory's files. Stored with every verdict.
  const std::string& version() const noexcept { return source_.content_hash; }
  // How the databases were obtained: "compiled", "cache hit", or "compiled (cache: <why>)".
  const std::string& cache_status() const noexcept { return cache_status_; }
  double build_seconds() const noexcept { return build_seconds_; }

 private:
  RuleSet() = default;
  RuleSource source_;
  PatternTable patterns_;
  Databases dbs_;
  WordIndex word_index_;  // built on every load (tens of milliseconds), not cached
  ScoreTable score_table_;
  std::string cache_status_;
  double build_seconds_ = 0;
};

}  // namespace moderatord::classifier
