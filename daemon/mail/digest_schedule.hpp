#pragma once
// When a digest that an email joins now goes out.
//
// Digests go at the multiples of the interval counted from local midnight in the council's zone, not
// from the Unix epoch: a daily digest then goes at midnight on the clerk's clock and a 4-hour one at
// 00:00, 04:00, 08:00 ... local time, in summer as in winter (counted from the epoch they went an
// hour later on British Summer Time). An interval that does not divide the day starts again at each
// local midnight, so the last digest of a day is never later than midnight.
#include <cstdint>

#include "daemon/policy/time_zone.hpp"

namespace moderatord::daemon::mail {

// The first digest time after `now_ms`; `interval_ms` > 0.
std::int64_t next_digest_due(std::int64_t now_ms, std::int64_t interval_ms, const policy::TimeZone& tz);

}  // namespace moderatord::daemon::mail
