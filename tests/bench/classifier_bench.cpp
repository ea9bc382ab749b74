// Speed of the classifier on a generated corpus of 100,000 comments (see corpus.hpp), single thread.
//
//   BM_NormaliseAndScan  Scanner::classify(): what the daemon does per comment
//   BM_NormaliseOnly     Scanner::normalise(): the two views, no Hyperscan
//   BM_ScanOnly          Scanner::scan() on texts normalised just before (untimed; see timed_pass):
//                        word index, Hyperscan, RE2 confirmation and scoring
//   BM_WordIndex         the whole-word literals alone, by token lookup (where BM_ScanOnly's time goes)
//   BM_WordIndexAsHyperscan  the same literals in a Hyperscan literal database: the index's baseline
//   BM_HyperscanDatabase/N  one of its four Hyperscan databases alone (likewise)
//   BM_Re2SetBaseline    the same patterns in one RE2::Set on the raw text: the obvious alternative
//   BM_CompileCold       RuleSet::load() without a cache: parse, expand, compile
//   BM_LoadFromCache     RuleSet::load() with a warm cache directory
//
// Every corpus benchmark processes the whole corpus per iteration and reports comments/s
// (items_per_second) and bytes/s. Rules come from $MODERATORD_RULES, else the shipped config/rules.
// tests/bench/run-classifier-bench builds, runs and prints the ratios to the baseline.
#include <benchmark/benchmark.h>
#include <hs/hs.h>
#include <re2/re2.h>
#include <re2/set.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "classifier/normaliser.hpp"
#include "classifier/rule_set.hpp"
#include "classifier/scanner.hpp"
#include "classifier/verdict.hpp"
#include "corpus.hpp"
#include "tests/classifier/indexed_literals.hpp"

namespace moderatord::bench {
namespace {

namespace cls = moderatord::classifier;
namespace fs = std::filesystem;

fs::path rules_dir() {
  if (const char* env = std::getenv("MODERATORD_RULES"); env != nullptr && *env != '\0') return env;
  return MODERATORD_DEFAULT_RULES_DIR;
}

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> c = make_corpus();
  return c;
}

const CorpusStats& stats() {
  static const CorpusStats s = corpus_stats(corpus());
  return s;
}

// Loaded once for all the corpus benchmarks. The rules may be edited while the benchmark runs; each
// benchmark uses the set loaded at first use.
const cls::RuleSetPtr& shipped_rules(std::string& error) {
  static std::string load_error;
  static const cls::RuleSetPtr rules = [] {
    auto loaded = cls::RuleSet::load(rules_dir());
    if (!loaded) {
      load_error = "loading " + rules_dir().string() + ":\n" + loaded.error().to_string();
      return cls::RuleSetPtr();
    }
    return *loaded;
  }();
  error = load_error;
  return rules;
}

const cls::RuleSet* rules_or_skip(benchmark::State& state) {
  std::string error;
  const auto& rules = shipped_rules(error);
  if (!rules) state.SkipWithError(error.c_str());
  return rules.get();
}

// `matched` and `labelled`: comments with any match, and with a label (hide or stronger), in the last
// pass. A check that the pipelines do real work, and a rough comparison of what they find.
void set_corpus_counters(benchmark::State& state, std::size_t matched, std::size_t labelled = 0) {
  const auto n = static_cast<double>(corpus().size());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(corpus().size()));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stats().total_bytes));
  state.counters["matched_share"] = static_cast<double>(matched) / n;
  if (labelled != 0) state.counters["labelled_share"] = static_cast<double>(labelled) / n;
}

// Every corpus benchmark runs one untimed pass first (Google Benchmark 1.7 has no warm-up option), so
// that what is timed is the steady state of a long-running daemon: scratch allocated, buffers grown,
// the normaliser's code-point cache and RE2's lazily built DFA filled.

