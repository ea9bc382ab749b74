#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "classifier/hs_database.hpp"

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

// Start-of-match tracking for wide bounded gaps (".{0,40}", "\W{0,3}" inside alternations) or
// repeated groups ("(...){0,4}") makes Hyperscan's compile slow or fail with "Pattern is too large"
// (seen: 0.7 s a retry with 240 regexes). Such patterns go straight to the plain database.
bool prefer_plain(std::string_view re) {
  for (std::size_t i = 0; i < re.size(); ++i) {
    if (re[i] == '\\') {
      ++i;
      continue;
    }
    if (re[i] != '{') continue;
    if (i > 0 && re[i - 1] == ')') return true;
    const std::size_t close = re.find('}', i);
    if (close == std::string_view::npos) return false;
    const std::string_view inside = re.substr(i + 1, close - i - 1);
    const std::size_t comma = inside.find(',');
    const std::string_view upper = comma == std::string_view::npos ? inside : inside.substr(comma + 1);
    if (upper.empty()) return true;  // {n,}: unbounded
    int value = 0;
    for (char c : upper) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value >= 8) return true;
  }
  return false;
}

}  // namespace

std::vector<Diagnostic> check_regexes(PatternTable& patterns, const RuleSource& source) {
  std::vector<Diagnostic> errors;
  // Check each regex on its own first, so that every bad pattern is reported, not just the first.
  for (auto& p : patterns.regexes) {
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_expression_info(p.regex.c_str(), kRegexFlags, &info, &err) != HS_SUCCESS) {
      errors.push_back(describe(source, p.role, p.owner, p.regex, err->message));
      hs_free_compile_error(err);
    } else {
      p.max_width = info->max_width;
      if (info->min_width == 0)
        errors.push_back(describe(source, p.role, p.owner, p.regex, "can match empty text"));
      std::free(info);  // allocated by Hyperscan with the default allocator
    }
  }

  return errors;
}

Result<Databases> compile_databases(const PatternTable& patterns, const RuleSource& source) {
  Databases dbs;
  std::vector<Diagnostic> errors;

  if (!patterns.words.empty()) {
    std::vector<const char*> lits;
    std::vector<std::size_t> lens;
    std::vector<unsigned> flags(patterns.words.size(), 0), ids;
    for (std::size_t i = 0; i < patterns.words.size(); ++i) {
      lits.push_back(patterns.words[i].literal.data());
      lens.push_back(patterns.words[i].literal.size());
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_lit_multi(lits.data(), flags.data(), ids.data(), lens.data(),
                             static_cast<unsigned>(lits.size()), HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
      if (err->expression >= 0) {
        const auto& p = patterns.words[static_cast<std::size_t>(err->expression)];
        errors.push_back(describe(source, p.role, p.owner, p.literal, err->message));
      } else {
        errors.push_back({"", 0, "", std::string("compiling the word list: ") + err->message});
      }
      hs_free_compile_error(err);
      return Error(std::move(errors));
    }
    dbs.words.reset(db);
  }

  // Regexes: all with start-of-match tracking first; a pattern Hyperscan cannot track the start
  // of moves to the plain database, and the compile is retried.
  std::vector<std::size_t> som, plain;
  for (std::size_t i = 0; i < patterns.regexes.size(); ++i)
    (prefer_plain(patterns.regexes[i].regex) ? plain : som).push_back(i);
  auto compile = [&](const std::vector<std::size_t>& which, unsigned flag, DatabasePtr& into,
                     std::size_t& failed) -> std::string {
    if (which.empty()) return {};
    std::vector<const char*> exprs;
    std::vector<unsigned> flags(which.size(), flag), ids;
    for (std::size_t i : which) {
      exprs.push_back(patterns.regexes[i].regex.c_str());
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()),
                         HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
      std::string message = err->message;
      failed = err->expression >= 0 ? which[static_cast<std::size_t>(err->expression)] : SIZE_MAX;
      hs_free_compile_error(err);
      return message;
    }
    into.reset(db);
    return {};
  };
  for (;;) {
    std::size_t failed = SIZE_MAX;
    std::string message = compile(som, kRegexFlags, dbs.text, failed);
    if (message.empty()) break;
    if (failed != SIZE_MAX && message.find("too large") != std::string::npos) {
      som.erase(std::find(som.begin(), som.end(), failed));
      plain.push_back(failed);
      continue;
    }
    if (failed != SIZE_MAX) {
      const auto& p = patterns.regexes[failed];
      errors.push_back(describe(source, p.role, p.owner, p.regex, message.c_str()));
    } else {
      errors.push_back({"", 0, "", "compiling the regexes: " + message});
    }
    return Error(std::move(errors));
  }
  std::size_t failed = SIZE_MAX;
  if (std::string message = compile(plain, kPlainRegexFlags, dbs.text_plain, failed); !message.empty()) {
    const auto& p = patterns.regexes[failed == SIZE_MAX ? plain.front() : failed];
    errors.push_back(describe(source, p.role, p.owner, p.regex, message.c_str()));
    return Error(std::move(errors));
  }
  return dbs;
}

}  // namespace moderatord::classifier
