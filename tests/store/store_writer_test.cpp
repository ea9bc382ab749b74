// StoreWriter: group commit on a real SQLite file, from several threads, with failing jobs and
// failing transactions.
#include "store/store_writer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <latch>
#include <map>
#include <mutex>
#include <thread>

#include "tests/store/store_test_support.hpp"

namespace moderatord::store {
namespace {

using ::testing::HasSubstr;
using test::make_comment;
using test::make_decision;

constexpr std::int64_t kNow = 1'700'000'000'000;

// Collects finish() results, by job number, and waits for a number of them.
class Results {
 public:
  std::function<void(Result<void>)> slot(int n) {
    return [this, n](Result<void> r) {
      std::lock_guard lock(mutex_);
      results_.emplace(n, std::move(r));
      done_.notify_all();
    };
  }
  // False after 10 s: a hung writer fails the test instead of hanging it.
  bool wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    return done_.wait_for(lock, std::chrono::seconds(10), [&] { return results_.size() >= count; });
  }
  Result<void> get(int n) {
    std::lock_guard lock(mutex_);
    auto it = results_.find(n);
    if (it == results_.end()) return StoreError{0, "job " + std::to_string(n) + " never finished"};
    return it->second;
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return results_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  std::map<int, Result<void>> results_;
};

// A job that holds the writer thread until released: whatever is submitted meanwhile queues up
// and becomes the next batch, which makes batch boundaries deterministic.
class Gate {
 public:
  StoreJob job() {
    return StoreJob{[this](Store&) -> Result<void> {
                      started_.count_down();
                      release_.wait();
                      return {};
                    },
                    nullptr};
  }
  void wait_started() { started_.wait(); }
  void open() { release_.count_down(); }

 private:
  std::latch started_{1};
  std::latch release_{1};
};

StoreJob ingest_job(std::string platform_id, std::function<void(Result<void>)> finish) {
  return StoreJob{[id = std::move(platform_id)](Store& s) -> Result<void> {
                    auto r = s.ingest_comment(make_comment(id, "text of " + id), kNow);
                    if (!r) return r.error();
                    return {};
                  },
                  std::move(finish)};
}

class StoreWriterTest : public ::testing::Test {
 protected:
  std::filesystem::path db_path() const { return dir_.file("moderatord.db"); }

  std::unique_ptr<Store> open_store(int busy_timeout_ms = 5000) {
    StoreOptions o = test::options_for(db_path());
    o.busy_timeout_ms = busy_timeout_ms;
    auto s = Store::open(o);
    if (!s) {
      ADD_FAILURE() << s.error().message;
      return nullptr;
    }
    return std::move(*s);
  }

  // What is in the file, through a separate connection.
  bool stored(const std::string& platform_id) {
    auto s = Store::open(test::options_for(db_path()));
    if (!s) return false;
    auto id = (*s)->find_comment("website", platform_id);
    return id && id->has_value();
  }

  test::TempDir dir_;
};

TEST_F(StoreWriterTest, ManyJobsFromSeveralThreadsCommitInBatches) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  StoreWriter writer(open_store(), StoreWriterOptions{.max_batch = 128, .max_queue = 65536});
  Results results;
  Gate gate;
  ASSERT_TRUE(writer.submit(gate.job()));
  gate.wait_started();

  std::vector<std::thread> producers;
  std::atomic<int> refused{0};
  for (int t = 0; t < kThreads; ++t)
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        if (!writer.submit(ingest_job("c" + std::to_string(n), results.slot(n)))) ++refused;
      }
    });
  for (auto& p : producers) p.join();
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(writer.queued(), static_cast<std::size_t>(kThreads * kPerThread));
  gate.open();

  ASSERT_TRUE(results.wait_for(kThreads * kPerThread));
  for (int n = 0; n < kThreads * kPerThread; ++n) {
    auto r = results.get(n);
    EXPECT_TRUE(r) << n << ": " << r.error().message;
  }
  writer.stop();
  // The gate's batch, then 1000 jobs in batches of at most 128: 1 + 8.
  EXPECT_EQ(writer.batches_committed(), 1u + (kThreads * kPerThread + 127) / 128);

  auto s = Store::open(test::options_for(db_path()));
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->status()->comments, kThreads * kPerThread);
}

