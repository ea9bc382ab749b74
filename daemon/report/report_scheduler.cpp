#include "daemon/report/report_scheduler.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "daemon/store_call.hpp"

namespace moderatord::daemon::report {
namespace {

using namespace std::chrono_literals;
// How often to look whether a report is due: the report goes within a minute of its time.
constexpr auto kReportCheckPeriod = 60s;
// A missed report is still sent this long after its time: more than a day, because the day the
// clocks go back has 25 hours between two send times (and the send is idempotent by date anyway).
constexpr std::int64_t kCatchUpMs = 26LL * 3600 * 1000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::optional<policy::LocalDate> report_due(std::int64_t now, const policy::TimeZone& tz, int hour, int minute) {
  const policy::LocalDate today = tz.to_local(now).date;
  std::int64_t send = tz.to_utc({today, hour, minute, 0});
  policy::LocalDate sent_on = today;
  if (send > now) {
    // Not yet today: the latest send time was yesterday's.
    sent_on = tz.to_local(tz.start_of_day(today) - 1).date;
    send = tz.to_utc({sent_on, hour, minute, 0});
  }
  if (now - send >= kCatchUpMs) return std::nullopt;
  return tz.to_local(tz.start_of_day(sent_on) - 1).date;  // the day before the send day
}

std::string report_payload(const policy::LocalDate& date) {
  return R"({"type":"daily_report","to":"clerk","date":")" + date.iso() + "\"}";
}

boost::asio::awaitable<void> run_report_scheduler(store::StoreWriter& writer, const RuntimeHolder& runtime,
                                                  std::function<void()> wake) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  std::string bad_zone;  // logged once per bad value
  for (;;) {
    RuntimePtr rt = runtime.get();
    const std::string& when = rt->mail.report_time;
    if (when.size() == 5) {
      auto tz = policy::TimeZone::load(rt->mail.time_zone);
      if (!tz) {
        if (bad_zone != rt->mail.time_zone) spdlog::error("report: {}", tz.error().to_string());
        bad_zone = rt->mail.time_zone;
      } else if (auto date = report_due(now_ms(), *tz, std::stoi(when.substr(0, 2)), std::stoi(when.substr(3, 2)))) {
        auto enqueue = [key = "daily_report:" + date->iso(), payload = report_payload(*date)](store::Store& s) {
          return s.enqueue_mail_once(key, payload, now_ms());
        };
        auto added = co_await store_call<bool>(writer, enqueue);
        if (!added) spdlog::error("report: cannot queue the report for {}: {}", date->iso(), added.error().message);
        else if (*added) {
          spdlog::info("report: the daily report for {} is queued", date->iso());
          if (wake) wake();
        }
      }
    }
    timer.expires_after(kReportCheckPeriod);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
}

}  // namespace moderatord::daemon::report
