#pragma once
// The normaliser turns a comment into the two views that rules match on, and keeps, for every byte of
// each view, the byte range of the original text it came from, so that every match maps back to
// offsets in what the resident actually wrote.
//
//   original UTF-8 ──► text view:  NFKC case fold, confusable skeletons for non-ASCII letters,
//                                  format and zero-width characters removed. `regex` rules run here.
//                 ──► word view:   " tok tok tok ": the text view cut into words on whitespace and
//                                  punctuation, lower-cased, apostrophes dropped, letters split by
//                                  single separators joined ("f u c k", "f.u.c.k"), symbols read as
//                                  letters in words that mix them ("sh1t", "a$$", "b!tch"; never in
//                                  all-digit words), runs of one letter squeezed to one byte with the
//                                  run length kept beside it. `words` rules run here.
//
// Pure ASCII input (most comments) skips ICU altogether: its text view is the input itself.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "classifier/ascii_masks.hpp"

namespace moderatord::classifier {

// A byte range [begin, end) in the original text.
struct Span {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

class NormalisedText {
 public:
  std::string_view text() const noexcept { return text_; }
  std::string_view words() const noexcept { return {words_.data(), words_len_}; }
  // words() is followed by at least this many readable bytes (of no meaning), so that a scan may
  // read it eight bytes at a time (word_index.hpp).
  static constexpr std::size_t kWordsSlack = 8;
  // Run length of each byte of words() (1 for most; 3 for the squeezed "uuu" of "fuuuck").
  std::span<const std::uint8_t> runs() const noexcept { return {runs_.data(), words_len_}; }

  // Not copyable: text() may point into this object's own buffer (a copy would point into the
  // original's). Moving is fine: the buffers move with their heap storage... except a short
  // std::string, so text_ is rebound after a move.
  NormalisedText() = default;
  NormalisedText(const NormalisedText&) = delete;
  NormalisedText& operator=(const NormalisedText&) = delete;
  NormalisedText(NormalisedText&& o) noexcept { *this = std::move(o); }
  NormalisedText& operator=(NormalisedText&& o) noexcept;
  // Original byte range of view bytes [from, to); requires from < to <= view size.
  Span text_span(std::size_t from, std::size_t to) const noexcept {
    if (text_identity_) return {static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(to)};
    return {text_begin_[from], text_end_[to - 1]};
  }
  Span word_span(std::size_t from, std::size_t to) const noexcept { return {word_begin_[from], word_end_[to - 1]}; }
  // True when invalid UTF-8 was found; such bytes were read as separators, never as letters.
  bool utf8_repaired() const noexcept { return repaired_; }
  // False only when the text view surely holds no digit, '@', '$' or non-ASCII byte: the scanner
  // then skips the regexes that need one (rare_bytes.hpp).
  bool rare_bytes() const noexcept { return rare_bytes_; }

 private:
  friend class Normaliser;
  void put(char c, std::uint32_t begin, std::uint32_t end) noexcept {
    words_[words_len_] = c;
    word_begin_[words_len_] = begin;
    word_end_[words_len_] = end;
    runs_[words_len_] = 1;
    ++words_len_;
  }
  std::string_view text_;
  std::string text_buf_;  // backs text_ unless the input was plain ASCII
  bool text_identity_ = true;
  std::vector<std::uint32_t> text_begin_, text_end_;
  // The word view's four parallel arrays are grow-only and sized ahead of each comment, so writing
  // them is a plain store per byte (no push_back checks, no zero-fill in steady state).
  std::vector<char> words_;
  std::vector<std::uint32_t> word_begin_, word_end_;
  std::vector<std::uint8_t> runs_;
  std::size_t words_len_ = 0;
  bool repaired_ = false;
  bool rare_bytes_ = true;
};

// Not thread-safe: one per thread (the Scanner owns one). Reuses its buffers, so after warm-up a
// normalisation of a comment no longer than earlier ones does not allocate.
class Normaliser {
 public:
  Normaliser();  // throws std::runtime_error if ICU data is missing (startup path only)
  ~Normaliser();
  Normaliser(const Normaliser&) = delete;
  Normaliser& operator=(const Normaliser&) = delete;

  // `in` must outlive `out` when it is plain ASCII (the text view then points into it).
  void normalise(std::string_view in, NormalisedText& out);

 private:
  struct RawToken {
    std::uint32_t begin, end;  // in the text view
    std::uint32_t gap;         // separator bytes before it
    std::uint32_t gap_begin;   // where those separator bytes start in the text view
    bool gap_newline;
    bool standalone;           // an emoji or symbol: its own word, never joined
    bool letters_only;         // ASCII letters and nothing else
  };
  const std::string& map_code_point(std::int32_t cp);
  void build_text_view(std::string_view in, NormalisedText& out);
  template <class Map>
  void build_word_view(std::string_view view, const Map& map, NormalisedText& out);
  void tokenize_ascii(std::string_view view);
  template <class Map>
  void tokenize(std::string_view view);
  template <class Map>
  void emit_token(std::string_view view, const Map& map, std::size_t first, std::size_t last,
                  NormalisedText& out);
  // Emits one word from `n` bytes of the text view at positions at(0)..at(n-1).
  template <class Map, class At>
  void emit_word(std::string_view view, const Map& map, std::size_t n, const At& at, bool standalone,
                 NormalisedText& out);

  struct Icu;                  // ICU objects, kept out of this header
  std::unique_ptr<Icu> icu_;
  std::vector<std::string> bmp_;        // lazily filled cache of map_code_point for U+0000..U+FFFF
  std::vector<bool> bmp_known_;
  std::unordered_map<std::int32_t, std::string> astral_;
  AsciiMasks masks_;  // the ASCII tokenizer's byte classes
  std::vector<RawToken> tokens_;
  std::vector<std::uint32_t> token_bytes_;  // scratch: positions of one (possibly joined) token
};

}  // namespace moderatord::classifier
