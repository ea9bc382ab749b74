#include "classifier/scanner.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace moderatord::classifier {
namespace {

int on_word_match(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  static_cast<std::vector<LiteralHit>*>(ctx)->push_back({id, static_cast<std::uint32_t>(to)});
  return 0;
}

int on_text_match(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  // Prefilter mode with SINGLEMATCH: at most one "may match" per pattern; RE2 confirms it. A regex
  // of exact width: every match, in order of end.
  static_cast<std::vector<Scanner::Hit>*>(ctx)->push_back({id, static_cast<std::uint32_t>(to)});
  return 0;
}

// hits[from, mid) and hits[mid, end), each in order of end, into one run in order of end (the first
// before the second where both end together), as one scan would have reported them. Through
// `scratch`, which is kept: std::inplace_merge allocated a buffer on every call.
void merge_by_end(std::vector<LiteralHit>& hits, std::size_t from, std::size_t mid, std::vector<LiteralHit>& scratch) {
  if (from == mid || mid == hits.size()) return;
  scratch.assign(hits.begin() + static_cast<std::ptrdiff_t>(from), hits.end());
  const auto split = scratch.begin() + static_cast<std::ptrdiff_t>(mid - from);
  std::merge(scratch.begin(), split, split, scratch.end(), hits.begin() + static_cast<std::ptrdiff_t>(from),
             [](const LiteralHit& a, const LiteralHit& b) { return a.to < b.to; });
}

// Matches of one regex a comment may hold that we record (the rule counts once anyway).
constexpr int kMaxRegexMatches = 8;
// A text hit already taken with an earlier hit of its regex (exact-width regexes).
constexpr std::uint32_t kDone = ~std::uint32_t{0};

[[noreturn]] void scan_failed(hs_error_t err) {
  // The databases were compiled and validated and the scratch allocated for them: a scan error is
  // a bug in how we call Hyperscan, not a property of the comment.
  std::fprintf(stderr, "moderatord: hs_scan failed with error %d\n", err);
  std::abort();
}

bool contains(Span outer, Span inner) { return outer.begin <= inner.begin && inner.end <= outer.end; }
bool overlaps(Span a, Span b) { return a.begin < b.end && b.begin < a.end; }

}  // namespace

Scanner::Scanner() {
  word_hits_.reserve(256);
  text_hits_.reserve(256);
}

void Scanner::prepare(const RuleSet& rules) {
  if (prepared_for_ == &rules) return;
  const Databases& dbs = rules.databases();
  for (const hs_database_t* db : {dbs.words.get(), dbs.deferred.get(), dbs.text.get(), dbs.text_rare.get()}) {
    if (db == nullptr) continue;
    hs_scratch_t* raw = scratch_.release();
    if (hs_alloc_scratch(db, &raw) != HS_SUCCESS) {
      std::fprintf(stderr, "moderatord: out of memory allocating Hyperscan scratch\n");
      std::abort();
    }
    scratch_.reset(raw);
  }
  fired_stamp_.assign(rules.rules().size(), 0);
  stamp_ = 0;
  prepared_for_ = &rules;
}

void Scanner::classify(const RuleSet& rules, std::string_view text, Verdict& out) {
  normaliser_.normalise(text, normalised_);
  scan(rules, normalised_, out);
}

void Scanner::scan(const RuleSet& rules, const NormalisedText& text, Verdict& out) {
  prepare(rules);
  word_hits_.clear();
  deferred_hits_.clear();
  text_hits_.clear();
  const Databases& dbs = rules.databases();
  const auto w = text.words();
  // Whole-word literals by token lookup; the few with a wildcard by Hyperscan.
  rules.word_index().find(w, word_hits_, deferred_hits_);
  if (dbs.words) {
    const std::size_t indexed = word_hits_.size();
    if (auto err = hs_scan(dbs.words.get(), w.data(), static_cast<unsigned>(w.size()), 0, scratch_.get(),
                           on_word_match, &word_hits_);
        err != HS_SUCCESS)
      scan_failed(err);
    merge_by_end(word_hits_, 0, indexed, merge_scratch_);
  }
  // The common side of an anchored `near` pair counts only where its anchor matched.
  const auto& groups = rules.patterns().groups;
  bool wake = false;
  for (const LiteralHit& h : word_hits_) wake = wake || groups[h.group].wakes_deferred;
  if (wake) {
    const std::size_t before = word_hits_.size();
    word_hits_.insert(word_hits_.end(), deferred_hits_.begin(), deferred_hits_.end());
    if (dbs.deferred) {
      const std::size_t indexed = word_hits_.size();
      if (auto err = hs_scan(dbs.deferred.get(), w.data(), static_cast<unsigned>(w.size()), 0, scratch_.get(),
                             on_word_match, &word_hits_);
          err != HS_SUCCESS)
        scan_failed(err);
      merge_by_end(word_hits_, before, indexed, merge_scratch_);
    }
  }
  const ScoreTable& table = rules.score_table();
  for (const LiteralHit& h : word_hits_) table.prefetch(h.group);
  const auto t = text.text();
  if (dbs.text && !t.empty()) {
    if (auto err = hs_scan(dbs.text.get(), t.data(), static_cast<unsigned>(t.size()), 0, scratch_.get(),
                           on_text_match, &text_hits_);
        err != HS_SUCCESS)
      scan_failed(err);
  }
  if (dbs.text_rare && text.rare_bytes()) {
    if (auto err = hs_scan(dbs.text_rare.get(), t.data(), static_cast<unsigned>(t.size()), 0, scratch_.get(),
                           on_text_match, &text_hits_);
        err != HS_SUCCESS)
      scan_failed(err);
  }
  score(rules, text, out);
}

