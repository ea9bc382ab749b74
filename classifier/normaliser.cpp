#include "classifier/normaliser.hpp"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include <array>
#include <cstring>
#include <stdexcept>

namespace moderatord::classifier {

struct Normaliser::Icu {
  const icu::Normalizer2* nfkc_cf = nullptr;
  const icu::Normalizer2* nfd = nullptr;
  USpoofChecker* spoof = nullptr;
  ~Icu() {
    if (spoof != nullptr) uspoof_close(spoof);
  }
};

namespace {

constexpr bool is_ascii_letter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
constexpr bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
// Symbols that stand for letters inside a word ("a$$", "b!tch", "f*ck", "@ss").
constexpr bool is_leet_symbol(unsigned char c) { return c == '$' || c == '@' || c == '!' || c == '*'; }
// Dropped inside a word, so "you're" is "youre" and "don't" is "dont".
constexpr bool is_apostrophe(unsigned char c) { return c == '\''; }
// Symbols that are punctuation, not letters, at the edges of a word ("wow!", "*really*", "@name").
constexpr bool is_edge_trimmed(unsigned char c) { return c == '!' || c == '*' || c == '@' || c == '\''; }

// Byte classes for the word view's inner loops: one table lookup instead of a chain of compares.
// kRare: the ASCII bytes of rare_bytes.hpp (digits, '@', '$'), all of them token bytes.
enum : std::uint8_t { kLetter = 1, kDigit = 2, kLeet = 4, kApostrophe = 8, kEdge = 16, kHigh = 32, kRare = 64 };
constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t v = 0;
    if (is_ascii_letter(static_cast<unsigned char>(c)) && c < 0x80) v |= kLetter;
    if (is_digit(static_cast<unsigned char>(c))) v |= kDigit;
    if (is_leet_symbol(static_cast<unsigned char>(c))) v |= kLeet;
    if (is_apostrophe(static_cast<unsigned char>(c))) v |= kApostrophe;
    if (is_edge_trimmed(static_cast<unsigned char>(c))) v |= kEdge;
    if (c >= 0x80) v |= kHigh;
    if (is_digit(static_cast<unsigned char>(c)) || c == '@' || c == '$') v |= kRare;
    t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}
constexpr auto kClass = make_classes();
constexpr std::uint8_t kTokenByte = kLetter | kDigit | kLeet | kApostrophe;

// What a digit or symbol stands for inside a word that mixes letters with digits or symbols.
// 0 means "not a letter": the byte stays as it is. '*' stays '*' (any one or two letters): rule
// words are expanded with '*' variants instead, because "f*ck" does not say which letter is masked.
constexpr char leet_letter(unsigned char c) {
  switch (c) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '7': return 't';
    case '8': return 'b';
    case '@': return 'a';
    case '$': return 's';
    case '!': return 'i';
    case '*': return '*';
    default: return 0;
  }
}

void append_utf8(std::string& out, UChar32 cp) {
  char buf[4];
  int32_t len = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), len, 4, cp, error);
  if (!error) out.append(buf, static_cast<std::size_t>(len));
}

bool all_ascii(std::string_view s) {
  // Eight bytes at a time: this check decides whether ICU is needed at all.
  std::size_t i = 0;
  std::uint64_t acc = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    acc |= w;
  }
  for (; i < s.size(); ++i) acc |= static_cast<unsigned char>(s[i]);
  return (acc & 0x8080808080808080ULL) == 0;
}

// Cyrillic lower-case letters that evaders use as Latin letters but that UTS #39 does not list as
// confusable (they look like small capitals or italics of the Latin letter): "реnis" with "п".
char cyrillic_lookalike(UChar32 c) {
  switch (c) {
    case 0x043F: return 'n';  // п
    case 0x043D: return 'h';  // н
    case 0x0442: return 't';  // т
    case 0x043C: return 'm';  // м
    case 0x043A: return 'k';  // к
    case 0x0432: return 'b';  // в
    case 0x0433: return 'r';  // г
    case 0x0448: return 'w';  // ш
    case 0x044C: return 'b';  // ь
    default: return 0;
  }
}

