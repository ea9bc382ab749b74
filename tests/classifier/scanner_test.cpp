#include "classifier/scanner.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "classifier/rare_bytes.hpp"
#include "classifier/rule_file.hpp"

namespace moderatord::classifier {
namespace {

class ScannerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = RuleSet::load(MODERATORD_SOURCE_DIR "/tests/data/rules-basic");
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    rules_ = *loaded;
  }
  static void TearDownTestSuite() { rules_.reset(); }

  Verdict classify(std::string_view text) { return scanner_.classify(*rules_, text); }
  bool fired(const Verdict& v, std::string_view id) {
    return std::any_of(v.matches.begin(), v.matches.end(),
                       [&](const Match& m) { return rules_->rules()[m.rule].id == id; });
  }

  static inline RuleSetPtr rules_;
  Scanner scanner_;
};

TEST_F(ScannerTest, WholeWordAndPrefixEntries) {
  EXPECT_TRUE(fired(classify("what the fuck"), "t.fuck"));
  EXPECT_TRUE(fired(classify("fucking hell"), "t.fuck"));  // "fuck*" continues
  EXPECT_FALSE(fired(classify("unfuckable"), "t.fuck"));   // but does not start mid-word
  EXPECT_TRUE(fired(classify("nice ass"), "t.ass"));
  EXPECT_FALSE(fired(classify("a class act and an assessment"), "t.ass"));
}

TEST_F(ScannerTest, RunLengthsAreExactOrStretched) {
  EXPECT_TRUE(fired(classify("fuuuuuck"), "t.fuck"));
  EXPECT_TRUE(fired(classify("asssss"), "t.ass"));
  EXPECT_FALSE(fired(classify("as you said"), "t.ass"));  // "as" is not "ass"
  EXPECT_FALSE(fired(classify("woop woop!"), "t.wop"));   // a run of two must be two in the rule
  EXPECT_TRUE(fired(classify("wooop"), "t.wop"));         // three or more is stretching
}

TEST_F(ScannerTest, MaskedLettersMatchStarVariants) {
  EXPECT_TRUE(fired(classify("f*ck this"), "t.fuck"));
  EXPECT_TRUE(fired(classify("f**k this"), "t.fuck"));
  EXPECT_TRUE(fired(classify("fu*king"), "t.fuck"));
}

TEST_F(ScannerTest, AllowlistCancelsMatchesInsideIt) {
  EXPECT_TRUE(fired(classify("you cunt"), "t.cunt"));
  const Verdict v = classify("Visiting Scunthorpe and Twatt");
  EXPECT_FALSE(fired(v, "t.cunt"));
  EXPECT_EQ(v.labels, 0);
}

TEST_F(ScannerTest, UnlessCancelsOverlappingMatchesOfItsRuleOnly) {
  EXPECT_FALSE(fired(classify("I could murder a coffee"), "t.murder"));
  const Verdict v = classify("I could murder a coffee, and I will murder him");
  EXPECT_TRUE(fired(v, "t.murder"));  // the second "murder" is not inside the exception
}

TEST_F(ScannerTest, NegativeWeightsLowerTheScore) {
  EXPECT_TRUE(classify("I will murder you").has_label(Category::abusive));
  const Verdict quoted = classify("a man shouted that he would murder me, please act");
  EXPECT_DOUBLE_EQ(quoted.scores[static_cast<std::size_t>(Category::abusive)], -2.0);
  EXPECT_FALSE(quoted.has_label(Category::abusive));
}

TEST_F(ScannerTest, ThresholdsAndRuleActionsDecide) {
  const Verdict weak = classify("nice ass");  // obscene 1: escalate only, not a label
  EXPECT_EQ(weak.action, Action::escalate);
  EXPECT_EQ(weak.labels, 0);
  const Verdict hide = classify("fuck");
  EXPECT_EQ(hide.action, Action::hide);
  EXPECT_TRUE(hide.has_label(Category::obscene));
  const Verdict report = classify("I will kill you");  // score 5 < report 6, the rule asks for report
  EXPECT_EQ(report.action, Action::report);
  EXPECT_TRUE(report.has_label(Category::abusive));
}

