#include "classifier/category.hpp"

namespace moderatord::classifier {
namespace {
constexpr std::array<std::string_view, kCategoryCount> kCategoryNames = {
    "abusive", "sexual",        "obscene",        "discriminatory", "illegal",
    "deceptive", "personal_data", "needs_response", "rhetorical"};
constexpr std::array<std::string_view, kActionCount> kActionNames = {"none", "escalate", "hide",
                                                                     "report", "remove"};
}  // namespace

std::string_view to_string(Category c) noexcept { return kCategoryNames[static_cast<std::size_t>(c)]; }

std::optional<Category> parse_category(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kCategoryCount; ++i)
    if (kCategoryNames[i] == name) return static_cast<Category>(i);
  return std::nullopt;
}

std::string_view to_string(Action a) noexcept { return kActionNames[static_cast<std::size_t>(a)]; }

std::optional<Action> parse_action(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kActionCount; ++i)
    if (kActionNames[i] == name) return static_cast<Action>(i);
  return std::nullopt;
}

}  // namespace moderatord::classifier
