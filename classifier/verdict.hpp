#pragma once
// What the classifier says about one comment. Plain data.
#include <array>
#include <cstdint>
#include <vector>

#include "classifier/category.hpp"
#include "classifier/normaliser.hpp"

namespace moderatord::classifier {

struct Match {
  std::uint32_t rule = 0;  // index into RuleSet::rules()
  Category category = Category::abusive;
  Span span;               // byte offsets in the original text
};

struct Verdict {
  std::array<double, kCategoryCount> scores{};          // sum of the weights of the rules that fired
  std::array<Action, kCategoryCount> category_action{};  // what each category's score asks for
  std::array<Action, kCategoryCount> rule_floor{};       // the strongest `action` of a fired rule
  std::uint16_t labels = 0;                              // bit per Category reaching hide or stronger
  Action action = Action::none;                          // the strongest over categories and rules
  bool needs_response = false;  // a reply is due (7.7.2): signal set, no breach, not rhetorical
  bool rhetorical = false;      // 7.8.1
  bool utf8_repaired = false;   // invalid UTF-8 was read as separators
  std::vector<Match> matches;   // matches that counted, in the order found (capped: kMaxMatches)

  static constexpr std::size_t kMaxMatches = 256;
  bool has_label(Category c) const noexcept { return (labels >> static_cast<unsigned>(c)) & 1U; }
  void clear() noexcept {
    scores.fill(0);
    category_action.fill(Action::none);
    rule_floor.fill(Action::none);
    labels = 0;
    action = Action::none;
    needs_response = rhetorical = utf8_repaired = false;
    matches.clear();
  }
};

}  // namespace moderatord::classifier
