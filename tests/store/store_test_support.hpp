#pragma once
// Helpers for the store tests: a temp dir per test, sample comments and decisions, and a second,
// raw SQLite connection to look at (or tamper with) the file behind the Store's back.
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "store/store.hpp"

namespace moderatord::store::test {

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "moderatord-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path file(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline model::Comment make_comment(std::string platform_id, std::string text, std::string account = "website") {
  model::Comment c;
  c.account = std::move(account);
  c.platform = "webhook";
  c.platform_id = std::move(platform_id);
  c.thread_id = "post-1";
  c.author_id = "u-42";
  c.author_name = "A Resident";
  c.text = std::move(text);
  c.url = "https://example.org/c/1";
  c.created_at = 1'700'000'000;
  return c;
}

inline DecisionRecord make_decision(std::int64_t comment_id, int actions = 2) {
  DecisionRecord d;
  d.comment_id = comment_id;
  d.verdict.rule_set_version = "rules-abc";
  d.verdict.labels = "obscene";
  d.verdict.action = "hide";
  d.verdict.needs_response = true;
  d.verdict.scores_json = R"({"obscene":3})";
  d.verdict.matches_json = R"([{"rule":"obscene.x","category":"obscene","start":0,"end":4}])";
  d.decided_action = "hide";
  d.reason = "obscene score 3 >= hide 2";
  for (int i = 0; i < actions; ++i) {
    PlannedAction a;
    a.kind = i == 0 ? model::ActionKind::hide : model::ActionKind::escalate;
    a.executor = i == 0 ? "website" : "mail";
    a.payload_json = R"({"n":)" + std::to_string(i) + "}";
    d.actions.push_back(std::move(a));
  }
  return d;
}

// An SLA item for a reply owed on `comment_id`, opened at `opened_at`, due a day later.
inline SlaItemRow make_sla_item(std::int64_t comment_id, std::string state, std::int64_t opened_at) {
  SlaItemRow r;
  r.comment_id = comment_id;
  r.account = "website";
  r.thread_id = "post-1";
  r.author_id = "u-42";
  r.kind = "reply";
  r.state = std::move(state);
  r.tokens = "bin street";
  r.opened_at = opened_at;
  r.due_at = opened_at + 86'400'000;
  r.remind_at = opened_at + 72'000'000;
  return r;
}

inline StoreOptions options_for(const std::filesystem::path& path) {
  StoreOptions o;
  o.path = path;
  // The tests check logic, not durability; NORMAL keeps a whole suite within a second or two.
  o.synchronous = Synchronous::normal;
  return o;
}

// A plain connection to the same file.
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
      ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
    sqlite3_busy_timeout(db_, 2000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // SQLITE_OK, or the error code; the message is in last_error().
  int exec(const std::string& sql) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    last_error_ = rc == SQLITE_OK ? "" : sqlite3_errmsg(db_);
    return rc;
  }
  std::int64_t scalar(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    std::int64_t v = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
      v = sqlite3_column_int64(s, 0);
    else
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    sqlite3_finalize(s);
    return v;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    std::string v;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      if (const auto* p = sqlite3_column_text(s, 0)) v = reinterpret_cast<const char*>(p);
    } else {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_finalize(s);
    return v;
  }
  const std::string& last_error() const { return last_error_; }

 private:
  sqlite3* db_ = nullptr;
  std::string last_error_;
};

}  // namespace moderatord::store::test
