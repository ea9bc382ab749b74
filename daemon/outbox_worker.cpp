#include "daemon/outbox_worker.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "connectors/blocking.hpp"
#include "daemon/report/report_mail.hpp"
#include "daemon/store_call.hpp"

namespace moderatord::daemon {
namespace {

using connectors::ActionOutcome;
using namespace std::chrono_literals;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// How many rows to claim at once per free slot of concurrency.
constexpr int kClaimBatch = 64;
// With nothing due, still look this often (rows may be added by `moderatord outbox retry`).
constexpr auto kIdlePoll = 2s;

}  // namespace

OutboxWorker::OutboxWorker(net::any_io_executor executor, store::StoreWriter& writer, const RuntimeHolder& runtime,
                           std::map<std::string, connectors::Connector*> connectors, net::thread_pool& blocking,
                           Metrics& metrics)
    : executor_(executor), writer_(writer), runtime_(runtime), connectors_(std::move(connectors)), blocking_(blocking),
      metrics_(metrics), timer_(executor), mailer_(writer, report::report_builder()) {}

std::chrono::milliseconds OutboxWorker::backoff(const OutboxOptions& o, int attempts, double jitter01) {
  double ms = static_cast<double>(o.initial_backoff.count());
  for (int i = 1; i < attempts && ms < static_cast<double>(o.max_backoff.count()); ++i) ms *= 2;
  ms = std::min(ms, static_cast<double>(o.max_backoff.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms * (0.5 + jitter01)));
}

void OutboxWorker::wake() {
  net::post(executor_, [this] { timer_.cancel(); });
}

void OutboxWorker::stop() {
  net::post(executor_, [this] {
    stopping_ = true;
    timer_.cancel();
  });
}

net::awaitable<void> OutboxWorker::run() {
  auto requeue = [](store::Store& s) { return s.requeue_in_flight(now_ms()); };
  if (auto r = co_await store_call<int>(writer_, requeue); r && *r > 0)
    spdlog::warn("outbox: {} action(s) were in flight at the last stop; retrying them (idempotent)", *r);
  while (!stopping_) {
    RuntimePtr rt = runtime_.get();
    const int free = rt->outbox.concurrency - static_cast<int>(in_hand_);
    std::vector<store::OutboxRow> rows;
    if (free > 0) {
      auto claim = [n = std::min(free, kClaimBatch)](store::Store& s) { return s.claim_due_outbox(now_ms(), n); };
      auto claimed = co_await store_call<std::vector<store::OutboxRow>>(writer_, claim);
      if (claimed) rows = std::move(*claimed);
      else spdlog::error("outbox: cannot read due actions: {}", claimed.error().message);
    }
    for (auto& row : rows) {
      ++in_hand_;
      net::co_spawn(executor_, execute(std::move(row), rt), net::detached);
    }
    if (!rows.empty() && static_cast<int>(rows.size()) == free) continue;  // maybe more due right now
    auto next_due = [](store::Store& s) { return s.next_outbox_due(); };
    auto next = co_await store_call<std::optional<std::int64_t>>(writer_, next_due);
    auto wait = std::chrono::milliseconds(kIdlePoll);
    if (next && *next) wait = std::clamp(std::chrono::milliseconds(**next - now_ms()), 0ms, std::chrono::milliseconds(kIdlePoll));
    if (wait == 0ms && free <= 0) wait = 50ms;  // all slots busy: an action finishing wakes us
    timer_.expires_after(wait);
    co_await timer_.async_wait(net::as_tuple(net::use_awaitable));
  }
}

net::awaitable<void> OutboxWorker::execute(store::OutboxRow row, RuntimePtr rt) {
  using namespace boost::asio::experimental::awaitable_operators;
  ActionOutcome outcome;
  if (row.executor == "mail") {
    // The mailer routes (now or digest), renders and sends on the blocking pool.
    outcome = co_await mailer_.execute(row, rt->mail);
  } else if (auto it = connectors_.find(row.executor); it != connectors_.end()) {
    connectors::ActionRequest req;
    req.outbox_id = row.id;
    req.kind = row.kind;
    req.payload_json = row.payload_json;
    simdjson::dom::parser parser;
    std::string_view pid;
    if (parser.parse(row.payload_json).get_object()["platform_id"].get_string().get(pid) == simdjson::SUCCESS)
      req.platform_id = std::string(pid);
    net::steady_timer deadline(executor_, rt->outbox.action_timeout);
    auto winner = co_await (it->second->apply(req) || deadline.async_wait(net::use_awaitable));
    if (winner.index() == 0) outcome = std::get<0>(std::move(winner));
    else outcome = {ActionOutcome::Status::retry, "timed out after " + std::to_string(rt->outbox.action_timeout.count()) + " ms", std::nullopt};
  } else {
    outcome = {ActionOutcome::Status::failed, "no executor named '" + row.executor + "' (account removed?)", std::nullopt};
  }

  const std::string kind(model::to_string(row.kind));
  const std::int64_t now = now_ms();
  store::Result<bool> saved;
  if (outcome.status == ActionOutcome::Status::done) {
    metrics_.add("moderatord_actions_total", "kind=\"" + kind + "\",outcome=\"done\"");
    auto complete = [id = row.id, now, d = outcome.detail](store::Store& s) -> store::Result<bool> {
      if (auto r = s.complete_outbox(id, now, d); !r) return r.error();
      return true;
    };
    saved = co_await store_call<bool>(writer_, complete);
  } else {
    const bool give_up = outcome.status == ActionOutcome::Status::failed || row.attempts >= rt->outbox.max_attempts;
    std::optional<std::int64_t> retry_at;
    if (!give_up) {
      auto delay = backoff(rt->outbox, row.attempts, std::uniform_real_distribution<double>(0, 1)(rng_));
      if (outcome.retry_after) delay = std::max(delay, *outcome.retry_after);
      retry_at = now + delay.count();
    }
    metrics_.add("moderatord_actions_total", "kind=\"" + kind + "\",outcome=\"" + (give_up ? "dead" : "retry") + "\"");
    if (give_up)
      spdlog::error("outbox: {} #{} for {} is a dead letter after {} attempt(s): {}", kind, row.id, row.executor,
                    row.attempts, outcome.detail);
    else
      spdlog::warn("outbox: {} #{} for {} failed (attempt {}), retrying: {}", kind, row.id, row.executor, row.attempts,
                   outcome.detail);
    auto fail = [id = row.id, now, d = outcome.detail, retry_at](store::Store& s) -> store::Result<bool> {
      if (auto r = s.fail_outbox(id, now, d, retry_at); !r) return r.error();
      return true;
    };
    saved = co_await store_call<bool>(writer_, fail);
  }
  // If this write fails the row stays in_flight; the next start requeues it and the idempotent
  // executor recognises it.
  if (!saved) spdlog::error("outbox: cannot record the outcome of #{}: {}", row.id, saved.error().message);
  --in_hand_;
  timer_.cancel();  // a slot is free
}

}  // namespace moderatord::daemon
