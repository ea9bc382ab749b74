#include "classifier/rule.hpp"

namespace moderatord::classifier {

Thresholds::Thresholds() {
  for (auto& row : at) row.fill(kNever);
  for (std::size_t c = 0; c < kLabelCount; ++c) at[c][static_cast<std::size_t>(Action::hide)] = 2.0;
  signal.fill(kNever);
  signal[static_cast<std::size_t>(Category::needs_response)] = 1.0;
  signal[static_cast<std::size_t>(Category::rhetorical)] = 1.0;
}

Action Thresholds::decide(Category c, double score) const noexcept {
  const auto& row = at[static_cast<std::size_t>(c)];
  for (std::size_t a = kActionCount; a-- > 1;)
    if (score >= row[a]) return static_cast<Action>(a);
  return Action::none;
}

}  // namespace moderatord::classifier
