// How the policy engine's reply rules do on labelled comments: the council set's lines carry
// needs_response and exempt (rhetorical | repeat, with repeat_of). Each comment goes through the
// shipped rules, the decision and on_comment, in file order, as if the council answered every item
// it opened before the next comment arrived (so earlier answered complaints are there to be
// repeated). Prints precision, recall and F1 of opened items and of each exemption, and how many
// repeats were linked to the right original.
//
//   sla_eval RULES_DIR FILE.jsonl [--cache DIR] [--min-open-f1 X --min-rhetorical-f1 X --min-repeat-f1 X]
//
// With the --min options it exits 1 when a figure is below its floor (ctest runs it that way on the
// copy under tests/data/eval/).
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "classifier/rule_set.hpp"
#include "classifier/scanner.hpp"
#include "daemon/policy/decide.hpp"
#include "daemon/policy/reply_signals.hpp"
#include "daemon/policy/sla_engine.hpp"

using namespace moderatord;
using namespace moderatord::daemon::policy;

namespace {

struct Counts {
  int tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp ? double(tp) / (tp + fp) : 1.0; }
  double recall() const { return tp + fn ? double(tp) / (tp + fn) : 1.0; }
  double f1() const {
    const double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
  }
  void add(bool predicted, bool gold) {
    if (predicted && gold) ++tp;
    else if (predicted) ++fp;
    else if (gold) ++fn;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s RULES_DIR FILE.jsonl [--cache DIR] [--min-open-f1 X] [--min-rhetorical-f1 X] "
                         "[--min-repeat-f1 X]\n", argv[0]);
    return 2;
  }
  classifier::RuleSetOptions ro;
  std::map<std::string, double> floors;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--cache") ro.cache_dir = argv[i + 1];
    else floors[flag] = std::atof(argv[i + 1]);
  }
  auto rules = classifier::RuleSet::load(argv[1], ro);
  if (!rules) {
    std::fprintf(stderr, "%s\n", rules.error().to_string().c_str());
    return 2;
  }
  const WorkingCalendar calendar(TimeZone::utc(), OpeningHours::office(), Holidays{});
  const SlaPolicy policy;
  classifier::Scanner scanner;
  classifier::Verdict verdict;
  simdjson::dom::parser parser;
  std::ifstream in(argv[2]);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", argv[2]);
    return 2;
  }
  Counts open, rhetorical, repeat;
  int repeats_linked = 0, repeats_found = 0, breach_exempt = 0, lines = 0;
  std::map<std::int64_t, std::string> id_of;  // line number → the file's id
  CommentContext ctx;
  std::string line;
  std::int64_t n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++n;
    ++lines;
    simdjson::dom::element row;
    if (parser.parse(line).get(row)) {
      std::fprintf(stderr, "line %lld: not JSON\n", static_cast<long long>(n));
      return 2;
    }
    const std::string id(row["id"].get_string().value());
    const std::string text(row["text"].get_string().value());
    const bool gold_needs = row["needs_response"].get_bool().value();
    std::string gold_exempt, gold_repeat_of;
    if (std::string_view e; row["exempt"].get_string().get(e) == simdjson::SUCCESS) gold_exempt = e;
    if (std::string_view r; row["repeat_of"].get_string().get(r) == simdjson::SUCCESS) gold_repeat_of = r;
    id_of[n] = id;

    scanner.classify(**rules, text, verdict);
    AccountPolicy account;
    connectors::Capabilities caps;
    caps.hide = caps.unhide = caps.remove = {true, true};
    const Decision d = decide(verdict, (*rules)->thresholds(), account, caps, model::CommentKind::comment);
    const ReplySignals signals = reply_signals(verdict, **rules, d);
    const CommentOutcome out = on_comment({model::CommentKind::comment, text, n * 60000}, signals, policy, calendar, ctx);

    const bool opened = out.item && !out.item->exemption;
    const bool pred_rhetorical = out.item && out.item->exemption == Exemption::rhetorical;
    const bool pred_repeat = out.item && out.item->exemption == Exemption::repeat;
    if (out.item && out.item->exemption == Exemption::breach) ++breach_exempt;
    open.add(opened, gold_needs);
    rhetorical.add(pred_rhetorical, gold_exempt == "rhetorical");
    repeat.add(pred_repeat, gold_exempt == "repeat");
    if (pred_repeat && gold_exempt == "repeat") {
      ++repeats_found;
      if (id_of[out.item->repeat_of] == gold_repeat_of) ++repeats_linked;
    }
    // The council answers what it opened; an answered item (or a found repeat) can be repeated later.
    if (out.item && (opened || pred_repeat) && !out.item->tokens.empty())
      ctx.answered.push_back({n, out.item->tokens});
  }

  std::printf("%d comments from %s\n\n%-22s %9s %9s %9s %5s %5s %5s\n", lines, argv[2], "", "precision", "recall", "f1",
              "tp", "fp", "fn");
  auto print = [](const char* name, const Counts& c) {
    std::printf("%-22s %9.3f %9.3f %9.3f %5d %5d %5d\n", name, c.precision(), c.recall(), c.f1(), c.tp, c.fp, c.fn);
  };
  print("opened (needs reply)", open);
  print("exempt: rhetorical", rhetorical);
  print("exempt: repeat", repeat);
  std::printf("\nrepeats linked to the labelled original: %d of %d found\n", repeats_linked, repeats_found);
  std::printf("exempt as breaches (7.9), not scored: %d\n", breach_exempt);

  int rc = 0;
  auto floor = [&](const char* flag, double value) {
    if (auto it = floors.find(flag); it != floors.end() && value < it->second) {
      std::fprintf(stderr, "%s: %.3f is below the floor %.3f\n", flag, value, it->second);
      rc = 1;
    }
  };
  floor("--min-open-f1", open.f1());
  floor("--min-rhetorical-f1", rhetorical.f1());
  floor("--min-repeat-f1", repeat.f1());
  return rc;
}
