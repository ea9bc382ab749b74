#pragma once
// Commands that read (or, for `outbox retry`, touch) the daemon's database directly. They open
// their own connection; SQLite's WAL lets them run beside the daemon.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <memory>
#include <string>

#include "store/store.hpp"

namespace moderatord::daemon {

struct DatabaseOptions {
  std::filesystem::path config;                     // to find daemon.database
  std::optional<std::filesystem::path> state_dir;   // as for `run`
  std::optional<std::filesystem::path> database;    // overrides both
  bool json = false;                                // machine-readable output
};

// Opens the database named by `o` (errors are printed to `err`).
store::Result<std::unique_ptr<store::Store>> open_store(const DatabaseOptions& o, bool read_only, std::FILE* err);
// "cli:<user>" for the audit log ($SUDO_USER first: who really ran it).
std::string cli_actor();

int status_command(const DatabaseOptions& o, std::FILE* out, std::FILE* err);
int outbox_list_command(const DatabaseOptions& o, const std::string& state, int limit, std::FILE* out, std::FILE* err);
int outbox_retry_command(const DatabaseOptions& o, std::int64_t id, std::FILE* out, std::FILE* err);
int comments_show_command(const DatabaseOptions& o, std::int64_t id, std::FILE* out, std::FILE* err);

}  // namespace moderatord::daemon
