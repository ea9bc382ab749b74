#include "daemon/cli/store_commands.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "daemon/cli/json_writer.hpp"
#include "daemon/config.hpp"
#include "store/store.hpp"

namespace moderatord::daemon {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string when(std::int64_t ms) {
  if (ms == 0) return "never";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}


void print_row(std::FILE* out, const store::OutboxRow& r) {
  std::fprintf(out, "%-8lld %-9s %-10s %-14s %-9s %3d  %-20s %s\n", static_cast<long long>(r.id),
               std::string(model::to_string(r.kind)).c_str(), std::string(store::to_string(r.state)).c_str(),
               r.executor.c_str(), r.comment_id ? std::to_string(r.comment_id).c_str() : "-", r.attempts,
               r.state == store::OutboxState::pending ? when(r.next_attempt_at).c_str() : when(r.updated_at).c_str(),
               r.last_error.c_str());
}

}  // namespace

store::Result<std::unique_ptr<store::Store>> open_store(const DatabaseOptions& o, bool read_only, std::FILE* err) {
  std::filesystem::path db;
  if (o.database) {
    db = *o.database;
  } else {
    auto cfg = load_config(o.config, o.state_dir);
    if (!cfg) {
      std::fprintf(err, "moderatord: %s\n", cfg.error().to_string().c_str());
      return store::StoreError{0, "bad config"};
    }
    db = cfg->daemon.database;
  }
  if (!std::filesystem::exists(db)) {
    std::fprintf(err, "moderatord: no database at %s (has the daemon run yet?)\n", db.c_str());
    return store::StoreError{0, "no database"};
  }
  store::StoreOptions so;
  so.path = db;
  so.read_only = read_only;
  auto s = store::Store::open(so);
  if (!s) std::fprintf(err, "moderatord: cannot open %s: %s\n", db.c_str(), s.error().message.c_str());
  return s;
}

std::string cli_actor() {
  const char* user = std::getenv("SUDO_USER") != nullptr ? std::getenv("SUDO_USER") : std::getenv("USER");
  return "cli:" + std::string(user != nullptr ? user : std::to_string(getuid()));
}

int status_command(const DatabaseOptions& o, std::FILE* out, std::FILE* err) {
  auto s = open_store(o, true, err);
  if (!s) return 1;
  auto st = (*s)->status();
  if (!st) {
    std::fprintf(err, "moderatord: %s\n", st.error().message.c_str());
    return 1;
  }
  if (o.json) {
    std::string j = "{\"comments\":" + std::to_string(st->comments) + ",\"verdicts\":" + std::to_string(st->verdicts) +
                    ",\"schema_version\":" + std::to_string(st->schema_version) + ",\"decisions\":{";
    bool first = true;
    for (const auto& [k, v] : st->decisions_by_action) {
      j += std::string(first ? "" : ",") + "\"" + k + "\":" + std::to_string(v);
      first = false;
    }
    j += "},\"outbox\":{";
    first = true;
    for (const auto& [k, v] : st->outbox_by_state) {
      j += std::string(first ? "" : ",") + "\"" + k + "\":" + std::to_string(v);
      first = false;
    }
    j += "},\"sla\":{\"open\":" + std::to_string(st->sla_open) + ",\"overdue\":" + std::to_string(st->sla_overdue) +
         "},\"accounts\":[";
    first = true;
    for (const auto& c : st->connectors) {
      j += std::string(first ? "" : ",") + "{\"account\":";
      append_json_string(j, c.account);
      j += ",\"comments\":" + std::to_string(c.comments) + ",\"last_received_at\":" + std::to_string(c.last_received_at) + "}";
      first = false;
    }
    j += "]}\n";
    std::fputs(j.c_str(), out);
    return 0;
  }
  std::fprintf(out, "comments:  %lld (verdicts %lld), schema %d\n", static_cast<long long>(st->comments),
               static_cast<long long>(st->verdicts), st->schema_version);
  std::fprintf(out, "decisions:");
  for (const auto& [k, v] : st->decisions_by_action) std::fprintf(out, " %s %lld", k.c_str(), static_cast<long long>(v));
  std::fprintf(out, "\noutbox:   ");
  std::int64_t dead = 0;
  for (const auto& [k, v] : st->outbox_by_state) {
    std::fprintf(out, " %s %lld", k.c_str(), static_cast<long long>(v));
    if (k == "dead") dead = v;
  }
  std::fprintf(out, "\nreplies:   %lld owed, %lld overdue (`moderatord sla list`)", static_cast<long long>(st->sla_open),
               static_cast<long long>(st->sla_overdue));
  std::fprintf(out, "\n\n%-20s %10s  %s\n", "account", "comments", "last comment");
  for (const auto& c : st->connectors)
    std::fprintf(out, "%-20s %10lld  %s\n", c.account.c_str(), static_cast<long long>(c.comments), when(c.last_received_at).c_str());
  if (dead > 0) std::fprintf(out, "\n%lld dead letter(s): see `moderatord outbox list --state dead`\n", static_cast<long long>(dead));
  return 0;
}

