#include "classifier/rule_tests.hpp"

namespace moderatord::classifier {

RuleTestResult run_rule_tests(const RuleSet& rules, Scanner& scanner) {
  RuleTestResult result;
  Verdict v;
  for (std::uint32_t i = 0; i < rules.rules().size(); ++i) {
    const Rule& r = rules.rules()[i];
    for (const RuleTest& t : r.tests) {
      ++result.run;
      scanner.classify(rules, t.text, v);
      bool fired = false;
      for (const Match& m : v.matches) fired = fired || m.rule == i;
      if (fired == t.expect_match) continue;
      Diagnostic d{r.file, t.line, r.id,
                   std::string(t.expect_match ? "expected a match, the rule did not fire" : "expected no match, the rule fired") +
                       ": \"" + t.text + "\""};
      result.failures.push_back(d.to_string());
    }
  }
  return result;
}

}  // namespace moderatord::classifier