// (a) The daemon's path: normalise, scan both views, score.
void BM_NormaliseAndScan(benchmark::State& state) {
  const cls::RuleSet* rules = rules_or_skip(state);
  if (rules == nullptr) return;
  cls::Scanner scanner;
  cls::Verdict verdict;
  std::size_t flagged = 0, labelled = 0;
  auto pass = [&] {
    flagged = labelled = 0;
    for (const std::string& c : corpus()) {
      scanner.classify(*rules, c, verdict);
      flagged += verdict.matches.empty() ? 0 : 1;
      labelled += verdict.labels != 0 ? 1 : 0;
    }
    benchmark::DoNotOptimize(flagged);
  };
  pass();
  for (auto _ : state) pass();
  set_corpus_counters(state, flagged, labelled);
}

// (b2) Normalisation alone.
void BM_NormaliseOnly(benchmark::State& state) {
  cls::Scanner scanner;
  std::size_t words_bytes = 0;
  auto pass = [&] {
    words_bytes = 0;
    for (const std::string& c : corpus()) words_bytes += scanner.normalise(c).words().size();
    benchmark::DoNotOptimize(words_bytes);
  };
  pass();
  for (auto _ : state) pass();
  set_corpus_counters(state, 0);
  state.counters["word_view_bytes_per_comment"] =
      static_cast<double>(words_bytes) / static_cast<double>(corpus().size());
}

// The scan-only benchmarks normalise the corpus in batches of kBatch comments, untimed, and time
// only their work on each batch: the daemon scans a comment right after normalising it, while its
// views are in cache. Normalising the whole corpus up front instead leaves 100,000 views (some
// 700 MB with their offset arrays) to be read back from main memory, which measures the memory bus
// rather than the scan (the RE2::Set baseline reads an 18 MB corpus that stays in the L3 cache).
// Returns the seconds spent in `work` for one pass over the corpus.
constexpr std::size_t kBatch = 16;

template <class Work>
double timed_pass(Work&& work) {
  static std::vector<cls::NormalisedText> batch(kBatch);  // never copied: see NormalisedText
  static cls::Normaliser normaliser;
  const auto& c = corpus();
  std::chrono::steady_clock::duration spent{};
  for (std::size_t from = 0; from < c.size(); from += kBatch) {
    const std::size_t n = std::min(kBatch, c.size() - from);
    for (std::size_t i = 0; i < n; ++i) normaliser.normalise(c[from + i], batch[i]);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i) work(batch[i]);
    spent += std::chrono::steady_clock::now() - start;
  }
  return std::chrono::duration<double>(spent).count();
}

// (b) Hyperscan on both views plus scoring, without normalisation.
void BM_ScanOnly(benchmark::State& state) {
  const cls::RuleSet* rules = rules_or_skip(state);
  if (rules == nullptr) return;
  cls::Scanner scanner;
  cls::Verdict verdict;
  std::size_t flagged = 0, labelled = 0;
  auto pass = [&] {
    flagged = labelled = 0;
    const double seconds = timed_pass([&](const cls::NormalisedText& t) {
      scanner.scan(*rules, t, verdict);
      flagged += verdict.matches.empty() ? 0 : 1;
      labelled += verdict.labels != 0 ? 1 : 0;
    });
    benchmark::DoNotOptimize(flagged);
    return seconds;
  };
  pass();
  for (auto _ : state) state.SetIterationTime(pass());
  set_corpus_counters(state, flagged, labelled);
}

// Where BM_ScanOnly's time goes: one Hyperscan database alone on its view of the pre-normalised
// corpus, with a callback that only counts. 0 = words (literals with a wildcard), 1 = text (regexes
// in prefilter mode; RE2 confirmation not included). Not part of the brief's ratios.
int count_match(unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) {
  ++*static_cast<std::size_t*>(ctx);
  return 0;
}