int outbox_list_command(const DatabaseOptions& o, const std::string& state, int limit, std::FILE* out, std::FILE* err) {
  std::optional<store::OutboxState> filter;
  if (state == "pending") filter = store::OutboxState::pending;
  else if (state == "in_flight") filter = store::OutboxState::in_flight;
  else if (state == "done") filter = store::OutboxState::done;
  else if (state == "dead") filter = store::OutboxState::dead;
  else if (state != "all") {
    std::fprintf(err, "moderatord: --state must be all, pending, in_flight, done or dead\n");
    return 2;
  }
  auto s = open_store(o, true, err);
  if (!s) return 1;
  auto rows = (*s)->list_outbox(filter, limit);
  if (!rows) {
    std::fprintf(err, "moderatord: %s\n", rows.error().message.c_str());
    return 1;
  }
  std::fprintf(out, "%-8s %-9s %-10s %-14s %-9s %3s  %-20s %s\n", "id", "kind", "state", "executor", "comment", "try",
               "due/updated", "last error");
  for (const auto& r : *rows) print_row(out, r);
  return 0;
}

int outbox_retry_command(const DatabaseOptions& o, std::int64_t id, std::FILE* out, std::FILE* err) {
  auto s = open_store(o, false, err);
  if (!s) return 1;
  auto r = (*s)->retry_outbox(id, now_ms(), cli_actor());
  if (!r) {
    std::fprintf(err, "moderatord: %s\n", r.error().message.c_str());
    return 1;
  }
  if (!*r) {
    std::fprintf(err, "moderatord: outbox row %lld does not exist, or is done or in flight\n", static_cast<long long>(id));
    return 1;
  }
  std::fprintf(out, "outbox row %lld will be retried now (the daemon picks it up within seconds)\n", static_cast<long long>(id));
  return 0;
}

int comments_show_command(const DatabaseOptions& o, std::int64_t id, std::FILE* out, std::FILE* err) {
  auto s = open_store(o, true, err);
  if (!s) return 1;
  auto d = (*s)->comment_detail(id);
  if (!d) {
    std::fprintf(err, "moderatord: %s\n", d.error().message.c_str());
    return 1;
  }
  if (!*d) {
    std::fprintf(err, "moderatord: no comment %lld\n", static_cast<long long>(id));
    return 1;
  }
  const auto& c = (*d)->comment;
  std::fprintf(out, "comment %lld  %s/%s  %s\n", static_cast<long long>(c.id), c.comment.account.c_str(),
               c.comment.platform_id.c_str(), std::string(model::to_string(c.comment.kind)).c_str());
  std::fprintf(out, "author:   %s (%s)\nthread:   %s  parent: %s\nurl:      %s\nreceived: %s  revision %d\n\n%s\n\n",
               c.comment.author_name.c_str(), c.comment.author_id.c_str(), c.comment.thread_id.c_str(),
               c.comment.parent_id.empty() ? "-" : c.comment.parent_id.c_str(), c.comment.url.c_str(),
               when(c.received_at).c_str(), c.revision,
               c.redacted_at != 0 ? ("(text and author removed " + when(c.redacted_at) + ", after daemon.retention_days)").c_str()
                                  : c.comment.text.c_str());
  if (const auto& v = (*d)->verdict) {
    std::fprintf(out, "verdict:  labels [%s] action %s needs_response %s rhetorical %s (rules %.12s)\n",
                 v->labels.c_str(), v->action.c_str(), v->needs_response ? "yes" : "no", v->rhetorical ? "yes" : "no",
                 v->rule_set_version.c_str());
    std::fprintf(out, "scores:   %s\nmatches:  %s\n", v->scores_json.c_str(), v->matches_json.c_str());
  }
  if (const auto& dec = (*d)->decision) std::fprintf(out, "decision: %s: %s\n", dec->decided_action.c_str(), dec->reason.c_str());
  if (!(*d)->outbox.empty()) {
    std::fprintf(out, "\noutbox:\n");
    for (const auto& r : (*d)->outbox) print_row(out, r);
  }
  if (!(*d)->audit.empty()) {
    std::fprintf(out, "\naudit:\n");
    for (const auto& a : (*d)->audit)
      std::fprintf(out, "  %s  %-16s %-20s %s\n", when(a.at).c_str(), a.actor.c_str(), a.action.c_str(), a.detail.c_str());
  }
  return 0;
}

}  // namespace moderatord::daemon