std::string to_ascii_if_ascii(const icu::UnicodeString& s) {
  std::string out;
  for (int32_t i = 0; i < s.length(); ++i) {
    UChar ch = s.charAt(i);
    if (ch >= 0x80) return {};
    out += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  }
  return out;
}

}  // namespace

NormalisedText& NormalisedText::operator=(NormalisedText&& o) noexcept {
  text_identity_ = o.text_identity_;
  text_buf_ = std::move(o.text_buf_);
  text_ = text_identity_ ? o.text_ : std::string_view(text_buf_);
  text_begin_ = std::move(o.text_begin_);
  text_end_ = std::move(o.text_end_);
  words_ = std::move(o.words_);
  word_begin_ = std::move(o.word_begin_);
  word_end_ = std::move(o.word_end_);
  runs_ = std::move(o.runs_);
  words_len_ = o.words_len_;
  repaired_ = o.repaired_;
  rare_bytes_ = o.rare_bytes_;
  return *this;
}

Normaliser::Normaliser() : icu_(std::make_unique<Icu>()) {
  UErrorCode ec = U_ZERO_ERROR;
  icu_->nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(ec);
  if (U_FAILURE(ec)) throw std::runtime_error(std::string("ICU NFKC_Casefold: ") + u_errorName(ec));
  icu_->nfd = icu::Normalizer2::getNFDInstance(ec);
  if (U_FAILURE(ec)) throw std::runtime_error(std::string("ICU NFD: ") + u_errorName(ec));
  icu_->spoof = uspoof_open(&ec);
  if (U_FAILURE(ec)) throw std::runtime_error(std::string("ICU uspoof_open: ") + u_errorName(ec));
}

Normaliser::~Normaliser() = default;

// One code point of the input, as it appears in the text view. Cached: ICU is slow per call, and
// comments reuse a small alphabet.
const std::string& Normaliser::map_code_point(std::int32_t cp) {
  std::string* slot;
  if (cp < 0x10000) {
    if (bmp_.empty()) {
      bmp_.resize(0x10000);
      bmp_known_.resize(0x10000);
    }
    slot = &bmp_[static_cast<std::size_t>(cp)];
    if (bmp_known_[static_cast<std::size_t>(cp)]) return *slot;
    bmp_known_[static_cast<std::size_t>(cp)] = true;
  } else {
    auto [it, inserted] = astral_.try_emplace(cp);
    slot = &it->second;
    if (!inserted) return *slot;
  }
  std::string& out = *slot;
  // Zero-width spaces and joiners, soft hyphens, BOMs, variation selectors: invisible, so removed.
  if (u_hasBinaryProperty(cp, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) || u_charType(cp) == U_FORMAT_CHAR)
    return out;
  UErrorCode ec = U_ZERO_ERROR;
  icu::UnicodeString folded = icu_->nfkc_cf->normalize(icu::UnicodeString(cp), ec);
  if (U_FAILURE(ec)) {
    append_utf8(out, cp);
    return out;
  }
  for (int32_t i = 0; i < folded.length();) {
    UChar32 c = folded.char32At(i);
    i += U16_LENGTH(c);
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    // Accents used as disguise ("fück"): decompose and drop the combining marks, if what is left is
    // plain ASCII.
    icu::UnicodeString decomposed = icu_->nfd->normalize(icu::UnicodeString(c), ec);
    icu::UnicodeString base;
    for (int32_t j = 0; j < decomposed.length();) {
      UChar32 d = decomposed.char32At(j);
      j += U16_LENGTH(d);
      if (u_charType(d) != U_NON_SPACING_MARK) base.append(d);
    }
    if (base.isEmpty()) continue;  // a lone combining mark: nothing to read
    if (std::string ascii = to_ascii_if_ascii(base); !ascii.empty()) {
      out += ascii;
      continue;
    }
    // Homoglyphs (Cyrillic "а", Greek "ο", Armenian "ս"): the UTS #39 skeleton, but only where it
    // gives plain ASCII letters or digits; other scripts and emoji stay as they are.
    auto ascii_skeleton = [&](UChar32 x) {
      icu::UnicodeString skeleton;
      UErrorCode sec = U_ZERO_ERROR;
      uspoof_getSkeletonUnicodeString(icu_->spoof, 0, icu::UnicodeString(x), skeleton, &sec);
      // Some skeletons keep a mark: "ƒ" (f with hook) is "f" and a combining comma below.
      icu::UnicodeString unmarked;
      for (int32_t j = 0; j < skeleton.length();) {
        const UChar32 d = skeleton.char32At(j);
        j += U16_LENGTH(d);
        if (u_charType(d) != U_NON_SPACING_MARK) unmarked.append(d);
      }
      std::string a = U_SUCCESS(sec) ? to_ascii_if_ascii(unmarked) : std::string();
      for (char ch : a)
        if (!is_ascii_letter(static_cast<unsigned char>(ch)) && !is_digit(static_cast<unsigned char>(ch))) return std::string();
      return a;
    };
    // The folded letter first ("р" → "p"); then the letter as written, because some capitals are
    // look-alikes where their lower case is not (Cyrillic "Н" looks like "H", "н" like nothing).
    std::string ascii = ascii_skeleton(c);
    if (ascii.empty() && folded.length() == U16_LENGTH(cp)) ascii = ascii_skeleton(cp);
    if (ascii.empty()) {
      if (const char l = cyrillic_lookalike(c); l != 0) ascii = std::string(1, l);
    }
    if (!ascii.empty() && u_isalnum(c)) {
      out += ascii;
    } else {
      append_utf8(out, c);
    }
  }
  return out;
}

