#include "classifier/regex_prefix.hpp"

#include <gtest/gtest.h>

#include "classifier/rule_file.hpp"
#include "classifier/rule_set.hpp"
#include "classifier/scanner.hpp"

namespace moderatord::classifier {
namespace {

TEST(RegexPrefix, CutsBetweenTopLevelElements) {
  EXPECT_TRUE(is_concatenation_prefix(R"(\bf[*#@%&!.\x27-]{1,3}\s?(?:k|(?:ing|in|ed|off)\b))", R"(\bf[*#@%&!.\x27-]{1,3})"));
  EXPECT_TRUE(is_concatenation_prefix(R"(\bf[*#@%&!.\x27-]{1,3}\s?(?:k|(?:ing|in|ed|off)\b))", R"(\bf)"));
  EXPECT_TRUE(is_concatenation_prefix("abc", "ab"));
  EXPECT_TRUE(is_concatenation_prefix("abc*", "ab"));  // c* is all after the cut
  EXPECT_TRUE(is_concatenation_prefix(R"(£\s?\d+(?:a|b))", R"(£\s?\d+)"));
  EXPECT_TRUE(is_concatenation_prefix(R"([]a]x)", R"([]a])"));            // ']' first in a class is a literal
  EXPECT_TRUE(is_concatenation_prefix(R"([[:alpha:]]x)", R"([[:alpha:]])"));
  EXPECT_TRUE(is_concatenation_prefix(R"(\x{2019}s)", R"(\x{2019})"));
  EXPECT_TRUE(is_concatenation_prefix(R"(\Qa|b\Ec)", R"(\Qa|b\E)"));       // '|' quoted, not an alternation
  EXPECT_TRUE(is_concatenation_prefix(R"((?:a|b)c)", R"((?:a|b))"));      // '|' inside a group
}

TEST(RegexPrefix, RefusesCutsThatAreNotNecessaryConditions) {
  EXPECT_FALSE(is_concatenation_prefix("ab|cd", "ab"));            // an alternation: "cd" matches without "ab"
  EXPECT_FALSE(is_concatenation_prefix("ab|cd", "a"));
  EXPECT_FALSE(is_concatenation_prefix("abc*", "abc"));            // c without its quantifier
  EXPECT_FALSE(is_concatenation_prefix("ab+c", "ab"));
  EXPECT_FALSE(is_concatenation_prefix("ab?c", "ab"));
  EXPECT_FALSE(is_concatenation_prefix("ab{2}c", "ab"));
  EXPECT_FALSE(is_concatenation_prefix("(?:ab)c", "(?:a"));        // inside a group
  EXPECT_FALSE(is_concatenation_prefix(R"(\x27s)", R"(\x2)"));     // inside an escape
  EXPECT_FALSE(is_concatenation_prefix(R"(\p{Lu}x)", R"(\p{L)"));
  EXPECT_FALSE(is_concatenation_prefix("[a-z]x", "[a-"));           // inside a class
  EXPECT_FALSE(is_concatenation_prefix("abc", "abc"));             // the whole regex: nothing gained
  EXPECT_FALSE(is_concatenation_prefix("abc", ""));
  EXPECT_FALSE(is_concatenation_prefix("abc", "abd"));             // not its start
}

TEST(RegexPrefix, RuleFileRefusesAPrefilterThatIsNotAStartOfItsRegex) {
  RuleSource src;
  std::vector<Diagnostic> errors;
  parse_rule_file("[[rule]]\nid = \"p.bad\"\ncategory = \"obscene\"\nregex = ['ab|cd']\nprefilter = ['ab']\n", "x.toml",
                  src, errors);
  const std::string e = Error(errors).to_string();
  EXPECT_NE(e.find("x.toml:1: rule 'p.bad': prefilter 'ab' is not the start of any of the rule's regexes"),
            std::string::npos)
      << e;
}

TEST(RegexPrefix, APrefilterChangesNoMatchAndNoSpan) {
  // The same rule with and without a prefilter: every verdict identical, spans those of the whole
  // regex, and text that holds only the prefilter's part does not match.
  auto load = [](const char* prefilter_line) {
    RuleSource src;
    std::vector<Diagnostic> errors;
    parse_rule_file(std::string("[[rule]]\nid = \"o.f\"\ncategory = \"obscene\"\nweight = 2.0\n"
                                "regex = ['\\bf[*#@%&!.\\x27-]{1,3}\\s?(?:k|(?:ing|in|ed|off)\\b)']\n") +
                        prefilter_line,
                    "x.toml", src, errors);
    EXPECT_TRUE(errors.empty()) << Error(errors).to_string();
    auto rs = RuleSet::build(std::move(src));
    EXPECT_TRUE(rs) << rs.error().to_string();
    return *rs;
  };
  const auto plain = load("");
  const auto filtered = load("prefilter = ['\\bf[*#@%&!.\\x27-]{1,3}']\n");
  ASSERT_FALSE(filtered->patterns().regexes[0].prefilter.empty());
  Scanner scanner;
  for (const std::string text : {"what the f**k", "f** off mate", "f*** ing hell", "the f. and g. rows", "f*",
                                 "of. course", "f#@k", "f.ed up", "f-in eck", "a f*king nuisance", "f-- indeed"}) {
    const Verdict a = scanner.classify(*plain, text), b = scanner.classify(*filtered, text);
    ASSERT_EQ(a.matches.size(), b.matches.size()) << text;
    for (std::size_t i = 0; i < a.matches.size(); ++i) {
      EXPECT_EQ(a.matches[i].span.begin, b.matches[i].span.begin) << text;
      EXPECT_EQ(a.matches[i].span.end, b.matches[i].span.end) << text;
    }
  }
  EXPECT_EQ(scanner.classify(*filtered, "what the f**k").matches.size(), 1u);
  EXPECT_EQ(scanner.classify(*filtered, "f** off mate").matches.size(), 1u);
  EXPECT_EQ(scanner.classify(*filtered, "the f. and g. rows").matches.size(), 0u);  // the prefilter's part only
}

}  // namespace
}  // namespace moderatord::classifier
