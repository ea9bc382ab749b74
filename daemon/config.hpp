#pragma once
// moderatord.toml, parsed and validated. Read-only once built; a reload builds a new Config and
// compares it with the running one (see diff_restart_only).
//
// Paths: relative paths of files the admin provides (rules, feeds, secrets) resolve against the
// config file's folder; relative paths of state the daemon writes (database, maildir, action logs)
// resolve against daemon.state_dir.
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "classifier/error.hpp"
#include "classifier/rule.hpp"
#include "daemon/sla_options.hpp"
#include "store/store.hpp"

namespace moderatord::daemon {

using classifier::Result;

struct ListenAddress {
  std::string host;  // numeric IPv4/IPv6 address
  unsigned short port = 0;
};

struct DaemonOptions {
  std::filesystem::path state_dir = "/var/lib/moderatord";      // Default: /var/lib/moderatord (restart_only)
  std::filesystem::path database = "moderatord.db";             // Default: <state_dir>/moderatord.db (restart_only)
  std::filesystem::path rules = "/usr/share/moderatord/rules";  // Default: shipped rules (reloadable)
  std::optional<std::filesystem::path> cache_dir;               // Default: /var/cache/moderatord when it exists
  store::Synchronous synchronous = store::Synchronous::full;    // Default: full (restart_only)
  std::chrono::milliseconds shutdown_grace{10000};              // Default: 10 s (reloadable)
  // Residents' comments older than this lose their text, author and link (store/retention.cpp);
  // 0 keeps them for ever. At least 7 otherwise. (reloadable)
  int retention_days = 365;                                     // Default: 365
};

struct HttpOptions {
  std::vector<ListenAddress> listen{{"127.0.0.1", 8080}};  // Default: 127.0.0.1:8080 (restart_only)
  std::size_t max_body_bytes = 1 << 20;          // Default: 1 MiB; larger bodies get 413 (restart_only)
  std::chrono::milliseconds header_timeout{5000};  // Default: 5 s to send the request head (restart_only)
  std::chrono::milliseconds body_timeout{15000};   // Default: 15 s to send the body (restart_only)
  std::chrono::milliseconds idle_timeout{60000};   // Default: 60 s keep-alive idle (restart_only)
  std::size_t max_connections = 256;             // Default: 256; beyond it new connections get 503
  std::optional<std::filesystem::path> tls_certificate;  // Default: none (plain HTTP behind a proxy)
  std::optional<std::filesystem::path> tls_private_key;
};

struct OutboxOptions {
  int max_attempts = 8;                             // Default: 8, then dead letter (reloadable)
  std::chrono::milliseconds initial_backoff{1000};  // Default: 1 s, doubling with jitter (reloadable)
  std::chrono::milliseconds max_backoff{600000};    // Default: 10 min (reloadable)
  std::chrono::milliseconds action_timeout{30000};  // Default: 30 s for one action (reloadable)
  int concurrency = 8;                              // Default: 8 actions at once (reloadable)
};

struct MailOptions {
  std::string transport = "maildir";                       // Default: maildir; or smtp, sendmail (reloadable)
  std::filesystem::path maildir = "mail";                  // Default: <state_dir>/mail
  std::string from = "moderatord <moderatord@localhost>";  // Default
  std::vector<std::string> moderators;                     // Default: none; required (escalations must reach someone)
  std::vector<std::string> clerk;                          // Default: none (then the moderators get the clerk's mail)
  std::vector<std::string> admins;                         // Default: none (then the moderators get the admins' mail)
  std::filesystem::path templates = "mail";                // Default: <config dir>/mail (read for every email)
  // transport = "smtp": smtps://host:465 (implicit TLS) or smtp://host:587 (STARTTLS, required).
  std::string smtp_url;                                    // Default: none; required for smtp
  bool smtp_require_tls = true;                            // Default: true; false only for a loopback relay
  std::optional<std::filesystem::path> smtp_ca_file;       // Default: the system's CA store
  std::string smtp_user;                                   // Default: none (no AUTH)
  std::optional<std::filesystem::path> smtp_password_file; // Default: none
  std::string smtp_password_credential;                    // Default: none; $CREDENTIALS_DIRECTORY/<name>
  std::chrono::milliseconds smtp_connect_timeout{10000};   // Default: 10 s
  std::chrono::milliseconds smtp_timeout{60000};           // Default: 60 s for the whole submission
  std::filesystem::path sendmail = "/usr/sbin/sendmail";   // Default: /usr/sbin/sendmail (transport = "sendmail")
  // Non-urgent escalations wait for a digest sent every interval from local midnight in time_zone
  // (daemon/mail/digest_schedule.hpp; 0: each goes at once). Off by
  // default so that a config written before digests existed behaves as it did; the shipped
  // config turns both on.
  std::chrono::milliseconds digest_interval{0};            // Default: 0 (no digest)
  int rate_limit_per_hour = 0;                             // Default: 0 (no limit); emails an hour per recipient group
  std::string time_zone = "Europe/London";                 // Default: [sla] time_zone (times in emails, the report day)
  std::string report_time = "07:00";                       // Default: 07:00 local; "" sends no daily report
  std::filesystem::path database;                          // not a key: daemon.database, which the report reads
};

enum class AccountMode { enforce, observe };

struct AccountOptions {
  std::string id;        // URL-safe: the webhook path /webhooks/<id> and the outbox executor name
  std::string platform;  // "webhook" or "replay" (more platforms arrive with their connectors)
  AccountMode mode = AccountMode::enforce;  // Default: enforce (reloadable)
  bool allow_remove = false;  // Default: false: "remove" becomes hide (reversible, keeps evidence)
  // Per-category threshold overrides: replaces the rules' thresholds for the categories named.
  std::map<classifier::Category, std::array<double, classifier::kActionCount>> thresholds;
  policy::SlaPolicy sla;  // [sla] defaults with this account's [account.sla] overrides (reloadable)
  // Platform-specific keys, kept as strings for the connector's factory to validate.
  std::map<std::string, std::string> settings;
  std::filesystem::path config_dir;  // for the connector to resolve its own relative paths
  std::filesystem::path state_dir;
};

struct Config {
  std::filesystem::path file;
  DaemonOptions daemon;
  HttpOptions http;
  OutboxOptions outbox;
  MailOptions mail;
  std::vector<AccountOptions> accounts;
  SlaOptions sla;  // (reloadable)

  const AccountOptions* account(std::string_view id) const;
};

// Reads and validates a config file. Errors name the file, line and key. Throws nothing.
// `state_dir_override` (from --state-dir) replaces daemon.state_dir before paths are resolved.
Result<Config> load_config(const std::filesystem::path& file,
                           const std::optional<std::filesystem::path>& state_dir_override = std::nullopt);

// Settings that differ between `running` and `next` but cannot change without a restart, one line
// each ("http.listen"), so that a reload can say what it did not apply.
std::vector<std::string> diff_restart_only(const Config& running, const Config& next);

}  // namespace moderatord::daemon