void Normaliser::build_text_view(std::string_view in, NormalisedText& out) {
  out.text_buf_.clear();
  out.text_begin_.clear();
  out.text_end_.clear();
  const auto* s = reinterpret_cast<const uint8_t*>(in.data());
  const auto n = static_cast<int32_t>(in.size());
  for (int32_t i = 0; i < n;) {
    const int32_t begin = i;
    if (s[i] < 0x80) {
      // A run of ASCII (most of a comment with an emoji or a curly quote in it): copied as it is,
      // each byte mapped to itself.
      while (i < n && s[i] < 0x80) ++i;
      out.text_buf_.append(in.data() + begin, static_cast<std::size_t>(i - begin));
      const std::size_t at = out.text_begin_.size();
      out.text_begin_.resize(at + static_cast<std::size_t>(i - begin));
      out.text_end_.resize(at + static_cast<std::size_t>(i - begin));
      for (int32_t j = begin; j < i; ++j) {
        out.text_begin_[at + static_cast<std::size_t>(j - begin)] = static_cast<std::uint32_t>(j);
        out.text_end_[at + static_cast<std::size_t>(j - begin)] = static_cast<std::uint32_t>(j + 1);
      }
      continue;
    }
    UChar32 cp;
    U8_NEXT(s, i, n, cp);
    if (cp < 0) {
      // Invalid UTF-8 is read as a separator: it never joins letters into a word, and the
      // offsets still point at the bad bytes so nothing is lost.
      out.repaired_ = true;
      out.text_buf_ += ' ';
      out.text_begin_.push_back(static_cast<std::uint32_t>(begin));
      out.text_end_.push_back(static_cast<std::uint32_t>(i));
      continue;
    }
    const std::string& mapped = map_code_point(cp);
    out.text_buf_ += mapped;
    out.text_begin_.insert(out.text_begin_.end(), mapped.size(), static_cast<std::uint32_t>(begin));
    out.text_end_.insert(out.text_end_.end(), mapped.size(), static_cast<std::uint32_t>(i));
  }
  out.text_ = out.text_buf_;
  out.text_identity_ = false;
}

