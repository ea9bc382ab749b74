#pragma once
// `moderatord run`: the daemon. Builds everything from the config, serves until SIGTERM/SIGINT,
// reloads on SIGHUP.
//
//   start: config ─► rules (compile or cache) ─► store (migrate) ─► connectors ─► bind HTTP
//          ─► READY=1 ─► serve (HTTP, connector polls, outbox, watchdog)
//   SIGHUP: RELOADING=1 ─► new config + rules built off the loop ─► swap, or keep the old ─► READY=1
//   SIGTERM: STOPPING=1 ─► stop accepting and polling ─► wait for deliveries in hand (grace)
//            ─► drain the store queue ─► exit 0
#include <filesystem>
#include <optional>

namespace moderatord::daemon {

struct RunOptions {
  std::filesystem::path config;
  std::optional<std::filesystem::path> state_dir;  // overrides daemon.state_dir
  bool check_only = false;                         // load everything, bind nothing, exit (like --configtest)
};

// Returns the process exit code.
int run_daemon(const RunOptions& options);

}  // namespace moderatord::daemon
