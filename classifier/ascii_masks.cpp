#include "classifier/ascii_masks.hpp"

#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace moderatord::classifier {
namespace {

struct Block {  // the masks of 64 bytes
  std::uint64_t token = 0, non_letter = 0, newline = 0, rare = 0, repeat = 0;
};

#if defined(__SSE2__)
// 16 bytes: bit i of each mask for byte i. The input is ASCII, so signed compares are exact. Reads
// p[16] too (for `repeat`).
inline void classify16(const char* p, std::uint32_t& token, std::uint32_t& letter, std::uint32_t& newline,
                       std::uint32_t& rare, std::uint32_t& repeat) {
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i lower = _mm_or_si128(c, _mm_set1_epi8(0x20));
  const __m128i next_lower = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1)), _mm_set1_epi8(0x20));
  repeat = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(lower, next_lower)));
  const __m128i is_letter =
      _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
  const __m128i is_digit =
      _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
  const __m128i at_or_dollar = _mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('@')), _mm_cmpeq_epi8(c, _mm_set1_epi8('$')));
  const __m128i other = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(c, _mm_set1_epi8('!')), _mm_cmpeq_epi8(c, _mm_set1_epi8('*'))),
                                     _mm_cmpeq_epi8(c, _mm_set1_epi8('\'')));
  const __m128i is_rare = _mm_or_si128(is_digit, at_or_dollar);
  token = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(is_letter, is_rare), other)));
  letter = static_cast<std::uint32_t>(_mm_movemask_epi8(is_letter));
  newline = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_set1_epi8('\n'))));
  rare = static_cast<std::uint32_t>(_mm_movemask_epi8(is_rare));
}

// Reads p[64] too (for `repeat`).
inline Block classify64(const char* p) {
  Block b;
  std::uint64_t letter = 0;
  for (int k = 0; k < 4; ++k) {
    std::uint32_t t, l, n, r, q;
    classify16(p + 16 * k, t, l, n, r, q);
    b.token |= std::uint64_t{t} << (16 * k);
    letter |= std::uint64_t{l} << (16 * k);
    b.newline |= std::uint64_t{n} << (16 * k);
    b.rare |= std::uint64_t{r} << (16 * k);
    b.repeat |= std::uint64_t{q} << (16 * k);
  }
  b.non_letter = b.token & ~letter;
  return b;
}
#else
// Reads p[64] too (for `repeat`).
inline Block classify64(const char* p) {
  Block b;
  for (int i = 0; i < 64; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    const bool letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    const bool digit = c >= '0' && c <= '9';
    const bool rare = digit || c == '@' || c == '$';
    const bool token = letter || rare || c == '!' || c == '*' || c == '\'';
    b.token |= std::uint64_t{token} << i;
    b.non_letter |= std::uint64_t{token && !letter} << i;
    b.newline |= std::uint64_t{c == '\n'} << i;
    b.rare |= std::uint64_t{rare} << i;
    b.repeat |= std::uint64_t{(c | 0x20) == (static_cast<unsigned char>(p[i + 1]) | 0x20)} << i;
  }
  return b;
}
#endif

}  // namespace

void AsciiMasks::assign(std::string_view text) {
  size_ = text.size();
  const std::size_t words = (size_ + 63) / 64;
  begins_.clear();
  ends_.clear();
  non_letter_.resize(words);
  newline_.resize(words);
  repeat_.resize(words);
  std::uint64_t rare = 0, carry = 0;
  for (std::size_t w = 0; w < words; ++w) {
    Block b;
    if (const std::size_t at = w * 64; at + 64 < size_) {  // `<`: classify64 reads one byte more
      b = classify64(text.data() + at);
    } else {  // the last block: padded with NULs, which are in no class
      char pad[80] = {};
      std::memcpy(pad, text.data() + at, size_ - at);
      b = classify64(pad);
    }
    // A token starts where a token byte follows a separator and ends where a separator follows a
    // token byte; the carry is the previous block's last byte.
    const std::uint64_t before = (b.token << 1) | carry;
    carry = b.token >> 63;
    for (std::uint64_t starts = b.token & ~before; starts != 0; starts &= starts - 1)
      begins_.push_back(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(starts))));
    for (std::uint64_t stops = ~b.token & before; stops != 0; stops &= stops - 1)
      ends_.push_back(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(stops))));
    non_letter_[w] = b.non_letter;
    newline_[w] = b.newline;
    repeat_[w] = b.repeat;
    rare |= b.rare;
  }
  if (carry != 0) ends_.push_back(static_cast<std::uint32_t>(size_));  // a token up to the end
  rare_ = rare != 0;
}

}  // namespace moderatord::classifier