TEST_F(ScannerTest, SpansPointIntoTheOriginalText) {
  const std::string text = "Oh f\xe2\x80\x8buuuck!";  // zero-width space inside
  const Verdict v = classify(text);
  ASSERT_EQ(v.matches.size(), 1u);
  EXPECT_EQ(text.substr(v.matches[0].span.begin, v.matches[0].span.end - v.matches[0].span.begin),
            "f\xe2\x80\x8buuuck");
}

TEST_F(ScannerTest, RegexUnlessAndSpans) {
  const std::string text = "he lives at 12 Oak Rd, ring 07700 900123";
  const Verdict v = classify(text);
  ASSERT_TRUE(fired(v, "t.phone"));
  EXPECT_EQ(text.substr(v.matches[0].span.begin, v.matches[0].span.end - v.matches[0].span.begin), "07700 900123");
  EXPECT_FALSE(fired(classify("call the council on 07700 900123"), "t.phone"));
}

TEST_F(ScannerTest, SignalsAndNeedsResponse) {
  const Verdict q = classify("When will the potholes on Mill Lane be fixed?");
  EXPECT_TRUE(q.needs_response);
  const Verdict breach = classify("When will you fix this fucking road?");
  EXPECT_FALSE(breach.needs_response);  // hidden, not answered
  const Verdict rhet = classify("Whats the point? When will they ever listen?");
  EXPECT_TRUE(rhet.rhetorical);
  EXPECT_FALSE(rhet.needs_response);
}

TEST_F(ScannerTest, NearPairsWordsInOrderWithinAGap) {
  EXPECT_TRUE(fired(classify("you idiot"), "t.near-insult"));
  EXPECT_TRUE(fired(classify("You're a complete m.u.p.p.e.t"), "t.near-insult"));  // two words between, evasion joined
  EXPECT_FALSE(fired(classify("you are a total utter idiot"), "t.near-insult"));      // three words between
  EXPECT_FALSE(fired(classify("idiots like you"), "t.near-insult"));                   // wrong order
  EXPECT_FALSE(fired(classify("the council made it you idiot proof"), "t.near-insult"));  // unless
  const std::string text = "honestly you absolute idiots";
  const Verdict v = classify(text);
  ASSERT_TRUE(fired(v, "t.near-insult"));
  EXPECT_EQ(text.substr(v.matches[0].span.begin, v.matches[0].span.end - v.matches[0].span.begin), "you absolute idiot");  // "idiot*" matches its literal part
}

// "you" and "at me" are common words: those sides live in the deferred database, looked for only
// where the rare side matched. Nothing about what matches may change.
TEST_F(ScannerTest, NearPairsWithACommonSideStillPair) {
  const PatternTable& pt = rules_->patterns();
  ASSERT_LT(pt.first_deferred_group, pt.groups.size());
  auto deferred = [&](std::string_view literal) {
    for (std::size_t g = pt.first_deferred_group; g < pt.groups.size(); ++g)
      if (pt.groups[g].literal == literal) return true;
    return false;
  };
  EXPECT_TRUE(deferred(" you "));
  EXPECT_TRUE(deferred(" at me "));
  EXPECT_FALSE(deferred(" shouted "));
  EXPECT_FALSE(deferred(" muppet "));
  EXPECT_TRUE(fired(classify("he shouted something awful at me"), "t.near-report"));
  EXPECT_TRUE(fired(classify("yelled at me on the bus"), "t.near-report"));
  EXPECT_FALSE(fired(classify("at me, he shouted"), "t.near-report"));                     // wrong order
  EXPECT_FALSE(fired(classify("he shouted and then went on for ages at me"), "t.near-report"));  // too far
  EXPECT_FALSE(fired(classify("look at me on the news"), "t.near-report"));               // no anchor
  EXPECT_TRUE(fired(classify("you muppet"), "t.near-insult"));
}

