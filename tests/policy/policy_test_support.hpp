#pragma once
// Instants for the policy tests, written as UTC wall times so each case reads like a calendar.
#include <chrono>
#include <cstdint>

namespace moderatord::daemon::policy::test {

inline std::int64_t utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  using namespace std::chrono;
  const sys_days date{year{y} / month{m} / std::chrono::day{d}};
  return duration_cast<milliseconds>(date.time_since_epoch()).count() + ((hh * 60LL + mm) * 60LL + ss) * 1000LL;
}
inline constexpr std::int64_t kHour = 3600000;
inline constexpr std::int64_t kMinute = 60000;
inline constexpr std::int64_t kSecond = 1000;

}  // namespace moderatord::daemon::policy::test
