#pragma once
// Errors as values (see STYLE.md). Rule loading can fail in many places at once, so its error carries
// every diagnostic, each naming the file, line and rule id, like `nginx -t`.
#include <boost/system/result.hpp>
#include <string>
#include <vector>

namespace moderatord::classifier {

struct Diagnostic {
  std::string file;     // path as given, or "" when not about a file
  int line = 0;         // 1-based; 0 when unknown
  std::string rule_id;  // "" when not about one rule
  std::string message;
  std::string to_string() const;  // "file:line: rule 'id': message"
};

struct Error {
  std::vector<Diagnostic> diagnostics;
  Error() = default;
  explicit Error(std::string message) { diagnostics.push_back({"", 0, "", std::move(message)}); }
  explicit Error(std::vector<Diagnostic> d) : diagnostics(std::move(d)) {}
  std::string to_string() const;  // one diagnostic per line
};

// boost::system::result calls this when value() is used on an error.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

}  // namespace moderatord::classifier
