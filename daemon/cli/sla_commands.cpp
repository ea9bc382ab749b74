#include "daemon/cli/sla_commands.hpp"

#include <chrono>
#include <ctime>

#include "daemon/cli/json_writer.hpp"

namespace moderatord::daemon {
namespace {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string when(std::int64_t ms) {
  if (ms == 0) return "-";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%MZ", &tm);
  return buf;
}

std::string duration(std::int64_t ms) {
  const std::int64_t minutes = ms / 60000;
  if (minutes < 60) return std::to_string(minutes) + "m";
  return std::to_string(minutes / 60) + "h" + std::to_string(minutes % 60) + "m";
}

// What a moderator needs on one line: where it stands and how long is left (or how late it is).
std::string standing(const store::SlaItemRow& r, std::int64_t now) {
  if (r.state == "exempt") {
    std::string s = "exempt: " + r.exemption;
    if (r.repeat_of != 0) s += " of comment " + std::to_string(r.repeat_of);
    return s;
  }
  if (r.state == "closed") {
    std::string s = "closed by " + r.closed_by + " after " + duration(r.response_ms);
    if (r.lateness_ms > 0) s += " (" + duration(r.lateness_ms) + " late)";
    return s;
  }
  if (now >= r.due_at) return "OVERDUE by " + duration(now - r.due_at);
  return "due in " + duration(r.due_at - now);
}

void json_item(std::string& o, const store::SlaItemRow& r) {
  o += "{\"id\":" + std::to_string(r.id) + ",\"comment_id\":" + std::to_string(r.comment_id) + ",\"account\":";
  append_json_string(o, r.account);
  o += ",\"thread_id\":";
  append_json_string(o, r.thread_id);
  o += ",\"author_id\":";
  append_json_string(o, r.author_id);
  o += ",\"kind\":\"" + r.kind + "\",\"state\":\"" + r.state + "\",\"exemption\":";
  append_json_string(o, r.exemption);
  o += ",\"repeat_of\":" + std::to_string(r.repeat_of) + ",\"opened_at\":" + std::to_string(r.opened_at) +
       ",\"due_at\":" + std::to_string(r.due_at) + ",\"platform_due_at\":" + std::to_string(r.platform_due_at) +
       ",\"reminded_at\":" + std::to_string(r.reminded_at) + ",\"breached_at\":" + std::to_string(r.breached_at) +
       ",\"closed_at\":" + std::to_string(r.closed_at) + ",\"closed_by\":";
  append_json_string(o, r.closed_by);
  o += ",\"close_reason\":";
  append_json_string(o, r.close_reason);
  o += ",\"response_ms\":" + std::to_string(r.response_ms) + ",\"lateness_ms\":" + std::to_string(r.lateness_ms) + "}";
}

}  // namespace

int sla_list_command(const DatabaseOptions& o, const std::string& state, int limit, std::FILE* out, std::FILE* err) {
  if (state != "all" && state != "open" && state != "closed" && state != "exempt") {
    std::fprintf(err, "moderatord: --state must be open, closed, exempt or all\n");
    return 2;
  }
  auto s = open_store(o, true, err);
  if (!s) return 1;
  auto items = (*s)->list_sla_items(state == "all" ? "" : state, limit);
  if (!items) {
    std::fprintf(err, "moderatord: %s\n", items.error().message.c_str());
    return 1;
  }
  const std::int64_t now = now_ms();
  if (o.json) {
    std::string j = "[";
    for (const auto& r : *items) {
      if (j.size() > 1) j += ',';
      json_item(j, r);
    }
    std::fprintf(out, "%s]\n", j.c_str());
    return 0;
  }
  if (items->empty()) {
    std::fprintf(out, "no %s items\n", state == "all" ? "SLA" : state.c_str());
    return 0;
  }
  std::fprintf(out, "%-6s %-8s %-14s %-13s %-18s %-18s %s\n", "ID", "COMMENT", "ACCOUNT", "KIND", "OPENED", "DUE",
               "STATE");
  for (const auto& r : *items)
    std::fprintf(out, "%-6lld %-8lld %-14s %-13s %-18s %-18s %s\n", static_cast<long long>(r.id),
                 static_cast<long long>(r.comment_id), r.account.c_str(), r.kind.c_str(), when(r.opened_at).c_str(),
                 when(r.due_at).c_str(), standing(r, now).c_str());
  return 0;
}

int sla_resolve_command(const DatabaseOptions& o, std::int64_t id, const std::string& reason, std::FILE* out,
                        std::FILE* err) {
  if (reason.empty()) {
    std::fprintf(err, "moderatord: say why with --reason (it goes in the audit log and the clerk's report)\n");
    return 2;
  }
  auto s = open_store(o, false, err);
  if (!s) return 1;
  auto item = (*s)->sla_item(id);
  if (!item) {
    std::fprintf(err, "moderatord: %s\n", item.error().message.c_str());
    return 1;
  }
  if (!*item || (*item)->state != "open") {
    std::fprintf(err, "moderatord: SLA item %lld %s\n", static_cast<long long>(id),
                 *item ? ("is " + (*item)->state + ", not open").c_str() : "does not exist");
    return 1;
  }
  const std::int64_t now = now_ms();
  const std::string actor = cli_actor();
  auto closed = (*s)->close_sla_item(id, now, actor, reason, now - (*item)->opened_at,
                                     now > (*item)->due_at ? now - (*item)->due_at : 0, actor);
  if (!closed || !*closed) {
    std::fprintf(err, "moderatord: could not resolve item %lld: %s\n", static_cast<long long>(id),
                 closed ? "it was closed meanwhile" : closed.error().message.c_str());
    return 1;
  }
  std::fprintf(out, "SLA item %lld resolved by %s: %s\n", static_cast<long long>(id), actor.c_str(), reason.c_str());
  return 0;
}

}  // namespace moderatord::daemon
