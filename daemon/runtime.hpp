#pragma once
// What the pipeline reads for every comment: the compiled rules and each account's policy and
// platform capabilities. Immutable; a reload builds a new Runtime and swaps the pointer, so a
// comment is always classified and decided under one consistent snapshot.
#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "classifier/rule_set.hpp"
#include "connectors/connector.hpp"
#include "daemon/config.hpp"
#include "daemon/policy/decide.hpp"

namespace moderatord::daemon {

struct AccountRuntime {
  std::string id;
  std::string platform;
  policy::AccountPolicy policy;
  connectors::Capabilities capabilities;
  policy::SlaPolicy sla;  // reply deadlines and 7.8 settings
};

struct Runtime {
  classifier::RuleSetPtr rules;
  std::map<std::string, AccountRuntime, std::less<>> accounts;
  OutboxOptions outbox;
  MailOptions mail;
  PolicyFiles policy;  // working calendar, own-post lists, offer-offline wording ([sla])
  int retention_days = 365;  // daemon.retention_days; 0: keep for ever
};
using RuntimePtr = std::shared_ptr<const Runtime>;

// Thread-safe holder of the current Runtime (read by the store thread, swapped on the event loop).
class RuntimeHolder {
 public:
  explicit RuntimeHolder(RuntimePtr initial) : current_(std::move(initial)) {}
  RuntimePtr get() const { return current_.load(); }
  void set(RuntimePtr next) { current_.store(std::move(next)); }

 private:
  std::atomic<RuntimePtr> current_;
};

}  // namespace moderatord::daemon
