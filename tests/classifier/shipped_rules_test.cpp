// The shipped rules (config/rules) against the evasions they must catch and the hard negatives they
// must leave alone. A failure here means a rule edit broke a promise the README makes.
#include <gtest/gtest.h>

#include "classifier/rule_set.hpp"
#include "classifier/rule_tests.hpp"
#include "classifier/scanner.hpp"

namespace moderatord::classifier {
namespace {

const RuleSet& shipped() {
  static const RuleSetPtr rules = [] {
    auto r = RuleSet::load(MODERATORD_SOURCE_DIR "/config/rules", {MODERATORD_TEST_CACHE_DIR});
    if (!r) {
      ADD_FAILURE() << r.error().to_string();
      std::abort();
    }
    return *r;
  }();
  return *rules;
}

TEST(ShippedRules, EveryRuleExamplePasses) {
  Scanner s;
  const auto result = run_rule_tests(shipped(), s);
  EXPECT_GT(result.run, 50u);
  for (const auto& f : result.failures) ADD_FAILURE() << f;
}

struct Case {
  const char* text;
  Category category;
};

void PrintTo(const Case& c, std::ostream* os) { *os << '"' << c.text << "\" as " << to_string(c.category); }

class Evasion : public ::testing::TestWithParam<Case> {};

TEST_P(Evasion, IsCaught) {
  Scanner s;
  const Verdict v = s.classify(shipped(), GetParam().text);
  EXPECT_TRUE(v.has_label(GetParam().category)) << GetParam().text << " -> " << to_string(v.action);
}

INSTANTIATE_TEST_SUITE_P(
    Tricks, Evasion,
    ::testing::Values(
        Case{"fuck off", Category::obscene},
        Case{"F*CK OFF", Category::obscene},                        // masked letter
        Case{"what a load of f**king nonsense", Category::obscene}, // two masked letters
        Case{"fuuuuuck this", Category::obscene},                   // stretched
        Case{"f u c k this council", Category::obscene},            // spaced
        Case{"f.u.c.k this council", Category::obscene},            // punctuated
        Case{"total sh1t", Category::obscene},                      // leet digit
        Case{"what a load of $hit", Category::obscene},             // leet symbol
        Case{"\xef\xbd\x86\xef\xbd\x95\xef\xbd\x83\xef\xbd\x8b off", Category::obscene},  // full-width
        Case{"f\xe2\x80\x8bu\xe2\x80\x8b" "ck off", Category::obscene},                  // zero-width
        Case{"\xf0\x9d\x90\x9f\xf0\x9d\x90\xae\xf0\x9d\x90\x9c\xf0\x9d\x90\xa4 off", Category::obscene},  // math bold
        Case{"\xd1\x95h\xd1\x96t council", Category::obscene},      // Cyrillic ѕ and і
        Case{"you absolute c*nt", Category::obscene},
        Case{"I know where you live", Category::abusive},
        Case{"I'm going to get you for this, you'll pay", Category::abusive},
        Case{"I'll hang you, I swear", Category::abusive},
        Case{"c0ck womble", Category::abusive},
        Case{"gays shouldn't be allowed near kids", Category::discriminatory},
        Case{"Invest in bitcoin with me and double your money in a week", Category::deceptive},
        Case{"ring 07700 900123 and ask for Dave at 14 Elm Road", Category::personal_data}));

class HardNegative : public ::testing::TestWithParam<const char*> {};

TEST_P(HardNegative, IsLeftAlone) {
  Scanner s;
  const Verdict v = s.classify(shipped(), GetParam());
  EXPECT_EQ(v.labels, 0) << GetParam() << " -> " << to_string(v.action);
}

INSTANTIATE_TEST_SUITE_P(
    PlacesWordsAndCriticism, HardNegative,
    ::testing::Values(
        "Lovely afternoon out in Scunthorpe", "The Penistone bus was late again", "Cockermouth floods update?",
        "Clitheroe Castle is worth a visit", "Moving from Sussex to Essex", "Shitterton is a real place in Dorset",
        "Twatt is in Orkney", "Scratchy Bottom in Dorset", "Pratts Bottom and Bell End are both real",
        "The assessment was a classic bit of analysis", "Cocktail night at the Dickens Inn",
        "Shiitake mushrooms at the market", "Great tits and peacocks in the park",
        "My friend from Nigeria has diabetes", "Saw a shuttlecock on the scrapbook stall",
        "Someone shouted 'f*** off' at me outside the library, please act",
        "I could murder a coffee after that meeting", "The resurfacing is killing my business",
        "Useless council, absolute shambles, the flooding is criminal", "Bloody potholes again, ffs",
        "What a load of bollocks, this budget is piss-poor", "Vultures, the lot of you, a disgrace",
        // Replies to a neighbour that criticise a decision or a place, not the neighbour.
        "@dave_r the new parking rules are stupid", "@sarah_k that is disgusting, the bins have not been collected",
        "@jo_b it sucks that the library is closing", "@dave_r I agree, this roundabout is ugly",
        // A word talked about, not used; other senses of words that are also slurs or insults.
        "I admit my use of the word 'bastards' was wrong, sorry", "The use of the term 'wog' got him banned",
        "The auto tranny on the van went again, garage says a rebuilt tranny is £900",
        "The dog treed a coon by the canal", "Hoe hoe hoe, merry Christmas from the parish council",
        // Speech against abuse and stereotypes, and reports of it by the people it hurt.
        "Refugees are not criminals, they need our help", "Not all travellers are thieves, most are decent people",
        "My son was called a retard at school, what is the council doing about bullying?",
        "Someone called my daughter a slag on the school bus, the driver did nothing",
        "Calling people pakis is disgusting and racist", "Anyone who says refugees are vermin should be ashamed",
        "I was told to go back to where I came from, I was born in this town",
        "There's a man selling weed outside the school gates, I've told the police",
        // Gardening, old names, licensing and planning notices.
        "Hoes and rakes for sale at the allotment shed", "My nan worked for the Spastics Society",
        "Strip club planning application, no thanks", "Erection of a two storey rear extension at 4 Mill Lane",
        // "get", "deal with", "sort out", "beat", "hurt" with a person are threats only with something
        // hostile beside them.
        "We will get you a replacement bin this week", "I'll deal with them tomorrow morning",
        "I'll sort you out with a permit form, just pop in", "We're going to beat them in the cup final",
        "I'll shoot you an email with the minutes", "Someone needs to get the mayor to come and see this road",
        "I'll hang them on the wall in the village hall", "These charges are going to hurt them in the pocket",
        // How residents and the council point at things; a dog show; the council's own number.
        "Click here for the consultation document", "Bitches and puppies at the dog show need water bowls please",
        "Call 01632 960000 for the council switchboard"));

}  // namespace
}  // namespace moderatord::classifier
