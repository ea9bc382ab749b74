#include "daemon/reply_rules.hpp"

#include "daemon/cli/json_writer.hpp"
#include "daemon/policy/own_post_checks.hpp"

namespace moderatord::daemon {
namespace {

using model::CommentKind;

// Platforms' clocks and ours disagree by seconds; a timestamp from the future or before 2000 is a
// parsing problem, and the SLA then runs from when we saw the comment.
constexpr std::int64_t kFutureSlackMs = 5 * 60000;
constexpr std::int64_t kYear2000Ms = 946684800000;

void field(std::string& p, const char* name, std::string_view value) {
  p += ",\"";
  p += name;
  p += "\":";
  append_json_string(p, value);
}
void field(std::string& p, const char* name, std::int64_t value) {
  p += ",\"";
  p += name;
  p += "\":" + std::to_string(value);
}

// The fields every email about a comment carries (the renderer shows them the same way).
std::string comment_fields(const model::Comment& c, std::int64_t comment_id) {
  std::string p;
  field(p, "comment_id", comment_id);
  field(p, "account", c.account);
  field(p, "platform", c.platform);
  field(p, "platform_id", c.platform_id);
  field(p, "url", c.url);
  field(p, "author", c.author_name.empty() ? c.author_id : c.author_name);
  field(p, "text", c.text);
  return p;
}

policy::OpenItem to_open_item(const store::SlaItemRow& r) {
  policy::OpenItem i;
  i.id = r.id;
  i.comment_id = r.comment_id;
  i.author_id = r.author_id;
  i.kind = r.kind == "offer_offline" ? policy::ItemKind::offer_offline
           : r.kind == "message"     ? policy::ItemKind::message
                                     : policy::ItemKind::reply;
  i.opened_at = r.opened_at;
  i.due_at = r.due_at;
  i.remind_at = r.remind_at;
  i.reminded = r.reminded_at != 0;
  i.breached = r.breached_at != 0;
  return i;
}

store::Result<std::size_t> on_resident_comment(std::int64_t& next_deadline, store::Store& s, const Runtime& rt, const AccountRuntime& account,
                                               std::int64_t comment_id, const model::Comment& c,
                                               const ReplyFacts& facts, std::int64_t now_ms) {
  const std::int64_t posted = posted_at_ms(c, now_ms);
  policy::CommentContext ctx;
  auto answered = s.answered_sla_items(c.account, posted - account.sla.repeat_window_ms);
  if (!answered) return answered.error();
  for (auto& a : *answered)
    if (a.comment_id != comment_id) ctx.answered.push_back({a.comment_id, std::move(a.tokens)});
  if (!c.thread_id.empty()) {
    auto replies = s.council_replies_to(c.account, c.thread_id, c.author_id);
    if (!replies) return replies.error();
    ctx.council_replies_to_author = *replies;
    if (c.kind == CommentKind::direct_message) {
      auto open = s.open_sla_items_in_thread(c.account, c.thread_id);
      if (!open) return open.error();
      for (const auto& o : *open)
        if (o.kind == "message") {
          ctx.open_conversation_item = to_open_item(o);
          break;
        }
    }
  }
  const policy::CommentOutcome out =
      policy::on_comment({c.kind, c.text, posted}, facts.signals, account.sla, *rt.policy.calendar, ctx);
  if (out.extend_item_id) {
    const std::int64_t remind = std::max(posted, out.extended_due_at - account.sla.remind_before_ms);
    if (auto r = s.extend_sla_item(*out.extend_item_id, out.extended_due_at, out.extended_platform_due_at, remind); !r)
      return r.error();
  }
  if (!out.item) return std::size_t{0};
  const policy::NewItem& n = *out.item;
  store::SlaItemRow row;
  row.comment_id = comment_id;
  row.account = c.account;
  row.thread_id = c.thread_id;
  row.author_id = c.author_id;
  row.kind = std::string(policy::to_string(n.kind));
  row.state = n.exemption ? "exempt" : "open";
  row.exemption = n.exemption ? std::string(policy::to_string(*n.exemption)) : "";
  row.repeat_of = n.repeat_of;
  row.similarity = n.similarity;
  row.tokens = n.tokens;
  row.opened_at = n.opened_at;
  row.due_at = n.due_at;
  row.platform_due_at = n.platform_due_at;
  row.remind_at = n.remind_at;
  auto id = s.insert_sla_item(row, now_ms);
  if (!id) return id.error();
  if (*id != 0 && !n.exemption) next_deadline = n.remind_at;
  if (*id == 0 || n.kind != policy::ItemKind::offer_offline) return std::size_t{0};
  // 7.8.3: tell the moderators now, before anyone replies a second time.
  row.id = *id;
  auto mail = s.enqueue_outbox(comment_id, model::ActionKind::escalate, "mail",
                               sla_item_payload("offer_offline", row, c, rt.policy.offer_offline_wording, now_ms), now_ms);
  if (!mail) return mail.error();
  return std::size_t{1};
}

store::Result<void> on_council_reply(store::Store& s, std::int64_t comment_id, const model::Comment& c,
                                     std::int64_t now_ms) {
  const std::int64_t replied = posted_at_ms(c, now_ms);
  policy::ReplyContext ctx;
  // A reply with no parent, or under the post itself, answers the thread (a message in a
  // conversation, a general answer under a post).
  if (!c.parent_id.empty() && c.parent_id != c.thread_id) {
    auto target = s.reply_target(c.account, c.parent_id);
    if (!target) return target.error();
    // A reply to a comment we never saw answers someone we cannot name: it closes nothing rather
    // than everyone's items in the thread.
    if (!*target) return {};
    // A reply under the council's own post or reply answers the thread, not one person.
    if ((*target)->kind != "own_post" && (*target)->kind != "own_reply")
      ctx.parent = policy::RepliedTo{(*target)->comment_id, (*target)->author_id, (*target)->negative};
  }
  auto open = s.open_sla_items_in_thread(c.account, c.thread_id);
  if (!open) return open.error();
  for (const auto& o : *open) ctx.open_in_thread.push_back(to_open_item(o));
  if (ctx.parent) {
    auto earlier = s.council_replies_to(c.account, c.thread_id, ctx.parent->author_id);
    if (!earlier) return earlier.error();
    ctx.earlier_replies_to_author = *earlier;
  }
  const policy::ReplyOutcome out = policy::on_council_reply(replied, ctx);
  const std::string by = "reply:" + std::to_string(comment_id);
  for (const policy::Closure& close : out.close)
    if (auto r = s.close_sla_item(close.item_id, replied, by, "the council replied", close.response_ms,
                                  close.lateness_ms, "moderatord");
        !r)
      return r.error();
  if (out.record_reply)
    if (auto r = s.record_council_reply(c.account, c.thread_id, out.commenter_id, comment_id, replied); !r)
      return r.error();
  if (out.violation) {
    std::string detail = "{\"thread_id\":";
    append_json_string(detail, c.thread_id);
    detail += ",\"commenter_id\":";
    append_json_string(detail, out.commenter_id);
    detail += ",\"reply_number\":" + std::to_string(out.reply_number) + ",\"url\":";
    append_json_string(detail, c.url);
    detail += "}";
    if (auto r = s.add_policy_event(c.account, "one_reply_violation", comment_id, detail, replied); !r) return r.error();
    if (auto r = s.audit({0, now_ms, "moderatord", "policy.one_reply_violation", comment_id, 0,
                          "reply " + std::to_string(out.reply_number) + " to " + out.commenter_id + " in thread " +
                              c.thread_id + " (7.8.3: reply once, then offer to talk offline)"});
        !r)
      return r.error();
  }
  return {};
}

store::Result<std::size_t> check_own(store::Store& s, const Runtime& rt, std::int64_t comment_id,
                                     const model::Comment& c, const ReplyFacts& facts, std::int64_t now_ms) {
  const policy::LocalDate today = rt.policy.calendar->zone().to_local(posted_at_ms(c, now_ms)).date;
  const auto findings = policy::check_own_post(c.text, facts.personal_data_spans, today, rt.policy.own_posts);
  if (findings.empty()) return std::size_t{0};
  std::string list = "[";
  for (const auto& f : findings) {
    if (list.size() > 1) list += ',';
    list += "{\"check\":";
    append_json_string(list, f.check);
    list += ",\"clause\":";
    append_json_string(list, f.clause);
    list += ",\"detail\":";
    append_json_string(list, f.detail);
    list += "}";
  }
  list += "]";
  if (auto r = s.add_policy_event(c.account, "own_post_alert", comment_id, "{\"findings\":" + list + "}", now_ms); !r)
    return r.error();
  std::string payload = "{\"type\":\"own_post_alert\",\"to\":\"clerk\"" + comment_fields(c, comment_id);
  field(payload, "kind", model::to_string(c.kind));
  payload += ",\"findings\":" + list + "}";
  auto mail = s.enqueue_outbox(comment_id, model::ActionKind::escalate, "mail", payload, now_ms);
  if (!mail) return mail.error();
  return std::size_t{1};
}

}  // namespace

std::int64_t posted_at_ms(const model::Comment& c, std::int64_t now_ms) {
  const std::int64_t platform = c.created_at * 1000;
  if (platform < kYear2000Ms || platform > now_ms + kFutureSlackMs) return now_ms;
  return platform;
}

std::string sla_item_payload(std::string_view type, const store::SlaItemRow& item, const model::Comment& c,
                             std::string_view wording, std::int64_t now_ms) {
  const bool offline = item.kind == "offer_offline";
  std::string p = "{\"type\":\"" + std::string(type) + "\",\"to\":\"moderators\"";
  field(p, "sla_item_id", item.id);
  p += comment_fields(c, item.comment_id);
  field(p, "kind", item.kind);
  field(p, "opened_at", item.opened_at);
  field(p, "due_at", item.due_at);
  if (item.platform_due_at != 0) {
    field(p, "platform_due_at", item.platform_due_at);
    field(p, "window_note",
          "Messenger lets the Page reply only within 24 hours of the resident's last message; after that only a "
          "human-agent reply within 7 days.");
  }
  if (now_ms >= item.due_at) field(p, "overdue_ms", now_ms - item.due_at);
  if (offline) field(p, "suggested_wording", wording);
  return p + "}";
}

store::Result<ReplyRulesSummary> apply_reply_rules(store::Store& s, const Runtime& rt, std::int64_t comment_id,
                                                   const model::Comment& c, const ReplyFacts& facts, bool first_time,
                                                   std::int64_t now_ms) {
  ReplyRulesSummary summary;
  const auto account = rt.accounts.find(c.account);
  if (account == rt.accounts.end()) return summary;  // the pipeline refuses unknown accounts first
  switch (c.kind) {
    case CommentKind::comment:
    case CommentKind::direct_message: {
      if (!first_time) break;  // an edit keeps its item: the resident has waited since the first version
      auto mails = on_resident_comment(summary.next_deadline, s, rt, account->second, comment_id, c, facts, now_ms);
      if (!mails) return mails.error();
      summary.mails += *mails;
      break;
    }
    case CommentKind::own_reply:
      if (first_time)
        if (auto r = on_council_reply(s, comment_id, c, now_ms); !r) return r.error();
      [[fallthrough]];
    case CommentKind::own_post: {
      auto mails = check_own(s, rt, comment_id, c, facts, now_ms);
      if (!mails) return mails.error();
      summary.mails += *mails;
      break;
    }
  }
  return summary;
}

}  // namespace moderatord::daemon
