#pragma once
// `moderatord mail test [--to moderators|clerk|admins]`: sends one email through the configured
// transport now, without the daemon or the outbox, and says what the server answered. For an admin
// setting up [mail] (SMTP URL, TLS, CA file, password): exit 0 when the message was accepted.
#include <cstdio>
#include <string>

#include "daemon/cli/store_commands.hpp"

namespace moderatord::daemon::mail {

int mail_test_command(const DatabaseOptions& db, const std::string& to, std::FILE* out, std::FILE* err);

}  // namespace moderatord::daemon::mail
