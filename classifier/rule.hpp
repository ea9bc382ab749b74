#pragma once
// Rules as admins write them (see config/rules/README.md), after parsing and before compilation.
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "classifier/category.hpp"

namespace moderatord::classifier {

struct RuleTest {
  std::string text;
  bool expect_match = true;
  int line = 0;
};

// Two word lists in order, close together: "you" ... "idiot" within `within` words. Matched on
// the word view from literals, so it costs no more than `words` (a regex with gaps costs 10-100x).
struct Near {
  std::vector<std::string> first;  // same syntax as `words`
  std::vector<std::string> then;
  int within = 3;                  // words allowed between the two; Default: 3
  int line = 0;
};

struct Rule {
  std::string id;
  Category category = Category::abusive;
  double weight = 1.0;
  std::optional<Action> action;             // the least this rule asks for when it fires
  std::vector<std::string> words;           // word-view entries, optional '*' at either end
  std::vector<std::string> regexes;         // regexes on the text view (Hyperscan prefilter + RE2)
  std::vector<std::string> prefilters;      // starts of regexes for Hyperscan to scan for (regex_prefix.hpp)
  std::vector<Near> near;                   // ordered word pairs on the word view
  std::vector<std::string> unless;          // word-view entries: a match inside one does not count
  std::vector<std::string> unless_regexes;  // the same, as regexes on the text view
  std::vector<RuleTest> tests;
  std::string file;
  int line = 0;
};

struct AllowEntry {
  std::string text;
  std::string file;
  int line = 0;
};

// Score thresholds per category. A category's action is the strongest whose threshold its score
// reaches; signals (needs_response, rhetorical) are true from `signal` up.
struct Thresholds {
  static constexpr double kNever = std::numeric_limits<double>::infinity();
  std::array<std::array<double, kActionCount>, kCategoryCount> at;
  std::array<double, kCategoryCount> signal;

  Thresholds();  // defaults: every breach category hides from 2.0; signals from 1.0
  Action decide(Category c, double score) const noexcept;
};

// Everything one rules directory holds.
struct RuleSource {
  std::vector<Rule> rules;
  std::vector<AllowEntry> allow;
  Thresholds thresholds;
  std::string content_hash;  // SHA-256 hex of every file's name and bytes: the rule-set version
};

}  // namespace moderatord::classifier
