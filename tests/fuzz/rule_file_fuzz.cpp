// libFuzzer target: any bytes as a rule file, a thresholds file and an allowlist. The loader must
// report errors, never crash; what it accepts must expand into patterns and pass the regex checks
// without crashing either.
#include <cstdint>
#include <string>
#include <string_view>

#include "classifier/hs_database.hpp"
#include "classifier/pattern.hpp"
#include "classifier/rule_file.hpp"

using namespace moderatord::classifier;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Normaliser normaliser;
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  RuleSource src;
  std::vector<Diagnostic> errors;
  parse_rule_file(content, "fuzz.toml", src, errors);
  parse_thresholds(content, "thresholds.toml", src.thresholds, errors);
  parse_allowlist(content, "allow.txt", src, errors);
  for (const auto& e : errors) (void)e.to_string();
  if (src.rules.empty()) return 0;
  auto patterns = build_patterns(src, normaliser);
  if (patterns) (void)check_regexes(*patterns, src);
  return 0;
}
