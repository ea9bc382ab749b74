#include "daemon/policy/repeat_detector.hpp"

#include <algorithm>
#include <iterator>
#include <set>

namespace moderatord::daemon::policy {
namespace {

// Function words and the words people use to say they are repeating themselves: neither tells
// two complaints apart. Kept short on purpose: a topic word wrongly listed here loses evidence.
constexpr std::string_view kStop[] = {
    "a", "about", "after", "again", "all", "already", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "before", "being", "but", "by", "can", "cant", "could", "council", "day", "did", "do", "does", "dont",
    "each", "even", "ever", "every", "for", "from", "get", "got", "had", "has", "have", "he", "her", "here", "him",
    "his", "how", "i", "if", "im", "in", "into", "is", "isnt", "it", "its", "ive", "just", "keep", "last", "like",
    "me", "more", "my", "no", "nobody", "not", "now", "of", "on", "one", "only", "or", "our", "out", "over", "people",
    "please", "posted", "previous", "really", "repeat", "repeating", "s", "said", "same", "say", "saying", "see",
    "she", "should", "so", "some", "still", "t", "than", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "those", "time", "times", "to", "told", "too", "up", "us", "ve", "very", "was", "we", "week",
    "well", "were", "what", "when", "where", "which", "who", "why", "will", "with", "would", "yesterday", "yet",
    "you", "your", "ll", "d", "re", "m", "listens", "nobody", "asked", "mentioned", "raised", "reported", "done",
    "going", "want", "need", "know", "think", "someone", "anyone", "thing", "things", "lot", "way", "weve",
    "youve", "theyve", "thats", "theres", "whats", "wont", "didnt", "doesnt", "arent", "wasnt"};

bool is_stop(std::string_view w) { return std::find(std::begin(kStop), std::end(kStop), w) != std::end(kStop); }

// "lights" → "light", "drains" → "drain"; leaves "bus", "glass", "is" alone.
std::string stem(std::string w) {
  if (w.size() > 3 && w.back() == 's' && w[w.size() - 2] != 's' && w[w.size() - 2] != 'u' && w[w.size() - 2] != 'i')
    w.pop_back();
  return w;
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const auto sp = s.find(' ');
    if (sp != 0) out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

}  // namespace

std::string content_words(std::string_view text) {
  std::set<std::string> words;
  std::string w;
  auto flush = [&] {
    if (!w.empty() && !is_stop(w)) words.insert(stem(w));
    w.clear();
  };
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 'A' && c <= 'Z') {
      w.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      // Bytes of non-ASCII letters stay in the word: "café" is one word, compared as bytes.
      w.push_back(ch);
    } else if (c == '\'') {
      // "we've" → "weve": apostrophes join, as the stop list expects.
    } else {
      flush();
    }
  }
  flush();
  std::string out;
  for (const auto& x : words) {
    if (!out.empty()) out += ' ';
    out += x;
  }
  return out;
}

Overlap overlap(std::string_view a, std::string_view b) {
  const auto wa = split(a), wb = split(b);  // both sorted (content_words sorts)
  if (wa.empty() || wb.empty()) return {};
  std::size_t shared = 0;
  for (std::size_t i = 0, j = 0; i < wa.size() && j < wb.size();) {
    if (wa[i] == wb[j]) {
      ++shared, ++i, ++j;
    } else if (wa[i] < wb[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return {static_cast<double>(shared) / static_cast<double>(std::min(wa.size(), wb.size())), shared};
}

std::optional<RepeatMatch> find_repeat(std::string_view tokens, bool marked, const std::vector<RepeatCandidate>& answered,
                                       const RepeatSettings& settings) {
  std::optional<RepeatMatch> best;
  const double needed = marked ? settings.marked : settings.near_duplicate;
  for (const RepeatCandidate& c : answered) {
    const Overlap o = overlap(tokens, c.tokens);
    if (o.shared < settings.min_shared || o.coefficient < needed) continue;
    // Ties go to the most recent original (candidates come oldest first).
    if (!best || o.coefficient >= best->similarity) best = RepeatMatch{c.comment_id, o.coefficient};
  }
  return best;
}

}  // namespace moderatord::daemon::policy
