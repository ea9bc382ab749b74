#include "store/report_reads.hpp"

#include "store/sqlite.hpp"

namespace moderatord::store {

namespace {

// The columns read_sla_fact reads, in its order.
constexpr std::string_view kSlaFactSelect =
    "SELECT s.comment_id, c.platform_id, c.url, CASE WHEN c.author_name <> '' THEN c.author_name ELSE c.author_id END, "
    "c.text, s.kind, s.state, coalesce(s.exemption, ''), s.opened_at, coalesce(s.due_at, 0), "
    "coalesce(s.closed_at, 0), coalesce(s.response_ms, -1), coalesce(s.lateness_ms, 0) "
    "FROM sla_items s JOIN comments c ON c.id = s.comment_id ";

SlaFact read_sla_fact(const sqlite::Query& q) {
  SlaFact f;
  f.comment_id = q.int64(0);
  f.platform_id = q.text(1);
  f.url = q.text(2);
  f.author = q.text(3);
  f.text = q.text(4);
  f.kind = q.text(5);
  f.state = q.text(6);
  f.exemption = q.text(7);
  f.opened_at = q.int64(8);
  f.due_at = q.int64(9);
  f.closed_at = q.int64(10);
  f.response_ms = q.int64(11);
  f.lateness_ms = q.int64(12);
  return f;
}

}  // namespace

struct ReportReader::Impl {
  sqlite::Database db;
  bool in_read = false;

  Result<sqlite::Statement> prepare(std::string_view sql, std::string_view what) {
    return sqlite::Statement::prepare(db.get(), sql, what);
  }
};

ReportReader::ReportReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ReportReader::ReportReader(ReportReader&&) noexcept = default;
ReportReader& ReportReader::operator=(ReportReader&&) noexcept = default;
ReportReader::~ReportReader() {
  if (impl_) end();
}

Result<ReportReader> ReportReader::open(const std::filesystem::path& database) {
  if (!std::filesystem::exists(database)) return StoreError{0, "no database at " + database.string()};
  auto db = sqlite::Database::open(database, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  if (!db) return db.error();
  // The daemon may be committing: wait rather than fail (WAL readers rarely wait at all).
  sqlite3_busy_timeout(db->get(), 5000);
  auto version = db->query_int("PRAGMA user_version", "reading the schema version");
  if (!version) return version.error();
  if (*version < 2) return StoreError{0, "database schema " + std::to_string(*version) + " has no SLA tables (run the daemon once to migrate it)"};
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  return ReportReader(std::move(impl));
}

Result<void> ReportReader::begin() {
  if (auto r = impl_->db.exec("BEGIN", "starting the report's read"); !r) return r.error();
  impl_->in_read = true;
  return {};
}

void ReportReader::end() noexcept {
  if (impl_->in_read) (void)impl_->db.exec("COMMIT", "ending the report's read");
  impl_->in_read = false;
}

Result<std::vector<std::string>> ReportReader::accounts() {
  auto st = impl_->prepare("SELECT id FROM accounts ORDER BY id", "listing accounts");
  if (!st) return st.error();
  sqlite::Query q(*st);
  std::vector<std::string> out;
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(q.text(0));
  }
}

Result<std::int64_t> ReportReader::comments_received(const std::string& account, std::int64_t from, std::int64_t to) {
  auto st = impl_->prepare("SELECT count(*) FROM comments WHERE account = ?1 AND received_at >= ?2 AND received_at < ?3",
                           "counting comments of");
  if (!st) return st.error();
  sqlite::Query q(*st, account);
  q.bind(account).bind(from).bind(to);
  auto row = q.step();
  if (!row) return row.error();
  return *row ? q.int64(0) : 0;
}

Result<std::vector<ActionCount>> ReportReader::actions(const std::string& account, std::int64_t from, std::int64_t to) {
  auto st = impl_->prepare(
      "SELECT o.kind, v.labels, count(*) FROM outbox o JOIN decisions d ON d.id = o.decision_id "
      "JOIN verdicts v ON v.id = d.verdict_id JOIN comments c ON c.id = d.comment_id "
      "WHERE c.account = ?1 AND d.created_at >= ?2 AND d.created_at < ?3 GROUP BY o.kind, v.labels "
      "ORDER BY o.kind, v.labels",
      "counting actions of");
  if (!st) return st.error();
  sqlite::Query q(*st, account);
  q.bind(account).bind(from).bind(to);
  std::vector<ActionCount> out;
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back({q.text(0), q.text(1), q.int64(2)});
  }
}

Result<std::vector<SlaFact>> ReportReader::sla_items(const std::string& account, std::int64_t from, std::int64_t to) {
  auto st = impl_->prepare(
      std::string(kSlaFactSelect) +
      "WHERE s.account = ?1 AND ((s.opened_at >= ?2 AND s.opened_at < ?3) OR (s.due_at >= ?2 AND s.due_at < ?3) OR "
      "(s.closed_at >= ?2 AND s.closed_at < ?3)) ORDER BY s.opened_at, s.id",
      "reading SLA items of");
  if (!st) return st.error();
  sqlite::Query q(*st, account);
  q.bind(account).bind(from).bind(to);
  std::vector<SlaFact> out;
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(read_sla_fact(q));
  }
}

Result<std::optional<SlaFact>> ReportReader::sla_item_for_comment(std::int64_t comment_id) {
  auto st = impl_->prepare(std::string(kSlaFactSelect) + "WHERE s.comment_id = ?1", "reading the SLA item of comment");
  if (!st) return st.error();
  const std::string subject = std::to_string(comment_id);
  sqlite::Query q(*st, subject);
  q.bind(comment_id);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return std::optional<SlaFact>();
  return std::optional<SlaFact>(read_sla_fact(q));
}

Result<std::vector<PolicyEventFact>> ReportReader::policy_events(const std::string& account, std::int64_t from,
                                                                  std::int64_t to) {
  auto st = impl_->prepare(
      "SELECT p.kind, p.at, coalesce(p.comment_id, 0), coalesce(c.url, ''), p.detail FROM policy_events p "
      "LEFT JOIN comments c ON c.id = p.comment_id WHERE p.account = ?1 AND p.at >= ?2 AND p.at < ?3 "
      "ORDER BY p.at, p.id",
      "reading policy events of");
  if (!st) return st.error();
  sqlite::Query q(*st, account);
  q.bind(account).bind(from).bind(to);
  std::vector<PolicyEventFact> out;
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back({q.text(0), q.int64(1), q.int64(2), q.text(3), q.text(4)});
  }
}

Result<std::vector<DeadLetterFact>> ReportReader::dead_letters() {
  auto st = impl_->prepare(
      "SELECT id, executor, kind, coalesce(comment_id, 0), last_error, updated_at FROM outbox WHERE state = 'dead' "
      "ORDER BY updated_at DESC, id DESC",
      "reading dead letters");
  if (!st) return st.error();
  sqlite::Query q(*st);
  std::vector<DeadLetterFact> out;
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back({q.int64(0), q.text(1), q.text(2), q.int64(3), q.text(4), q.int64(5)});
  }
}

}  // namespace moderatord::store