void BM_HyperscanDatabase(benchmark::State& state) {
  const cls::RuleSet* rules = rules_or_skip(state);
  if (rules == nullptr) return;
  const auto which = state.range(0);
  const cls::Databases& dbs = rules->databases();
  const hs_database_t* db = which == 0   ? dbs.words.get()
                            : which == 1 ? dbs.text.get()
                            : which == 2 ? dbs.deferred.get()
                                         : dbs.text_rare.get();
  // The deferred and rare databases run only on some comments (an anchor matched, a rare byte is
  // there); here on every comment.
  state.SetLabel(which == 0   ? "words with a wildcard"
                 : which == 1 ? "text (prefilter)"
                 : which == 2 ? "deferred near words (all comments)"
                              : "rare-byte regexes (all comments)");
  if (db == nullptr) {
    state.SkipWithError("none in this rule set (no such literals or regexes)");
    return;
  }
  hs_scratch_t* raw = nullptr;
  if (hs_alloc_scratch(db, &raw) != HS_SUCCESS) {
    state.SkipWithError("hs_alloc_scratch failed");
    return;
  }
  const cls::ScratchPtr scratch(raw);
  std::size_t matches = 0, view_bytes = 0;
  auto pass = [&] {
    matches = view_bytes = 0;
    const double seconds = timed_pass([&](const cls::NormalisedText& t) {
      const std::string_view v = which == 0 ? t.words() : t.text();
      view_bytes += v.size();
      // The databases were validated when the rule set was built: a failure here is a bug.
      if (!v.empty() && hs_scan(db, v.data(), static_cast<unsigned>(v.size()), 0, scratch.get(), count_match,
                                &matches) != HS_SUCCESS)
        std::abort();
    });
    benchmark::DoNotOptimize(matches);
    return seconds;
  };
  pass();
  for (auto _ : state) state.SetIterationTime(pass());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(corpus().size()));
  // Bytes of the view scanned, which for the word view differ from the corpus bytes.
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(view_bytes));
  state.counters["matches_per_comment"] = static_cast<double>(matches) / static_cast<double>(corpus().size());
}

// The whole-word literals alone, found by token lookup (word_index.hpp) on the pre-normalised
// corpus: the counterpart of BM_HyperscanDatabase/0 for the literals without a wildcard.
void BM_WordIndex(benchmark::State& state) {
  const cls::RuleSet* rules = rules_or_skip(state);
  if (rules == nullptr) return;
  std::vector<cls::LiteralHit> main, deferred;
  std::size_t hits = 0, view_bytes = 0;
  auto pass = [&] {
    hits = view_bytes = 0;
    const double seconds = timed_pass([&](const cls::NormalisedText& t) {
      main.clear();
      deferred.clear();
      rules->word_index().find(t.words(), main, deferred);
      hits += main.size() + deferred.size();
      view_bytes += t.words().size();
    });
    benchmark::DoNotOptimize(hits);
    return seconds;
  };
  pass();
  for (auto _ : state) state.SetIterationTime(pass());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(corpus().size()));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(view_bytes));
  state.counters["hits_per_comment"] = static_cast<double>(hits) / static_cast<double>(corpus().size());
  state.counters["literals"] = static_cast<double>(rules->word_index().literal_count());
}

// The same whole-word literals as BM_WordIndex, in a Hyperscan literal database as they were before
// the word index: the ratio of the two is what the index buys.
void BM_WordIndexAsHyperscan(benchmark::State& state) {
  const cls::RuleSet* rules = rules_or_skip(state);
  if (rules == nullptr) return;
  std::string error;
  const cls::DatabasePtr db = cls::indexed_literals_in_hyperscan(rules->patterns(), error);
  if (!db) {
    state.SkipWithError(error.c_str());
    return;
  }
  hs_scratch_t* raw = nullptr;
  if (hs_alloc_scratch(db.get(), &raw) != HS_SUCCESS) {
    state.SkipWithError("hs_alloc_scratch failed");
    return;
  }
  const cls::ScratchPtr scratch(raw);
  std::size_t hits = 0, view_bytes = 0;
  auto pass = [&] {
    hits = view_bytes = 0;
    const double seconds = timed_pass([&](const cls::NormalisedText& t) {
      const std::string_view w = t.words();
      view_bytes += w.size();
      if (hs_scan(db.get(), w.data(), static_cast<unsigned>(w.size()), 0, scratch.get(), count_match, &hits) !=
          HS_SUCCESS)
        std::abort();
    });
    benchmark::DoNotOptimize(hits);
    return seconds;
  };
  pass();
  for (auto _ : state) state.SetIterationTime(pass());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(corpus().size()));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(view_bytes));
  state.counters["hits_per_comment"] = static_cast<double>(hits) / static_cast<double>(corpus().size());
}

