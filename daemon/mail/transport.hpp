#pragma once
// Where a rendered email goes: an SMTP submission server (libcurl), the local MTA's sendmail, or a
// Maildir. Each call blocks (network, a child process, fsync): run it on the blocking pool, never
// on the event loop.
//
// Outcomes, for the outbox: done; retry (connection refused or lost, timeouts, SMTP 4xx, sendmail
// EX_TEMPFAIL: the server may accept later); failed (SMTP 5xx, a permanent refusal: a dead letter
// now, visible in `moderatord outbox list --state dead`). Details never contain the password.
//
// Exactly once: the Maildir transport is idempotent by file name. SMTP and sendmail cannot ask the
// server whether it already has a message, so a crash after the server accepted it but before the
// outbox row is marked done sends it again on restart; the Message-ID is the same (outbox-<id>@...),
// so a mail client shows the copies as one message.
#include <string>
#include <string_view>
#include <vector>

#include "connectors/connector.hpp"
#include "daemon/config.hpp"

namespace moderatord::daemon::mail {

struct Envelope {
  std::string from;               // bare address: MAIL FROM
  std::vector<std::string> rcpt;  // bare addresses: RCPT TO
};

connectors::ActionOutcome send_smtp(const MailOptions& options, const Envelope& envelope, std::string_view message);
connectors::ActionOutcome send_sendmail(const MailOptions& options, std::string_view message);
// Writes `message` as <maildir>/new/<name> (tmp/ then rename, fsynced); done at once if a file of
// that name is already in new/ or cur/.
connectors::ActionOutcome deliver_to_maildir(const std::filesystem::path& maildir, const std::string& name,
                                             std::string_view message);

// SMTP reply code (0: none, a connection-level failure) to an outcome status: 4xx and 0 retry, 5xx fail.
connectors::ActionOutcome::Status smtp_status(long reply_code) noexcept;

}  // namespace moderatord::daemon::mail
