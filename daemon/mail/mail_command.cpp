#include "daemon/mail/mail_command.hpp"

#include <chrono>

#include "daemon/config.hpp"
#include "daemon/mail/mailer.hpp"

namespace moderatord::daemon::mail {

int mail_test_command(const DatabaseOptions& db, const std::string& to, std::FILE* out, std::FILE* err) {
  if (to != "moderators" && to != "clerk" && to != "admins") {
    std::fprintf(err, "moderatord: --to must be moderators, clerk or admins\n");
    return 2;
  }
  auto cfg = load_config(db.config, db.state_dir);
  if (!cfg) {
    std::fprintf(err, "moderatord: %s\n", cfg.error().to_string().c_str());
    return 1;
  }
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  // Not an outbox row: the time stands in for its id, so the Message-ID (and a Maildir file name)
  // is new for every test.
  store::OutboxRow row;
  row.id = now;
  row.created_at = now;
  row.executor = "mail";
  row.payload_json = R"({"type":"mail_test","to":")" + to + R"(","urgent":true,"note":"A test email from )"
                     R"(moderatord mail test: if you can read this, email to this group works."})";
  const auto& rcpt = recipients(cfg->mail, to);
  std::string list;
  for (const auto& r : rcpt) list += (list.empty() ? "" : ", ") + r;
  std::fprintf(out, "sending a test email to %s (%s) by %s...\n", to.c_str(), list.c_str(), cfg->mail.transport.c_str());
  const auto outcome = send_mail_row(cfg->mail, row, {});
  using S = connectors::ActionOutcome::Status;
  const char* verdict = outcome.status == S::done ? "sent" : outcome.status == S::retry ? "not sent (temporary)" : "not sent (permanent)";
  std::fprintf(outcome.status == S::done ? out : err, "%s: %s\n", verdict, outcome.detail.c_str());
  return outcome.status == S::done ? 0 : 1;
}

}  // namespace moderatord::daemon::mail
