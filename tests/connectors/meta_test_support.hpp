#pragma once
// Reads the recorded Meta samples in tests/data/platforms/ (copied from ../shared/platforms/).
#include <fstream>
#include <sstream>
#include <string>

namespace moderatord::connectors::test {

inline std::string sample(const std::string& relative) {
  std::ifstream in(std::string(MODERATORD_SOURCE_DIR) + "/tests/data/platforms/" + relative, std::ios::binary);
  if (!in) throw std::runtime_error("missing sample " + relative);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace moderatord::connectors::test
