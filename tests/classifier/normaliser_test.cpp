#include "classifier/normaliser.hpp"

#include <gtest/gtest.h>

namespace moderatord::classifier {
namespace {

struct ViewCase {
  const char* input;
  const char* words;
};

void PrintTo(const ViewCase& c, std::ostream* os) { *os << '"' << c.input << '"'; }

class WordViewTest : public ::testing::TestWithParam<ViewCase> {};

TEST_P(WordViewTest, ProducesExpectedWords) {
  Normaliser n;
  NormalisedText t;
  n.normalise(GetParam().input, t);
  EXPECT_EQ(t.words(), GetParam().words) << "input: " << GetParam().input;
}

INSTANTIATE_TEST_SUITE_P(
    Evasions, WordViewTest,
    ::testing::Values(
        ViewCase{"Hello World", " helo world "},   // runs squeezed: "ll" is "l" with run 2,
        ViewCase{"fuuuuck", " fuck "},                     // stretched (run kept aside)
        ViewCase{"f u c k off", " fuck of "},              // spaced letters joined
        ViewCase{"f.u.c.k", " fuck "},                     // split by punctuation
        ViewCase{"what a p.r.a.t", " what a prat "},       // a different gap ends the run
        ViewCase{"you are a t w a t", " you are atwat a twat "},  // the article read both ways
        ViewCase{"p a t h e t i c  l i t t l e", " pathetic litle "},  // double space: word break
        ViewCase{"sh1t", " shit "},                        // leet inside a mixed word
        ViewCase{"a$$", " as "},                           // $$ -> ss squeezed (run 2)
        ViewCase{"b!tch!", " bitch "},                     // ! inside is i, trailing ! is punctuation
        ViewCase{"f*ck", " f*ck "},                        // masked letter stays a wildcard
        ViewCase{"1984 and 5", " 1984 and 5 "},            // all-digit words never rewritten
        ViewCase{"you're", " youre "},                     // apostrophes dropped
        ViewCase{"\xef\xbd\x86\xef\xbd\x95\xef\xbd\x83\xef\xbd\x8b", " fuck "},  // full-width
        ViewCase{"f\xe2\x80\x8bu\xe2\x80\x8c" "ck", " fuck "},                  // zero-width chars
        ViewCase{"\xd1\x80\xd0\xb5\xd0\xbf\xd1\x96s", " penis "},               // Cyrillic homoglyphs
        ViewCase{"\xd0\x9d\xd0\x95LL\xd0\x9e", " helo "},                    // Cyrillic capitals
        ViewCase{"\xce\xbf\xce\xbd", " ov "},                                 // Greek omicron, nu
        ViewCase{"\xf0\x9d\x90\x9f\xf0\x9d\x90\xae\xf0\x9d\x90\x9c\xf0\x9d\x90\xa4", " fuck "},  // math bold
        ViewCase{"f\xc3\xbc" "ck", " fuck "},              // diacritic as disguise
        ViewCase{"\xc6\x92uck", " fuck "},                // f with hook: skeleton "f" plus a mark
        ViewCase{"one\n\ntwo  three", " one two thre "},  // newlines in a gap
        ViewCase{"", "  "}));

TEST(Normaliser, MapsMatchesBackToOriginalOffsets) {
  Normaliser n;
  NormalisedText t;
  const std::string in = "Oh \xef\xbd\x86\xef\xbd\x95\xef\xbd\x83\xef\xbd\x8b!";  // "Oh ｆｕｃｋ!"
  n.normalise(in, t);
  ASSERT_EQ(t.words(), " oh fuck ");
  const Span s = t.word_span(4, 8);
  EXPECT_EQ(s.begin, 3u);
  EXPECT_EQ(s.end, 15u);
}

TEST(Normaliser, InvalidUtf8IsRepairedNotFatal) {
  Normaliser n;
  NormalisedText t;
  const std::string in = "bad \xff\xfe bytes \xc3";
  n.normalise(in, t);
  EXPECT_TRUE(t.utf8_repaired());
  EXPECT_EQ(t.words(), " bad bytes ");
}

}  // namespace
}  // namespace moderatord::classifier
