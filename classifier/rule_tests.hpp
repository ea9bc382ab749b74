#pragma once
// Runs the examples embedded in rule files ([[rule.test]]): does each rule fire where it says?
#include <string>
#include <vector>

#include "classifier/rule_set.hpp"
#include "classifier/scanner.hpp"

namespace moderatord::classifier {

struct RuleTestResult {
  std::size_t run = 0;
  std::vector<std::string> failures;  // "file:line: rule 'id': expected match, did not fire: \"text\""
};

RuleTestResult run_rule_tests(const RuleSet& rules, Scanner& scanner);

}  // namespace moderatord::classifier
