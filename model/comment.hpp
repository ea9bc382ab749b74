#pragma once
// The shared model: one Comment struct for every platform, and the actions taken on comments.
// Plain data, no behaviour; every module may include it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace moderatord::model {

// What a piece of text is, as far as the policy is concerned.
enum class CommentKind : std::uint8_t {
  comment,         // a resident's comment or reply on a council post
  direct_message,  // a private message to the council (always needs a reply, 7.7.2)
  own_post,        // the council's own post (checked under 6.1, 7.6)
  own_reply,       // the council's own reply in a thread (closes SLA items, counts for 7.8.3)
};
std::string_view to_string(CommentKind k) noexcept;
std::optional<CommentKind> parse_comment_kind(std::string_view s) noexcept;

struct Comment {
  std::string account;      // the configured account (= connector instance) id, e.g. "website"
  std::string platform;     // "webhook", "replay", "facebook", ...
  std::string platform_id;  // the platform's id; (account, platform_id) is unique
  std::string thread_id;    // the post or conversation it belongs to ("" when unknown)
  std::string parent_id;    // the comment it replies to ("" for top level)
  std::string author_id;
  std::string author_name;  // as the platform shows it
  std::string text;         // UTF-8 as received (may be repaired by the classifier, never altered here)
  std::string url;          // link for moderators ("" when the platform gives none)
  std::int64_t created_at = 0;  // unix seconds, as the platform says
  CommentKind kind = CommentKind::comment;
  // Set by a connector when its platform will not hide this comment although it hides others (X
  // hides replies only in conversations the account started): says why. The decision then
  // escalates instead of hiding (policy::capabilities_for). Not stored.
  std::string no_hide_reason;
  // Set by a connector when the platform says the comment was deleted (by its author, or by a page
  // admin on the platform): only account and platform_id matter then. The daemon stops owing it a
  // reply (its SLA item becomes exempt, "deleted"); nothing is classified.
  bool deleted = false;
};

// A side effect the daemon may ask for. Executed through the outbox.
enum class ActionKind : std::uint8_t {
  hide,      // reversible where the platform allows (see connector capabilities)
  unhide,
  remove,    // irreversible on most platforms; off unless the config asks
  report,    // to the platform's moderation (7.9 "reporting")
  escalate,  // an email to the moderators: a person decides
};
std::string_view to_string(ActionKind k) noexcept;
std::optional<ActionKind> parse_action_kind(std::string_view s) noexcept;

}  // namespace moderatord::model
