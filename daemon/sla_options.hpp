#pragma once
// The [sla] section of moderatord.toml and each account's [account.sla] overrides (policy 7.7.2,
// 7.8), and the policy files they name. Parsed with the rest of the config; the files are read
// when the runtime is built (start and reload), so a broken file is refused like a broken rule.
//
//   [sla]
//   time_zone = "Europe/London"          # the council's local time (reports, working hours)
//   clock = "calendar"                   # or "working_hours"
//   response_hours = 24                  # calendar clock: hours to reply
//   working_hours = 8                    # working_hours clock: opening hours to reply
//   remind_before_minutes = 240          # reminder to the moderators before due
//   repeat_window_days = 14              # how far back a repeat (7.8.2) is looked for
//   holidays = "policy/bank-holidays-england-and-wales.txt"
//   own_posts = "policy/own-posts.toml"
//   offer_offline_template = "policy/offer-offline.txt"
//   [sla.opening_hours]                  # working_hours clock; days not listed are closed
//   mon = "09:00-17:00"  ...
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "classifier/error.hpp"
#include "daemon/policy/calendar.hpp"
#include "daemon/policy/own_post_checks.hpp"
#include "daemon/policy/sla_engine.hpp"

namespace moderatord::daemon {

struct SlaOptions {
  std::string time_zone = "Europe/London";          // Default: Europe/London
  policy::SlaPolicy defaults;                       // Default: calendar clock, 24 h, remind 4 h before
  policy::OpeningHours opening_hours = policy::OpeningHours::office();  // Default: Mon-Fri 09:00-17:00
  std::filesystem::path holidays = "policy/bank-holidays-england-and-wales.txt";
  std::filesystem::path own_posts = "policy/own-posts.toml";
  std::filesystem::path offer_offline_template = "policy/offer-offline.txt";
  // Whether each path was set in the file. A path left at its default may be missing: then the
  // built-in default applies (no holidays, no own-post word lists, a generic offer-offline text),
  // except that the working-hours clock needs the holidays file. A path set and missing is an error.
  bool holidays_set = false, own_posts_set = false, template_set = false;
};

// Reads [sla] (may be absent: all defaults). Paths resolve against `config_dir`.
void parse_sla_section(const toml::table* section, const std::filesystem::path& config_dir, const std::string& file,
                       SlaOptions& out, std::vector<classifier::Diagnostic>& errors);

// An account's policy: the defaults, then its [account.sla] table (may be null). Facebook accounts
// get Messenger's 24-hour window for direct messages unless they set message_window_hours.
policy::SlaPolicy parse_account_sla(const toml::table* section, const SlaOptions& global, const std::string& platform,
                                    const std::string& prefix, const std::string& file,
                                    std::vector<classifier::Diagnostic>& errors);

// What the files named in [sla] hold, loaded.
struct PolicyFiles {
  std::shared_ptr<const policy::WorkingCalendar> calendar;
  policy::OwnPostSettings own_posts;
  std::string offer_offline_wording;
  std::optional<policy::LocalDate> holidays_end;  // the last listed holiday
};
// `working_hours_used`: some account uses the working-hours clock, so the holidays file is required.
classifier::Result<PolicyFiles> load_policy_files(const SlaOptions& options, bool working_hours_used);

}  // namespace moderatord::daemon
