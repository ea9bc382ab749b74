// Group commit, measured: one producer submits N jobs (ingest a comment + record a decision with
// one outbox row, like the daemon's pipeline) to a StoreWriter on a fresh file in /tmp with
// synchronous=FULL, and we print jobs/s and the average batch size.
//
//   store_writer_bench [jobs=100000] [max_batch=512]
//
// max_batch=1 gives the one-transaction-per-job baseline (use fewer jobs: it is ~100x slower).
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "store/store_writer.hpp"

using namespace moderatord;

namespace {

model::Comment comment(int n) {
  model::Comment c;
  c.account = "website";
  c.platform = "webhook";
  c.platform_id = "c" + std::to_string(n);
  c.thread_id = "post-" + std::to_string(n % 100);
  c.author_id = "u" + std::to_string(n % 1000);
  c.author_name = "A Resident";
  c.text = "The bins on Mill Lane were not collected again this week, comment number " + std::to_string(n);
  c.url = "https://example.org/c/" + std::to_string(n);
  c.created_at = 1'700'000'000 + n;
  return c;
}

store::DecisionRecord decision(std::int64_t comment_id) {
  store::DecisionRecord d;
  d.comment_id = comment_id;
  d.verdict.rule_set_version = "bench";
  d.verdict.action = "escalate";
  d.verdict.scores_json = R"({"abusive":1})";
  d.verdict.matches_json = R"([{"rule":"abusive.x","category":"abusive","start":4,"end":8}])";
  d.decided_action = "escalate";
  d.reason = "abusive score 1 >= escalate 1";
  d.actions.push_back(store::PlannedAction{model::ActionKind::escalate, "mail", R"({"comment":1})"});
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : 100'000;
  const std::size_t max_batch = argc > 2 ? static_cast<std::size_t>(std::atoll(argv[2])) : 512;

  std::string dir = (std::filesystem::temp_directory_path() / "moderatord-bench-XXXXXX").string();
  if (mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  store::StoreOptions options;
  options.path = std::filesystem::path(dir) / "bench.db";
  options.synchronous = store::Synchronous::full;
  auto opened = store::Store::open(options);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }

  std::mutex mutex;
  std::condition_variable all_done;
  int finished = 0;
  std::atomic<int> failed{0};
  std::uint64_t refused = 0;
  std::uint64_t batches = 0;
  double seconds = 0;
  {
    store::StoreWriter writer(std::move(*opened), store::StoreWriterOptions{.max_batch = max_batch});
    const auto t0 = std::chrono::steady_clock::now();
    for (int n = 0; n < jobs; ++n) {
      store::StoreJob job{[n](store::Store& s) -> store::Result<void> {
                            auto in = s.ingest_comment(comment(n), 1'700'000'000'000 + n);
                            if (!in) return in.error();
                            auto d = s.record_decision(decision(in->comment_id), 1'700'000'000'000 + n);
                            if (!d) return d.error();
                            return {};
                          },
                          [&](store::Result<void> r) {
                            if (!r) ++failed;
                            std::lock_guard lock(mutex);
                            if (++finished == jobs) all_done.notify_one();
                          }};
      // A full queue is what the daemon answers 503 to; here the producer just waits a little.
      while (!writer.submit(job)) {
        ++refused;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    {
      std::unique_lock lock(mutex);
      all_done.wait(lock, [&] { return finished == jobs; });
    }
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    batches = writer.batches_committed();
  }
  std::filesystem::remove_all(dir);

  std::printf("jobs %d (ingest + decision + 1 outbox row each), synchronous=FULL, max_batch %zu\n", jobs, max_batch);
  std::printf("  %.2f s, %.0f jobs/s\n", seconds, jobs / seconds);
  std::printf("  %llu batches committed, average batch %.1f jobs\n", static_cast<unsigned long long>(batches),
              batches ? static_cast<double>(jobs) / static_cast<double>(batches) : 0.0);
  std::printf("  %llu submit refusals (queue full), %d failed jobs\n", static_cast<unsigned long long>(refused),
              failed.load());
  return failed.load() == 0 ? 0 : 1;
}
