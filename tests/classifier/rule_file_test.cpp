#include "classifier/rule_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "classifier/rule_set.hpp"

namespace moderatord::classifier {
namespace {

// Parses one rule file's content and returns every diagnostic, joined.
std::string errors_of(std::string_view content) {
  RuleSource src;
  std::vector<Diagnostic> errors;
  parse_rule_file(content, "x.toml", src, errors);
  return Error(std::move(errors)).to_string();
}

TEST(RuleFile, ValidRuleParses) {
  RuleSource src;
  std::vector<Diagnostic> errors;
  parse_rule_file(R"(category = "obscene"
[[rule]]
id = "a.b"
weight = 2.5
words = ["x*"]
action = "report"
[[rule.test]]
text = "xyz"
expect = "match"
)",
                  "x.toml", src, errors);
  ASSERT_TRUE(errors.empty()) << Error(errors).to_string();
  ASSERT_EQ(src.rules.size(), 1u);
  EXPECT_EQ(src.rules[0].category, Category::obscene);
  EXPECT_DOUBLE_EQ(src.rules[0].weight, 2.5);
  EXPECT_EQ(src.rules[0].action, Action::report);
  EXPECT_EQ(src.rules[0].line, 2);
  ASSERT_EQ(src.rules[0].tests.size(), 1u);
}

TEST(RuleFile, TomlSyntaxErrorNamesFileAndLine) {
  EXPECT_EQ(errors_of("category = \"obscene\"\n[[rule]\nid = 1\n").substr(0, 8), "x.toml:2");
}

TEST(RuleFile, EachProblemIsReportedWithRuleIdAndLine) {
  const std::string e = errors_of(R"([[rule]]
id = "bad id!"
category = "rude"
words = ["x"]

[[rule]]
id = "no.patterns"
category = "sexual"
colour = "red"

[[rule]]
id = "bad.action"
category = "sexual"
words = ["y"]
action = "ban"
[[rule.test]]
text = "y"
expect = "yes"
)");
  EXPECT_NE(e.find("x.toml:1: rule 'bad id!': id may hold only"), std::string::npos) << e;
  EXPECT_NE(e.find("x.toml:3: rule 'bad id!': unknown category 'rude'"), std::string::npos) << e;
  EXPECT_NE(e.find("x.toml:9: rule 'no.patterns': unknown key 'colour'"), std::string::npos) << e;
  EXPECT_NE(e.find("rule 'no.patterns': rule has no words, regex or near"), std::string::npos) << e;
  EXPECT_NE(e.find("x.toml:15: rule 'bad.action': unknown action 'ban'"), std::string::npos) << e;
  EXPECT_NE(e.find("x.toml:16: rule 'bad.action': test expect must be"), std::string::npos) << e;
}

TEST(RuleFile, NearTablesAreValidated) {
  RuleSource src;
  std::vector<Diagnostic> errors;
  parse_rule_file("[[rule]]\nid = \"n.ok\"\ncategory = \"abusive\"\n[[rule.near]]\nfirst = [\"you\"]\nthen = [\"idiot\"]\n",
                  "x.toml", src, errors);
  ASSERT_TRUE(errors.empty()) << Error(errors).to_string();
  ASSERT_EQ(src.rules[0].near.size(), 1u);
  EXPECT_EQ(src.rules[0].near[0].within, 3);
  const std::string e = errors_of("[[rule]]\nid = \"n.bad\"\ncategory = \"abusive\"\nnear = { first = [\"you\"], within = 99, colour = 1 }\n");
  EXPECT_NE(e.find("near.within must be"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown near key 'colour'"), std::string::npos) << e;
  EXPECT_NE(e.find("near needs both first and then"), std::string::npos) << e;
}

TEST(RuleFile, MissingCategoryAndIdAreErrors) {
  const std::string e = errors_of("[[rule]]\nwords = [\"x\"]\n");
  EXPECT_NE(e.find("rule has no id"), std::string::npos) << e;
  EXPECT_NE(e.find("no category"), std::string::npos) << e;
}

TEST(RuleFile, WildcardsOnlyAtTheEnds) {
  RuleSource src;
  std::vector<Diagnostic> errors;
  parse_allowlist("ok entry\n*wild\n", "a.txt", src, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(src.allow.size(), 1u);
}

TEST(RuleFile, ThresholdErrors) {
  Thresholds t;
  std::vector<Diagnostic> errors;
  parse_thresholds("[abusive]\nhide = 2\nban = 3\n[needs_response]\nsignal = 1.5\n[nonsense]\nhide = 1\n", "t.toml",
                   t, errors);
  ASSERT_EQ(errors.size(), 2u) << Error(errors).to_string();
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_DOUBLE_EQ(t.signal[static_cast<std::size_t>(Category::needs_response)], 1.5);
  EXPECT_EQ(t.decide(Category::abusive, 2.0), Action::hide);
  EXPECT_EQ(t.decide(Category::abusive, 1.9), Action::none);
}

class RuleDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("moderatord-ruledir-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "allowlists");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
  }
  std::filesystem::path dir_;
};

TEST_F(RuleDirTest, DuplicateIdsAcrossFilesAreErrors) {
  write("a.toml", "[[rule]]\nid = \"same\"\ncategory = \"obscene\"\nwords = [\"x\"]\n");
  write("b.toml", "[[rule]]\nid = \"same\"\ncategory = \"obscene\"\nwords = [\"y\"]\n");
  auto r = load_rule_dir(dir_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().to_string().find("b.toml:1: rule 'same': duplicate rule id"), std::string::npos)
      << r.error().to_string();
}

TEST_F(RuleDirTest, BadRegexIsReportedWithFileRuleAndPattern) {
  write("a.toml", "[[rule]]\nid = \"ok\"\ncategory = \"obscene\"\nwords = [\"x\"]\n\n"
                  "[[rule]]\nid = \"broken\"\ncategory = \"deceptive\"\nregex = ['(unclosed', 'a(?=b)']\n");
  auto r = RuleSet::load(dir_);
  ASSERT_FALSE(r);
  const std::string e = r.error().to_string();
  EXPECT_NE(e.find("a.toml:6: rule 'broken': pattern '(unclosed'"), std::string::npos) << e;
  EXPECT_NE(e.find("pattern 'a(?=b)'"), std::string::npos) << e;  // every bad pattern, not just the first
}

TEST_F(RuleDirTest, RegexThatMatchesEmptyTextIsRejected) {
  write("a.toml", "[[rule]]\nid = \"empty\"\ncategory = \"obscene\"\nregex = ['x*']\n");
  auto r = RuleSet::load(dir_);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().to_string().find("can match empty text"), std::string::npos);
}

TEST_F(RuleDirTest, EmptyDirectoryAndMissingDirectoryAreErrors) {
  EXPECT_FALSE(load_rule_dir(dir_));
  EXPECT_FALSE(load_rule_dir(dir_ / "nope"));
}

TEST_F(RuleDirTest, HashChangesWithAnyFile) {
  write("a.toml", "[[rule]]\nid = \"r\"\ncategory = \"obscene\"\nwords = [\"x\"]\n");
  const auto h1 = load_rule_dir(dir_)->content_hash;
  write("allowlists/places.txt", "Scunthorpe\n");
  const auto h2 = load_rule_dir(dir_)->content_hash;
  EXPECT_NE(h1, h2);
  EXPECT_EQ(h2, load_rule_dir(dir_)->content_hash);
}

}  // namespace
}  // namespace moderatord::classifier
