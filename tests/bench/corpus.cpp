#include "corpus.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string_view>

namespace moderatord::bench {
namespace {

// std::mt19937_64 is specified exactly by the standard; the distributions are not, so we reduce with a
// plain modulo. The bias (at most n / 2^64) does not matter for a benchmark corpus.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(engine_() % n); }
  bool per_mille(unsigned p) { return below(1000) < p; }
  template <class T, std::size_t N>
  const T& pick(const std::array<T, N>& a) {
    return a[below(N)];
  }

 private:
  std::mt19937_64 engine_;
};

using Words = std::string_view;

constexpr std::array<Words, 24> kPlaces = {
    "Mill Lane", "the High Street", "Station Road", "Church Street", "Victoria Park", "the leisure centre",
    "the library", "Northgate", "the bypass", "Queens Road", "the recycling centre", "the market square",
    "Elm Grove", "the primary school", "the cemetery", "the car park behind the co-op", "the Fairfield estate",
    "the canal towpath", "the bus station", "Brook Street", "the roundabout by the garage", "Orchard Close",
    "the playing fields", "Castle Hill"};

constexpr std::array<Words, 24> kThings = {
    "the bins", "the potholes", "the streetlights", "the parking charges", "the council tax", "the roadworks",
    "the fly-tipping", "the dog mess", "the traffic lights", "the new cycle lane", "the planning application",
    "the grass verges", "the public toilets", "the bus shelter", "the speed bumps", "the litter",
    "the drains", "the hedges", "the noise from the pub", "the graffiti", "the gritting", "the street sweeper",
    "the brown bin collection", "the pay and display machine"};

constexpr std::array<Words, 20> kComplaints = {
    "have not been collected for three weeks", "are a disgrace", "are getting worse every month",
    "still have not been fixed", "have been broken since March", "are a complete waste of money",
    "are dangerous for kids walking to school", "flood every time it rains",
    "were reported twice and nothing happened", "make it impossible to get to work on time",
    "are costing us a fortune", "were left half finished", "have been ignored for years",
    "are blocking the pavement for wheelchairs", "keep getting worse", "are an accident waiting to happen",
    "were meant to be sorted last summer", "are making the whole area look tired",
    "have doubled in price with no warning", "are nowhere near good enough"};

constexpr std::array<Words, 12> kWhen = {
    "again", "this morning", "since last Tuesday", "every single week", "for months now",
    "over the weekend", "yet again", "after the storm", "for the third time", "all winter",
    "since the new contract started", "during half term"};

constexpr std::array<Words, 20> kQuestions = {
    "When will {thing} on {place} be sorted", "Who do I contact about {thing} near {place}",
    "Is {place} open on bank holidays", "Can someone explain why {thing} cost so much",
    "Are there any plans to fix {thing} on {place}", "What time does {place} open on Sunday",
    "Has anyone else had a reply about {thing}", "How do I apply for a resident parking permit",
    "Why was the meeting about {place} moved to Thursday", "Where can I report {thing}",
    "Does anyone know if {place} is closed next week", "Is there a date for the consultation on {thing}",
    "Will the minutes of the last meeting be published", "How much did {thing} on {place} actually cost",
    "Could you share the timetable for the work on {place}", "Is the tip open on Saturday mornings",
    "Are dogs allowed in {place} now", "Who decided to change {thing}",
    "Can we have a bin at the end of {place}", "What is happening with {thing} by {place}"};

constexpr std::array<Words, 18> kPraise = {
    "Thank you to the team who cleared {place}", "Great job on {thing}, looks much better",
    "Well done to everyone at {place}", "Really impressed with how quickly {thing} got fixed",
    "Lovely to see {place} looking so tidy", "Big thanks to the volunteers at {place}",
    "The Christmas lights on {place} are beautiful this year", "Credit where it is due, {thing} are much improved",
    "Fantastic work by the parks team", "So pleased the library is staying open",
    "The new benches in {place} are a lovely touch", "Thanks for sorting {thing} so fast",
    "Brilliant turnout at the litter pick on {place}", "The flowers by {place} look amazing",
    "Nice to finally see {thing} fixed", "Thank you Cllr Patel for listening",
    "Good to see the council actually responding", "Cheers to the crew who fixed {thing}"};

constexpr std::array<Words, 16> kClosers = {
    "Thanks.", "Not good enough.", "Please sort it out.", "Any update would be appreciated.", "Shocking.",
    "Cheers.", "Keep up the good work!", "Ridiculous.", "Absolute joke.", "Many thanks.",
    "Sort it out please!!", "Rant over.", "Just saying.", "Thank you so much!", "Disappointed.", "#fixit"};

constexpr std::array<Words, 10> kPeople = {
    "Cllr Patel", "Cllr Hughes", "the Mayor", "Mrs Jenkins", "Dave from the depot", "the parks team",
    "the clerk", "our ward councillor", "the bin men", "the highways officer"};

// Disguised profanity, the way residents write it.
constexpr std::array<Words, 22> kProfanity = {
    "f*ck", "f**k", "sh1t", "sh!t", "f u c k", "s h i t", "f.u.c.k", "fuuuuck", "b!tch", "a$$hole",
    "bollocks", "sh*t", "FFS", "wtf", "f-ing", "c r a p", "pr1ck", "tw@t", "bu11sh1t", "fecking",
    "bloody hell", "piss take"};

constexpr std::array<Words, 8> kProfanityFrames = {
    "What the {p} is going on.", "{p} this council.", "Absolute {p} service.", "This is total {p}.",
    "{p}, seriously?", "Who the {p} signed this off?", "Same old {p}.", "Utter {p} from start to finish."};

// Homoglyphs, zero-width characters, soft hyphens and fullwidth or mathematical letters.
constexpr std::array<Words, 10> kDisguised = {
    "\xd1\x95hit",                     // Cyrillic dze
    "f\xd5\xbd" "ck",                  // Armenian seh
    "f\xe2\x80\x8b" "uck",             // zero-width space
    "\xef\xbd\x86\xef\xbd\x95\xef\xbd\x83\xef\xbd\x8b",  // fullwidth
    "sh\xc2\xad" "it",                 // soft hyphen
    "\xf0\x9d\x90\x9f\xf0\x9d\x90\xae\xf0\x9d\x90\x9c\xf0\x9d\x90\xa4",  // mathematical bold
    "b\xd0\xbe" "llocks",              // Cyrillic o
    "c\xe2\x80\x8d" "r\xe2\x80\x8d" "ap",  // zero-width joiners
    "f\xc3\xbc" "ck",                  // u with diaeresis
    "\xce\xa4w\xce\xb1t"};             // Greek tau and alpha

constexpr std::array<Words, 20> kEmoji = {
    "\xf0\x9f\x98\xa1",                  // pouting face
    "\xf0\x9f\x91\x8d",                  // thumbs up
    "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",  // thumbs up, skin tone
    "\xf0\x9f\x99\x8f",                  // folded hands
    "\xf0\x9f\x98\x82",                  // tears of joy
    "\xf0\x9f\x9a\xae",                  // litter in bin
    "\xf0\x9f\x97\x91\xef\xb8\x8f",      // wastebasket + VS16
    "\xf0\x9f\x9a\xa7",                  // construction
    "\xe2\x9d\xa4\xef\xb8\x8f",          // red heart + VS16
    "\xf0\x9f\x91\x8f",                  // clapping
    "\xf0\x9f\xa4\xac",                  // symbols on mouth
    "\xf0\x9f\x99\x84",                  // eye roll
    "\xf0\x9f\x98\x8d",                  // heart eyes
    "\xf0\x9f\x8e\x84",                  // Christmas tree
    "\xf0\x9f\x87\xac\xf0\x9f\x87\xa7",  // flag
    "\xf0\x9f\x98\xa4",                  // steam from nose
    "\xf0\x9f\x92\xaf",                  // hundred
    "\xf0\x9f\x8c\xb3",                  // tree
    "\xf0\x9f\x9a\x97",                  // car
    "\xf0\x9f\xa4\xa6\xe2\x80\x8d\xe2\x99\x82\xef\xb8\x8f"};  // facepalm, ZWJ sequence

constexpr std::array<Words, 16> kNonLatin = {
    "Спасибо за информацию.", "Когда починят дорогу?", "Очень плохо убирают мусор.",
    "Где можно оставить отзыв?",
    "Ευχαριστούμε πολύ για τη βοήθεια.", "Πότε θα φτιάξουν τον δρόμο;", "Τα σκουπίδια είναι παντού.",
    "谢谢你们的工作。", "垃圾已经三个星期没有收了。", "请问图书馆周日开门吗？", "停车费太贵了。",
    "شكرا جزيلا على المساعدة", "متى سيتم إصلاح الطريق؟", "الشارع مظلم جدا في الليل",
    "ゴミの回収はいつですか？", "도서관은 언제 열어요?"};

constexpr std::array<Words, 6> kPersonalData = {
    "Ring me on 07700 900123.", "My number is 01632 960 555 if anyone wants to help.",
    "Email me at j.smith@example.org please.", "Contact me: sam.k@example.com.",
    "Call 0113 496 0000 for the residents group.", "You can reach me on +44 7700 900456."};

// Phone keyboards turn ' into ’ and ... into …; enough comments carry them that the ASCII fast path
// is not the only path measured.
constexpr std::array<Words, 6> kSmartPunct = {
    "Don\xe2\x80\x99t hold your breath\xe2\x80\xa6", "It\xe2\x80\x99s been like this for ages.",
    "They said \xe2\x80\x9cnext week\xe2\x80\x9d in June.", "Can\xe2\x80\x99t believe it \xe2\x80\x93 again.",
    "We\xe2\x80\x99re still waiting\xe2\x80\xa6", "Na\xc3\xafve of me to expect a reply."};

std::string fill(Words frame, Rng& rng) {
  std::string out;
  for (std::size_t i = 0; i < frame.size();) {
    if (frame.substr(i).starts_with("{thing}")) {
      out += rng.pick(kThings);
      i += 7;
    } else if (frame.substr(i).starts_with("{place}")) {
      out += rng.pick(kPlaces);
      i += 7;
    } else {
      out += frame[i++];
    }
  }
  return out;
}

std::string capitalise(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 32);
  return s;
}

