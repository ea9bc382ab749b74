#include "classifier/error.hpp"

#include <stdexcept>

namespace moderatord::classifier {

std::string Diagnostic::to_string() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
  }
  if (!rule_id.empty()) out += "rule '" + rule_id + "': ";
  out += message;
  return out;
}

std::string Error::to_string() const {
  std::string out;
  for (const auto& d : diagnostics) {
    if (!out.empty()) out += '\n';
    out += d.to_string();
  }
  return out;
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw std::runtime_error(e.to_string());
}

}  // namespace moderatord::classifier