void Normaliser::normalise(std::string_view in, NormalisedText& out) {
  out.repaired_ = false;
  if (all_ascii(in)) {
    out.text_ = in;
    out.text_identity_ = true;
    build_word_view(in, [](std::size_t i) { return Span{static_cast<std::uint32_t>(i),
                                                        static_cast<std::uint32_t>(i + 1)}; },
                    out);
    // Every digit, '@' and '$' is a token byte: the tokenizer's masks say whether there is one.
    out.rare_bytes_ = masks_.any_rare();
  } else {
    out.rare_bytes_ = true;  // non-ASCII input: rare whatever the view kept
    build_text_view(in, out);
    build_word_view(out.text_, [&out](std::size_t i) { return Span{out.text_begin_[i], out.text_end_[i]}; },
                    out);
  }
}

// Pass 1 for plain ASCII text (most comments): token edges and each token's make-up read from
// bitmasks of the byte classes (ascii_masks.hpp), so that pass 2 can copy plain words without the
// general per-byte logic.
void Normaliser::tokenize_ascii(std::string_view view) {
  tokens_.clear();
  masks_.assign(view);
  const auto& begins = masks_.begins();
  const auto& ends = masks_.ends();
  tokens_.resize(begins.size());
  std::uint32_t gap_begin = 0;
  for (std::size_t k = 0; k < begins.size(); ++k) {
    const std::uint32_t begin = begins[k], end = ends[k];
    tokens_[k] = {begin, end, begin - gap_begin, gap_begin, masks_.any_newline(gap_begin, begin), false,
                  !masks_.any_non_letter(begin, end)};
    gap_begin = end;
  }
}

// Pass 1 in general: raw tokens, with the separators before each.
template <class Map>
void Normaliser::tokenize(std::string_view view) {
  tokens_.clear();
  const auto* s = reinterpret_cast<const uint8_t*>(view.data());
  const auto n = static_cast<int32_t>(view.size());
  std::uint32_t gap = 0;
  bool gap_newline = false;
  int32_t token_begin = -1;
  bool letters_only = false;  // the open token is ASCII letters so far (build_word_view's fast path)
  auto close_token = [&](int32_t end) {
    if (token_begin >= 0) {
      tokens_.push_back({static_cast<std::uint32_t>(token_begin), static_cast<std::uint32_t>(end), gap,
                         static_cast<std::uint32_t>(token_begin) - gap, gap_newline, false, letters_only});
      gap = 0;
      gap_newline = false;
      token_begin = -1;
    }
  };
  for (int32_t i = 0; i < n;) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      if (kClass[c] & kTokenByte) {
        if (token_begin < 0) {
          token_begin = i;
          letters_only = true;
        }
        letters_only = letters_only && (kClass[c] & kLetter) != 0;
      } else {
        close_token(i);
        ++gap;
        gap_newline = gap_newline || c == '\n';
      }
      ++i;
      continue;
    }
    const int32_t begin = i;
    UChar32 cp;
    U8_NEXT(s, i, n, cp);
    if (cp >= 0 && (u_isalnum(cp) || u_charType(cp) == U_NON_SPACING_MARK)) {
      if (token_begin < 0) token_begin = begin;  // a letter of another script: part of the word
      letters_only = false;
      continue;
    }
    close_token(begin);
    if (cp < 0 || u_isspace(cp) || u_ispunct(cp) || cp == 0xFFFD) {
      gap += static_cast<std::uint32_t>(i - begin);
      continue;
    }
    // An emoji or other symbol: a word of its own, so rules can name it ("🖕").
    tokens_.push_back({static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(i), gap,
                       static_cast<std::uint32_t>(begin) - gap, gap_newline, true, false});
    gap = 0;
    gap_newline = false;
  }
  close_token(n);
}