std::string sentence(Rng& rng, std::size_t kind) {
  switch (kind) {
    case 0: {  // complaint
      std::string s = capitalise(std::string(rng.pick(kThings))) + " on " + std::string(rng.pick(kPlaces)) + " " +
                      std::string(rng.pick(kComplaints));
      if (rng.below(2) == 0) s += " " + std::string(rng.pick(kWhen));
      return s + (rng.below(4) == 0 ? "!" : ".");
    }
    case 1:  // question
      return fill(rng.pick(kQuestions), rng) + (rng.below(5) == 0 ? "??" : "?");
    case 2:  // praise
      return fill(rng.pick(kPraise), rng) + (rng.below(3) == 0 ? "!" : ".");
    case 3:
      return "Has " + std::string(rng.pick(kPeople)) + " actually been down " + std::string(rng.pick(kPlaces)) + "?";
    default:
      return std::string(rng.pick(kClosers));
  }
}

std::string profanity(Rng& rng) {
  const Words frame = rng.pick(kProfanityFrames);
  const Words p = rng.pick(kProfanity);
  std::string out;
  const std::size_t at = frame.find("{p}");
  out.append(frame.substr(0, at)).append(p).append(frame.substr(at + 3));
  return out;
}

std::string emoji(Rng& rng) {
  std::string out;
  const std::size_t n = 1 + rng.below(3);
  for (std::size_t i = 0; i < n; ++i) out += rng.pick(kEmoji);
  return out;
}

