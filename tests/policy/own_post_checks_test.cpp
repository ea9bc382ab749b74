// The checks on the council's own posts (6.1, 7.6.1, 7.6.2, 7.7.6, 7.11.2), in and out of the
// configured periods.
#include "daemon/policy/own_post_checks.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

namespace moderatord::daemon::policy {
namespace {

OwnPostSettings settings() {
  OwnPostSettings s;
  s.political_terms = {"Labour Party", "Reform UK", "Tories"};
  s.candidates = {"Jane Smith"};
  s.election_terms = {"vote for", "polling day"};
  s.pre_election = {{"the May election", {2027, 3, 22}, {2027, 5, 6}}};
  s.sensitive = {{"national mourning", {2027, 1, 10}, {2027, 1, 20}}};
  s.promotional_terms = {"book now", "festival"};
  s.gif_hosts = {"giphy.com", ".gif"};
  s.council_contacts = {"01632 960000"};
  return s;
}

std::vector<std::string> checks(std::string_view text, LocalDate today, std::vector<classifier::Span> pd = {}) {
  std::vector<std::string> out;
  for (const auto& f : check_own_post(text, pd, today, settings())) out.push_back(f.check);
  return out;
}

const LocalDate kOrdinaryDay{2026, 11, 24};
const LocalDate kPurdah{2027, 4, 1};
const LocalDate kMourning{2027, 1, 15};

TEST(OwnPostChecks, AnOrdinaryPostPasses) {
  EXPECT_TRUE(checks("The library reopens on Monday at 9am.", kOrdinaryDay).empty());
}

TEST(OwnPostChecks, PoliticalPartiesAlwaysOnWordBoundaries) {
  EXPECT_EQ(checks("Thanks to the Labour Party group for the bench", kOrdinaryDay), std::vector<std::string>{"political"});
  EXPECT_TRUE(checks("The reformed committee met", kOrdinaryDay).empty());
  EXPECT_TRUE(checks("Storied history of the market", kOrdinaryDay).empty());  // "tories" inside a word
}

TEST(OwnPostChecks, CandidatesAndElectionPublicityOnlyInThePreElectionPeriod) {
  EXPECT_TRUE(checks("Jane Smith opened the fete", kOrdinaryDay).empty());
  EXPECT_EQ(checks("Jane Smith opened the fete", kPurdah), std::vector<std::string>{"candidate"});
  EXPECT_EQ(checks("Remember to vote for your councillors", kPurdah), std::vector<std::string>{"election_publicity"});
  EXPECT_EQ(checks("Jane Smith opened the fete", {2027, 5, 6}), std::vector<std::string>{"candidate"});  // polling day
  EXPECT_TRUE(checks("Jane Smith opened the fete", {2027, 5, 7}).empty());
}

TEST(OwnPostChecks, PromotionDuringASensitivePeriod) {
  EXPECT_EQ(checks("Book now for the winter festival!", kMourning), std::vector<std::string>{"sensitive_period"});
  EXPECT_TRUE(checks("Book now for the winter festival!", kOrdinaryDay).empty());
}

TEST(OwnPostChecks, PastedGifLinks) {
  EXPECT_EQ(checks("Happy Friday https://media.giphy.com/media/x/giphy.gif", kOrdinaryDay),
            std::vector<std::string>{"gif_link"});
}

TEST(OwnPostChecks, PersonalDataButNotTheCouncilsOwnNumber) {
  const std::string own = "Call the office on 01632 960000 for details";
  EXPECT_TRUE(checks(own, kOrdinaryDay, {{19, 31}}).empty());
  const std::string other = "Thanks to Mrs Jones (07700 900123) for the flowers";
  auto found = check_own_post(other, {{20, 33}}, kOrdinaryDay, settings());
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].check, "personal_data");
  EXPECT_EQ(found[0].clause, "7.6.2");
  EXPECT_NE(found[0].detail.find("07700 900123"), std::string::npos);
}

TEST(OwnPostChecks, ShippedListLoadsAndBrokenOnesNameTheLine) {
  auto shipped = OwnPostSettings::load(std::filesystem::path(MODERATORD_SOURCE_DIR) / "config/policy/own-posts.toml");
  ASSERT_TRUE(shipped.has_value()) << shipped.error().to_string();
  EXPECT_FALSE(shipped->political_terms.empty());
  const auto bad = std::filesystem::temp_directory_path() / ("own-posts-bad-" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream f(bad);
    f << "candidates = [\"A\"]\n[[pre_election]]\nname = \"x\"\nfirst = \"2027-05-06\"\nlast = \"2027-03-01\"\n";
  }
  auto broken = OwnPostSettings::load(bad);
  std::filesystem::remove(bad);
  ASSERT_FALSE(broken.has_value());
  EXPECT_NE(broken.error().to_string().find(":2:"), std::string::npos) << broken.error().to_string();
}

}  // namespace
}  // namespace moderatord::daemon::policy
