#include "daemon/mail/mailer.hpp"

#include <spdlog/spdlog.h>
#include <unicode/udat.h>
#include <unicode/ustring.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "connectors/blocking.hpp"
#include "daemon/mail/digest_schedule.hpp"
#include "daemon/mail/transport.hpp"
#include "daemon/store_call.hpp"

namespace moderatord::daemon::mail {
namespace {

using connectors::ActionOutcome;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// When mail held back by the rate limit goes if digests are off.
constexpr std::int64_t kRateLimitedDigestMs = 15 * 60 * 1000;

// Reads <templates>/<type>.tmpl; nullptr (the generic template is used) when absent or broken.
std::unique_ptr<MailTemplate> load_template(const MailOptions& o, std::string_view type) {
  const auto file = o.templates / template_file_name(type);
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    if (type != "generic") spdlog::warn("mail: no template {} for type '{}'; listing every field instead", file.string(), type);
    return nullptr;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  auto t = parse_template(ss.str(), file.string());
  if (!t) {
    spdlog::error("mail: template {} is broken, listing every field instead: {}", file.string(), t.error().to_string());
    return nullptr;
  }
  return std::make_unique<MailTemplate>(std::move(*t));
}

std::string host_of(const MailOptions& o) {
  auto specs = addr_specs({o.from});
  if (specs && !specs->empty()) {
    const auto at = specs->front().rfind('@');
    if (at != std::string::npos && at + 1 < specs->front().size()) return specs->front().substr(at + 1);
  }
  return "moderatord";
}

}  // namespace

std::string format_local_time(std::int64_t unix_ms, const std::string& zone, std::u16string_view pattern) {
  UErrorCode status = U_ZERO_ERROR;
  std::u16string tz(zone.begin(), zone.end());  // IANA names are ASCII
  UDateFormat* fmt = udat_open(UDAT_PATTERN, UDAT_PATTERN, "en_GB", tz.data(), static_cast<int32_t>(tz.size()),
                               pattern.data(), static_cast<int32_t>(pattern.size()), &status);
  if (U_FAILURE(status)) return std::to_string(unix_ms / 1000) + " (unix time)";
  UChar buf[128];
  const int32_t n = udat_format(fmt, static_cast<UDate>(unix_ms), buf, 128, nullptr, &status);
  udat_close(fmt);
  char out[512];
  int32_t len = 0;
  u_strToUTF8(out, sizeof out, &len, buf, n, &status);
  if (U_FAILURE(status)) return std::to_string(unix_ms / 1000) + " (unix time)";
  return std::string(out, static_cast<std::size_t>(len));
}

Result<std::string> render_mail_row(const MailOptions& o, const store::OutboxRow& row, const ReportBuilder& report) {
  const MailRoute route = route_of(row.payload_json);
  RenderContext ctx;
  ctx.options = &o;
  ctx.outbox_id = row.id;
  ctx.date_unix = (row.created_at > 0 ? row.created_at : now_ms()) / 1000;
  ctx.host = host_of(o);
  ctx.local_time = [zone = o.time_zone](std::int64_t ms) { return format_local_time(ms, zone); };
  std::map<std::string, std::unique_ptr<MailTemplate>, std::less<>> cache;
  auto load = [&](std::string_view type) -> const MailTemplate* {
    auto it = cache.find(type);
    if (it == cache.end()) it = cache.emplace(std::string(type), load_template(o, type)).first;
    return it->second.get();
  };
  Vars extra;
  std::vector<Attachment> attachments;
  if (route.type == "daily_report" && report) {
    const Vars v = payload_vars(ctx, row.payload_json);
    const auto date = v.find("date");
    auto content = report(o, date == v.end() ? std::string_view{} : std::string_view(date->second));
    if (!content) return content.error();
    extra = std::move(content->vars);
    attachments = std::move(content->attachments);
  }
  if (route.type == "escalation" && !o.database.empty()) {
    // The comment's SLA item was written with the escalation's row; read it now, when the email
    // goes (it may have been answered meanwhile). Best effort: without it the line says so.
    const Vars v = payload_vars(ctx, row.payload_json);
    const auto id = v.find("comment_id");
    if (id != v.end() && !id->second.empty()) {
      if (auto reader = store::ReportReader::open(o.database)) {
        if (auto item = reader->sla_item_for_comment(std::atoll(id->second.c_str())); item && *item)
          extra["sla_state"] = sla_state_text(**item, ctx.local_time);
      }
    }
  }
  const MailTemplate* tmpl = load(route.type);
  auto msg = render_mail(ctx, row.payload_json, tmpl != nullptr ? *tmpl : generic_template(), load, extra,
                         std::move(attachments));
  if (!msg) return msg.error();
  return to_mime(*msg);
}

ActionOutcome send_mail_row(const MailOptions& o, const store::OutboxRow& row, const ReportBuilder& report) {
  // A message that cannot be built will not build on a retry either: a dead letter now.
  auto mime = render_mail_row(o, row, report);
  if (!mime) return {ActionOutcome::Status::failed, "cannot build the email: " + mime.error().to_string(), std::nullopt};
  if (o.transport == "smtp") {
    const MailRoute route = route_of(row.payload_json);
    auto from = addr_specs({o.from});
    auto rcpt = addr_specs(recipients(o, route.to));
    if (!from || from->empty() || !rcpt)
      return {ActionOutcome::Status::failed, "bad address in [mail]: " + (from ? rcpt.error() : from.error()).to_string(),
              std::nullopt};
    return send_smtp(o, Envelope{from->front(), *rcpt}, *mime);
  }
  if (o.transport == "sendmail") return send_sendmail(o, *mime);
  return deliver_to_maildir(o.maildir, "moderatord-outbox-" + std::to_string(row.id), *mime);
}

bool Mailer::take_token(const std::string& group, int per_hour, std::int64_t now) {
  if (per_hour <= 0) return true;  // no limit
  Bucket& b = buckets_[group];
  const double capacity = per_hour;
  if (b.tokens < 0) b.tokens = capacity;
  else b.tokens = std::min(capacity, b.tokens + static_cast<double>(now - b.at_ms) * capacity / 3600000.0);
  b.at_ms = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

net::awaitable<ActionOutcome> Mailer::execute(store::OutboxRow row, MailOptions options) {
  const MailRoute route = route_of(row.payload_json);
  const std::int64_t now = now_ms();
  const std::string group = recipients(options, route.to) == options.moderators ? std::string("moderators") : route.to;
  bool to_digest = false;
  if (route.digestible) {
    // A digestible email either waits for the digest or, with digests off, spends a token.
    to_digest = options.digest_interval.count() > 0 || !take_token(group, options.rate_limit_per_hour, now);
  } else if (!route.urgent) {
    to_digest = !take_token(group, options.rate_limit_per_hour, now);
  } else {
    (void)take_token(group, options.rate_limit_per_hour, now);  // urgent mail goes anyway, but counts
  }
  if (to_digest) {
    const std::int64_t interval = options.digest_interval.count() > 0 ? options.digest_interval.count() : kRateLimitedDigestMs;
    // The zone was checked when the config was loaded; should it fail here after all, UTC keeps
    // digests going.
    auto tz = policy::TimeZone::load(options.time_zone);
    const std::int64_t due = next_digest_due(now, interval, tz ? *tz : policy::TimeZone::utc());
    auto add = [id = row.id, group, payload = row.payload_json, due, now](store::Store& s) {
      return s.add_to_mail_digest(id, group, payload, due, now);
    };
    auto digest = co_await store_call<std::int64_t>(writer_, add);
    if (!digest) co_return ActionOutcome{ActionOutcome::Status::retry, "cannot add to the digest: " + digest.error().message, std::nullopt};
    co_return ActionOutcome{ActionOutcome::Status::done,
                            "waits in digest #" + std::to_string(*digest) + " for " + group + " (due " +
                                format_local_time(due, options.time_zone) + ")",
                            std::nullopt};
  }
  auto send = [options = std::move(options), row = std::move(row), report = report_] {
    return send_mail_row(options, row, report);
  };
  co_return co_await connectors::run_on(pool_, send);
}

}  // namespace moderatord::daemon::mail
