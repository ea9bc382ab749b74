#pragma once
// The store's one writer thread, with group commit.
//
//   event loop ──submit(job)──► bounded queue ──► writer thread:
//                                                  BEGIN
//                                                    SAVEPOINT; job.run(store); RELEASE | ROLLBACK TO
//                                                    ... up to max_batch jobs queued meanwhile ...
//                                                  COMMIT (synchronous=FULL: one fsync per batch)
//                                                  job.finish(result) for each, in order
//
// With synchronous=FULL one fsync per transaction caps single-job transactions at ~2,000 jobs/s
// here; batching what arrives while the previous commit runs gave 13,000-17,000 jobs/s (each job
// ~7 rows) in tests/store/store_writer_bench: group commit is what makes durability cheap.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "store/store.hpp"

namespace moderatord::store {

struct StoreJob {
  // Runs on the writer thread inside the batch transaction, in its own savepoint. An error rolls
  // back this job's writes only.
  std::function<Result<void>(Store&)> run;
  // Runs on the writer thread after COMMIT (ok, or the job's own error), or with the commit's error
  // when the batch could not be committed (nothing of it is stored). Must not block: post the result
  // to the caller's executor.
  std::function<void(Result<void>)> finish;
};

struct StoreWriterOptions {
  std::size_t max_batch = 512;    // Default: 512 jobs per transaction
  std::size_t max_queue = 65536;  // Default: 65536; submit() refuses beyond (callers answer 503)
};

class StoreWriter {
 public:
  StoreWriter(std::unique_ptr<Store> store, StoreWriterOptions options = {});
  ~StoreWriter();  // stop()s
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Thread-safe. False (and the job is dropped, finish not called) when the queue is full or the
  // writer is stopping: the caller must answer so that the sender retries.
  bool submit(StoreJob job);
  // Runs every job already queued, then joins the thread. Idempotent.
  void stop();

  std::size_t queued() const;
  std::uint64_t batches_committed() const;

 private:
  void loop();
  std::unique_ptr<Store> store_;
  StoreWriterOptions options_;
  mutable std::mutex mutex_;  // guards queue_, stopping_
  std::condition_variable wake_;
  std::deque<StoreJob> queue_;
  bool stopping_ = false;
  std::uint64_t batches_ = 0;  // written by the writer thread only; read under mutex_
  std::thread thread_;
};

}  // namespace moderatord::store