TEST_F(StoreWriterTest, AJobThatFailsRollsBackAloneAndItsBatchMatesCommit) {
  StoreWriter writer(open_store());
  Results results;
  Gate gate;
  ASSERT_TRUE(writer.submit(gate.job()));
  gate.wait_started();

  ASSERT_TRUE(writer.submit(ingest_job("a", results.slot(0))));
  // Writes, then fails: its write must not survive.
  ASSERT_TRUE(writer.submit(StoreJob{[](Store& s) -> Result<void> {
                                       auto r = s.ingest_comment(make_comment("b", "half done"), kNow);
                                       if (!r) return r.error();
                                       return StoreError{0, "policy says no"};
                                     },
                                     results.slot(1)}));
  // A job that throws fails alone too.
  ASSERT_TRUE(writer.submit(StoreJob{[](Store& s) -> Result<void> {
                                       (void)s.ingest_comment(make_comment("c", "then throws"), kNow);
                                       throw std::runtime_error("boom");
                                     },
                                     results.slot(2)}));
  // A job whose SQL fails: a decision for a comment that does not exist.
  ASSERT_TRUE(writer.submit(StoreJob{[](Store& s) -> Result<void> {
                                       auto r = s.record_decision(make_decision(987654), kNow);
                                       if (!r) return r.error();
                                       return {};
                                     },
                                     results.slot(3)}));
  ASSERT_TRUE(writer.submit(ingest_job("d", results.slot(4))));
  gate.open();
  ASSERT_TRUE(results.wait_for(5));
  writer.stop();

  EXPECT_TRUE(results.get(0));
  ASSERT_FALSE(results.get(1));
  EXPECT_EQ(results.get(1).error().message, "policy says no");
  ASSERT_FALSE(results.get(2));
  EXPECT_THAT(results.get(2).error().message, HasSubstr("boom"));
  ASSERT_FALSE(results.get(3));
  EXPECT_THAT(results.get(3).error().message, HasSubstr("987654"));
  EXPECT_TRUE(results.get(4));
  EXPECT_EQ(writer.batches_committed(), 2u);  // the gate's, then all five in one transaction

  EXPECT_TRUE(stored("a"));
  EXPECT_FALSE(stored("b"));
  EXPECT_FALSE(stored("c"));
  EXPECT_TRUE(stored("d"));
}

TEST_F(StoreWriterTest, ACommitFailureReportsToEveryJobOfTheBatch) {
  StoreWriter writer(open_store());
  Results results;
  Gate gate;
  ASSERT_TRUE(writer.submit(gate.job()));
  gate.wait_started();

  ASSERT_TRUE(writer.submit(ingest_job("a", results.slot(0))));
  ASSERT_TRUE(writer.submit(ingest_job("b", results.slot(1))));
  // Ends the batch's transaction from inside: the writer's COMMIT then fails ("cannot commit - no
  // transaction is active"), a real and deterministic commit failure.
  ASSERT_TRUE(writer.submit(StoreJob{[](Store& s) -> Result<void> {
                                       s.rollback();
                                       return {};
                                     },
                                     results.slot(2)}));
  gate.open();
  ASSERT_TRUE(results.wait_for(3));
  for (int n = 0; n < 3; ++n) {
    auto r = results.get(n);
    ASSERT_FALSE(r) << n;
    EXPECT_THAT(r.error().message, HasSubstr("committing"));
    EXPECT_THAT(r.error().message, HasSubstr("nothing of this batch of 3 job(s) was stored"));
    EXPECT_EQ(r.error().sqlite_code, SQLITE_ERROR);
  }
  EXPECT_EQ(writer.batches_committed(), 1u);  // only the gate's
  EXPECT_FALSE(stored("a"));
  EXPECT_FALSE(stored("b"));

  // The writer carries on.
  ASSERT_TRUE(writer.submit(ingest_job("c", results.slot(3))));
  ASSERT_TRUE(results.wait_for(4));
  EXPECT_TRUE(results.get(3));
  writer.stop();
  EXPECT_EQ(writer.batches_committed(), 2u);
  EXPECT_TRUE(stored("c"));
}

TEST_F(StoreWriterTest, ATransactionLostMidBatchFailsItsJobsAndTheRestGetANewOne) {
  StoreWriter writer(open_store());
  Results results;
  Gate gate;
  ASSERT_TRUE(writer.submit(gate.job()));
  gate.wait_started();

  ASSERT_TRUE(writer.submit(ingest_job("a", results.slot(0))));
  // As SQLite does by itself after SQLITE_FULL or an I/O error: the transaction is gone.
  ASSERT_TRUE(writer.submit(StoreJob{[](Store& s) -> Result<void> {
                                       s.rollback();
                                       return {};
                                     },
                                     results.slot(1)}));
  ASSERT_TRUE(writer.submit(ingest_job("c", results.slot(2))));
  gate.open();
  ASSERT_TRUE(results.wait_for(3));
  writer.stop();

  ASSERT_FALSE(results.get(0));
  EXPECT_THAT(results.get(0).error().message, HasSubstr("rolled back"));
  EXPECT_FALSE(results.get(1));
  // Not committed job by job in autocommit mode: in a transaction of its own.
  EXPECT_TRUE(results.get(2));
  EXPECT_FALSE(stored("a"));
  EXPECT_TRUE(stored("c"));
}

