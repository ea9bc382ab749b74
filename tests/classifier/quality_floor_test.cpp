// The acceptance bars on the council dev set (issue 2): the shipped rules must keep any-breach
// F1 >= 0.90 with no more than 1% of clean comments flagged, and needs_response F1 >= 0.80.
// Scored exactly as shared/eval/score.py does, so a rule edit cannot degrade them silently.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <sstream>

#include "classifier/rule_set.hpp"
#include "classifier/scanner.hpp"

namespace moderatord::classifier {
namespace {

struct Counts {
  int tp = 0, fp = 0, fn = 0;
  double f1() const { return tp == 0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn); }
  void add(bool gold, bool pred) {
    tp += gold && pred;
    fp += pred && !gold;
    fn += gold && !pred;
  }
};

// Classifies every JSON line of `file` (a path under the source tree) with the shipped rules.
template <class Fn>
void for_each_row(const std::string& file, Fn&& fn) {
  auto rules = RuleSet::load(MODERATORD_SOURCE_DIR "/config/rules", {MODERATORD_TEST_CACHE_DIR});
  ASSERT_TRUE(rules) << rules.error().to_string();
  std::ifstream in(MODERATORD_SOURCE_DIR "/" + file);
  ASSERT_TRUE(in) << file;
  Scanner scanner;
  simdjson::dom::parser parser;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    simdjson::dom::element row = parser.parse(line);
    const std::string_view text = row["text"];
    fn(row, text, scanner.classify(**rules, text));
  }
}

TEST(QualityFloor, CouncilDevSet) {
  Counts breach, needs;
  int clean = 0, clean_flagged = 0, items = 0;
  std::ostringstream misses;
  auto score = [&](simdjson::dom::element row, std::string_view text, const Verdict& v) {
    bool gold_breach = false, gold_any = false;
    for (std::string_view l : row["labels"].get_array()) {
      gold_any = true;
      gold_breach = gold_breach || l != "personal_data";
    }
    const bool pred_breach = (v.labels & ~(1U << static_cast<unsigned>(Category::personal_data))) != 0;
    breach.add(gold_breach, pred_breach);
    if (!gold_any) {
      ++clean;
      if (v.labels != 0) {
        ++clean_flagged;
        misses << "  clean but flagged: " << text << '\n';
      }
    }
    needs.add(bool(row["needs_response"]), v.needs_response);
    ++items;
  };
  for_each_row("tests/data/eval/dev-comments.jsonl", score);
  ASSERT_GT(items, 300);
  const double fpr = static_cast<double>(clean_flagged) / clean;
  std::printf("dev set: breach F1 %.3f, clean flagged %d/%d (%.2f%%), needs_response F1 %.3f\n", breach.f1(),
              clean_flagged, clean, 100 * fpr, needs.f1());
  EXPECT_GE(breach.f1(), 0.90);
  EXPECT_LE(fpr, 0.01) << misses.str();
  EXPECT_GE(needs.f1(), 0.80);
}

// Comments written by hand the way residents write on a council page (none from the eval sets),
// each with the labels a moderator would give it; needs_response where the row says. Every false
// positive and miss that writing them found is fixed in the rules, and this keeps it fixed.
// Left out: the ones a moderator could rule either way ("the chairman is a complete muppet").
TEST(QualityFloor, HandWrittenCouncilComments) {
  int items = 0, flagged = 0;
  auto check = [&](simdjson::dom::element row, std::string_view text, const Verdict& v) {
    std::uint16_t want = 0;
    for (std::string_view l : row["labels"].get_array()) {
      const auto c = parse_category(l);
      ASSERT_TRUE(c) << "unknown label " << l;
      want = static_cast<std::uint16_t>(want | (1U << static_cast<unsigned>(*c)));
    }
    EXPECT_EQ(v.labels, want) << text << " -> " << to_string(v.action);
    if (bool nr = false; row["needs_response"].get(nr) == simdjson::SUCCESS)
      EXPECT_EQ(v.needs_response, nr) << "needs_response: " << text;
    // Where the row says: the action too, so that an escalation nobody needs (an email to a moderator)
    // is as much a regression as a wrong label.
    if (std::string_view action; row["action"].get(action) == simdjson::SUCCESS)
      EXPECT_EQ(to_string(v.action), action) << "action: " << text;
    ++items;
    flagged += want != 0;
  };
  for_each_row("tests/data/council-probes.jsonl", check);
  EXPECT_GT(items, 300);
  EXPECT_GT(flagged, 60);  // breaches too, not only hard negatives
}

}  // namespace
}  // namespace moderatord::classifier