template <class Map>
void Normaliser::build_word_view(std::string_view view, const Map& map, NormalisedText& out) {
  if (out.text_identity_) tokenize_ascii(view);
  else tokenize<Map>(view);
  const auto* s = reinterpret_cast<const uint8_t*>(view.data());

  // Pass 2: emit words, joining runs of three or more single letters split by short separators.
  // Every gap inside a run must be the same as its first ("f.u.c.k", "f u c k"): a different gap
  // ends the run, so "what a p.r.a.t" is "a" + "prat" and a double space between spaced-out words
  // ("p a t h e t i c  l i t t l e") is a word break.
  // Upper bound of the word view: every byte once, a space before each word, the words of a run
  // that starts with "a"/"i" twice more, and the closing spaces.
  const std::size_t bound = 4 * view.size() + 8;
  if (out.words_.size() < bound) {
    out.words_.resize(bound);
    out.word_begin_.resize(bound);
    out.word_end_.resize(bound);
    out.runs_.resize(bound);
  }
  out.words_len_ = 0;
  auto is_single = [&](const RawToken& t) { return !t.standalone && t.end - t.begin == 1; };
  auto same_gap = [&](const RawToken& a, const RawToken& b) {
    return a.gap == b.gap && view.compare(a.gap_begin, a.gap, view.substr(b.gap_begin, b.gap)) == 0;
  };
  for (std::size_t k = 0; k < tokens_.size();) {
    std::size_t last = k;
    if (is_single(tokens_[k])) {
      bool any_letter = is_ascii_letter(s[tokens_[k].begin]);
      while (last + 1 < tokens_.size() && is_single(tokens_[last + 1]) && tokens_[last + 1].gap <= 3 &&
             !tokens_[last + 1].gap_newline && (last == k || same_gap(tokens_[k + 1], tokens_[last + 1]))) {
        ++last;
        any_letter = any_letter || is_ascii_letter(s[tokens_[last].begin]);
      }
      if (last - k + 1 < 3 || !any_letter) last = k;
    }
    if (last == k && tokens_[k].letters_only) {
      // A plain word of ASCII letters (most words): lower-case it and squeeze runs, nothing else.
      // Local pointers: a char store may alias anything, so through out.words_ the compiler would
      // reload all four arrays' addresses after every byte.
      char* const w = out.words_.data();
      std::uint32_t* const wb = out.word_begin_.data();
      std::uint32_t* const we = out.word_end_.data();
      std::uint8_t* const wr = out.runs_.data();
      std::size_t n = out.words_len_;
      const Span first_span = map(tokens_[k].begin);
      w[n] = ' ';
      wb[n] = we[n] = first_span.begin;
      wr[n++] = 1;
      const std::size_t word_start = n;
      // (The masks are of the ASCII tokenizer's view only; other views take the squeezing loop.)
      if (out.text_identity_ && !masks_.any_repeat(tokens_[k].begin, tokens_[k].end - 1)) {
        // No letter to squeeze (most words): a copy, which the compiler vectorises.
        const std::uint32_t b = tokens_[k].begin, len = tokens_[k].end - b;
        for (std::uint32_t j = 0; j < len; ++j) {
          w[n + j] = static_cast<char>(s[b + j] | 0x20);
          wb[n + j] = map(b + j).begin;
          we[n + j] = map(b + j).end;
          wr[n + j] = 1;
        }
        out.words_len_ = n + len;
        k = last + 1;
        continue;
      }
      for (std::uint32_t i = tokens_[k].begin; i < tokens_[k].end; ++i) {
        const char c = static_cast<char>(s[i] | 0x20);
        const Span src = map(i);
        if (n > word_start && w[n - 1] == c) {
          if (wr[n - 1] < 255) ++wr[n - 1];
          we[n - 1] = src.end;
        } else {
          w[n] = c;
          wb[n] = src.begin;
          we[n] = src.end;
          wr[n++] = 1;
        }
      }
      out.words_len_ = n;
      k = last + 1;
      continue;
    }
    emit_token(view, map, k, last, out);
    // "you are a t w a t": the article may belong to the run or not, so a run that starts with
    // "a" or "i" is also read without it (" atwat a twat "), both mapped to the same bytes.
    if (last - k + 1 >= 4) {
      const unsigned char first = s[tokens_[k].begin] | 0x20;
      if (first == 'a' || first == 'i') {
        emit_token(view, map, k, k, out);
        emit_token(view, map, k + 1, last, out);
      }
    }
    k = last + 1;
  }
  // The leading and trailing spaces make every word boundary a space, so that whole-word rules are
  // plain literals (" word ") for Hyperscan, with no \b to check.
  const Span end_span = view.empty() ? Span{} : map(view.size() - 1);
  out.put(' ', end_span.end, end_span.end);
  if (out.words_len_ == 1) out.put(' ', end_span.end, end_span.end);  // no words: still "  "
  if (out.words_.size() < out.words_len_ + NormalisedText::kWordsSlack)
    out.words_.resize(out.words_len_ + NormalisedText::kWordsSlack);
}

