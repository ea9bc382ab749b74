#pragma once
// RAII for sqlite3* and sqlite3_stmt*, and the one place that turns SQLite result codes into
// StoreError values. Private to store/: nothing outside it sees SQLite.
//
// Threading: like the Store that owns them, none of these is thread-safe.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace moderatord::store::sqlite {

// "what: sqlite3_errmsg(db)", with the primary result code. Call it right after the failure:
// the message belongs to the connection and the next call overwrites it.
StoreError error(sqlite3* db, int rc, std::string_view what);

class Database {
 public:
  Database() = default;
  // `flags` as for sqlite3_open_v2. Errors name the file.
  static Result<Database> open(const std::filesystem::path& path, int flags);

  sqlite3* get() const noexcept { return db_.get(); }
  // Runs fixed SQL (schema scripts, pragmas): never SQL built from data, which goes through
  // Statement and bound parameters.
  Result<void> exec(const char* sql, std::string_view what);
  // A single-value query such as "PRAGMA user_version".
  Result<std::int64_t> query_int(const char* sql, std::string_view what);
  Result<std::string> query_text(const char* sql, std::string_view what);
  bool in_transaction() const noexcept { return sqlite3_get_autocommit(db_.get()) == 0; }

 private:
  struct Close {
    // close_v2: if a statement were still alive the handle becomes a zombie instead of leaking.
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Close> db_;
};

// A prepared statement, prepared once (in Store::open) and reused through Query.
class Statement {
 public:
  Statement() = default;
  // `what` says what running it does ("inserting comment"); every error from it starts with that.
  static Result<Statement> prepare(sqlite3* db, std::string_view sql, std::string_view what);

  sqlite3_stmt* get() const noexcept { return stmt_.get(); }
  const std::string& what() const noexcept { return what_; }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
  };
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
  std::string what_;
};

// One execution of a Statement: bind parameters in order, step, read columns. The destructor
// resets the statement and clears its bindings, so a half-read SELECT never keeps a read
// transaction (and the WAL) pinned, and no value leaks into the next use.
class Query {
 public:
  // `subject` (optional) names what the statement acts on ("website/123"); it must outlive the
  // Query. Errors read "<what> <subject>: <sqlite message>".
  explicit Query(Statement& s, std::string_view subject = {}) noexcept
      : stmt_(s.get()), what_(s.what()), subject_(subject) {}
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  // Parameters bind left to right (?1, ?2, ...). A bind failure (out of memory, too big) is kept
  // and reported by the next step(). Text is copied (SQLITE_TRANSIENT): callers may pass temporaries.
  Query& bind(std::int64_t v) noexcept;
  Query& bind(std::string_view v) noexcept;
  Query& bind_null() noexcept;
  Query& bind_real(double v) noexcept;
  Query& bind_id(std::int64_t id) noexcept;  // 0 binds NULL (an optional foreign key)

  // True when a row is ready, false when the statement is done.
  Result<bool> step();
  // Steps a statement that returns no rows (or whose rows do not matter) to the end.
  Result<void> run();

  std::int64_t int64(int col) const noexcept { return sqlite3_column_int64(stmt_, col); }
  int int32(int col) const noexcept { return sqlite3_column_int(stmt_, col); }
  double real(int col) const noexcept { return sqlite3_column_double(stmt_, col); }
  bool is_null(int col) const noexcept { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const;  // "" for NULL

  // "<what> <subject>: <message>" for errors found outside SQLite (bad enum text in a row).
  StoreError error(std::string_view message) const;

 private:
  void note_bind(int rc) noexcept;
  sqlite3_stmt* stmt_;
  std::string_view what_;
  std::string_view subject_;
  int next_ = 1;
  int bind_rc_ = SQLITE_OK;
};

}  // namespace moderatord::store::sqlite