// (c) What a programmer would otherwise write: the rule words as \bword\b regexes plus the rule
// regexes, in one RE2::Set, on the raw text. It does NO normalisation: no Unicode folding, homoglyphs,
// leetspeak, spaced letters or stretched letters, no allowlists or `unless`, no scoring. So it finds
// less than the classifier and does less work per comment; it is a floor to compare against, not an
// equivalent. Word entries with '*' (masked-letter variants) are left out: RE2 would read them as
// repetition, and on raw text they would need their own regexes.
struct Re2Baseline {
  std::unique_ptr<RE2::Set> set;
  std::size_t words = 0, regexes = 0, rejected = 0;
  std::string error;
};

std::string word_regex(const cls::WordPattern& p) {
  // literal is " body " with a space for each boundary (lead/trail of 0 where the entry had '*').
  std::string_view body = p.literal;
  if (p.lead != 0) body.remove_prefix(1);
  if (p.trail != 0) body.remove_suffix(1);
  std::string re = p.lead != 0 ? "\\b" : "";
  // Words of a phrase are separated by any run of whitespace.
  for (std::size_t i = 0; i < body.size();) {
    const std::size_t space = std::min(body.find(' ', i), body.size());
    re += RE2::QuoteMeta(body.substr(i, space - i));
    if (space < body.size()) re += "\\s+";
    i = space + 1;
  }
  if (p.trail != 0) re += "\\b";
  return re;
}

const Re2Baseline& re2_baseline(const cls::RuleSet& rules) {
  static const Re2Baseline baseline = [&rules] {
    Re2Baseline b;
    RE2::Options options;
    options.set_case_sensitive(false);
    options.set_log_errors(false);
    // The default budget (8 MiB) is too small for the shipped rules' alternations: Compile() fails.
    options.set_max_mem(std::int64_t{256} << 20);
    b.set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
    std::string err;
    for (const auto& p : rules.patterns().words) {
      if (p.role != cls::Role::rule || p.literal.find('*') != std::string::npos) continue;
      if (b.set->Add(word_regex(p), &err) < 0) ++b.rejected;
      else ++b.words;
    }
    for (const auto& p : rules.patterns().regexes) {
      if (b.set->Add(p.regex, &err) < 0) {
        ++b.rejected;
        std::fprintf(stderr, "re2 baseline: rejected /%s/: %s\n", p.regex.c_str(), err.c_str());
      } else {
        ++b.regexes;
      }
    }
    if (!b.set->Compile()) b.error = "RE2::Set::Compile failed (out of memory?)";
    std::fprintf(stderr, "re2 baseline: %zu word regexes, %zu rule regexes, %zu rejected by RE2\n", b.words,
                 b.regexes, b.rejected);
    return b;
  }();
  return baseline;
}

void BM_Re2SetBaseline(benchmark::State& state) {
  const cls::RuleSet* rules = rules_or_skip(state);
  if (rules == nullptr) return;
  const Re2Baseline& b = re2_baseline(*rules);
  if (!b.error.empty()) {
    state.SkipWithError(b.error.c_str());
    return;
  }
  std::vector<int> hits;
  hits.reserve(256);
  std::string lowered;
  RE2::Set::ErrorInfo info{};
  std::size_t flagged = 0, dfa_failures = 0;
  auto pass = [&] {
    flagged = dfa_failures = 0;
    for (const std::string& c : corpus()) {
      // ASCII lower-casing only, as the obvious code would do; the set is case-insensitive anyway.
      lowered.assign(c);
      for (char& ch : lowered)
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
      hits.clear();
      if (b.set->Match(lowered, &hits, &info)) ++flagged;
      else if (info.kind != RE2::Set::kNoError) ++dfa_failures;
    }
    benchmark::DoNotOptimize(flagged);
  };
  pass();
  for (auto _ : state) pass();
  set_corpus_counters(state, flagged);
  state.counters["patterns"] = static_cast<double>(b.words + b.regexes);
  state.counters["re2_rejected"] = static_cast<double>(b.rejected);
  if (dfa_failures != 0) state.counters["dfa_failures"] = static_cast<double>(dfa_failures);
}

