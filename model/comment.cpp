#include "model/comment.hpp"

#include <array>

namespace moderatord::model {
namespace {
constexpr std::array<std::string_view, 4> kKinds = {"comment", "direct_message", "own_post", "own_reply"};
constexpr std::array<std::string_view, 5> kActions = {"hide", "unhide", "remove", "report", "escalate"};

template <class E, std::size_t N>
std::optional<E> parse(const std::array<std::string_view, N>& names, std::string_view s) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<E>(i);
  return std::nullopt;
}
}  // namespace

std::string_view to_string(CommentKind k) noexcept { return kKinds[static_cast<std::size_t>(k)]; }
std::optional<CommentKind> parse_comment_kind(std::string_view s) noexcept { return parse<CommentKind>(kKinds, s); }
std::string_view to_string(ActionKind k) noexcept { return kActions[static_cast<std::size_t>(k)]; }
std::optional<ActionKind> parse_action_kind(std::string_view s) noexcept { return parse<ActionKind>(kActions, s); }

}  // namespace moderatord::model
