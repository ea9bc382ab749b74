// moderatord: applies a council's social media policy to comments. Subcommands are listed by --help.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "daemon/cli/commands.hpp"

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

  auto* rules = app.add_subcommand("rules", "check or test a rules directory before a reload");
  rules->require_subcommand(1);
  auto* check = rules->add_subcommand("check", "validate and compile every rule file (exit 0 when valid)");
  add_rules_options(check);
  auto* test = rules->add_subcommand("test", "run every rule's [[rule.test]] examples (exit 0 when all pass)");
  add_rules_options(test);

  CLI11_PARSE(app, argc, argv);
  if (!no_cache) opts.cache_dir = cache_dir.empty() ? default_cache_dir() : std::filesystem::path(cache_dir);

  try {
    if (*classify) return classify_command(opts, stdin, stdout, stderr);
    if (*check) return rules_check_command(opts, stdout, stderr);
    if (*test) return rules_test_command(opts, stdout, stderr);
  } catch (const std::exception& e) {
    std::cerr << "moderatord: " << e.what() << '\n';
    return 1;
  }
  return 2;
}
