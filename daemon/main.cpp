// moderatord: applies a council's social media policy to comments. Subcommands are listed by --help.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "daemon/app.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/cli/sla_commands.hpp"
#include "daemon/cli/store_commands.hpp"
#include "daemon/report/report_command.hpp"
#include "daemon/mail/mail_command.hpp"

namespace {

std::filesystem::path default_cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0')
    return std::filesystem::path(xdg) / "moderatord";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::filesystem::path(home) / ".cache" / "moderatord";
  return std::filesystem::temp_directory_path() / "moderatord-cache";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace moderatord::daemon;
  CLI::App app{"moderatord: applies the council's social media policy to every comment"};
  app.set_version_flag("--version", "moderatord 0.1.0");
  app.require_subcommand(1);

  RulesOptions opts;
  std::string cache_dir;
  bool no_cache = false;
  auto add_rules_options = [&](CLI::App* cmd) {
    cmd->add_option("--rules", opts.rules_dir, "rules directory (rule files, thresholds.toml, allowlists/)")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--cache-dir", cache_dir,
                    "where compiled rule databases are cached (default: $XDG_CACHE_HOME/moderatord)");
    cmd->add_flag("--no-cache", no_cache, "always compile the rules; read and write no cache");
  };

  auto* classify = app.add_subcommand(
      "classify",
      "classify JSON lines {\"id\",\"text\"} from stdin; one JSON verdict line per input on stdout");
  add_rules_options(classify);
  unsigned classify_jobs = 0;
  classify->add_option("--jobs,-j", classify_jobs, "threads that classify (default: one per CPU core); output order is kept")
      ->check(CLI::Range(0U, 256U));

  auto* rules = app.add_subcommand("rules", "check or test a rules directory before a reload");
  rules->require_subcommand(1);
  auto* check = rules->add_subcommand("check", "validate and compile every rule file (exit 0 when valid)");
  add_rules_options(check);
  auto* test = rules->add_subcommand("test", "run every rule's [[rule.test]] examples (exit 0 when all pass)");
  add_rules_options(test);

  RunOptions run_opts;
  std::string state_dir;
  auto* run = app.add_subcommand("run", "run the daemon (under systemd: Type=notify; SIGHUP reloads, SIGTERM stops)");
  run->add_option("--config", run_opts.config, "moderatord.toml")->required()->check(CLI::ExistingFile);
  run->add_option("--state-dir", state_dir, "override daemon.state_dir (database, maildir, action logs)");
  run->add_flag("--check-config", run_opts.check_only,
                "load the config, rules and connectors, bind nothing, exit 0 when all is valid");

  DatabaseOptions db_opts;
  std::string db_path;
  auto add_db_options = [&](CLI::App* cmd) {
    cmd->add_option("--config", db_opts.config, "moderatord.toml (to find the database)")
        ->check(CLI::ExistingFile)
        ->default_str("/etc/moderatord/moderatord.toml");
    cmd->add_option("--state-dir", state_dir, "override daemon.state_dir");
    cmd->add_option("--database", db_path, "the database file (instead of --config)");
  };
  db_opts.config = "/etc/moderatord/moderatord.toml";
  auto* status = app.add_subcommand("status", "counts, outbox backlog, dead letters, last activity per account");
  add_db_options(status);
  status->add_flag("--json", db_opts.json, "machine-readable output");
  auto* outbox = app.add_subcommand("outbox", "list or retry outbox actions (platform actions and emails)");
  outbox->require_subcommand(1);
  auto* outbox_list = outbox->add_subcommand("list", "list outbox rows, newest first");
  add_db_options(outbox_list);
  std::string state_filter = "all";
  int limit = 50;
  outbox_list->add_option("--state", state_filter, "all, pending, in_flight, done or dead")->default_str("all");
  outbox_list->add_option("--limit", limit, "rows to show")->default_str("50");
  auto* outbox_retry = outbox->add_subcommand("retry", "retry a dead (or waiting) outbox row now");
  add_db_options(outbox_retry);
  std::int64_t row_id = 0;
  outbox_retry->add_option("ID", row_id, "outbox row id")->required();
  auto* sla = app.add_subcommand("sla", "comments waiting for a reply (policy 7.7.2): list, or resolve by hand");
  sla->require_subcommand(1);
  auto* sla_list = sla->add_subcommand("list", "SLA items, newest first, with time left or lateness");
  add_db_options(sla_list);
  std::string sla_state = "open";
  int sla_limit = 50;
  sla_list->add_option("--state", sla_state, "open, closed, exempt or all")->default_str("open");
  sla_list->add_option("--limit", sla_limit, "rows to show")->default_str("50");
  sla_list->add_flag("--json", db_opts.json, "machine-readable output");
  auto* sla_resolve = sla->add_subcommand("resolve", "close an open item by hand (answered offline, by phone, ...)");
  add_db_options(sla_resolve);
  std::int64_t sla_id = 0;
  std::string sla_reason;
  sla_resolve->add_option("ID", sla_id, "SLA item id (as in `sla list`)")->required();
  sla_resolve->add_option("--reason", sla_reason, "why: recorded in the audit log")->required();
  auto* comments = app.add_subcommand("comments", "inspect stored comments");
  comments->require_subcommand(1);
  auto* comments_show = comments->add_subcommand("show", "a comment, its verdict, decision, actions and audit trail");
  add_db_options(comments_show);
  std::int64_t comment_id = 0;
  comments_show->add_option("ID", comment_id, "comment id (as in `outbox list` or the escalation email)")->required();

  auto* report = app.add_subcommand("report", "the clerk's daily SLA report for one local day (as emailed at mail.report_time)");
  add_db_options(report);
  report::ReportOptions report_opts;
  std::string report_zone;
  auto* mail_cmd = app.add_subcommand("mail", "email checks");
  mail_cmd->require_subcommand(1);
  auto* mail_test = mail_cmd->add_subcommand("test", "send one test email through the configured transport now");
  add_db_options(mail_test);
  std::string mail_to = "moderators";
  mail_test->add_option("--to", mail_to, "moderators, clerk or admins")->default_str("moderators");
  report->add_option("--date", report_opts.date, "YYYY-MM-DD, a local date (default: yesterday)");
  report->add_option("--format", report_opts.format, "text, html or csv")->default_str("text");
  report->add_option("--time-zone", report_zone, "IANA time zone (default: mail.time_zone, Europe/London)");

  CLI11_PARSE(app, argc, argv);
  if (!report_zone.empty()) report_opts.time_zone = report_zone;
  if (!state_dir.empty()) {
    run_opts.state_dir = state_dir;
    db_opts.state_dir = state_dir;
  }
  if (!db_path.empty()) db_opts.database = db_path;
  if (!no_cache) opts.cache_dir = cache_dir.empty() ? default_cache_dir() : std::filesystem::path(cache_dir);

  try {
    if (*classify) return classify_command(opts, classify_jobs, stdin, stdout, stderr);
    if (*check) return rules_check_command(opts, stdout, stderr);
    if (*test) return rules_test_command(opts, stdout, stderr);
    if (*run) return run_daemon(run_opts);
    if (*status) return status_command(db_opts, stdout, stderr);
    if (*outbox_list) return outbox_list_command(db_opts, state_filter, limit, stdout, stderr);
    if (*outbox_retry) return outbox_retry_command(db_opts, row_id, stdout, stderr);
    if (*comments_show) return comments_show_command(db_opts, comment_id, stdout, stderr);
    if (*report) return report::report_command(db_opts, report_opts, stdout, stderr);
    if (*mail_test) return mail::mail_test_command(db_opts, mail_to, stdout, stderr);
    if (*sla_list) return sla_list_command(db_opts, sla_state, sla_limit, stdout, stderr);
    if (*sla_resolve) return sla_resolve_command(db_opts, sla_id, sla_reason, stdout, stderr);
  } catch (const std::exception& e) {
    std::cerr << "moderatord: " << e.what() << '\n';
    return 1;
  }
  return 2;
}
