#pragma once
// Escalation emails delivered into a Maildir (new/), which a local MDA, an IMAP server or a
// moderator's mail client can read. Delivery is idempotent by outbox id: the file name carries it,
// so a retry after a crash finds the message already there and does not deliver it twice.
// (SMTP and sendmail transports, MIME parts and templates come with the email issue.)
#include <filesystem>
#include <string>

#include "connectors/connector.hpp"
#include "daemon/config.hpp"

namespace moderatord::daemon::mail {

// Builds the RFC 5322 message for an escalation payload (see pipeline.cpp escalation_payload).
// Pure, for tests. `message_id_host` is the right-hand side of Message-ID.
Result<std::string> render_escalation(const MailOptions& options, std::int64_t outbox_id, std::string_view payload_json,
                                      std::int64_t now_unix);

// Writes the message for `outbox_id` into options.maildir (tmp/ then rename into new/). Blocking:
// call on the blocking pool.
connectors::ActionOutcome deliver_to_maildir(const MailOptions& options, std::int64_t outbox_id,
                                             std::string_view payload_json);

}  // namespace moderatord::daemon::mail
