#include <simdjson.h>

#include <charconv>
#include <string>
#include <vector>

#include "classifier/rule_set.hpp"
#include "classifier/scanner.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/json_writer.hpp"

namespace moderatord::daemon {
namespace {

using namespace moderatord::classifier;

void append_number(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

// `rule_ids`: each rule's id already as a JSON string (escaped once, not once per match).
void append_verdict(std::string& out, std::string_view id_json, const std::vector<std::string>& rule_ids,
                    const Verdict& v) {
  out += "{\"id\":";
  out += id_json;
  out += ",\"labels\":[";
  bool first = true;
  for (std::size_t c = 0; c < kLabelCount; ++c) {
    if (!v.has_label(static_cast<Category>(c))) continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += to_string(static_cast<Category>(c));
    out += '"';
  }
  out += "],\"action\":\"";
  out += to_string(v.action);
  out += "\",\"needs_response\":";
  out += v.needs_response ? "true" : "false";
  out += ",\"rhetorical\":";
  out += v.rhetorical ? "true" : "false";
  out += ",\"scores\":{";
  first = true;
  for (std::size_t c = 0; c < kCategoryCount; ++c) {
    if (v.scores[c] == 0) continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += to_string(static_cast<Category>(c));
    out += "\":";
    append_number(out, v.scores[c]);
  }
  out += "},\"matches\":[";
  first = true;
  for (const Match& m : v.matches) {
    if (!first) out += ',';
    first = false;
    out += "{\"rule\":";
    out += rule_ids[m.rule];
    out += ",\"category\":\"";
    out += to_string(m.category);
    out += "\",\"start\":";
    out += std::to_string(m.span.begin);
    out += ",\"end\":";
    out += std::to_string(m.span.end);
    out += '}';
  }
  out += ']';
  if (v.utf8_repaired) out += ",\"utf8_repaired\":true";
  out += "}\n";
}

void append_error(std::string& out, std::string_view id_json, std::size_t line_no, std::string_view message) {
  out += '{';
  if (!id_json.empty()) {
    out += "\"id\":";
    out += id_json;
    out += ',';
  }
  out += "\"line\":";
  out += std::to_string(line_no);
  out += ",\"error\":";
  append_json_string(out, message);
  out += "}\n";
}

// Reads one line (without its '\n') into `line`; false at end of input.
bool read_line(std::FILE* in, std::string& line) {
  line.clear();
  char buf[8192];
  while (std::fgets(buf, sizeof buf, in) != nullptr) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return true;
    }
  }
  return !line.empty();
}

}  // namespace

int classify_command(const RulesOptions& options, std::FILE* in, std::FILE* out, std::FILE* err) {
  auto loaded = RuleSet::load(options.rules_dir, {options.cache_dir});
  if (!loaded) {
    std::fprintf(err, "moderatord: cannot load rules from %s:\n%s\n", options.rules_dir.c_str(),
                 loaded.error().to_string().c_str());
    return 1;
  }
  const RuleSet& rules = **loaded;
  std::vector<std::string> rule_ids;
  for (const auto& r : rules.rules()) append_json_string(rule_ids.emplace_back(), r.id);
  Scanner scanner;
  Verdict verdict;
  simdjson::dom::parser parser;
  std::string line, buffer, id_json;
  std::size_t line_no = 0;
  while (read_line(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    id_json.clear();
    const std::size_t len = line.size();
    line.reserve(len + simdjson::SIMDJSON_PADDING);
    std::string_view text;
    bool have_text = false;
    std::string problem;
    // The DOM parser dispatches to the best SIMD kernel at run time (ondemand is fixed at compile
    // time and, without -march flags, falls back to the scalar kernel).
    simdjson::dom::element doc;
    if (auto e = parser.parse(line.data(), len, false).get(doc); e) {
      problem = std::string("malformed JSON: ") + simdjson::error_message(e);
    } else if (!doc.is_object()) {
      problem = "not a JSON object";
    } else {
      simdjson::dom::element id;
      if (doc["id"].get(id) == simdjson::SUCCESS) {
        if (id.is_string()) append_json_string(id_json, std::string_view(id));
        else id_json = simdjson::minify(id);
      }
      simdjson::dom::element t;
      if (doc["text"].get(t) == simdjson::SUCCESS) {
        if (t.is_string()) {
          text = std::string_view(t);
          have_text = true;
        } else {
          problem = "\"text\" is not a string";
        }
      }
    }
    if (problem.empty() && !have_text) problem = "no \"text\" field";
    if (!problem.empty()) {
      append_error(buffer, id_json, line_no, problem);
    } else {
      if (id_json.empty()) id_json = std::to_string(line_no);
      scanner.classify(rules, text, verdict);
      append_verdict(buffer, id_json, rule_ids, verdict);
    }
    if (buffer.size() > (1 << 16)) {
      std::fwrite(buffer.data(), 1, buffer.size(), out);
      buffer.clear();
    }
  }
  std::fwrite(buffer.data(), 1, buffer.size(), out);
  std::fflush(out);
  return 0;
}

}  // namespace moderatord::daemon