TEST_F(StoreWriterTest, ABusyDatabaseFailsTheBatchAndTheWriterRecovers) {
  StoreWriter writer(open_store(/*busy_timeout_ms=*/20));
  test::RawDb other(db_path());
  ASSERT_EQ(other.exec("BEGIN IMMEDIATE"), SQLITE_OK);
  Results results;
  ASSERT_TRUE(writer.submit(ingest_job("a", results.slot(0))));
  ASSERT_TRUE(results.wait_for(1));
  ASSERT_FALSE(results.get(0));
  EXPECT_EQ(results.get(0).error().sqlite_code, SQLITE_BUSY);
  ASSERT_EQ(other.exec("ROLLBACK"), SQLITE_OK);

  ASSERT_TRUE(writer.submit(ingest_job("b", results.slot(1))));
  ASSERT_TRUE(results.wait_for(2));
  EXPECT_TRUE(results.get(1));
  writer.stop();
  EXPECT_FALSE(stored("a"));
  EXPECT_TRUE(stored("b"));
}

TEST_F(StoreWriterTest, SubmitRefusesWhenTheQueueIsFull) {
  StoreWriter writer(open_store(), StoreWriterOptions{.max_batch = 512, .max_queue = 2});
  Results results;
  Gate gate;
  ASSERT_TRUE(writer.submit(gate.job()));
  gate.wait_started();  // off the queue
  EXPECT_TRUE(writer.submit(ingest_job("a", results.slot(0))));
  EXPECT_TRUE(writer.submit(ingest_job("b", results.slot(1))));
  EXPECT_FALSE(writer.submit(ingest_job("c", results.slot(2))));
  gate.open();
  ASSERT_TRUE(results.wait_for(2));
  writer.stop();
  EXPECT_EQ(results.size(), 2u);  // the refused job is dropped: finish is never called
  EXPECT_FALSE(stored("c"));
}

TEST_F(StoreWriterTest, StopDrainsTheQueueThenRefuses) {
  auto writer = std::make_unique<StoreWriter>(open_store());
  Results results;
  Gate gate;
  ASSERT_TRUE(writer->submit(gate.job()));
  gate.wait_started();
  constexpr int kJobs = 100;
  for (int n = 0; n < kJobs; ++n) ASSERT_TRUE(writer->submit(ingest_job("c" + std::to_string(n), results.slot(n))));

  // stop() is called while all of them are still queued behind the gate; the gate opens only once
  // stop() is under way (submit refuses), so stop() really has to drain.
  std::thread opener([&] {
    while (writer->submit(StoreJob{[](Store&) -> Result<void> { return {}; }, nullptr}))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    gate.open();
  });
  writer->stop();
  opener.join();
  EXPECT_EQ(results.size(), static_cast<std::size_t>(kJobs));
  for (int n = 0; n < kJobs; ++n) EXPECT_TRUE(results.get(n)) << n;
  EXPECT_FALSE(writer->submit(ingest_job("late", results.slot(kJobs))));
  writer->stop();  // idempotent
  writer.reset();
  EXPECT_TRUE(stored("c99"));
  EXPECT_FALSE(stored("late"));
}

TEST_F(StoreWriterTest, AnIdleWriterCommitsASingleJobPromptly) {
  StoreWriter writer(open_store());
  std::promise<Result<void>> done;
  auto f = done.get_future();
  ASSERT_TRUE(writer.submit(ingest_job("solo", [&](Result<void> r) { done.set_value(std::move(r)); })));
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(f.get());
  EXPECT_EQ(writer.batches_committed(), 1u);
}

TEST_F(StoreWriterTest, JobsSeeEarlierJobsOfTheirBatch) {
  StoreWriter writer(open_store());
  Results results;
  Gate gate;
  ASSERT_TRUE(writer.submit(gate.job()));
  gate.wait_started();
  ASSERT_TRUE(writer.submit(ingest_job("x", results.slot(0))));
  // Ingest + decide in separate jobs of one batch, as the daemon's pipeline and outbox do.
  ASSERT_TRUE(writer.submit(StoreJob{[](Store& s) -> Result<void> {
                                       auto id = s.find_comment("website", "x");
                                       if (!id) return id.error();
                                       if (!*id) return StoreError{0, "not visible"};
                                       auto r = s.record_decision(make_decision(**id), kNow);
                                       if (!r) return r.error();
                                       return {};
                                     },
                                     results.slot(1)}));
  gate.open();
  ASSERT_TRUE(results.wait_for(2));
  EXPECT_TRUE(results.get(0));
  auto r = results.get(1);
  EXPECT_TRUE(r) << r.error().message;
}

}  // namespace
}  // namespace moderatord::store