TEST(FixedAlternatives, OnlyStringsWithoutLettersOrSyntax) {
  EXPECT_EQ(fixed_alternatives("\\?"), std::vector<std::string>{"?"});
  EXPECT_EQ(fixed_alternatives("\xf0\x9f\x8d\x86|\xf0\x9f\x92\xa6"),
            (std::vector<std::string>{"\xf0\x9f\x8d\x86", "\xf0\x9f\x92\xa6"}));  // emoji
  EXPECT_EQ(fixed_alternatives("\\+44|\\.\\."), (std::vector<std::string>{"+44", ".."}));
  EXPECT_TRUE(fixed_alternatives("a|b").empty());          // letters: RE2 folds case
  EXPECT_TRUE(fixed_alternatives("\xc3\x89").empty());    // É is a letter too
  EXPECT_TRUE(fixed_alternatives("\\d").empty());         // a class, not a character
  EXPECT_TRUE(fixed_alternatives("1+").empty());
  EXPECT_TRUE(fixed_alternatives("(1)").empty());
  EXPECT_TRUE(fixed_alternatives("1|").empty());           // an empty alternative
  EXPECT_TRUE(fixed_alternatives("\\").empty());          // a lone backslash
  EXPECT_TRUE(fixed_alternatives("? !").empty());
}

TEST(FixedRegexes, FindWhatRe2Finds) {
  RuleSource src;
  std::vector<Diagnostic> errors;
  parse_rule_file("[[rule]]\nid = \"q\"\ncategory = \"rhetorical\"\nregex = ['\\?|!!']\n", "q.toml", src, errors);
  ASSERT_TRUE(errors.empty());
  auto rs = RuleSet::build(std::move(src));
  ASSERT_TRUE(rs) << rs.error().to_string();
  ASSERT_EQ((*rs)->patterns().regexes.at(0).fixed, (std::vector<std::string>{"?", "!!"}));
  Scanner scanner;
  const std::string text = "why?? and when?!!!";
  const Verdict v = scanner.classify(**rs, text);
  std::vector<std::string> found;
  for (const auto& m : v.matches) found.push_back(text.substr(m.span.begin, m.span.end - m.span.begin));
  // RE2 reads it the same way: leftmost first, then on after the match ("!!!" holds one "!!").
  EXPECT_EQ(found, (std::vector<std::string>{"?", "?", "?", "!!"}));
}

// Weights an admin adds up on paper reach the threshold in the engine: in binary floating point
// 0.7 + 0.6 + 0.7 is 1.9999999999999998, which would stay below hide at 2.0.
TEST(Scores, SumAsWrittenNotAsBinaryFractions) {
  RuleSource src;
  std::vector<Diagnostic> errors;
  parse_rule_file("category = \"abusive\"\n"
                  "[[rule]]\nid = \"a\"\nweight = 0.7\nwords = [\"alpha\"]\n"
                  "[[rule]]\nid = \"b\"\nweight = 0.6\nwords = [\"bravo\"]\n"
                  "[[rule]]\nid = \"c\"\nweight = 0.7\nwords = [\"charlie\"]\n"
                  "[[rule]]\nid = \"d\"\nweight = 0.1\nwords = [\"delta\"]\n",
                  "s.toml", src, errors);
  ASSERT_TRUE(errors.empty()) << errors.front().message;
  auto rs = RuleSet::build(std::move(src));
  ASSERT_TRUE(rs) << rs.error().to_string();
  Scanner scanner;
  const Verdict v = scanner.classify(**rs, "alpha bravo charlie");
  EXPECT_EQ(v.scores[static_cast<std::size_t>(Category::abusive)], 2.0);
  EXPECT_EQ(v.action, Action::hide);
  // And what is printed is what was written: 0.2, not 0.30000000000000004 - 0.1.
  EXPECT_EQ(scanner.classify(**rs, "delta alpha").scores[static_cast<std::size_t>(Category::abusive)], 0.8);
}

