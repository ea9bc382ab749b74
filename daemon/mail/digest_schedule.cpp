#include "daemon/mail/digest_schedule.hpp"

#include <algorithm>

namespace moderatord::daemon::mail {

std::int64_t next_digest_due(std::int64_t now_ms, std::int64_t interval_ms, const policy::TimeZone& tz) {
  const policy::LocalDate today = tz.to_local(now_ms).date;
  const std::int64_t midnight = tz.start_of_day(today);
  const std::int64_t next_midnight = tz.start_of_day(today.next());
  const std::int64_t due = midnight + ((now_ms - midnight) / interval_ms + 1) * interval_ms;
  return std::min(due, next_midnight);
}

}  // namespace moderatord::daemon::mail
