#include "connectors/meta/graph_json.hpp"

#include <charconv>
#include <ctime>

namespace moderatord::connectors::meta {

std::string_view platform_name(MetaPlatform p) noexcept {
  return p == MetaPlatform::facebook ? "facebook" : "instagram";
}

std::string id_at(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element e;
  if (o[key].get(e) != simdjson::SUCCESS) return {};
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  int64_t i = 0;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return std::to_string(i);
  uint64_t u = 0;
  if (e.get_uint64().get(u) == simdjson::SUCCESS) return std::to_string(u);
  return {};
}

std::string string_at(simdjson::dom::object o, std::string_view key) {
  std::string_view s;
  if (o[key].get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return {};
}

std::optional<std::int64_t> parse_graph_time(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS then Z, +hhmm, +hh:mm or nothing
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
  auto num = [&](std::size_t at, std::size_t len) -> std::optional<int> {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + len, v);
    if (ec != std::errc{} || p != s.data() + at + len) return std::nullopt;
    return v;
  };
  const auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), se = num(17, 2);
  if (!y || !mo || !d || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31 || *h > 23 || *mi > 59 || *se > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = *y - 1900;
  tm.tm_mon = *mo - 1;
  tm.tm_mday = *d;
  tm.tm_hour = *h;
  tm.tm_min = *mi;
  tm.tm_sec = *se;
  std::int64_t t = timegm(&tm);
  std::string_view zone = s.substr(19);
  if (!zone.empty() && zone[0] == '.') {  // fractional seconds
    std::size_t i = 1;
    while (i < zone.size() && zone[i] >= '0' && zone[i] <= '9') ++i;
    zone = zone.substr(i);
  }
  if (zone.empty() || zone == "Z") return t;
  if ((zone[0] == '+' || zone[0] == '-') && (zone.size() == 5 || (zone.size() == 6 && zone[3] == ':'))) {
    int zh = 0, zm = 0;
    if (std::from_chars(zone.data() + 1, zone.data() + 3, zh).ec != std::errc{}) return std::nullopt;
    const std::size_t m_at = zone.size() == 5 ? 3 : 4;
    if (std::from_chars(zone.data() + m_at, zone.data() + m_at + 2, zm).ec != std::errc{}) return std::nullopt;
    const std::int64_t off = (zh * 60 + zm) * 60;
    return zone[0] == '+' ? t - off : t + off;
  }
  return std::nullopt;
}

std::optional<std::int64_t> time_at(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element e;
  if (o[key].get(e) != simdjson::SUCCESS) return std::nullopt;
  int64_t i = 0;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return i > 100'000'000'000 ? i / 1000 : i;
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return parse_graph_time(s);
  return std::nullopt;
}

}  // namespace moderatord::connectors::meta