TEST(ExactWidth, PlainSequencesOfOneByteAtoms) {
  EXPECT_EQ(exact_width("^@[a-z0-9_]"), 2);
  EXPECT_EQ(exact_width("[\\s(]@[a-z0-9_]"), 3);
  EXPECT_EQ(exact_width("\\bab\\.\\d"), 4);          // \b has no width
  EXPECT_EQ(exact_width("x[\\]]"), 2);                   // an escaped ] inside a class
  EXPECT_EQ(exact_width("a?"), 0);                       // repetition
  EXPECT_EQ(exact_width("a|b"), 0);                      // alternation
  EXPECT_EQ(exact_width("(ab)"), 0);
  EXPECT_EQ(exact_width("a.b"), 0);                      // a dot may match a byte of a longer character
  EXPECT_EQ(exact_width("[^a]"), 0);                     // so may a negated class
  EXPECT_EQ(exact_width("\\S"), 0);
  EXPECT_EQ(exact_width("\\x41"), 0);
  EXPECT_EQ(exact_width("ab$"), 0);
  EXPECT_EQ(exact_width("\xc2\xa3\\d"), 0);             // "£": not ASCII
  EXPECT_EQ(exact_width("[ab"), 0);                      // unclosed
  EXPECT_EQ(exact_width("a\\"), 0);                      // a lone backslash
}

// Exact-width regexes skip RE2: Hyperscan reports every match and the scanner keeps them as RE2's
// search would, leftmost first and not overlapping, with spans in the original text.
TEST(ExactWidth, MatchesAsRe2WouldFindThem) {
  RuleSource src;
  std::vector<Diagnostic> errors;
  parse_rule_file("[[rule]]\nid = \"m\"\ncategory = \"abusive\"\nregex = ['[\\s(]@[a-z0-9_]', 'aba']\n", "m.toml", src,
                  errors);
  ASSERT_TRUE(errors.empty());
  auto rs = RuleSet::build(std::move(src));
  ASSERT_TRUE(rs) << rs.error().to_string();
  ASSERT_EQ((*rs)->patterns().regexes.at(0).width, 3);
  ASSERT_EQ((*rs)->patterns().regexes.at(1).width, 3);
  Scanner scanner;
  auto found = [&](const std::string& text) {
    const Verdict v = scanner.classify(**rs, text);
    std::vector<std::string> out;
    for (const auto& m : v.matches) out.push_back(text.substr(m.span.begin, m.span.end - m.span.begin));
    return out;
  };
  EXPECT_EQ(found("hi @Ann and (@bob_2) x@y"), (std::vector<std::string>{" @A", "(@b"}));
  EXPECT_EQ(found("ababababa"), (std::vector<std::string>{"aba", "aba"}));  // not "bab", not overlapping
  // Non-ASCII before: the spans still point at the original bytes.
  EXPECT_EQ(found("caf\xc3\xa9 @jo"), (std::vector<std::string>{" @j"}));
  // At most 8 matches of one regex are kept (the rule counts once anyway).
  EXPECT_EQ(found(" @a @b @c @d @e @f @g @h @i @j").size(), 8U);
}

