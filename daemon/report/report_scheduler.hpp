#pragma once
// Sends the clerk's daily report at mail.report_time, local time in mail.time_zone (Europe/London
// by default, so 07:00 is 07:00 GMT in winter and 07:00 BST in summer).
//
//   every minute: is a report due? ── yes ──► store: enqueue_mail_once("daily_report:<date>")
//                                              (an outbox row like every email: retried, never lost)
//
// Idempotent by date, so a restart, a clock step or two daemons on one file never send a day twice;
// a daemon that was down at report time sends the missed report when it starts (within 26 hours).
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>

#include "daemon/policy/time_zone.hpp"
#include "daemon/runtime.hpp"
#include "store/store_writer.hpp"

namespace moderatord::daemon::report {

// The date whose report is due at `now_ms`: the local day before the latest send time at or before
// `now_ms`, if that send time was less than 26 hours ago (a day can have 25). "HH:MM" is `report_time`. Pure.
std::optional<policy::LocalDate> report_due(std::int64_t now_ms, const policy::TimeZone& tz, int hour, int minute);

// The payload of the report's outbox row.
std::string report_payload(const policy::LocalDate& date);

// Runs until the event loop stops. `wake` tells the outbox worker a row was added.
boost::asio::awaitable<void> run_report_scheduler(store::StoreWriter& writer, const RuntimeHolder& runtime,
                                                  std::function<void()> wake);

}  // namespace moderatord::daemon::report