template <class Map>
void Normaliser::emit_token(std::string_view view, const Map& map, std::size_t first, std::size_t last,
                            NormalisedText& out) {
  if (first == last) {  // the common case: one raw token, its bytes contiguous
    const std::uint32_t b = tokens_[first].begin;
    emit_word(view, map, tokens_[first].end - b, [b](std::size_t j) { return b + static_cast<std::uint32_t>(j); },
              tokens_[first].standalone, out);
    return;
  }
  // Joined single letters: gather their positions.
  token_bytes_.clear();
  for (std::size_t k = first; k <= last; ++k)
    for (std::uint32_t i = tokens_[k].begin; i < tokens_[k].end; ++i) token_bytes_.push_back(i);
  emit_word(view, map, token_bytes_.size(), [this](std::size_t j) { return token_bytes_[j]; }, false, out);
}

template <class Map, class At>
void Normaliser::emit_word(std::string_view view, const Map& map, std::size_t n, const At& at, bool standalone,
                           NormalisedText& out) {
  const auto* s = reinterpret_cast<const uint8_t*>(view.data());
  std::size_t lo = 0, hi = n;
  if (!standalone) {
    while (lo < hi && (kClass[s[at(lo)]] & kEdge)) ++lo;
    while (hi > lo && (kClass[s[at(hi - 1)]] & kEdge)) --hi;
  }
  if (lo == hi) return;
  std::uint8_t seen = 0;
  for (std::size_t j = lo; j < hi; ++j) seen = static_cast<std::uint8_t>(seen | kClass[s[at(j)]]);
  // Only words that mix letters with digits or symbols are read as leetspeak: "sh1t" is a word in
  // disguise, "1984" and "5" are numbers and must stay numbers.
  const bool rewrite = (seen & (kLetter | kHigh)) && (seen & (kDigit | kLeet));

  // Local pointers, as in build_word_view's plain-word loop.
  char* const w = out.words_.data();
  std::uint32_t* const wb = out.word_begin_.data();
  std::uint32_t* const we = out.word_end_.data();
  std::uint8_t* const wr = out.runs_.data();
  std::size_t len = out.words_len_;
  auto put = [&](char c, std::uint32_t begin, std::uint32_t end) {
    w[len] = c;
    wb[len] = begin;
    we[len] = end;
    wr[len++] = 1;
  };
  const Span first_span = map(at(lo));
  put(' ', first_span.begin, first_span.begin);
  const std::size_t word_start = len;
  for (std::size_t j = lo; j < hi; ++j) {
    const std::uint32_t pos = at(j);
    unsigned char c = s[pos];
    const std::uint8_t cls = kClass[c];
    if (cls & kApostrophe) continue;
    const Span src = map(pos);
    if (cls & kHigh) {  // bytes of a letter of another script: copied, never squeezed
      put(static_cast<char>(c), src.begin, src.end);
      continue;
    }
    if (rewrite && !(cls & kLetter)) {
      if (const char l = leet_letter(c); l != 0) c = static_cast<unsigned char>(l);
    }
    c = static_cast<unsigned char>(c | ((c >= 'A' && c <= 'Z') ? 0x20 : 0));
    const bool squeezable = (kClass[c] & kLetter) || c == '*';
    if (squeezable && len > word_start && static_cast<unsigned char>(w[len - 1]) == c) {
      if (wr[len - 1] < 255) ++wr[len - 1];
      we[len - 1] = src.end;
      continue;
    }
    put(static_cast<char>(c), src.begin, src.end);
  }
  out.words_len_ = len;
}

}  // namespace moderatord::classifier