TEST(RareRegexes, OnlyWhereEveryMatchNeedsARareByte) {
  PatternTable t;
  for (const char* re : {"@[a-z]+", "£\\s?\\d", "[0-9]", "hello", "(?:a|@)b", "\\?", "x.*y", "\xf0\x9f\x96\x95"})
    t.regexes.push_back({re, 0, Role::rule, nullptr, {}});
  mark_rare_regexes(t);
  std::vector<bool> rare;
  for (const auto& r : t.regexes) rare.push_back(r.rare);
  EXPECT_EQ(rare, (std::vector<bool>{true, true, true, false, false, false, false, true}));
  EXPECT_EQ(digits_as_zero("\\d{1,4}[\\d,.]\\\\d\\D"), "0{1,4}[0,.]\\\\d\\D");  // \\\\d: a backslash, then d
  PatternTable d;  // RE2 gives up on the digit strings of \d{3,4}; the rewrite lets it see them
  for (const char* re : {",\\s?\\d{1,4}[a-z]?,?\\s[a-z]+\\s(?:road|street)", "\\b0(?:9\\d\\d|87\\d)\\s?\\d{3}\\s?\\d{3,4}\\b",
                         "[^\\d]x"})
    d.regexes.push_back({re, 0, Role::rule, nullptr, {}});
  mark_rare_regexes(d);
  EXPECT_TRUE(d.regexes[0].rare);
  EXPECT_TRUE(d.regexes[1].rare);
  EXPECT_FALSE(d.regexes[2].rare);
}

TEST(RareRegexes, TheNormaliserSaysWhereTheyCanMatch) {
  Normaliser n;
  NormalisedText t;
  for (const char* text : {"call 0800", "mail a@b", "only $5", "caf\xc3\xa9", "@bob", "x1"}) {
    n.normalise(text, t);
    EXPECT_TRUE(t.rare_bytes()) << text;
  }
  for (const char* text : {"plain words, and punctuation?!", "f*ck off", "don't", ""}) {
    n.normalise(text, t);
    EXPECT_FALSE(t.rare_bytes()) << text;
  }
}

TEST(RareRegexes, ScannedOnlyWhereTheTextHasARareByteAndStillFound) {
  RuleSource src;
  std::vector<Diagnostic> errors;
  parse_rule_file("[[rule]]\nid = \"at\"\ncategory = \"abusive\"\nregex = ['@[a-z]+']\n"
                  "[[rule]]\nid = \"q\"\ncategory = \"rhetorical\"\nregex = ['really\\?']\n",
                  "r.toml", src, errors);
  ASSERT_TRUE(errors.empty());
  auto rs = RuleSet::build(std::move(src));
  ASSERT_TRUE(rs) << rs.error().to_string();
  ASSERT_TRUE((*rs)->databases().text_rare);
  ASSERT_TRUE((*rs)->databases().text);
  Scanner scanner;
  const Verdict v = scanner.classify(**rs, "really? @bob");
  ASSERT_EQ(v.matches.size(), 2u);
  EXPECT_TRUE(scanner.classify(**rs, "really?").matches.size() == 1);
}

TEST_F(ScannerTest, EmojiAreWords) { EXPECT_TRUE(fired(classify("here you go \xf0\x9f\x96\x95\xf0\x9f\x8f\xbb"), "t.emoji")); }

TEST_F(ScannerTest, InvalidUtf8NeverCrashesAndIsFlagged) {
  const Verdict v = classify("fuck \xff\xc3 off \xed\xa0\x80");
  EXPECT_TRUE(v.utf8_repaired);
  EXPECT_TRUE(fired(v, "t.fuck"));
  // Invalid bytes are separators: they never join letters into a word.
  EXPECT_FALSE(fired(classify("fu\xff" "ck"), "t.fuck"));
}

TEST_F(ScannerTest, ReusedScannerAndVerdictGiveTheSameAnswers) {
  Verdict v;
  for (int i = 0; i < 3; ++i) {
    scanner_.classify(*rules_, "fuck", v);
    EXPECT_TRUE(v.has_label(Category::obscene));
    scanner_.classify(*rules_, "lovely park", v);
    EXPECT_EQ(v.labels, 0);
    EXPECT_TRUE(v.matches.empty());
  }
}

}  // namespace
}  // namespace moderatord::classifier
