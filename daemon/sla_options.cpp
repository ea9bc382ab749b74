#include "daemon/sla_options.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

namespace moderatord::daemon {
namespace {

using classifier::Diagnostic;

constexpr std::int64_t kMinuteMs = 60000;
constexpr std::int64_t kHourMs = 60 * kMinuteMs;

struct SectionReader {
  const toml::table& t;
  std::string prefix, file;
  std::vector<Diagnostic>& errors;

  void error(const toml::node* n, std::string_view key, const std::string& message) {
    errors.push_back({file, n ? static_cast<int>(n->source().begin.line) : 0, "", prefix + std::string(key) + ": " + message});
  }
  // A positive number of `unit_ms` units (fractions allowed: 0.5 hours).
  void duration(std::string_view key, std::int64_t unit_ms, std::int64_t& out, bool allow_zero = false) {
    const toml::node* n = t.get(key);
    if (!n) return;
    const auto v = n->value<double>();
    if (!v || *v < 0 || (!allow_zero && *v == 0)) return error(n, key, allow_zero ? "must be a number >= 0" : "must be a number > 0");
    out = static_cast<std::int64_t>(*v * static_cast<double>(unit_ms));
  }
  void clock(policy::SlaPolicy::Clock& out) {
    const toml::node* n = t.get("clock");
    if (!n) return;
    const auto v = n->value<std::string>();
    if (v && *v == "calendar") out = policy::SlaPolicy::Clock::calendar;
    else if (v && *v == "working_hours") out = policy::SlaPolicy::Clock::working_hours;
    else error(n, "clock", "must be \"calendar\" or \"working_hours\"");
  }
  void path(std::string_view key, const std::filesystem::path& base, std::filesystem::path& out) {
    const toml::node* n = t.get(key);
    if (!n) return;
    const auto v = n->value<std::string>();
    if (!v || v->empty()) return error(n, key, "must be a file path");
    out = std::filesystem::path(*v).is_absolute() ? std::filesystem::path(*v) : base / *v;
  }
  void unknown(const std::set<std::string_view>& known) {
    for (const auto& [k, v] : t)
      if (!known.contains(k.str())) error(&v, k.str(), "unknown key");
  }
};

void account_keys(SectionReader& r, policy::SlaPolicy& p) {
  r.clock(p.clock);
  r.duration("response_hours", kHourMs, p.response_ms);
  r.duration("working_hours", kHourMs, p.working_ms);
  r.duration("remind_before_minutes", kMinuteMs, p.remind_before_ms, true);
  r.duration("message_window_hours", kHourMs, p.message_window_ms, true);
  r.duration("repeat_window_days", 24 * kHourMs, p.repeat_window_ms, true);
}

classifier::Result<std::string> read_file(const std::filesystem::path& file, const char* what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return classifier::Error(std::string("cannot read ") + what + " " + file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return classifier::Result<std::string>(boost::system::in_place_value, ss.str());
}

}  // namespace

void parse_sla_section(const toml::table* section, const std::filesystem::path& config_dir, const std::string& file,
                       SlaOptions& out, std::vector<Diagnostic>& errors) {
  out.holidays = config_dir / out.holidays;
  out.own_posts = config_dir / out.own_posts;
  out.offer_offline_template = config_dir / out.offer_offline_template;
  if (!section) return;
  SectionReader r{*section, "sla.", file, errors};
  r.unknown({"time_zone", "clock", "response_hours", "working_hours", "remind_before_minutes", "message_window_hours",
             "repeat_window_days", "holidays", "own_posts", "offer_offline_template", "opening_hours"});
  if (const toml::node* n = section->get("time_zone")) {
    const auto v = n->value<std::string>();
    if (!v || !policy::TimeZone::load(*v)) r.error(n, "time_zone", "must be an IANA time zone such as Europe/London");
    else out.time_zone = *v;
  }
  account_keys(r, out.defaults);
  r.path("holidays", config_dir, out.holidays);
  r.path("own_posts", config_dir, out.own_posts);
  r.path("offer_offline_template", config_dir, out.offer_offline_template);
  out.holidays_set = section->contains("holidays");
  out.own_posts_set = section->contains("own_posts");
  out.template_set = section->contains("offer_offline_template");
  if (const toml::node* n = section->get("opening_hours")) {
    const toml::table* days = n->as_table();
    if (!days) return r.error(n, "opening_hours", "must be a table: mon = \"09:00-17:00\", ...");
    static constexpr std::string_view kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    policy::OpeningHours hours;  // days not listed are closed
    for (const auto& [k, v] : *days) {
      const auto* day = std::find(std::begin(kDays), std::end(kDays), k.str());
      const auto text = v.value<std::string>();
      if (day == std::end(kDays) || !text) {
        r.error(&v, "opening_hours." + std::string(k.str()), "use mon..sun = \"HH:MM-HH:MM\" or \"closed\"");
        continue;
      }
      auto parsed = policy::OpeningHours::parse_day(*text);
      if (!parsed) r.error(&v, "opening_hours." + std::string(k.str()), parsed.error().to_string());
      else hours.days[static_cast<std::size_t>(day - std::begin(kDays))] = *parsed;
    }
    if (!hours.any_open()) r.error(n, "opening_hours", "at least one day must be open");
    out.opening_hours = hours;
  }
}

policy::SlaPolicy parse_account_sla(const toml::table* section, const SlaOptions& global, const std::string& platform,
                                    const std::string& prefix, const std::string& file,
                                    std::vector<Diagnostic>& errors) {
  policy::SlaPolicy p = global.defaults;
  // Messenger: a Page may answer only within 24 h of the person's last message (then only a
  // human-agent reply within 7 days), so the item is due by then whatever the SLA says.
  if (platform == "facebook" && p.message_window_ms == 0) p.message_window_ms = 24 * kHourMs;
  if (!section) return p;
  SectionReader r{*section, prefix + "sla.", file, errors};
  r.unknown({"clock", "response_hours", "working_hours", "remind_before_minutes", "message_window_hours",
             "repeat_window_days"});
  account_keys(r, p);
  return p;
}

classifier::Result<PolicyFiles> load_policy_files(const SlaOptions& options, bool working_hours_used) {
  PolicyFiles files;
  auto zone = policy::TimeZone::load(options.time_zone);
  if (!zone) return zone.error();
  auto absent = [](bool set, const std::filesystem::path& p) {
    std::error_code ec;
    return !set && !std::filesystem::exists(p, ec);
  };
  policy::Holidays holidays;
  // The working-hours clock without the holidays file would count Christmas Day as a working day.
  if (!absent(options.holidays_set || working_hours_used, options.holidays)) {
    auto loaded = policy::Holidays::load(options.holidays);
    if (!loaded) return loaded.error();
    holidays = std::move(*loaded);
  }
  files.holidays_end = holidays.last();
  files.calendar = std::make_shared<const policy::WorkingCalendar>(*zone, options.opening_hours, std::move(holidays));
  if (!absent(options.own_posts_set, options.own_posts)) {
    auto own = policy::OwnPostSettings::load(options.own_posts);
    if (!own) return own.error();
    files.own_posts = std::move(*own);
  } else {
    files.own_posts.gif_hosts = {"giphy.com", "gph.is", "tenor.com", ".gif"};
  }
  if (!absent(options.template_set, options.offer_offline_template)) {
    auto wording = read_file(options.offer_offline_template, "the offer-offline template");
    if (!wording) return wording.error();
    files.offer_offline_wording = std::move(*wording);
  } else {
    files.offer_offline_wording =
        "Thank you for your comments. We have replied above; to talk this through properly, please contact the "
        "council office directly and we will arrange to discuss it with you.";
  }
  return files;
}

}  // namespace moderatord::daemon
