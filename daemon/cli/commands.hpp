#pragma once
// The classifier's subcommands. Each returns the process exit code; output goes to the given streams.
#include <cstdio>
#include <filesystem>
#include <optional>

namespace moderatord::daemon {

struct RulesOptions {
  std::filesystem::path rules_dir;                    // Default: config/rules beside the binary's source
  std::optional<std::filesystem::path> cache_dir;     // Default: $XDG_CACHE_HOME/moderatord; none with --no-cache
};

// JSON lines in ({"id","text"}), one JSON line out per input line, in order. A bad line gives an
// error line ({"id" or "line", "error"}) and processing goes on. Exit 0 unless the rules fail to load.
// `jobs` threads classify (0: one per CPU core); the output is the same for any number.
int classify_command(const RulesOptions& options, unsigned jobs, std::FILE* in, std::FILE* out, std::FILE* err);

// Validates and compiles the rules (like `nginx -t`): exit 0, or 1 with every error on `err`.
int rules_check_command(const RulesOptions& options, std::FILE* out, std::FILE* err);

// Runs every rule's [[rule.test]] examples: exit 0 when all pass, 1 with each failure on `err`.
int rules_test_command(const RulesOptions& options, std::FILE* out, std::FILE* err);

}  // namespace moderatord::daemon