void Scanner::score(const RuleSet& rules, const NormalisedText& text, Verdict& out) {
  out.clear();
  out.utf8_repaired = text.utf8_repaired();
  if (word_hits_.empty() && text_hits_.empty()) return;
  if (++stamp_ == 0) {  // wrapped after 2^32 comments: start the stamps afresh
    std::fill(fired_stamp_.begin(), fired_stamp_.end(), 0);
    stamp_ = 1;
  }
  const PatternTable& pt = rules.patterns();
  const auto runs = text.runs();

  // First pass: turn hits into spans of the original text, sorted by role.
  allow_spans_.clear();
  unless_spans_.clear();
  auto& candidates = candidates_;
  candidates.clear();
  near_hits_.clear();
  const ScoreTable& table = rules.score_table();
  for (const LiteralHit& h : word_hits_) {
    const ScoreTable::Group g = table.group(h.group);
    const std::size_t start = h.to - g.size;
    const std::uint8_t* const have = runs.data() + start;
    for (std::uint32_t k = 0; k < g.count; ++k) {
      const ScoreEntry p = g.entry(k);
      const unsigned char* const want = g.runs(k);
      // Run lengths equal byte for byte (the usual case) need no per-byte reading of runs_match.
      // A plain loop: literals are short, and memcmp is a call through the PLT.
      bool ok = true;
      for (std::size_t i = 0; i < g.size && ok; ++i) ok = have[i] == want[i];
      if (!ok) {
        ok = true;
        for (std::size_t i = 0; i < g.size && ok; ++i) ok = want[i] == 0 || runs_match(have[i], want[i]);
      }
      if (!ok) continue;
      switch (p.role) {
        case Role::allow: allow_spans_.push_back(text.word_span(start + p.lead, h.to - p.trail)); break;
        case Role::unless: unless_spans_.emplace_back(p.owner, text.word_span(start + p.lead, h.to - p.trail)); break;
        case Role::rule: candidates.push_back({p.owner, text.word_span(start + p.lead, h.to - p.trail)}); break;
        case Role::near_first:
        case Role::near_then:
          near_hits_.push_back({p.owner, p.near, p.within, p.role == Role::near_then,
                                static_cast<std::uint32_t>(start + p.lead), static_cast<std::uint32_t>(h.to - p.trail)});
          break;
      }
    }
  }
  // In order of end (Hyperscan's order within one database; the deferred scan comes after), the
  // longer of two entries ending together first, so the pairing below does not depend on the scan.
  std::sort(near_hits_.begin(), near_hits_.end(), [](const NearHit& a, const NearHit& b) {
    return a.end != b.end ? a.end < b.end : a.begin < b.begin;
  });
  // `near` pairs: a first word, then a second within `within` words (counted as the spaces between
  // them in the word view). Each pair becomes one candidate spanning both.
  if (!near_hits_.empty()) {
    const std::string_view w = text.words();
    // The first words alone, still in order of end: the search for a then-word's partner stops at
    // the first that ends after the then-word begins.
    near_firsts_.clear();
    for (const NearHit& f : near_hits_)
      if (!f.then) near_firsts_.push_back(f);
    for (const NearHit& t : near_hits_) {
      if (!t.then) continue;
      const int within = t.within;
      for (const NearHit& f : near_firsts_) {
        if (f.end > t.begin) break;
        if (f.rule != t.rule || f.near != t.near) continue;
        int spaces = 0;
        for (std::uint32_t i = f.end; i < t.begin && spaces <= within + 1; ++i) spaces += w[i] == ' ';
        if (spaces == 0 || spaces - 1 > within) continue;  // overlapping, or too far apart
        const Span first_span = text.word_span(f.begin, f.end), then_span = text.word_span(t.begin, t.end);
        bool allowed = false;  // either word inside an allowlisted entry cancels the pair
        for (const Span& a : allow_spans_) allowed = allowed || contains(a, first_span) || contains(a, then_span);
        if (!allowed) candidates.push_back({t.rule, Span{first_span.begin, then_span.end}});
        break;
      }
    }
  }
  for (std::size_t k = 0; k < text_hits_.size(); ++k) {
    const Hit h = text_hits_[k];
    if (h.id == kDone) continue;
    const RegexPattern& p = pt.regexes[h.id];
    if (p.width != 0) {
      // Hyperscan's exact matches, all of this regex's taken here at its first: leftmost first and
      // not overlapping, as RE2's search from the end of the previous match would find them.
      int n = 0;
      std::uint32_t next = 0;  // where the next match may start
      for (std::size_t j = k; j < text_hits_.size() && n < kMaxRegexMatches; ++j) {
        if (text_hits_[j].id != h.id) continue;
        const std::uint32_t to = text_hits_[j].to, from = to - p.width;
        if (from < next) continue;
        const Span span = text.text_span(from, to);
        if (p.role == Role::unless) unless_spans_.emplace_back(p.owner, span);
        else candidates.push_back({p.owner, span});
        next = to;
        ++n;
      }
      for (std::size_t j = k + 1; j < text_hits_.size(); ++j)
        if (text_hits_[j].id == h.id) text_hits_[j].id = kDone;
      continue;
    }
    const std::string_view t = text.text();
    re2::StringPiece m;
    std::size_t pos = 0;
    for (int n = 0; n < kMaxRegexMatches && pos < t.size(); ++n) {
      std::size_t from = 0, to = 0;
      if (!p.fixed.empty()) {
        // RE2's answer without RE2: the leftmost match, the first alternative where several start.
        from = std::string_view::npos;
        for (const auto& a : p.fixed)
          if (const auto at = t.find(a, pos); at < from) {
            from = at;
            to = at + a.size();
          }
        if (from == std::string_view::npos) break;
      } else {
        if (!p.re2->Match(re2::StringPiece(t.data(), t.size()), pos, t.size(), RE2::UNANCHORED, &m, 1)) break;
        from = static_cast<std::size_t>(m.data() - t.data());
        to = from + m.size();
      }
      if (to > from) {
        const Span span = text.text_span(from, to);
        if (p.role == Role::unless) unless_spans_.emplace_back(p.owner, span);
        else candidates.push_back({p.owner, span});
      }
      pos = to > from ? to : from + 1;
    }
  }

  // Second pass: keep what no allowlist entry or `unless` of the same rule covers; score each rule once.
  auto& overrides = out.rule_floor;
  for (const Candidate& c : candidates) {
    bool cancelled = false;
    for (const Span& a : allow_spans_) cancelled = cancelled || contains(a, c.span);
    for (const auto& [owner, s] : unless_spans_) cancelled = cancelled || (owner == c.rule && overlaps(s, c.span));
    if (cancelled) continue;
    const ScoreRule& r = table.rule(c.rule);
    // Several entries of one rule (a word and its '*' variant, "fuck" and "fuck*") can find the
    // same text: report it once.
    // (Only a rule that already fired in this comment can have a match there to repeat.)
    bool duplicate = false;
    if (fired_stamp_[c.rule] == stamp_)
      for (const Match& m : out.matches)
        duplicate = duplicate || (m.rule == c.rule && m.span.begin == c.span.begin && m.span.end == c.span.end);
    if (!duplicate && out.matches.size() < Verdict::kMaxMatches) out.matches.push_back({c.rule, r.category, c.span});
    if (fired_stamp_[c.rule] == stamp_) continue;
    fired_stamp_[c.rule] = stamp_;
    const auto ci = static_cast<std::size_t>(r.category);
    out.scores[ci] += r.weight;
    if (r.has_action && r.action > overrides[ci]) overrides[ci] = r.action;
  }

  // Sums as an admin adds the weights up: in binary 0.7 + 0.6 + 0.7 is 1.9999999999999998, below a
  // hide at 2.0. Weights are written with a few decimals; a millionth is far finer than any of them.
  // (By integer conversion: std::round is a call into libm, on nearly every comment.)
  for (double& score : out.scores)
    if (score != 0) score = static_cast<double>(static_cast<std::int64_t>(score * 1e6 + (score < 0 ? -0.5 : 0.5))) / 1e6;
  const Thresholds& th = rules.thresholds();
  for (std::size_t c = 0; c < kLabelCount; ++c) {
    const auto cat = static_cast<Category>(c);
    Action a = th.decide(cat, out.scores[c]);
    if (overrides[c] > a) a = overrides[c];
    out.category_action[c] = a;
    if (is_breach_action(a)) out.labels = static_cast<std::uint16_t>(out.labels | (1U << c));
    if (a > out.action) out.action = a;
  }
  const auto nr = static_cast<std::size_t>(Category::needs_response);
  const auto rh = static_cast<std::size_t>(Category::rhetorical);
  out.rhetorical = out.scores[rh] >= th.signal[rh];
  // A breach is hidden, not answered; a rhetorical question expects no answer (7.8.1).
  out.needs_response = out.scores[nr] >= th.signal[nr] && !out.rhetorical && out.labels == 0;
}

}  // namespace moderatord::classifier
