// libFuzzer target: any bytes through the normaliser. Checks the invariants the scanner relies on:
// both views map every byte back into the input, the word view is framed by spaces, runs line up.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "classifier/normaliser.hpp"

using moderatord::classifier::NormalisedText;
using moderatord::classifier::Normaliser;
using moderatord::classifier::Span;

#define CHECK(cond) \
  do {              \
    if (!(cond)) std::abort(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Normaliser normaliser;
  NormalisedText t;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  normaliser.normalise(in, t);
  const auto w = t.words();
  CHECK(w.size() >= 2 && w.front() == ' ' && w.back() == ' ');
  CHECK(t.runs().size() == w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    const Span s = t.word_span(i, i + 1);
    CHECK(s.begin <= s.end && s.end <= size);
    CHECK(t.runs()[i] >= 1);
  }
  for (std::size_t i = 0; i < t.text().size(); ++i) {
    const Span s = t.text_span(i, i + 1);
    CHECK(s.begin <= s.end && s.end <= size);
  }
  return 0;
}
