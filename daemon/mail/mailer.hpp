#pragma once
// Executes the outbox rows of executor "mail": routes each payload (urgent now, the rest into a
// digest), renders it through the council's templates, builds the MIME message and hands it to the
// configured transport on the mailer's own thread pool.
//
//   row ──route_of──► urgent, or within the rate limit and no digest ──► render ─► MIME ─► transport
//                └──► digestible (digest on, or the group over its rate limit)
//                        ──► store: add_to_mail_digest (one transaction) ──► done ("in digest #D")
//   digest row (due) ──► one email with every item, each in its own type's wording
//
// The rate limit (mail.rate_limit_per_hour per recipient group) is a token bucket in memory: after
// a restart it starts full, which can only send sooner, never lose mail; what it holds back goes
// into the persistent digest.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>

#include "connectors/connector.hpp"
#include "daemon/config.hpp"
#include "daemon/mail/mime.hpp"
#include "daemon/mail/render.hpp"
#include "store/store.hpp"
#include "store/store_writer.hpp"

namespace moderatord::daemon::mail {

namespace net = boost::asio;

// The daily report's variables and attachment, computed from the database (daemon/report/).
struct ReportContent {
  Vars vars;
  std::vector<Attachment> attachments;
};
// Blocking (reads the database): called on the mailer's pool.
using ReportBuilder = std::function<Result<ReportContent>(const MailOptions&, std::string_view date)>;

// Renders and sends one row. Blocking: on the mailer's pool. Pure apart from reading the
// templates, the report's reads and the transport.
connectors::ActionOutcome send_mail_row(const MailOptions& options, const store::OutboxRow& row,
                                        const ReportBuilder& report);

// The email a row would send, as MIME text (for tests and `moderatord mail preview`-like tools).
Result<std::string> render_mail_row(const MailOptions& options, const store::OutboxRow& row,
                                    const ReportBuilder& report);

// Unix ms as local wall time in `zone` for people: "Sun 25 Oct 2026 01:30 GMT".
// `pattern` is an ICU date pattern (https://unicode-org.github.io/icu/userguide/format_parse/datetime/).
std::string format_local_time(std::int64_t unix_ms, const std::string& zone,
                              std::u16string_view pattern = u"EEE d MMM yyyy HH:mm zzz");

class Mailer {
 public:
  // Sending gets its own small pool rather than the daemon's blocking pool: an SMTP server that
  // hangs until the timeouts holds at most these threads, never the connectors' file I/O.
  static constexpr std::size_t kThreads = 2;
  Mailer(store::StoreWriter& writer, ReportBuilder report) : writer_(writer), report_(std::move(report)) {}

  // On the event loop. Done, retry or failed as for any outbox executor.
  net::awaitable<connectors::ActionOutcome> execute(store::OutboxRow row, MailOptions options);

 private:
  // Token bucket per recipient group; event loop only.
  struct Bucket {
    double tokens = -1;  // < 0: not used yet (full)
    std::int64_t at_ms = 0;
  };
  bool take_token(const std::string& group, int per_hour, std::int64_t now_ms);

  store::StoreWriter& writer_;
  ReportBuilder report_;
  std::map<std::string, Bucket> buckets_;
  net::thread_pool pool_{kThreads};  // last: joined first, while the members its jobs use still exist
};

}  // namespace moderatord::daemon::mail
