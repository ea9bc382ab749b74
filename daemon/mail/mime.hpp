#pragma once
// One email as plain data, and its RFC 5322 / MIME form built by GMime (never by string pasting):
//
//   multipart/mixed                      (only when there are attachments)
//   ├── multipart/alternative            (only when there is an HTML part)
//   │   ├── text/plain; charset=utf-8    quoted-printable when not 7-bit clean
//   │   └── text/html;  charset=utf-8    quoted-printable when not 7-bit clean
//   └── text/csv (attachment)            base64
//
// Headers: Date, Message-ID, From, To, Subject (RFC 2047 encoded-words when not ASCII),
// MIME-Version, Auto-Submitted (RFC 3834: so that autoresponders do not answer) and any extras.
// Boundaries are derived from the Message-ID, so the same message renders to the same bytes on a
// retry.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "classifier/error.hpp"

namespace moderatord::daemon::mail {

using classifier::Result;

struct Attachment {
  std::string filename;      // "report-2026-10-25.csv"
  std::string content_type;  // "text/csv"
  std::string data;
};

struct MailMessage {
  std::string from;                 // "Name <addr@host>"
  std::vector<std::string> to;      // each "addr@host" or "Name <addr@host>"
  std::string subject;              // UTF-8; encoded by GMime as needed
  std::string text;                 // the plain-text part, UTF-8, LF line ends
  std::string html;                 // "" for a text-only message
  std::vector<Attachment> attachments;
  std::string message_id;           // without the angle brackets: "outbox-12@moderatord.host"
  std::int64_t date_unix = 0;       // seconds
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (ASCII values)
};

// The message with CRLF line ends, ready for SMTP, sendmail or a Maildir. Pure apart from GMime's
// one-time global initialisation; safe to call from several threads at once.
Result<std::string> to_mime(const MailMessage& message);

// The bare addresses (addr-spec) of "Name <a@b>, c@d" style lists, for the SMTP envelope.
// Errors name the entry that is not an address.
Result<std::vector<std::string>> addr_specs(const std::vector<std::string>& mailboxes);

}  // namespace moderatord::daemon::mail
