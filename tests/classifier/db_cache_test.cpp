#include "classifier/db_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "classifier/rule_set.hpp"
#include "classifier/scanner.hpp"

namespace moderatord::classifier {
namespace {

class DbCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = std::filesystem::temp_directory_path() / ("moderatord-cache-test-" + name);
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "rules");
    std::filesystem::copy(MODERATORD_SOURCE_DIR "/tests/data/rules-basic", root_ / "rules",
                          std::filesystem::copy_options::recursive);
    options_.cache_dir = root_ / "cache";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::filesystem::path only_cache_file() {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(root_ / "cache")) files.push_back(e.path());
    EXPECT_EQ(files.size(), 1u);
    return files.empty() ? std::filesystem::path() : files[0];
  }
  // The loaded rule set still classifies correctly, whichever way it was built.
  static void expect_works(const RuleSet& rs) {
    Scanner s;
    EXPECT_TRUE(s.classify(rs, "what the fuck").has_label(Category::obscene));
    EXPECT_TRUE(s.classify(rs, "ring 07700 900123").has_label(Category::personal_data));
  }

  std::filesystem::path root_;
  RuleSetOptions options_;
};

TEST_F(DbCacheTest, SecondLoadComesFromTheCache) {
  auto first = RuleSet::load(root_ / "rules", options_);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ((*first)->cache_status(), "compiled (cache: not cached, written)");
  auto second = RuleSet::load(root_ / "rules", options_);
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)->cache_status(), "cache hit");
  expect_works(**second);
}

TEST_F(DbCacheTest, ChangedRulesAreRecompiled) {
  ASSERT_TRUE(RuleSet::load(root_ / "rules", options_));
  std::ofstream(root_ / "rules" / "allowlists" / "places.txt", std::ios::app) << "Penistone\n";
  auto again = RuleSet::load(root_ / "rules", options_);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->cache_status().rfind("compiled", 0), 0u);
}

TEST_F(DbCacheTest, CorruptCacheFileIsRebuilt) {
  ASSERT_TRUE(RuleSet::load(root_ / "rules", options_));
  const auto file = only_cache_file();
  const auto size = std::filesystem::file_size(file);
  std::filesystem::resize_file(file, size / 2);
  auto truncated = RuleSet::load(root_ / "rules", options_);
  ASSERT_TRUE(truncated);
  EXPECT_NE((*truncated)->cache_status().find("truncated"), std::string::npos) << (*truncated)->cache_status();
  expect_works(**truncated);
  EXPECT_EQ(std::filesystem::file_size(file), size);  // rewritten whole
}

TEST_F(DbCacheTest, DatabaseFromAnotherHyperscanVersionIsRebuilt) {
  ASSERT_TRUE(RuleSet::load(root_ / "rules", options_));
  const auto file = only_cache_file();
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  // The first serialised database starts after our 8-byte magic and 8-byte length; its first
  // bytes are Hyperscan's magic and version, which hs_deserialize_database checks.
  f.seekp(8 + 8 + 4);
  const char bogus_version[4] = {0x7f, 0x7f, 0x7f, 0x7f};
  f.write(bogus_version, 4);
  f.close();
  auto again = RuleSet::load(root_ / "rules", options_);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->cache_status().rfind("compiled (cache: ", 0), 0u) << (*again)->cache_status();
  expect_works(**again);
}

// Every rule edit makes a new key: the directory keeps the most recently used few, so months of
// tuning do not fill the disk, and a database in use is never the one that goes.
TEST_F(DbCacheTest, WritingPrunesToTheMostRecentlyUsed) {
  const auto dir = root_ / "cache";
  std::filesystem::create_directories(dir);
  const auto now = std::filesystem::file_time_type::clock::now();
  auto make = [&](const std::string& name, std::chrono::minutes age) {
    std::ofstream(dir / name) << "old";
    std::filesystem::last_write_time(dir / name, now - age);
  };
  for (int i = 0; i < 12; ++i) make("old" + std::to_string(i) + ".hsdb", std::chrono::minutes(10 + i));
  make("dead.hsdb.tmp.1.2", std::chrono::minutes(120));  // a writer died two hours ago
  make("busy.hsdb.tmp.3.4", std::chrono::minutes(1));    // a writer is at work now
  make("notes.txt", std::chrono::minutes(500));          // not ours: left alone

  auto rs = RuleSet::load(root_ / "rules", options_);
  ASSERT_TRUE(rs) << rs.error().to_string();
  EXPECT_EQ((*rs)->cache_status(), "compiled (cache: not cached, written)");
  std::set<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir)) left.insert(e.path().filename().string());
  std::set<std::string> want = {"busy.hsdb.tmp.3.4", "notes.txt"};
  for (int i = 0; i < static_cast<int>(kCacheKeep) - 1; ++i) want.insert("old" + std::to_string(i) + ".hsdb");
  std::size_t ours = 0;
  for (const auto& name : left)
    if (!want.count(name) && name.size() == 64 + 5 && name.ends_with(".hsdb")) ++ours;
  EXPECT_EQ(ours, 1u);  // the database just written
  for (const auto& name : want) EXPECT_TRUE(left.count(name)) << name;
  EXPECT_EQ(left.size(), want.size() + 1);

  // A hit marks its database used: made the oldest, then loaded, it survives the next prune.
  std::filesystem::path mine;
  for (const auto& name : left)
    if (!want.count(name)) mine = dir / name;
  std::filesystem::last_write_time(mine, now - std::chrono::hours(48));
  auto again = RuleSet::load(root_ / "rules", options_);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->cache_status(), "cache hit");
  EXPECT_EQ(prune_cache(dir, 1), kCacheKeep - 1);
  EXPECT_TRUE(std::filesystem::exists(mine));
  expect_works(**again);
}

TEST_F(DbCacheTest, UnwritableCacheOnlyCostsACompile) {
  options_.cache_dir = "/proc/moderatord-cannot-write-here";
  auto rs = RuleSet::load(root_ / "rules", options_);
  ASSERT_TRUE(rs);
  EXPECT_NE((*rs)->cache_status().find("cannot create"), std::string::npos) << (*rs)->cache_status();
  expect_works(**rs);
}

}  // namespace
}  // namespace moderatord::classifier

namespace moderatord::classifier {
namespace {

// The key follows what is compiled, not the rule files: an engine change that expands the same
// words differently (pattern ids move) must never reuse a stale database.
TEST(CacheKey, FollowsTheCompiledPatterns) {
  PatternTable a;
  a.words.push_back({" fuck ", {1, 1, 1, 1, 1, 1}, 0, Role::rule, 1, 1});
  a.groups.push_back({" fuck ", {0}, false});
  a.first_deferred_group = 1;
  PatternTable b = a;
  b.words.push_back({" f*ck ", {1, 1, 1, 1, 1, 1}, 0, Role::rule, 1, 1});
  b.groups.push_back({" f*ck ", {1}, false});
  b.first_deferred_group = 2;
  PatternTable c = a;
  c.regexes.push_back({"x+y", 0, Role::rule, nullptr});
  PatternTable d = a;  // the same literal in the deferred database
  d.first_deferred_group = 0;
  PatternTable e = c;  // the same regex with a prefilter: another database
  e.regexes[0].prefilter = "x+";
  EXPECT_EQ(cache_key(a), cache_key(a));
  EXPECT_NE(cache_key(a), cache_key(b));
  EXPECT_NE(cache_key(a), cache_key(d));
  EXPECT_NE(cache_key(a), cache_key(c));
  EXPECT_NE(cache_key(c), cache_key(e));
}

}  // namespace
}  // namespace moderatord::classifier
