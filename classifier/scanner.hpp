#pragma once
// Classifies comments against a RuleSet: normalise, scan both views, keep the matches that survive
// run-length checks, allowlists and `unless` entries, add up weights, apply thresholds.
#include <string_view>
#include <vector>

#include "classifier/hs_database.hpp"
#include "classifier/normaliser.hpp"
#include "classifier/rule_set.hpp"
#include "classifier/verdict.hpp"

namespace moderatord::classifier {

// Not thread-safe: one Scanner per thread; it owns that thread's Hyperscan scratch and normaliser
// buffers. classify() grows the scratch when given a larger RuleSet; after warm-up it does not
// allocate. Hyperscan errors during a scan are bugs (the databases were validated): it aborts.
class Scanner {
 public:
  Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  void classify(const RuleSet& rules, std::string_view text, Verdict& out);
  Verdict classify(const RuleSet& rules, std::string_view text) {
    Verdict v;
    classify(rules, text, v);
    return v;
  }

  // The two halves of classify(), for benchmarks: normalise only, and scan a normalised text.
  const NormalisedText& normalise(std::string_view text) {
    normaliser_.normalise(text, normalised_);
    return normalised_;
  }
  void scan(const RuleSet& rules, const NormalisedText& text, Verdict& out);

  struct Hit {  // a regex's "may match" from Hyperscan's prefilter
    std::uint32_t id;
    std::uint32_t to;
  };

 private:
  void prepare(const RuleSet& rules);
  void score(const RuleSet& rules, const NormalisedText& text, Verdict& out);

  Normaliser normaliser_;
  NormalisedText normalised_;
  ScratchPtr scratch_;
  const RuleSet* prepared_for_ = nullptr;
  std::vector<LiteralHit> word_hits_, deferred_hits_, merge_scratch_;
  std::vector<Hit> text_hits_;
  struct Candidate {
    std::uint32_t rule;
    Span span;
  };
  std::vector<Candidate> candidates_;
  struct NearHit {
    std::uint32_t rule;
    std::uint16_t near;
    std::uint16_t within;
    bool then;
    std::uint32_t begin, end;  // in the word view, without the boundary spaces
  };
  std::vector<NearHit> near_hits_, near_firsts_;
  std::vector<Span> allow_spans_;
  std::vector<std::pair<std::uint32_t, Span>> unless_spans_;
  std::vector<std::uint32_t> fired_stamp_;  // per rule: == stamp_ when it fired in this comment
  std::uint32_t stamp_ = 0;
};

}  // namespace moderatord::classifier
