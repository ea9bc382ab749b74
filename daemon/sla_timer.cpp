#include "daemon/sla_timer.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/policy/sla_engine.hpp"
#include "daemon/reply_rules.hpp"
#include "daemon/store_call.hpp"

namespace moderatord::daemon {
namespace {

std::int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct SweepResult {
  std::size_t reminders = 0, breaches = 0;
  std::optional<std::int64_t> next_at;
};

store::Result<SweepResult> sweep_store(store::Store& s, const Runtime& rt, std::int64_t now) {
  auto open = s.sla_items_to_sweep();
  if (!open) return open.error();
  std::vector<policy::OpenItem> items;
  items.reserve(open->size());
  for (const auto& r : *open) {
    policy::OpenItem i;
    i.id = r.id;
    i.due_at = r.due_at;
    i.remind_at = r.remind_at;
    i.reminded = r.reminded_at != 0;
    i.breached = r.breached_at != 0;
    items.push_back(i);
  }
  const policy::SweepOutcome out = policy::sweep(now, items);
  SweepResult result;
  result.next_at = out.next_at;
  for (std::int64_t id : out.remind) {
    const auto row = std::find_if(open->begin(), open->end(), [&](const store::SlaItemRow& r) { return r.id == id; });
    auto detail = s.comment_detail(row->comment_id);
    if (!detail) return detail.error();
    if (!*detail) continue;  // the item's comment is gone (retention): nothing to remind about
    const std::string payload = sla_item_payload("sla_reminder", *row, (*detail)->comment.comment,
                                                 rt.policy.offer_offline_wording, now);
    auto mail = s.enqueue_outbox(row->comment_id, model::ActionKind::escalate, "mail", payload, now);
    if (!mail) return mail.error();
    if (auto r = s.mark_sla_reminded(id, now); !r) return r.error();
    ++result.reminders;
  }
  for (std::int64_t id : out.breach) {
    if (auto r = s.mark_sla_breached(id, now); !r) return r.error();
    ++result.breaches;
  }
  return result;
}

}  // namespace

SlaTimer::SlaTimer(net::any_io_executor executor, store::StoreWriter& writer, const RuntimeHolder& runtime,
                   Metrics& metrics, std::function<void()> on_mail)
    : executor_(executor), writer_(writer), runtime_(runtime), metrics_(metrics), on_mail_(std::move(on_mail)),
      timer_(executor) {}

void SlaTimer::wake() {
  net::post(executor_, [this] { timer_.cancel(); });
}

void SlaTimer::wake_by(std::int64_t at_ms) {
  net::post(executor_, [this, at_ms] {
    if (at_ms < next_sweep_ms_) timer_.cancel();
  });
}

void SlaTimer::stop() {
  net::post(executor_, [this] {
    stopping_ = true;
    timer_.cancel();
  });
}

net::awaitable<void> SlaTimer::run() {
  while (!stopping_) {
    RuntimePtr rt = runtime_.get();
    const std::int64_t now = wall_ms();
    auto job = [rt, now](store::Store& s) { return sweep_store(s, *rt, now); };
    auto result = co_await store_call<SweepResult>(writer_, job);
    auto wait = std::chrono::milliseconds(kMaxSleep);
    if (!result) {
      // Retried at the next wake-up: the items stay open and unreminded in SQLite.
      spdlog::error("SLA sweep failed: {}", result.error().message);
      metrics_.add("moderatord_store_errors_total", "");
    } else {
      if (result->reminders > 0) metrics_.add("moderatord_sla_reminders_total", "", static_cast<std::uint64_t>(result->reminders));
      if (result->breaches > 0) {
        metrics_.add("moderatord_sla_breaches_total", "", static_cast<std::uint64_t>(result->breaches));
        spdlog::warn("SLA: {} item(s) passed their due time unanswered", result->breaches);
      }
      if (result->reminders > 0 && on_mail_) on_mail_();
      if (result->next_at)
        wait = std::clamp(std::chrono::milliseconds(*result->next_at - wall_ms()), std::chrono::milliseconds(0), wait);
    }
    if (stopping_) break;
    next_sweep_ms_ = wall_ms() + wait.count();
    timer_.expires_after(wait);
    co_await timer_.async_wait(net::as_tuple(net::use_awaitable));
  }
}

}  // namespace moderatord::daemon