void upper(std::string& s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
}
void lower(std::string& s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
}

std::string one_comment(Rng& rng, const CorpusOptions& o, const CorpusMix& mix) {
  // Most comments are short, a few run long: the smaller of two uniform draws.
  const std::size_t span = o.max_bytes - o.min_bytes + 1;
  const std::size_t target = o.min_bytes + std::min(rng.below(span), rng.below(span));
  const std::size_t mood = rng.below(3);  // the comment's main kind: complaint, question, praise

  struct Part {
    std::string text;
    bool keep;  // injected content: never dropped to fit the length
  };
  std::vector<Part> parts;
  std::size_t size = 0;
  while (size < target) {
    const std::size_t r = rng.below(10);
    const std::size_t kind = r < 6 ? mood : r < 8 ? rng.below(3) : r < 9 ? 3 : 4;
    std::string s = sentence(rng, kind);
    if (rng.per_mille(20)) upper(s);
    size += s.size() + 1;
    parts.push_back({std::move(s), false});
  }
  auto inject = [&](std::string text) {
    parts.insert(parts.begin() + static_cast<std::ptrdiff_t>(rng.below(parts.size() + 1)), {std::move(text), true});
  };
  // Decided in a fixed order with a draw each, so the shares do not depend on one another.
  const bool lowercase_all = rng.per_mille(100);
  if (rng.per_mille(mix.profanity)) inject(profanity(rng));
  if (rng.per_mille(mix.disguise)) {
    const std::string d(rng.pick(kDisguised));
    inject(rng.below(2) == 0 ? "What a load of " + d + "." : "Total " + d + " from " + std::string(rng.pick(kPeople)));
  }
  if (rng.per_mille(mix.non_latin)) inject(std::string(rng.pick(kNonLatin)));
  if (rng.per_mille(mix.smart_quotes)) inject(std::string(rng.pick(kSmartPunct)));
  if (rng.per_mille(mix.personal_data)) inject(std::string(rng.pick(kPersonalData)));
  if (rng.per_mille(mix.emoji)) {
    if (rng.below(3) == 0) inject(emoji(rng));
    else parts.push_back({emoji(rng), true});  // emoji usually close the comment
  }

  auto joined_size = [&] {
    std::size_t n = 0;
    for (const auto& p : parts) n += p.text.size() + 1;
    return n == 0 ? 0 : n - 1;
  };
  while (joined_size() > o.max_bytes) {
    std::size_t droppable = 0;
    for (const auto& p : parts) droppable += p.keep ? 0 : 1;
    if (droppable == 0) break;
    std::size_t k = rng.below(droppable);
    for (auto it = parts.begin(); it != parts.end(); ++it) {
      if (it->keep) continue;
      if (k-- == 0) {
        parts.erase(it);
        break;
      }
    }
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += rng.per_mille(50) ? '\n' : ' ';
    out += p.text;
  }
  while (out.size() < o.min_bytes) out += " " + std::string(rng.pick(kClosers));
  // Still too long (only injected parts left, or the closers above): cut at a space, which is never
  // inside a UTF-8 sequence.
  if (out.size() > o.max_bytes) {
    const std::size_t cut = out.rfind(' ', o.max_bytes);
    out.resize(cut != std::string::npos && cut >= o.min_bytes ? cut : o.max_bytes);
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  }
  if (lowercase_all) lower(out);
  return out;
}

}  // namespace

