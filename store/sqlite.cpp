#include "store/sqlite.hpp"

#include <limits>

namespace moderatord::store::sqlite {
namespace {

std::string describe(std::string_view what, std::string_view subject, std::string_view message) {
  std::string s(what);
  if (!subject.empty()) s.append(" ").append(subject);
  return s.append(": ").append(message);
}

}  // namespace

StoreError error(sqlite3* db, int rc, std::string_view what) {
  // Without extended result codes enabled rc is already primary; the mask keeps it so if they are.
  const int code = rc & 0xff;
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return StoreError{code, describe(what, {}, message)};
}

Result<Database> Database::open(const std::filesystem::path& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db;
  db.db_.reset(raw);  // sqlite3_open_v2 hands out a handle (to close) even when it fails
  if (rc != SQLITE_OK) return error(raw, rc, "opening " + path.string());
  return db;
}

Result<void> Database::exec(const char* sql, std::string_view what) {
  const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(db_.get(), rc, what);
  return {};
}

Result<std::int64_t> Database::query_int(const char* sql, std::string_view what) {
  auto s = Statement::prepare(db_.get(), sql, what);
  if (!s) return s.error();
  Query q(*s);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return q.error("no result");
  return q.int64(0);
}

Result<std::string> Database::query_text(const char* sql, std::string_view what) {
  auto s = Statement::prepare(db_.get(), sql, what);
  if (!s) return s.error();
  Query q(*s);
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return q.error("no result");
  return q.text(0);
}

Result<Statement> Statement::prepare(sqlite3* db, std::string_view sql, std::string_view what) {
  if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    return StoreError{SQLITE_TOOBIG, describe("preparing the statement for", what, "statement too long")};
  sqlite3_stmt* raw = nullptr;
  // PERSISTENT: these statements live as long as the connection.
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                                    nullptr);
  Statement s;
  s.stmt_.reset(raw);
  if (rc != SQLITE_OK) return error(db, rc, "preparing the statement for " + std::string(what));
  s.what_ = what;
  return s;
}

Query::~Query() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Query::note_bind(int rc) noexcept {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Query& Query::bind(std::int64_t v) noexcept {
  note_bind(sqlite3_bind_int64(stmt_, next_++, v));
  return *this;
}

Query& Query::bind_real(double v) noexcept {
  note_bind(sqlite3_bind_double(stmt_, next_++, v));
  return *this;
}

Query& Query::bind(std::string_view v) noexcept {
  // sqlite3_bind_text64 takes the length as sqlite3_uint64 and checks it against SQLITE_MAX_LENGTH.
  note_bind(sqlite3_bind_text64(stmt_, next_++, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Query& Query::bind_null() noexcept {
  note_bind(sqlite3_bind_null(stmt_, next_++));
  return *this;
}

Query& Query::bind_id(std::int64_t id) noexcept { return id == 0 ? bind_null() : bind(id); }

Result<bool> Query::step() {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bind_rc_ != SQLITE_OK)
    return StoreError{bind_rc_ & 0xff, describe(what_, subject_, sqlite3_errstr(bind_rc_))};
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return StoreError{rc & 0xff, describe(what_, subject_, sqlite3_errmsg(db))};
}

Result<void> Query::run() {
  for (;;) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) return {};
  }
}

std::string Query::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  // column_bytes after column_text: the documented order for getting the length of that text.
  const int n = sqlite3_column_bytes(stmt_, col);
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}

StoreError Query::error(std::string_view message) const { return StoreError{0, describe(what_, subject_, message)}; }

}  // namespace moderatord::store::sqlite
