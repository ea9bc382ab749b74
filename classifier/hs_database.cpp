#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "classifier/hs_database.hpp"
#include "classifier/word_index.hpp"

#include <re2/re2.h>

namespace moderatord::classifier {
namespace {

Diagnostic describe(const RuleSource& source, Role role, std::uint32_t owner, const std::string& pattern,
                    const char* message) {
  if (role == Role::allow) {
    const auto& a = source.allow[owner];
    return {a.file, a.line, "", "allowlist entry \"" + a.text + "\": " + message};
  }
  const auto& r = source.rules[owner];
  return {r.file, r.line, r.id, "pattern '" + pattern + "': " + message};
}

// One literal database over the groups in [from, to) that the WordIndex does not hold (those with a
// wildcard); ids are group indexes. Nothing to compile: null.
bool compile_literals(const PatternTable& patterns, const RuleSource& source, std::uint32_t from, std::uint32_t to,
                      DatabasePtr& out, std::vector<Diagnostic>& errors) {
  std::vector<const char*> lits;
  std::vector<std::size_t> lens;
  std::vector<unsigned> ids;
  for (std::uint32_t g = from; g < to; ++g) {
    if (WordIndex::indexable(patterns.groups[g].literal)) continue;
    lits.push_back(patterns.groups[g].literal.data());
    lens.push_back(patterns.groups[g].literal.size());
    ids.push_back(g);
  }
  if (lits.empty()) return true;
  std::vector<unsigned> flags(lits.size(), 0);
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(lits.data(), flags.data(), ids.data(), lens.data(), static_cast<unsigned>(lits.size()),
                           HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
    if (err->expression >= 0) {
      const auto& group = patterns.groups[ids[static_cast<std::size_t>(err->expression)]];
      const auto& p = patterns.words[group.entries.front()];
      errors.push_back(describe(source, p.role, p.owner, p.literal, err->message));
    } else {
      errors.push_back({"", 0, "", std::string("compiling the word list: ") + err->message});
    }
    hs_free_compile_error(err);
    return false;
  }
  out.reset(db);
  return true;
}

// The regexes with RegexPattern::rare == rare, in prefilter mode but for those of exact width (run
// as they are, every match reported); ids are regex indexes.
bool compile_regexes(const PatternTable& patterns, const RuleSource& source, bool rare, DatabasePtr& out,
                     std::vector<Diagnostic>& errors) {
  std::vector<const char*> exprs;
  std::vector<unsigned> flags, ids;
  for (std::size_t i = 0; i < patterns.regexes.size(); ++i) {
    if (patterns.regexes[i].rare != rare) continue;
    const RegexPattern& p = patterns.regexes[i];
    exprs.push_back(p.prefilter.empty() ? p.regex.c_str() : p.prefilter.c_str());
    flags.push_back(p.width != 0 ? kExactRegexFlags : kRegexFlags);
    ids.push_back(static_cast<unsigned>(i));
  }
  if (exprs.empty()) return true;
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK,
                       nullptr, &db, &err) != HS_SUCCESS) {
    if (err->expression >= 0) {
      const auto& p = patterns.regexes[ids[static_cast<std::size_t>(err->expression)]];
      errors.push_back(describe(source, p.role, p.owner, p.prefilter.empty() ? p.regex : p.prefilter, err->message));
    } else {
      errors.push_back({"", 0, "", std::string("compiling the regexes: ") + err->message});
    }
    hs_free_compile_error(err);
    return false;
  }
  out.reset(db);
  return true;
}

}  // namespace

std::vector<Diagnostic> check_regexes(PatternTable& patterns, const RuleSource& source) {
  std::vector<Diagnostic> errors;
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  options.set_max_mem(8 << 20);  // per pattern; a larger DFA means a pattern admins should simplify
  for (auto& p : patterns.regexes) {
    auto re = std::make_shared<const RE2>(p.regex, options);
    if (!re->ok()) {
      errors.push_back(describe(source, p.role, p.owner, p.regex, re->error().c_str()));
      continue;
    }
    p.re2 = std::move(re);
    if (p.re2->Match("", 0, 0, RE2::UNANCHORED, nullptr, 0)) {
      errors.push_back(describe(source, p.role, p.owner, p.regex, "can match empty text"));
      continue;
    }
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    for (const std::string* expr : {&p.regex, &p.prefilter}) {
      if (expr->empty()) continue;
      if (hs_expression_info(expr->c_str(), p.width != 0 ? kExactRegexFlags : kRegexFlags, &info, &err) != HS_SUCCESS) {
        errors.push_back(describe(source, p.role, p.owner, *expr, err->message));
        hs_free_compile_error(err);
      } else {
        std::free(info);  // allocated by Hyperscan with the default allocator
      }
    }
  }
  return errors;
}

Result<Databases> compile_databases(const PatternTable& patterns, const RuleSource& source) {
  Databases dbs;
  std::vector<Diagnostic> errors;

  if (!compile_literals(patterns, source, 0, patterns.first_deferred_group, dbs.words, errors) ||
      !compile_literals(patterns, source, patterns.first_deferred_group,
                        static_cast<std::uint32_t>(patterns.groups.size()), dbs.deferred, errors))
    return Error(std::move(errors));

  if (!compile_regexes(patterns, source, false, dbs.text, errors) ||
      !compile_regexes(patterns, source, true, dbs.text_rare, errors))
    return Error(std::move(errors));
  return dbs;
}

}  // namespace moderatord::classifier
