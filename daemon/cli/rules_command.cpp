#include "classifier/rule_set.hpp"
#include "classifier/rule_tests.hpp"
#include "daemon/cli/commands.hpp"

namespace moderatord::daemon {

using namespace moderatord::classifier;

namespace {
Result<RuleSetPtr> load(const RulesOptions& options, std::FILE* err) {
  auto loaded = RuleSet::load(options.rules_dir, {options.cache_dir});
  if (!loaded) {
    std::fprintf(err, "%s\nmoderatord: rules in %s are NOT valid (%zu problem%s)\n",
                 loaded.error().to_string().c_str(), options.rules_dir.c_str(),
                 loaded.error().diagnostics.size(), loaded.error().diagnostics.size() == 1 ? "" : "s");
  }
  return loaded;
}
}  // namespace

int rules_check_command(const RulesOptions& options, std::FILE* out, std::FILE* err) {
  auto loaded = load(options, err);
  if (!loaded) return 1;
  const RuleSet& rs = **loaded;
  const PatternTable& pt = rs.patterns();
  std::size_t rare = 0;
  for (const auto& r : pt.regexes) rare += r.rare ? 1 : 0;
  const std::size_t indexed = rs.word_index().literal_count();
  std::fprintf(out,
               "moderatord: rules in %s are valid: %zu rules, %zu word patterns, %zu regexes, %zu allowlist "
               "entries; version %.12s; %s in %.3f s\n",
               options.rules_dir.c_str(), rs.rules().size(), pt.words.size(), pt.regexes.size(), rs.allowlist_size(),
               rs.version().c_str(), rs.cache_status().c_str(), rs.build_seconds());
  // What each comment costs: the literals always scanned, and the regexes most comments skip.
  std::fprintf(out,
               "moderatord: %zu distinct literals: %zu whole-word ones in the word index, %zu with a wildcard in "
               "Hyperscan (%zu of them common words counted only beside the other word of their `near` pair); "
               "%zu of %zu regexes scanned only on text with a digit, @, $ or non-ASCII\n",
               pt.groups.size(), indexed, pt.groups.size() - indexed, pt.groups.size() - pt.first_deferred_group,
               rare, pt.regexes.size());
  return 0;
}

int rules_test_command(const RulesOptions& options, std::FILE* out, std::FILE* err) {
  auto loaded = load(options, err);
  if (!loaded) return 1;
  Scanner scanner;
  const auto result = run_rule_tests(**loaded, scanner);
  for (const auto& f : result.failures) std::fprintf(err, "FAIL %s\n", f.c_str());
  std::fprintf(out, "moderatord: %zu rule examples, %zu passed, %zu failed\n", result.run,
               result.run - result.failures.size(), result.failures.size());
  return result.failures.empty() ? 0 : 1;
}

}  // namespace moderatord::daemon
