#pragma once
// The replay connector: reads comments from a JSON-lines file (or every *.jsonl file in a folder,
// in name order) as if they arrived live, at a configured rate, and records the actions it is
// asked to take in an action log instead of a platform. The demo config uses it; the crash tests
// read its action log to prove every action happened exactly once.
//
// settings:
//   feed             file or folder of JSON lines (comment_json.hpp shape)      required
//   rate_per_second  comments per second                                       Default: 10
//   follow           keep watching for appended lines at the end of the feed  Default: true
//   action_log       where actions are recorded (JSON lines, fsynced)          Default: <state_dir>/<id>-actions.jsonl
// The cursor ("<file name>:<lines consumed>") is saved after each stored batch, so a restart
// resumes where it left off; a batch stored just before a crash is stored again and deduplicated.
#include "connectors/connector.hpp"

namespace moderatord::connectors {

Result<ConnectorPtr> make_replay_connector(const ConnectorConfig& config);

}  // namespace moderatord::connectors
