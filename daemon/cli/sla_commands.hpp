#pragma once
// `moderatord sla list` and `moderatord sla resolve ID --reason ...`: what is waiting for a reply
// (policy 7.7.2), and a moderator closing an item by hand (answered by phone, offline, ...). Every
// resolution is in the audit log with who did it and why.
#include <cstdint>
#include <cstdio>
#include <string>

#include "daemon/cli/store_commands.hpp"

namespace moderatord::daemon {

// state: open, closed, exempt or all.
int sla_list_command(const DatabaseOptions& o, const std::string& state, int limit, std::FILE* out, std::FILE* err);
int sla_resolve_command(const DatabaseOptions& o, std::int64_t id, const std::string& reason, std::FILE* out,
                        std::FILE* err);

}  // namespace moderatord::daemon
