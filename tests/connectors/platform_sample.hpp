#pragma once
// Reads the recorded samples in tests/data/platforms/: a JSON body as bytes, or an .http file's
// response (status line, headers; `#` lines are comments) as an HttpsResponse.
#include <fstream>
#include <sstream>
#include <string>

#include "connectors/http/https_client.hpp"

namespace moderatord::connectors::testing {

inline std::string sample(const std::string& rel) {
  std::ifstream in(std::string(MODERATORD_SOURCE_DIR) + "/tests/data/platforms/" + rel, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline http::HttpsResponse sample_response(const std::string& rel) {
  std::istringstream in(sample(rel));
  http::HttpsResponse r;
  std::string line;
  bool in_response = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("#", 0) == 0) continue;
    if (!in_response) {
      if (line.rfind("HTTP/", 0) == 0) {
        in_response = true;
        r.status = static_cast<unsigned>(std::stoi(line.substr(line.find(' ') + 1, 3)));
      }
      continue;
    }
    if (line.empty()) break;
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    r.headers.emplace_back(std::move(name), std::move(value));
  }
  std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  r.body = rest;
  return r;
}

}  // namespace moderatord::connectors::testing
