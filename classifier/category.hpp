#pragma once
// The policy's categories (7.9 a-f, 7.6.2) and the 7.8 signals, and the actions a verdict can ask for.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace moderatord::classifier {

enum class Category : std::uint8_t {
  abusive,         // 7.9: insulting, threatening or abusive
  sexual,          // 7.9: offensive or of a sexual nature
  obscene,         // 7.9: obscene content
  discriminatory,  // 7.9: homophobic, racist etc.
  illegal,         // 7.9: illegal or promoting illegal activity
  deceptive,       // 7.9: deceptive or intended to deceive (scams, phishing, impersonation, spam)
  personal_data,   // 7.6.2: personal data of an identifiable person
  needs_response,  // 7.7.2 / 7.8 signal: a complaint or a genuine question to the council
  rhetorical,      // 7.8.1 signal: a negative question that expects no answer
};
inline constexpr std::size_t kCategoryCount = 9;
// Categories that are breaches (labels); the last two are signals.
inline constexpr std::size_t kLabelCount = 7;

inline constexpr std::array<Category, kCategoryCount> kAllCategories = {
    Category::abusive,       Category::sexual,         Category::obscene,
    Category::discriminatory, Category::illegal,       Category::deceptive,
    Category::personal_data, Category::needs_response, Category::rhetorical};

constexpr bool is_signal(Category c) noexcept {
  return c == Category::needs_response || c == Category::rhetorical;
}
std::string_view to_string(Category c) noexcept;
std::optional<Category> parse_category(std::string_view name) noexcept;

// Ordered by strength: a comment's action is the strongest any category or rule asks for.
enum class Action : std::uint8_t { none, escalate, hide, report, remove };
inline constexpr std::size_t kActionCount = 5;
std::string_view to_string(Action a) noexcept;
std::optional<Action> parse_action(std::string_view name) noexcept;
// hide, report and remove treat the comment as a breach; escalate only asks a person to look.
constexpr bool is_breach_action(Action a) noexcept { return a >= Action::hide; }

}  // namespace moderatord::classifier