std::vector<std::string> make_corpus(const CorpusOptions& options, const CorpusMix& mix) {
  Rng rng(options.seed);
  std::vector<std::string> corpus;
  corpus.reserve(options.count);
  for (std::size_t i = 0; i < options.count; ++i) corpus.push_back(one_comment(rng, options, mix));
  return corpus;
}

CorpusStats corpus_stats(const std::vector<std::string>& corpus) {
  CorpusStats s;
  s.count = corpus.size();
  s.min_bytes = corpus.empty() ? 0 : SIZE_MAX;
  for (const auto& c : corpus) {
    s.total_bytes += c.size();
    s.min_bytes = std::min(s.min_bytes, c.size());
    s.max_bytes = std::max(s.max_bytes, c.size());
    std::size_t high = 0;
    for (unsigned char b : c) high += b >= 0x80 ? 1 : 0;
    s.non_ascii_bytes += high;
    s.non_ascii_comments += high > 0 ? 1 : 0;
  }
  return s;
}

std::string describe(const CorpusStats& s) {
  char buf[256];
  const double n = s.count == 0 ? 1.0 : static_cast<double>(s.count);
  const double b = s.total_bytes == 0 ? 1.0 : static_cast<double>(s.total_bytes);
  std::snprintf(buf, sizeof buf,
                "%zu comments, %.2f MB (avg %.0f bytes, %zu..%zu), non-ASCII: %.1f%% of comments, %.2f%% of bytes",
                s.count, static_cast<double>(s.total_bytes) / 1e6, static_cast<double>(s.total_bytes) / n,
                s.min_bytes, s.max_bytes, 100.0 * static_cast<double>(s.non_ascii_comments) / n,
                100.0 * static_cast<double>(s.non_ascii_bytes) / b);
  return buf;
}

}  // namespace moderatord::bench
