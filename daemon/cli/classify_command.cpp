#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
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

// Comments are classified in batches: one thread reads and writes in input order while `jobs`
// workers classify, each with its own Scanner and JSON parser (neither is thread-safe).
constexpr std::size_t kBatchLines = 512;

struct Batch {
  std::vector<std::string> lines;  // reused from batch to batch: read_line refills them in place
  std::vector<std::size_t> numbers;
  std::size_t count = 0;
  std::string out;
  bool done = false;  // guarded by the driver's mutex
};

// Reads up to kBatchLines non-blank lines into `b`; false when the input had none left.
bool fill(std::FILE* in, std::size_t& line_no, Batch& b) {
  b.count = 0;
  b.out.clear();
  b.done = false;
  if (b.lines.size() < kBatchLines) {
    b.lines.resize(kBatchLines);
    b.numbers.resize(kBatchLines);
  }
  while (b.count < kBatchLines && read_line(in, b.lines[b.count])) {
    ++line_no;
    if (b.lines[b.count].find_first_not_of(" \t") == std::string::npos) continue;
    b.numbers[b.count++] = line_no;
  }
  return b.count > 0;
}

class Worker {
 public:
  Worker(const RuleSet& rules, const std::vector<std::string>& rule_ids) : rules_(rules), rule_ids_(rule_ids) {}

  void classify(Batch& b) {
    for (std::size_t i = 0; i < b.count; ++i) classify_line(b.lines[i], b.numbers[i], b.out);
  }

 private:
  void classify_line(std::string& line, std::size_t line_no, std::string& out) {
    id_json_.clear();
    const std::size_t len = line.size();
    line.reserve(len + simdjson::SIMDJSON_PADDING);
    std::string_view text;
    bool have_text = false;
    std::string problem;
    // The DOM parser dispatches to the best SIMD kernel at run time (ondemand is fixed at compile
    // time and, without -march flags, falls back to the scalar kernel).
    simdjson::dom::element doc;
    if (auto e = parser_.parse(line.data(), len, false).get(doc); e) {
      problem = std::string("malformed JSON: ") + simdjson::error_message(e);
    } else if (!doc.is_object()) {
      problem = "not a JSON object";
    } else {
      simdjson::dom::element id;
      if (doc["id"].get(id) == simdjson::SUCCESS) {
        if (id.is_string()) append_json_string(id_json_, std::string_view(id));
        else id_json_ = simdjson::minify(id);
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
      append_error(out, id_json_, line_no, problem);
      return;
    }
    if (id_json_.empty()) id_json_ = std::to_string(line_no);
    scanner_.classify(rules_, text, verdict_);
    append_verdict(out, id_json_, rule_ids_, verdict_);
  }

  const RuleSet& rules_;
  const std::vector<std::string>& rule_ids_;
  Scanner scanner_;
  Verdict verdict_;
  simdjson::dom::parser parser_;
  std::string id_json_;
};

void write(std::FILE* out, const std::string& bytes) { std::fwrite(bytes.data(), 1, bytes.size(), out); }

// `jobs` workers; up to two batches each in flight, written in input order as each oldest finishes.
void classify_parallel(const RuleSet& rules, const std::vector<std::string>& rule_ids, unsigned jobs,
                       std::FILE* in, std::FILE* out) {
  std::vector<Batch> ring(2 * std::size_t{jobs});
  std::mutex m;
  std::condition_variable work_cv, done_cv;
  std::deque<Batch*> queue;
  bool closing = false;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < jobs; ++t) {
    threads.emplace_back([&] {
      Worker worker(rules, rule_ids);
      for (;;) {
        Batch* b = nullptr;
        {
          std::unique_lock lock(m);
          work_cv.wait(lock, [&] { return closing || !queue.empty(); });
          if (queue.empty()) return;
          b = queue.front();
          queue.pop_front();
        }
        worker.classify(*b);
        {
          std::lock_guard lock(m);
          b->done = true;
        }
        done_cv.notify_all();
      }
    });
  }
  std::size_t line_no = 0, head = 0, in_flight = 0;
  bool more = true;
  for (;;) {
    while (more && in_flight < ring.size()) {
      Batch& b = ring[(head + in_flight) % ring.size()];
      if (!fill(in, line_no, b)) {
        more = false;
        break;
      }
      {
        std::lock_guard lock(m);
        queue.push_back(&b);
      }
      work_cv.notify_one();
      ++in_flight;
    }
    if (in_flight == 0) break;
    Batch& oldest = ring[head];
    {
      std::unique_lock lock(m);
      done_cv.wait(lock, [&] { return oldest.done; });
    }
    write(out, oldest.out);
    head = (head + 1) % ring.size();
    --in_flight;
  }
  {
    std::lock_guard lock(m);
    closing = true;
  }
  work_cv.notify_all();
  for (auto& t : threads) t.join();
}

}  // namespace

int classify_command(const RulesOptions& options, unsigned jobs, std::FILE* in, std::FILE* out, std::FILE* err) {
  auto loaded = RuleSet::load(options.rules_dir, {options.cache_dir});
  if (!loaded) {
    std::fprintf(err, "moderatord: cannot load rules from %s:\n%s\n", options.rules_dir.c_str(),
                 loaded.error().to_string().c_str());
    return 1;
  }
  const RuleSet& rules = **loaded;
  std::vector<std::string> rule_ids;
  for (const auto& r : rules.rules()) append_json_string(rule_ids.emplace_back(), r.id);
  if (jobs == 0) jobs = std::max(1U, std::thread::hardware_concurrency());
  if (jobs == 1) {
    Worker worker(rules, rule_ids);
    Batch batch;
    std::size_t line_no = 0;
    while (fill(in, line_no, batch)) {
      worker.classify(batch);
      write(out, batch.out);
    }
  } else {
    classify_parallel(rules, rule_ids, jobs, in, out);
  }
  std::fflush(out);
  return 0;
}

}  // namespace moderatord::daemon
