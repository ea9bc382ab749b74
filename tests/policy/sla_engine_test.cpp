// The reply rules (7.7.2, 7.8) driven by a simulated clock: every instant is a value the test picks.
#include "daemon/policy/sla_engine.hpp"

#include <gtest/gtest.h>

#include <map>

#include "policy_test_support.hpp"

namespace moderatord::daemon::policy {
namespace {

using model::CommentKind;
using test::kHour;
using test::kSecond;
using test::utc;

WorkingCalendar calendar() {
  Holidays h;
  h.add({2026, 12, 25});
  h.add({2026, 12, 28});
  return WorkingCalendar(TimeZone::load("Europe/London").value(), OpeningHours::office(), h);
}

CommentFacts comment(std::string text, std::int64_t at, CommentKind kind = CommentKind::comment) {
  return CommentFacts{kind, std::move(text), at};
}

ReplySignals needs_reply() {
  ReplySignals s;
  s.needs_response = true;
  s.negative = true;
  return s;
}

TEST(SlaEngine, ComplaintOpensReplyItemDueInADay) {
  const SlaPolicy p;
  const auto t = utc(2026, 11, 20, 22, 30);
  auto out = on_comment(comment("When will the Quarry Lane drains be cleared?", t), needs_reply(), p, calendar(), {});
  ASSERT_TRUE(out.item);
  EXPECT_EQ(out.item->kind, ItemKind::reply);
  EXPECT_FALSE(out.item->exemption);
  EXPECT_EQ(out.item->opened_at, t);
  EXPECT_EQ(out.item->due_at, t + 24 * kHour);  // across midnight and into Saturday: the clock
  EXPECT_EQ(out.item->remind_at, t + 20 * kHour);
  EXPECT_EQ(out.item->tokens, "cleared drain lane quarry");
}

TEST(SlaEngine, WorkingHoursClockSkipsTheWeekend) {
  SlaPolicy p;
  p.clock = SlaPolicy::Clock::working_hours;
  const auto friday_evening = utc(2026, 11, 20, 22, 30);
  auto out = on_comment(comment("Bins not collected again?", friday_evening), needs_reply(), p, calendar(), {});
  ASSERT_TRUE(out.item);
  EXPECT_EQ(out.item->due_at, utc(2026, 11, 23, 17));  // Monday, end of the working day
}

TEST(SlaEngine, PraiseAndChatOpenNothing) {
  auto out = on_comment(comment("Lovely parade, thank you", utc(2026, 11, 20)), ReplySignals{}, SlaPolicy{}, calendar(), {});
  EXPECT_FALSE(out.item);
}

TEST(SlaEngine, ExemptionsAreRecordedWithTheirReason) {
  const auto t = utc(2026, 11, 20, 10);
  ReplySignals rhetorical;
  rhetorical.rhetorical = rhetorical.negative = true;
  auto r = on_comment(comment("Who plans roadworks before Christmas? Genius.", t), rhetorical, SlaPolicy{}, calendar(), {});
  ASSERT_TRUE(r.item);
  EXPECT_EQ(r.item->exemption, Exemption::rhetorical);
  EXPECT_EQ(r.item->due_at, 0);

  ReplySignals breach = needs_reply();
  breach.breach = breach.asks_for_reply = true;
  auto b = on_comment(comment("When will you useless **** fix it?", t), breach, SlaPolicy{}, calendar(), {});
  ASSERT_TRUE(b.item);
  EXPECT_EQ(b.item->exemption, Exemption::breach);
  // A hidden breach that asked nothing of the council (spam, a slur) is no exemption: nothing was owed.
  ReplySignals spam;
  spam.breach = spam.negative = true;
  EXPECT_FALSE(on_comment(comment("cheap pills here", t), spam, SlaPolicy{}, calendar(), {}).item);
}

TEST(SlaEngine, RepeatOfAnAnsweredPostIsExemptAndLinked) {
  const std::string original_tokens = content_words("Quarry Lane flooded AGAIN this morning. Drains are blocked with leaves.");
  CommentContext ctx;
  ctx.answered.push_back({41, "bin collection missed street"});
  ctx.answered.push_back({42, original_tokens});
  ReplySignals marked;
  marked.repeat_marker = marked.would_need_response = marked.negative = true;
  auto out = on_comment(comment("Quarry Lane drains still blocked. As I said last week.", utc(2026, 11, 20)), marked,
                        SlaPolicy{}, calendar(), ctx);
  ASSERT_TRUE(out.item);
  EXPECT_EQ(out.item->exemption, Exemption::repeat);
  EXPECT_EQ(out.item->repeat_of, 42);
  EXPECT_GT(out.item->similarity, 0.5);

  // The same words about something never answered: the resident still gets an answer.
  CommentContext none;
  auto fresh = on_comment(comment("Quarry Lane drains still blocked. As I said last week.", utc(2026, 11, 20)), marked,
                          SlaPolicy{}, calendar(), none);
  ASSERT_TRUE(fresh.item);
  EXPECT_FALSE(fresh.item->exemption);
}

TEST(SlaEngine, NearDuplicateWithSmallEditsIsARepeatWithoutAnyMarker) {
  CommentContext ctx;
  ctx.answered.push_back({7, content_words("Why are the toilets in Victoria Park locked every weekend?")});
  auto out = on_comment(comment("why are the toilets at Victoria park locked every weekend??", utc(2026, 11, 21)),
                        needs_reply(), SlaPolicy{}, calendar(), ctx);
  ASSERT_TRUE(out.item);
  EXPECT_EQ(out.item->exemption, Exemption::repeat);
  EXPECT_EQ(out.item->repeat_of, 7);
  // A different question under the same post is not a repeat.
  auto other = on_comment(comment("Can the park cafe open earlier on Sundays?", utc(2026, 11, 21)), needs_reply(),
                          SlaPolicy{}, calendar(), ctx);
  ASSERT_TRUE(other.item);
  EXPECT_FALSE(other.item->exemption);
}

TEST(SlaEngine, FurtherNegativeCommentAfterOneReplyAsksToOfferOffline) {
  CommentContext ctx;
  ctx.council_replies_to_author = 1;
  auto out = on_comment(comment("That's not an answer. Still a disgrace.", utc(2026, 11, 20)), needs_reply(),
                        SlaPolicy{}, calendar(), ctx);
  ASSERT_TRUE(out.item);
  EXPECT_EQ(out.item->kind, ItemKind::offer_offline);
  EXPECT_FALSE(out.item->exemption);
  // Not negative (a thank-you after the reply): nothing to do.
  auto thanks = on_comment(comment("Thanks for sorting it", utc(2026, 11, 20)), ReplySignals{}, SlaPolicy{}, calendar(), ctx);
  EXPECT_FALSE(thanks.item);
}

TEST(SlaEngine, DirectMessagesAlwaysNeedAReplyAndMessengerWindowCaps) {
  SlaPolicy p;
  p.clock = SlaPolicy::Clock::working_hours;
  p.message_window_ms = 24 * kHour;
  const auto friday = utc(2026, 11, 20, 16);
  auto out = on_comment(comment("hello", friday, CommentKind::direct_message), ReplySignals{}, p, calendar(), {});
  ASSERT_TRUE(out.item);
  EXPECT_EQ(out.item->kind, ItemKind::message);
  // Working hours would allow until Monday 16:00; Messenger closes at Saturday 16:00.
  EXPECT_EQ(out.item->platform_due_at, friday + 24 * kHour);
  EXPECT_EQ(out.item->due_at, friday + 24 * kHour);

  // A second message while the first waits: one item, the platform window restarts.
  CommentContext ctx;
  OpenItem open;
  open.id = 9;
  open.opened_at = friday;
  open.due_at = friday + 24 * kHour;
  ctx.open_conversation_item = open;
  auto again = on_comment(comment("hello??", friday + 2 * kHour, CommentKind::direct_message), ReplySignals{}, p,
                          calendar(), ctx);
  EXPECT_FALSE(again.item);
  ASSERT_TRUE(again.extend_item_id);
  EXPECT_EQ(*again.extend_item_id, 9);
  EXPECT_EQ(again.extended_platform_due_at, friday + 26 * kHour);
  EXPECT_EQ(again.extended_due_at, friday + 26 * kHour);
}

OpenItem open_item(std::int64_t id, std::string author, std::int64_t opened, std::int64_t due,
                   ItemKind kind = ItemKind::reply) {
  OpenItem i;
  i.id = id;
  i.author_id = std::move(author);
  i.opened_at = opened;
  i.due_at = due;
  i.remind_at = due - 4 * kHour;
  i.kind = kind;
  return i;
}

TEST(SlaEngine, ReplyOneSecondBeforeAndAfterDue) {
  const auto opened = utc(2026, 11, 20, 9);
  const auto due = opened + 24 * kHour;
  ReplyContext ctx;
  ctx.parent = RepliedTo{1, "alice", true};
  ctx.open_in_thread = {open_item(1, "alice", opened, due)};
  auto in_time = on_council_reply(due - kSecond, ctx);
  ASSERT_EQ(in_time.close.size(), 1U);
  EXPECT_EQ(in_time.close[0].lateness_ms, 0);
  EXPECT_EQ(in_time.close[0].response_ms, 24 * kHour - kSecond);
  auto at_due = on_council_reply(due, ctx);
  EXPECT_EQ(at_due.close[0].lateness_ms, 0);
  auto late = on_council_reply(due + kSecond, ctx);
  EXPECT_EQ(late.close[0].lateness_ms, kSecond);
}

TEST(SlaEngine, ReplyClosesOnlyItsCommentersItemsUnlessTopLevel) {
  const auto t = utc(2026, 11, 20, 9);
  ReplyContext ctx;
  ctx.parent = RepliedTo{1, "alice", true};
  ctx.open_in_thread = {open_item(1, "alice", t, t + 24 * kHour), open_item(2, "bob", t, t + 24 * kHour),
                        open_item(3, "alice", t + kHour, t + 25 * kHour)};
  auto out = on_council_reply(t + 2 * kHour, ctx);
  ASSERT_EQ(out.close.size(), 2U);
  EXPECT_EQ(out.close[0].item_id, 1);
  EXPECT_EQ(out.close[1].item_id, 3);
  EXPECT_TRUE(out.record_reply);
  EXPECT_EQ(out.commenter_id, "alice");
  EXPECT_EQ(out.reply_number, 1);
  EXPECT_FALSE(out.violation);

  ReplyContext top = ctx;
  top.parent.reset();
  auto all = on_council_reply(t + 2 * kHour, top);
  EXPECT_EQ(all.close.size(), 3U);
  EXPECT_FALSE(all.record_reply);  // answers no one in particular: 7.8.3 counts replies to a person
}

TEST(SlaEngine, SecondReplyToANegativeCommenterIsAViolationButTheOfflineOfferIsNot) {
  const auto t = utc(2026, 11, 20, 9);
  ReplyContext second;
  second.parent = RepliedTo{5, "carol", true};
  second.earlier_replies_to_author = 1;
  auto v = on_council_reply(t, second);
  EXPECT_TRUE(v.violation);
  EXPECT_EQ(v.reply_number, 2);

  ReplyContext offer = second;
  offer.open_in_thread = {open_item(8, "carol", t - kHour, t + 23 * kHour, ItemKind::offer_offline)};
  auto o = on_council_reply(t, offer);
  EXPECT_FALSE(o.violation);
  EXPECT_EQ(o.close.size(), 1U);

  ReplyContext neutral = second;
  neutral.parent->negative = false;  // a follow-up question answered twice is conversation, not 7.8.3
  EXPECT_FALSE(on_council_reply(t, neutral).violation);
}

TEST(SlaEngine, SweepRemindsThenBreachesAndSaysWhenToWake) {
  const auto opened = utc(2026, 11, 20, 9);
  std::vector<OpenItem> open = {open_item(1, "a", opened, opened + 24 * kHour),
                                open_item(2, "b", opened + kHour, opened + 25 * kHour)};
  auto early = sweep(opened + kHour, open);
  EXPECT_TRUE(early.remind.empty());
  EXPECT_TRUE(early.breach.empty());
  EXPECT_EQ(early.next_at, opened + 20 * kHour);

  auto remind = sweep(opened + 20 * kHour, open);
  EXPECT_EQ(remind.remind, std::vector<std::int64_t>{1});
  EXPECT_EQ(remind.next_at, opened + 21 * kHour);

  open[0].reminded = true;
  auto due = sweep(opened + 24 * kHour, open);
  EXPECT_EQ(due.breach, std::vector<std::int64_t>{1});
  EXPECT_EQ(due.remind, std::vector<std::int64_t>{2});
  open[0].breached = true;
  open[1].reminded = true;
  auto later = sweep(opened + 24 * kHour + kSecond, open);
  EXPECT_TRUE(later.breach.empty());
  EXPECT_EQ(later.next_at, opened + 25 * kHour);
}

// The one-reply rule with two threads and two commenters interleaved, the store's bookkeeping
// played by maps keyed the way the store keys them (thread, commenter).
TEST(SlaEngine, OneReplyRuleKeepsThreadsAndCommentersApart) {
  std::map<std::pair<std::string, std::string>, int> replies;  // (thread, commenter) -> council replies
  std::map<std::string, std::vector<OpenItem>> open;            // thread -> open items
  std::map<std::string, std::string> author_of;                 // comment -> author
  std::vector<std::string> violations, offers;
  std::int64_t next_id = 1;
  auto resident = [&](const std::string& id, const std::string& thread, const std::string& author) {
    author_of[id] = author;
    CommentContext ctx;
    ctx.council_replies_to_author = replies[{thread, author}];
    auto out = on_comment(comment("still a disgrace", utc(2026, 11, 20)), needs_reply(), SlaPolicy{}, calendar(), ctx);
    ASSERT_TRUE(out.item);
    if (out.item->kind == ItemKind::offer_offline) offers.push_back(id);
    OpenItem item = open_item(next_id++, author, out.item->opened_at, out.item->due_at, out.item->kind);
    open[thread].push_back(item);
  };
  auto council = [&](const std::string& thread, const std::string& parent) {
    ReplyContext ctx;
    ctx.parent = RepliedTo{0, author_of[parent], true};
    ctx.open_in_thread = open[thread];
    ctx.earlier_replies_to_author = replies[{thread, author_of[parent]}];
    auto out = on_council_reply(utc(2026, 11, 20, 1), ctx);
    for (const Closure& c : out.close)
      std::erase_if(open[thread], [&](const OpenItem& i) { return i.id == c.item_id; });
    if (out.record_reply) ++replies[{thread, out.commenter_id}];
    if (out.violation) violations.push_back(thread + "/" + out.commenter_id);
  };
  resident("a1", "t1", "alice");
  resident("b1", "t1", "bob");
  resident("a2", "t2", "alice");
  council("t1", "a1");  // first reply to alice in t1
  council("t2", "a2");  // first reply to alice in t2: another thread, not a second reply
  council("t1", "b1");  // first reply to bob in t1: another commenter
  EXPECT_TRUE(violations.empty());
  resident("a3", "t1", "alice");  // alice carries on in t1: offer to talk offline
  resident("b2", "t2", "bob");    // bob has had no reply in t2: an ordinary item
  EXPECT_EQ(offers, std::vector<std::string>{"a3"});
  council("t1", "a3");  // the offline offer answers the offer_offline item: not a violation
  EXPECT_TRUE(violations.empty());
  council("t2", "b2");  // bob's first reply in t2
  council("t1", "a1");  // and yet another reply to alice in t1: that is the violation
  EXPECT_EQ(violations, std::vector<std::string>{"t1/alice"});
}

TEST(RepeatDetector, ContentWordsDropStopWordsAndPlurals) {
  EXPECT_EQ(content_words("The lights on Bridge Street, AGAIN!"), "bridge light street");
  EXPECT_EQ(content_words("We've got four bins"), "bin four");
  EXPECT_EQ(content_words("the bus is late"), "bus late");
  EXPECT_EQ(content_words(""), "");
  EXPECT_DOUBLE_EQ(overlap("a b c", "b c d e").coefficient, 2.0 / 3.0);
  EXPECT_EQ(overlap("", "a").shared, 0U);
}

}  // namespace
}  // namespace moderatord::daemon::policy
