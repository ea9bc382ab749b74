#pragma once
// Byte classes of plain ASCII text as bitmasks, one bit a byte, 64 bytes a word, for the
// normaliser's tokenizer. Finding token edges byte by byte costs a branch miss at most edges (about
// one byte in five is one); with the classes as bits, a token's edges are two bit scans, and whether
// it is letters only or holds a newline before it are masked tests, without a branch per byte.
// On x86-64 the classes come from SSE2 compares, 16 bytes at a time; elsewhere byte by byte.
#include <cstdint>
#include <string_view>
#include <vector>

namespace moderatord::classifier {

class AsciiMasks {
 public:
  // Classifies `text`, which must be plain ASCII (no byte >= 0x80). Reuses its buffers.
  void assign(std::string_view text);

  std::size_t size() const noexcept { return size_; }
  // The tokens: maximal runs of letters, digits, '$', '@', '!', '*', '\'' (the bytes that make up
  // words, see normaliser.cpp), as [begins()[k], ends()[k]), in order.
  const std::vector<std::uint32_t>& begins() const noexcept { return begins_; }
  const std::vector<std::uint32_t>& ends() const noexcept { return ends_; }
  // Whether [from, to) holds a token byte that is not an ASCII letter.
  bool any_non_letter(std::size_t from, std::size_t to) const noexcept { return any(non_letter_, from, to); }
  bool any_newline(std::size_t from, std::size_t to) const noexcept { return any(newline_, from, to); }
  // Whether some byte i in [from, to) equals byte i + 1 but for case ("ll", "oO"): a letter to squeeze.
  bool any_repeat(std::size_t from, std::size_t to) const noexcept { return any(repeat_, from, to); }
  // Whether any byte is a digit, '@' or '$' (rare_bytes.hpp).
  bool any_rare() const noexcept { return rare_; }

 private:
  static bool any(const std::vector<std::uint64_t>& m, std::size_t from, std::size_t to) noexcept {
    if (from >= to) return false;
    const std::size_t wf = from / 64, wl = (to - 1) / 64;
    const std::uint64_t head = ~std::uint64_t{0} << (from % 64);
    const std::uint64_t tail = ~std::uint64_t{0} >> (63 - (to - 1) % 64);
    if (wf == wl) return (m[wf] & head & tail) != 0;
    if ((m[wf] & head) != 0 || (m[wl] & tail) != 0) return true;
    for (std::size_t w = wf + 1; w < wl; ++w)
      if (m[w] != 0) return true;
    return false;
  }

  std::size_t size_ = 0;
  // Bits past size() are clear in all but repeat_ (whose callers ask only within the text).
  std::vector<std::uint64_t> non_letter_, newline_, repeat_;
  std::vector<std::uint32_t> begins_, ends_;
  bool rare_ = false;
};

}  // namespace moderatord::classifier
