#pragma once
// Reads a rules directory: rule files (TOML), thresholds.toml and allowlists/*.txt. Validates
// everything and reports every problem with its file, line and rule id; compiles nothing.
#include <filesystem>
#include <string_view>

#include "classifier/error.hpp"
#include "classifier/rule.hpp"

namespace moderatord::classifier {

// Reads and validates the whole directory. Errors list every diagnostic found, not just the first.
Result<RuleSource> load_rule_dir(const std::filesystem::path& dir);

// The parsing steps, exposed for tests and the fuzzer: each appends rules or entries to `into` and
// diagnostics to `errors`; neither touches the file system.
void parse_rule_file(std::string_view content, const std::string& file, RuleSource& into,
                     std::vector<Diagnostic>& errors);
void parse_thresholds(std::string_view content, const std::string& file, Thresholds& into,
                      std::vector<Diagnostic>& errors);
void parse_allowlist(std::string_view content, const std::string& file, RuleSource& into,
                     std::vector<Diagnostic>& errors);
// Checks across files: unique ids, at least one rule.
void check_rule_source(const RuleSource& source, std::vector<Diagnostic>& errors);

}  // namespace moderatord::classifier
