#pragma once
// From an outbox row's payload to an email (MailMessage), through the council's templates. Pure.
//
// Payloads are JSON objects with a "type" (absent: "escalation", the payloads of the first
// release) and a "to" ("moderators" by default, "clerk" or "admins"). Known types get their own
// variables; every type also gets `fields_text` / `fields_html`, every field of the payload, so an
// unknown type (or a missing template) still renders everything and nothing is ever dropped.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config.hpp"
#include "daemon/mail/mime.hpp"
#include "daemon/mail/template.hpp"
#include "store/report_reads.hpp"

namespace moderatord::daemon::mail {

// What the mailer needs to route a payload before rendering it.
struct MailRoute {
  std::string type = "escalation";
  std::string to = "moderators";  // a recipient group of [mail]
  // Goes at once, never into a digest and never held back by the rate limit: reports to make
  // (threats included), SLA reminders, offers to take a thread offline, admin alerts, reports
  // and digests themselves.
  bool urgent = false;
  // May wait for the next digest (non-urgent escalations, own-post alerts, unknown types).
  bool digestible = false;
};
// Never fails: a payload that is not JSON routes as an escalation to the moderators (and renders
// as its raw text), so that it still reaches a person.
MailRoute route_of(std::string_view payload_json);

struct RenderContext {
  const MailOptions* options = nullptr;
  std::int64_t outbox_id = 0;
  std::int64_t date_unix = 0;  // the Date header: when the row was created (the same on every retry)
  std::string host = "moderatord";  // right-hand side of Message-ID
  // Unix ms -> local wall time for people ("Sun 25 Oct 2026 01:30 GMT").
  std::function<std::string(std::int64_t)> local_time;
};

// The template file for a type: "<templates>/<type>.tmpl" (only [a-z_] names are looked up).
std::string template_file_name(std::string_view type);
// Used when a type has no template file (or it does not parse): lists every field.
const MailTemplate& generic_template();

// The variables of a payload, as its type's template sees them.
Vars payload_vars(const RenderContext& ctx, std::string_view payload_json);

// The whole email. `extra` adds (or overrides) variables, e.g. the daily report's tables;
// `load` gives the template of a type (for a digest's items), or nullptr for the generic one.
Result<MailMessage> render_mail(const RenderContext& ctx, std::string_view payload_json, const MailTemplate& tmpl,
                                const std::function<const MailTemplate*(std::string_view type)>& load,
                                const Vars& extra = {}, std::vector<Attachment> attachments = {});

// The escalation email's "SLA state" line from the comment's SLA item (policy 7.7.2, 7.8).
std::string sla_state_text(const store::SlaFact& item, const std::function<std::string(std::int64_t)>& local_time);

// The recipients of a group ("moderators", "clerk", "admins"); an empty or unknown group falls back
// to the moderators, so that a message is never addressed to no one.
const std::vector<std::string>& recipients(const MailOptions& options, std::string_view group);

// The comment text with the matched byte spans [start, end) marked: <mark> in HTML (the rest
// escaped; line breaks kept), [[...]] in text. Spans are merged and widened to UTF-8 boundaries.
struct Span {
  std::int64_t start = 0, end = 0;
};
std::string highlight_html(std::string_view text, std::vector<Span> spans);
std::string highlight_text(std::string_view text, std::vector<Span> spans);

}  // namespace moderatord::daemon::mail
