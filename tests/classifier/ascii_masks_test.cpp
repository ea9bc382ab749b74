// AsciiMasks against a byte-by-byte reference, on texts whose tokens and repeats straddle the
// 16-byte and 64-byte block edges; each text is held in a buffer of exactly its size, so ASan
// catches any read past it.
#include "classifier/ascii_masks.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace moderatord::classifier {
namespace {

bool is_token_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') || (u >= '0' && u <= '9') || c == '$' || c == '@' || c == '!' ||
         c == '*' || c == '\'';
}
bool is_letter(char c) { return (static_cast<unsigned char>(c) | 0x20) >= 'a' && (static_cast<unsigned char>(c) | 0x20) <= 'z'; }

void check(const std::string& s) {
  SCOPED_TRACE(testing::Message() << "text of " << s.size() << " bytes: \"" << s << "\"");
  auto exact = std::make_unique<char[]>(s.size());  // no slack: ASan sees any read past the text
  std::copy(s.begin(), s.end(), exact.get());
  AsciiMasks m;
  m.assign({exact.get(), s.size()});
  std::vector<std::uint32_t> begins, ends;
  for (std::size_t i = 0; i < s.size();) {
    if (!is_token_byte(s[i])) { ++i; continue; }
    begins.push_back(static_cast<std::uint32_t>(i));
    while (i < s.size() && is_token_byte(s[i])) ++i;
    ends.push_back(static_cast<std::uint32_t>(i));
  }
  EXPECT_EQ(m.begins(), begins);
  EXPECT_EQ(m.ends(), ends);
  bool rare = false;
  for (char c : s) rare = rare || (c >= '0' && c <= '9') || c == '@' || c == '$';
  EXPECT_EQ(m.any_rare(), rare);
  // Every range up to 70 bytes long, from every position.
  for (std::size_t from = 0; from <= s.size(); ++from)
    for (std::size_t to = from; to <= s.size() && to <= from + 70; ++to) {
      bool newline = false, non_letter = false, repeat = false;
      for (std::size_t i = from; i < to; ++i) {
        newline = newline || s[i] == '\n';
        non_letter = non_letter || (is_token_byte(s[i]) && !is_letter(s[i]));
        if (i + 1 < s.size()) repeat = repeat || (s[i] | 0x20) == (s[i + 1] | 0x20);
      }
      ASSERT_EQ(m.any_newline(from, to), newline) << from << ".." << to;
      ASSERT_EQ(m.any_non_letter(from, to), non_letter) << from << ".." << to;
      if (to < s.size()) ASSERT_EQ(m.any_repeat(from, to), repeat) << from << ".." << to;  // asked within the text
    }
}

TEST(AsciiMasks, EmptyAndTiny) {
  check("");
  check("a");
  check(" ");
  check("a b");
  check("\n");
  check("I'd've $5 @x f*ck!");
}

TEST(AsciiMasks, TokensAtBlockEdges) {
  for (std::size_t len : {15, 16, 17, 63, 64, 65, 127, 128, 129, 200}) {
    check(std::string(len, 'a'));                 // one token up to the very end
    check(std::string(len - 1, ' ') + "x");       // a token of one byte at the end
    check("x" + std::string(len - 1, ' '));
    std::string alternating;
    for (std::size_t i = 0; i < len; ++i) alternating += i % 2 ? ' ' : 'Q';
    check(alternating);
  }
}

TEST(AsciiMasks, RandomTexts) {
  std::mt19937 rng(20261124);
  const std::string alphabet = "aAbBzZ09$@!*'-. ,\n\t?\"#";
  for (int n = 0; n < 300; ++n) {
    std::string s(rng() % 200, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    check(s);
  }
}

}  // namespace
}  // namespace moderatord::classifier
