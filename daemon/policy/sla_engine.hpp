#pragma once
// The reply rules of the policy, as pure functions: facts in, what to record out. The daemon
// loads the facts from SQLite in the same transaction that stores the comment, calls these, and
// writes the outcome; a test drives them with a simulated clock.
//
//   resident comment ──► on_comment ──► item: open (reply | message | offer_offline)
//                                        or exempt (rhetorical 7.8.1 | repeat 7.8.2 | breach 7.9)
//   council reply ─────► on_council_reply ──► close items in the thread; 7.8.3 bookkeeping;
//                                              a second reply to a negative commenter = violation
//   timer ─────────────► sweep ──► reminders before due; breaches once due has passed
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/policy/calendar.hpp"
#include "daemon/policy/repeat_detector.hpp"
#include "model/comment.hpp"

namespace moderatord::daemon::policy {

// What the classifier's verdict and the decision mean for 7.8 (see reply_signals.hpp).
struct ReplySignals {
  bool needs_response = false;       // a complaint or genuine question to the council
  bool would_need_response = false;  // would be, but for saying it repeats itself ("as I said")
  bool rhetorical = false;           // 7.8.1
  bool repeat_marker = false;        // says it repeats an earlier post
  bool negative = false;             // a complaint, a jibe or a breach: counts for 7.8.3
  bool breach = false;               // hidden, removed or reported under 7.9
  bool asks_for_reply = false;       // complaint or question signals, whatever else the comment is
};

// Per account.
struct SlaPolicy {
  enum class Clock { calendar, working_hours };
  Clock clock = Clock::calendar;              // Default: calendar (24 h a day)
  std::int64_t response_ms = 24LL * 3600000;  // Default: 24 h on the calendar clock
  std::int64_t working_ms = 8LL * 3600000;    // Default: 8 h of opening time (one working day)
  std::int64_t remind_before_ms = 4LL * 3600000;  // Default: 4 h before due
  std::int64_t repeat_window_ms = 14LL * 24 * 3600000;  // Default: 14 days back for 7.8.2
  // The platform's own window for answering a direct message (Facebook Messenger: 24 h after the
  // resident's last message; after that only a human-agent reply within 7 days). 0: none.
  std::int64_t message_window_ms = 0;
  RepeatSettings repeat;
};

enum class ItemKind { reply, message, offer_offline };
std::string_view to_string(ItemKind k) noexcept;
enum class Exemption { rhetorical, repeat, breach };
std::string_view to_string(Exemption e) noexcept;

struct NewItem {
  ItemKind kind = ItemKind::reply;
  std::optional<Exemption> exemption;  // set: recorded as exempt, never due
  std::int64_t repeat_of = 0;          // comment id of the answered original (repeat)
  double similarity = 0;
  std::string tokens;                  // content words, kept so later repeats can be found
  std::int64_t opened_at = 0;
  std::int64_t due_at = 0;             // 0 when exempt
  std::int64_t platform_due_at = 0;    // 0 when the platform has no window
  std::int64_t remind_at = 0;          // 0 when exempt
};

// An open item as the store holds it.
struct OpenItem {
  std::int64_t id = 0;
  std::int64_t comment_id = 0;
  std::string author_id;
  ItemKind kind = ItemKind::reply;
  std::int64_t opened_at = 0;
  std::int64_t due_at = 0;
  std::int64_t remind_at = 0;
  bool reminded = false;
  bool breached = false;
};

struct CommentFacts {
  model::CommentKind kind = model::CommentKind::comment;
  std::string text;
  std::int64_t posted_at = 0;  // unix ms: when the resident posted it (the SLA runs from then)
};

struct CommentContext {
  std::vector<RepeatCandidate> answered;  // answered items of the account inside the repeat window
  int council_replies_to_author = 0;      // in this thread, to this author's negative comments
  std::optional<OpenItem> open_conversation_item;  // direct messages: the conversation's open item
};

struct CommentOutcome {
  std::optional<NewItem> item;
  // A further message in a conversation with an open item: no new item, but the platform window
  // restarts from this message (the SLA due time does not move: the first message still waits).
  std::optional<std::int64_t> extend_item_id;
  std::int64_t extended_platform_due_at = 0;
  std::int64_t extended_due_at = 0;
};

// `calendar` is used when policy.clock is working_hours.
CommentOutcome on_comment(const CommentFacts& facts, const ReplySignals& signals, const SlaPolicy& policy,
                          const WorkingCalendar& calendar, const CommentContext& context);

// The instant an item opened at `opened_at` is due, under the account's clock.
std::int64_t due_time(std::int64_t opened_at, const SlaPolicy& policy, const WorkingCalendar& calendar);

// The comment a council reply answers, as the store knows it.
struct RepliedTo {
  std::int64_t comment_id = 0;
  std::string author_id;
  bool negative = false;
};

struct ReplyContext {
  std::optional<RepliedTo> parent;     // empty: a top-level reply in the thread, or parent unknown
  std::vector<OpenItem> open_in_thread;
  int earlier_replies_to_author = 0;   // council replies already recorded to parent->author_id here
};

struct Closure {
  std::int64_t item_id = 0;
  std::int64_t response_ms = 0;
  std::int64_t lateness_ms = 0;  // 0 when within the SLA
};

struct ReplyOutcome {
  std::vector<Closure> close;
  bool record_reply = false;   // a reply to a negative comment: counts for 7.8.3
  std::string commenter_id;
  bool violation = false;      // the second (or later) reply to this negative commenter here
  int reply_number = 0;        // 1 for the first reply to the commenter in the thread
};

// `replied_at`: when the council posted the reply (unix ms).
ReplyOutcome on_council_reply(std::int64_t replied_at, const ReplyContext& context);

struct SweepOutcome {
  std::vector<std::int64_t> remind;  // item ids: send the reminder now
  std::vector<std::int64_t> breach;  // item ids: due has passed, record the breach
  std::optional<std::int64_t> next_at;  // when something is next due to happen
};
SweepOutcome sweep(std::int64_t now, const std::vector<OpenItem>& open);

}  // namespace moderatord::daemon::policy
