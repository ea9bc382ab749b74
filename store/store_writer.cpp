#include "store/store_writer.hpp"

#include <algorithm>
#include <cassert>
#include <exception>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace moderatord::store {
namespace {

// Runs a job, turning an exception into that job's error. A job that throws (a bug, or bad_alloc
// on one huge comment) must fail alone: letting it terminate the daemon would make systemd restart
// it, the platform redeliver the same comment, and the daemon crash again.
Result<void> run_job(Store& store, StoreJob& job) {
  try {
    return job.run(store);
  } catch (const std::exception& e) {
    return StoreError{0, std::string("store job failed with an exception: ") + e.what()};
  } catch (...) {
    return StoreError{0, "store job failed with an unknown exception"};
  }
}

// How one transaction went: jobs[0, consumed) ran in it, and results[i] is what finish(i) gets.
struct Outcome {
  std::size_t consumed = 0;
  bool committed = false;
};

// One transaction over a prefix of `jobs` (the caller runs the rest in another). Fills `results`
// for the jobs it consumed; the caller calls their finish, after counting the commit.
Outcome run_transaction(Store& store, std::span<StoreJob> jobs, std::vector<Result<void>>& results) {
  results.clear();
  auto fail_all = [&](std::size_t n, const StoreError& e) {
    results.assign(n, Result<void>(e));
    return Outcome{n, false};
  };
  if (auto b = store.begin(); !b) {
    // Nothing ran: typically SQLITE_BUSY after busy_timeout (a CLI holding the write lock) or a
    // disk error. Every job gets the error, so that callers answer 503 and platforms redeliver.
    return fail_all(jobs.size(), b.error());
  }
  std::optional<StoreError> last_job_error;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (auto sp = store.savepoint(); !sp) {
      // SQLite rolled the whole transaction back after an earlier job's error (SQLITE_FULL,
      // IOERR, NOMEM do that): the jobs run so far are lost. The rest get a fresh transaction.
      store.rollback();
      // (i == 0 cannot happen right after a successful BEGIN; consuming the job keeps the loop going.)
      if (i == 0) return fail_all(1, sp.error());
      return fail_all(i, StoreError{last_job_error ? last_job_error->sqlite_code : sp.error().sqlite_code,
                                    "the batch transaction was rolled back" +
                                        (last_job_error ? " after an error (" + last_job_error->message + ")"
                                                        : std::string()) +
                                        "; nothing of this job was stored"});
    }
    Result<void> r = run_job(store, jobs[i]);
    if (r) {
      if (auto rel = store.release_savepoint(); !rel) r = rel.error();
    }
    if (!r) {
      store.rollback_to_savepoint();
      last_job_error = r.error();
    }
    results.push_back(std::move(r));
  }
  if (auto c = store.commit(); !c) {
    store.rollback();
    return fail_all(jobs.size(), StoreError{c.error().sqlite_code, c.error().message + "; nothing of this batch of " +
                                                                       std::to_string(jobs.size()) +
                                                                       " job(s) was stored"});
  }
  return Outcome{jobs.size(), true};
}

}  // namespace

StoreWriter::StoreWriter(std::unique_ptr<Store> store, StoreWriterOptions options)
    : store_(std::move(store)), options_(options) {
  assert(store_ != nullptr);
  options_.max_batch = std::max<std::size_t>(options_.max_batch, 1);
  thread_ = std::thread([this] { loop(); });
}

StoreWriter::~StoreWriter() { stop(); }

bool StoreWriter::submit(StoreJob job) {
  assert(job.run);
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queue) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void StoreWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::size_t StoreWriter::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::uint64_t StoreWriter::batches_committed() const {
  std::lock_guard lock(mutex_);
  return batches_;
}

void StoreWriter::loop() {
  std::vector<StoreJob> batch;
  batch.reserve(options_.max_batch);
  std::vector<Result<void>> results;
  results.reserve(options_.max_batch);
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      // Everything that queued up while the previous batch committed goes into this one: that is
      // the group commit. Nothing waits for more to arrive; an idle writer commits a batch of one.
      const auto n = static_cast<std::ptrdiff_t>(std::min(queue_.size(), options_.max_batch));
      std::move(queue_.begin(), queue_.begin() + n, std::back_inserter(batch));
      queue_.erase(queue_.begin(), queue_.begin() + n);
    }
    std::span<StoreJob> rest(batch);
    while (!rest.empty()) {
      const Outcome done = run_transaction(*store_, rest, results);
      if (done.committed) {
        // Counted before any finish runs: whoever has seen its job finish sees the batch counted.
        std::lock_guard lock(mutex_);
        ++batches_;
      }
      for (std::size_t i = 0; i < done.consumed; ++i)
        if (rest[i].finish) rest[i].finish(std::move(results[i]));
      rest = rest.subspan(done.consumed);
    }
    batch.clear();
  }
}

}  // namespace moderatord::store
