#pragma once
// Schema migrations on PRAGMA user_version. Private to store/.
//
//   user_version 0 (new file) ──migration 1──► 1 ──migration 2──► 2 ...
//
// Each migration runs in its own BEGIN IMMEDIATE transaction that also sets user_version, so a
// crash or a failing step leaves the file at the previous version, never half-migrated; and a
// daemon and a CLI migrating at once serialize on the write lock (the second finds nothing to do).
#include <span>
#include <string_view>

#include "store/sqlite.hpp"

namespace moderatord::store::schema {

struct Migration {
  int version;              // user_version after it has run
  std::string_view name;    // for error messages
  const char* sql;          // fixed DDL, run with sqlite3_exec
};

// In order, versions 1, 2, ... with no gaps; the last one is Store::kSchemaVersion.
std::span<const Migration> migrations() noexcept;

// Brings the database up to Store::kSchemaVersion. Errors name the migration; a database newer
// than this code is refused untouched. Returns the version the database is at.
Result<int> migrate(sqlite::Database& db);

// The newer-than-us error, shared with read-only opens (which never migrate).
StoreError newer_schema_error(int found);

}  // namespace moderatord::store::schema
