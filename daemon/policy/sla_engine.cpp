#include "daemon/policy/sla_engine.hpp"

#include <algorithm>

namespace moderatord::daemon::policy {

std::string_view to_string(ItemKind k) noexcept {
  switch (k) {
    case ItemKind::reply: return "reply";
    case ItemKind::message: return "message";
    case ItemKind::offer_offline: return "offer_offline";
  }
  return "reply";
}

std::string_view to_string(Exemption e) noexcept {
  switch (e) {
    case Exemption::rhetorical: return "rhetorical";
    case Exemption::repeat: return "repeat";
    case Exemption::breach: return "breach";
  }
  return "breach";
}

std::int64_t due_time(std::int64_t opened_at, const SlaPolicy& policy, const WorkingCalendar& calendar) {
  if (policy.clock == SlaPolicy::Clock::working_hours) return calendar.add_working_time(opened_at, policy.working_ms);
  return opened_at + policy.response_ms;
}

namespace {

NewItem open_item(ItemKind kind, const CommentFacts& facts, const SlaPolicy& policy, const WorkingCalendar& calendar) {
  NewItem item;
  item.kind = kind;
  item.opened_at = facts.posted_at;
  item.due_at = due_time(facts.posted_at, policy, calendar);
  if (kind == ItemKind::message && policy.message_window_ms > 0) {
    item.platform_due_at = facts.posted_at + policy.message_window_ms;
    item.due_at = std::min(item.due_at, item.platform_due_at);
  }
  // Never before the comment itself: a short SLA with a long reminder lead reminds at once.
  item.remind_at = std::max(item.opened_at, item.due_at - policy.remind_before_ms);
  return item;
}

NewItem exempt_item(Exemption why, const CommentFacts& facts) {
  NewItem item;
  item.exemption = why;
  item.opened_at = facts.posted_at;
  return item;
}

}  // namespace

CommentOutcome on_comment(const CommentFacts& facts, const ReplySignals& signals, const SlaPolicy& policy,
                          const WorkingCalendar& calendar, const CommentContext& context) {
  CommentOutcome out;
  using model::CommentKind;
  if (facts.kind == CommentKind::own_post || facts.kind == CommentKind::own_reply) return out;

  if (facts.kind == CommentKind::direct_message) {
    // 7.7.2: every message is answered. One item a conversation: a second message before the reply
    // does not double the work, but it does restart the platform's window.
    if (context.open_conversation_item) {
      const OpenItem& open = *context.open_conversation_item;
      out.extend_item_id = open.id;
      if (policy.message_window_ms > 0) {
        out.extended_platform_due_at = facts.posted_at + policy.message_window_ms;
        out.extended_due_at = std::min(due_time(open.opened_at, policy, calendar), out.extended_platform_due_at);
      } else {
        out.extended_due_at = open.due_at;
      }
      return out;
    }
    out.item = open_item(ItemKind::message, facts, policy, calendar);
    return out;
  }

  if (signals.breach) {
    // 7.9: hidden, removed or reported, not answered. Recorded only where a reply would otherwise
    // have been owed (a complaint or question that was also abusive), so the clerk's report counts
    // what the exemption saved, not every hidden spam.
    if (signals.asks_for_reply) out.item = exempt_item(Exemption::breach, facts);
    return out;
  }
  if (signals.negative && context.council_replies_to_author > 0) {
    // 7.8.3: the council has replied once to this person here; comments continue, so the
    // moderators offer to take it offline rather than reply again.
    out.item = open_item(ItemKind::offer_offline, facts, policy, calendar);
    return out;
  }
  if (signals.rhetorical) {
    out.item = exempt_item(Exemption::rhetorical, facts);
    return out;
  }
  if (signals.needs_response || signals.repeat_marker) {
    std::string tokens = content_words(facts.text);
    if (auto m = find_repeat(tokens, signals.repeat_marker, context.answered, policy.repeat)) {
      NewItem item = exempt_item(Exemption::repeat, facts);
      item.repeat_of = m->comment_id;
      item.similarity = m->similarity;
      item.tokens = std::move(tokens);
      out.item = std::move(item);
      return out;
    }
    // "As I said last week" about something never answered still needs its answer.
    if (signals.needs_response || signals.would_need_response) {
      NewItem item = open_item(ItemKind::reply, facts, policy, calendar);
      item.tokens = std::move(tokens);
      out.item = std::move(item);
    }
  }
  return out;
}

ReplyOutcome on_council_reply(std::int64_t replied_at, const ReplyContext& context) {
  ReplyOutcome out;
  bool answered_offer_offline = false;
  for (const OpenItem& item : context.open_in_thread) {
    // A reply to a comment answers its author in this thread; a reply to no one in particular
    // (a top-level comment, a message in a conversation) answers the whole thread.
    if (context.parent && item.author_id != context.parent->author_id) continue;
    Closure c;
    c.item_id = item.id;
    c.response_ms = std::max<std::int64_t>(0, replied_at - item.opened_at);
    c.lateness_ms = std::max<std::int64_t>(0, replied_at - item.due_at);
    out.close.push_back(c);
    if (item.kind == ItemKind::offer_offline) answered_offer_offline = true;
  }
  if (context.parent && context.parent->negative) {
    out.record_reply = true;
    out.commenter_id = context.parent->author_id;
    out.reply_number = context.earlier_replies_to_author + 1;
    // The offer to continue offline is what 7.8.3 asks for, not a breach of it.
    out.violation = out.reply_number >= 2 && !answered_offer_offline;
  }
  return out;
}

SweepOutcome sweep(std::int64_t now, const std::vector<OpenItem>& open) {
  SweepOutcome out;
  auto next = [&](std::int64_t at) {
    if (!out.next_at || at < *out.next_at) out.next_at = at;
  };
  for (const OpenItem& item : open) {
    if (!item.reminded) {
      if (item.remind_at <= now) {
        out.remind.push_back(item.id);
      } else {
        next(item.remind_at);
      }
    }
    if (!item.breached) {
      if (item.due_at <= now) {
        out.breach.push_back(item.id);
      } else {
        next(item.due_at);
      }
    }
  }
  return out;
}

}  // namespace moderatord::daemon::policy
