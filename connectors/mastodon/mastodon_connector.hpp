#pragma once
// Mastodon: mentions of the council's account (replies mention it too) and its own statuses,
// polled; reports to the instance's moderators. Mastodon lets nobody hide a reply to their post,
// so hide is off and the decision escalates (a report goes with a moderator's email either way).
//
// settings (one [[account]] with platform = "mastodon"):
//   api_base                                  the instance, "https://social.example.org"     required
//   access_token_file | access_token_credential  a user token (scopes read, write:reports)   required
//   report_forward     forward reports of remote accounts to their instance     Default: false
//   report_rule_ids    the instance's rule ids a breach violates, "1,4": reports become
//                      category "violation" (else "spam" for deceptive, "other")  Default: none
//   ca_file, poll_interval (Default 120), max_pages (Default 10), timeout_ms, requests_per_hour
//
//   GET  /api/v1/accounts/verify_credentials       once: our account id
//   GET  /api/v1/notifications?types[]=mention&since_id=N   newest first, Link rel="next" for older
//   GET  /api/v1/accounts/:id/statuses?since_id=M  our own statuses
//   GET  /api/v1/statuses/:id, POST /api/v1/reports   account_id, status_ids[], comment, category, forward
// The cursor is "N/M" (the newest notification and own status ids seen). The first start reads
// the newest page of each only.
#include "connectors/connector.hpp"

namespace moderatord::connectors {

Result<ConnectorPtr> make_mastodon_connector(const ConnectorConfig& config);

}  // namespace moderatord::connectors