// (d) Rule loading. Each iteration is one full RuleSet::load(): read and hash the files, parse,
// expand the words, check every regex, then compile (cold) or deserialise (cache).
void report_load(benchmark::State& state, const cls::RuleSet& rules) {
  state.counters["word_patterns"] = static_cast<double>(rules.patterns().words.size());
  state.counters["regex_patterns"] = static_cast<double>(rules.patterns().regexes.size());
  state.SetLabel(rules.cache_status());
}

void BM_CompileCold(benchmark::State& state) {
  cls::RuleSetPtr last;
  for (auto _ : state) {
    auto loaded = cls::RuleSet::load(rules_dir());
    if (!loaded) {
      state.SkipWithError(loaded.error().to_string().c_str());
      return;
    }
    last = std::move(*loaded);
  }
  if (last) report_load(state, *last);
}

void BM_LoadFromCache(benchmark::State& state) {
  const fs::path dir = fs::temp_directory_path() / ("moderatord-bench-cache-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const cls::RuleSetOptions options{dir};
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  // Warm the cache, then check that a load hits it: rules edited meanwhile change the key, so try
  // again a few times before giving up.
  std::string status;
  for (int attempt = 0; attempt < 3 && status != "cache hit"; ++attempt) {
    for (int step = 0; step < 2; ++step) {  // write, then read back
      auto loaded = cls::RuleSet::load(rules_dir(), options);
      if (!loaded) {
        state.SkipWithError(loaded.error().to_string().c_str());
        return;
      }
      status = (*loaded)->cache_status();
    }
  }
  if (status != "cache hit") {
    state.SkipWithError(("cannot warm the cache (rules changing?): " + status).c_str());
    return;
  }
  cls::RuleSetPtr last;
  for (auto _ : state) {
    auto loaded = cls::RuleSet::load(rules_dir(), options);
    if (!loaded) {
      state.SkipWithError(loaded.error().to_string().c_str());
      return;
    }
    // Someone editing the rules mid-run changes the key and turns this into a compile.
    if ((*loaded)->cache_status() != "cache hit") {
      state.SkipWithError(("expected a cache hit, got: " + (*loaded)->cache_status()).c_str());
      return;
    }
    last = std::move(*loaded);
  }
  if (last) report_load(state, *last);
}

BENCHMARK(BM_NormaliseAndScan)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanOnly)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK(BM_NormaliseOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WordIndex)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK(BM_WordIndexAsHyperscan)->Unit(benchmark::kMillisecond)->UseManualTime();
BENCHMARK(BM_HyperscanDatabase)->Unit(benchmark::kMillisecond)->DenseRange(0, 3)->UseManualTime();
BENCHMARK(BM_Re2SetBaseline)->Unit(benchmark::kMillisecond);
// Seconds per load; a few iterations are enough and keep the run short.
BENCHMARK(BM_CompileCold)->Unit(benchmark::kSecond)->Iterations(3);
BENCHMARK(BM_LoadFromCache)->Unit(benchmark::kSecond)->Iterations(5);

}  // namespace
}  // namespace moderatord::bench

int main(int argc, char** argv) {
  using namespace moderatord::bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // Stats on stderr and in the context block: stdout may be JSON (--benchmark_format=json).
  const std::string about = describe(stats());
  std::fprintf(stderr, "corpus: %s\nrules: %s\n", about.c_str(), rules_dir().c_str());
  benchmark::AddCustomContext("corpus", about);
  benchmark::AddCustomContext("rules", rules_dir().string());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
