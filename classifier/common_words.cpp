#include "classifier/common_words.hpp"

namespace moderatord::classifier {

const std::vector<std::string_view>& common_words() {
  // Not a stop list for matching (these words still match where a rule names them): only a hint of
  // which side of a `near` pair is the rare one. A word missing here costs speed, never a match.
  static const std::vector<std::string_view> words = {
      // pronouns and determiners
      "i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "you", "your", "yours", "yourself", "he",
      "him", "his", "she", "her", "hers", "it", "its", "they", "them", "their", "theirs", "this", "that", "these",
      "those", "a", "an", "the", "some", "any", "no", "all", "every", "each", "both", "other", "another", "such",
      "what", "which", "who", "whom", "whose", "one", "ones", "someone", "anyone", "everyone", "people",
      "somebody", "anybody", "everybody", "nobody", "something", "anything", "everything", "nothing",
      // verbs that carry grammar
      "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does",
      "did", "done", "doing", "will", "would", "shall", "should", "can", "could", "may", "might", "must",
      "get", "got", "gets", "getting", "go", "goes", "going", "went", "gone", "make", "made", "take", "took",
      "see", "saw", "seen", "know", "knew", "think", "say", "said", "says", "come", "came", "want", "need",
      "look", "give", "keep", "let", "put", "tell", "told", "ask", "asked", "use", "used", "try", "feel",
      "im", "ive", "id", "ill", "youre", "youve", "theyre", "dont", "doesnt", "didnt", "cant", "wont",
      "isnt", "arent", "wasnt", "its", "thats", "theres", "whats",
      // prepositions, conjunctions, adverbs
      "of", "in", "on", "at", "to", "for", "from", "by", "with", "about", "into", "onto", "over", "under",
      "after", "before", "up", "down", "out", "off", "through", "around", "near", "than", "then", "and",
      "or", "but", "if", "so", "because", "as", "when", "where", "why", "how", "while", "not", "just",
      "only", "very", "too", "also", "again", "still", "now", "here", "there", "more", "most", "much",
      "many", "well", "even", "back", "never", "always", "really", "yes", "yet", "ever", "please", "thanks",
      "thank", "new", "old", "good", "great", "little", "big", "last", "next", "first", "time", "day", "week",
      "year", "today", "way", "thing", "things", "lot",
      // what council comments are about
      "council", "councillor", "town", "road", "roads", "street", "lane", "park", "school", "library",
      "station", "centre", "house", "home", "car", "bus", "bins", "bin", "money", "tax", "work", "place",
      "area", "village", "local", "public", "free", "call", "number", "address", "live", "help"};
  return words;
}

}  // namespace moderatord::classifier
