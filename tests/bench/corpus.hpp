#pragma once
// A generated corpus of council-page comments for the classifier benchmarks. Deterministic: the same
// options give the same bytes on every machine and standard library (no std::*_distribution, whose
// output is implementation-defined). Written from word lists in corpus.cpp, never from real comments.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace moderatord::bench {

struct CorpusOptions {
  std::size_t count = 100'000;          // Default: 100,000 comments
  std::uint64_t seed = 0x6d6f64657261;  // Default: fixed, so every run measures the same text
  std::size_t min_bytes = 20;           // Default: 20
  std::size_t max_bytes = 400;          // Default: 400
};

// Shares are per mille of comments, decided independently per comment; a comment can have several.
// Default values are what the brief asked for; they are also printed with the stats.
struct CorpusMix {
  unsigned profanity = 50;      // "f*ck", "sh1t", "f u c k", stretched letters...
  unsigned emoji = 100;         // emoji, with skin tones, variation selectors and flags
  unsigned non_latin = 30;      // a sentence in Cyrillic, Greek, CJK or Arabic script
  unsigned disguise = 5;        // homoglyphs (Cyrillic/Armenian letters), zero-width and fullwidth
  unsigned smart_quotes = 40;   // phone keyboards: ’ “ ” … – (forces the non-ASCII path)
  unsigned personal_data = 10;  // a phone number or email address
};

struct CorpusStats {
  std::size_t count = 0;
  std::size_t total_bytes = 0;
  std::size_t non_ascii_comments = 0;  // comments with at least one byte >= 0x80
  std::size_t non_ascii_bytes = 0;
  std::size_t min_bytes = 0, max_bytes = 0;
};

// Every string is valid UTF-8 of min_bytes..max_bytes bytes.
std::vector<std::string> make_corpus(const CorpusOptions& options = {}, const CorpusMix& mix = {});

CorpusStats corpus_stats(const std::vector<std::string>& corpus);

// "100000 comments, 15.3 MB, 18.2% of comments (1.1% of bytes) non-ASCII, 20..400 bytes each"
std::string describe(const CorpusStats& stats);

}  // namespace moderatord::bench
