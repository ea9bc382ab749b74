#include "daemon/policy/own_post_checks.hpp"

#include <toml++/toml.h>

#include <algorithm>

namespace moderatord::daemon::policy {
namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_word_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u >= 0x80;
}

// Case-insensitive, on word boundaries on both sides: "reform" does not fire inside "reformed".
std::string_view find_term(const std::string& lowered_text, const std::vector<std::string>& terms) {
  for (const std::string& term : terms) {
    const std::string t = lower_ascii(term);
    if (t.empty()) continue;
    for (std::size_t at = lowered_text.find(t); at != std::string::npos; at = lowered_text.find(t, at + 1)) {
      const bool left = at == 0 || !is_word_byte(lowered_text[at - 1]) || !is_word_byte(t.front());
      const std::size_t end = at + t.size();
      const bool right = end >= lowered_text.size() || !is_word_byte(lowered_text[end]) || !is_word_byte(t.back());
      if (left && right) return term;
    }
  }
  return {};
}

const DatePeriod* active(const std::vector<DatePeriod>& periods, const LocalDate& today) {
  for (const DatePeriod& p : periods)
    if (p.contains(today)) return &p;
  return nullptr;
}

classifier::Error key_error(const std::filesystem::path& file, const toml::source_region& where, const std::string& what) {
  return classifier::Error(file.string() + ":" + std::to_string(where.begin.line) + ": " + what);
}

classifier::Result<std::vector<std::string>> string_list(const toml::table& t, std::string_view key,
                                                          const std::filesystem::path& file) {
  std::vector<std::string> out;
  const toml::node* node = t.get(key);
  if (node == nullptr) return out;
  const toml::array* arr = node->as_array();
  if (arr == nullptr) return key_error(file, node->source(), std::string(key) + " must be a list of strings");
  for (const toml::node& el : *arr) {
    const auto s = el.value<std::string>();
    if (!s) return key_error(file, el.source(), std::string(key) + " must be a list of strings");
    out.push_back(*s);
  }
  return out;
}

classifier::Result<std::vector<DatePeriod>> periods(const toml::table& t, std::string_view key,
                                                     const std::filesystem::path& file) {
  std::vector<DatePeriod> out;
  const toml::node* node = t.get(key);
  if (node == nullptr) return out;
  const toml::array* arr = node->as_array();
  if (arr == nullptr) return key_error(file, node->source(), std::string(key) + " must be an array of tables");
  for (const toml::node& el : *arr) {
    const toml::table* p = el.as_table();
    const auto name = p ? p->get_as<std::string>("name") : nullptr;
    const auto first = p ? p->get_as<std::string>("first") : nullptr;
    const auto last = p ? p->get_as<std::string>("last") : nullptr;
    if (!p || !name || !first || !last)
      return key_error(file, el.source(),
                       std::string(key) + " entries need name, first and last (first = \"2027-04-01\")");
    const auto f = parse_local_date(first->get()), l = parse_local_date(last->get());
    if (!f || !l || *l < *f)
      return key_error(file, el.source(), std::string(key) + " '" + name->get() + "': dates must be YYYY-MM-DD, first <= last");
    out.push_back(DatePeriod{name->get(), *f, *l});
  }
  return out;
}

}  // namespace

classifier::Result<OwnPostSettings> OwnPostSettings::load(const std::filesystem::path& file) {
  toml::table t;
  try {
    t = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return classifier::Error(file.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                             std::string(e.description()));
  }
  OwnPostSettings s;
  struct ListKey {
    std::string_view key;
    std::vector<std::string> OwnPostSettings::*field;
  };
  for (const ListKey& k : {ListKey{"political_terms", &OwnPostSettings::political_terms},
                           ListKey{"candidates", &OwnPostSettings::candidates},
                           ListKey{"election_terms", &OwnPostSettings::election_terms},
                           ListKey{"promotional_terms", &OwnPostSettings::promotional_terms},
                           ListKey{"gif_hosts", &OwnPostSettings::gif_hosts},
                           ListKey{"council_contacts", &OwnPostSettings::council_contacts}}) {
    auto list = string_list(t, k.key, file);
    if (!list) return list.error();
    s.*(k.field) = std::move(*list);
  }
  auto pre = periods(t, "pre_election", file);
  if (!pre) return pre.error();
  s.pre_election = std::move(*pre);
  auto sens = periods(t, "sensitive_period", file);
  if (!sens) return sens.error();
  s.sensitive = std::move(*sens);
  for (const auto& [key, node] : t) {
    static constexpr std::string_view kKnown[] = {"political_terms", "candidates", "election_terms", "promotional_terms",
                                                  "gif_hosts", "council_contacts", "pre_election", "sensitive_period"};
    if (std::find(std::begin(kKnown), std::end(kKnown), key.str()) == std::end(kKnown))
      return key_error(file, node.source(), "unknown key '" + std::string(key.str()) + "'");
  }
  return s;
}

std::vector<OwnPostFinding> check_own_post(std::string_view text, const std::vector<classifier::Span>& personal_data_spans,
                                           const LocalDate& today, const OwnPostSettings& settings) {
  std::vector<OwnPostFinding> out;
  const std::string lowered = lower_ascii(text);

  // 7.6.2. The council's own phone number in "call the office on ..." is not a person's data.
  // A match that overlaps where the text quotes one of the council's own contacts is the council's.
  std::vector<std::pair<std::size_t, std::size_t>> contacts;
  for (const std::string& c : settings.council_contacts) {
    const std::string lc = lower_ascii(c);
    if (lc.empty()) continue;
    for (auto at = lowered.find(lc); at != std::string::npos; at = lowered.find(lc, at + 1))
      contacts.emplace_back(at, at + lc.size());
  }
  for (const classifier::Span& span : personal_data_spans) {
    const std::string_view found = text.substr(span.begin, span.end - span.begin);
    const bool own_contact = std::any_of(contacts.begin(), contacts.end(), [&](const auto& c) {
      return span.begin < c.second && c.first < span.end;
    });
    if (!own_contact) {
      out.push_back({"personal_data", "7.6.2", "personal data in a council post: \"" + std::string(found) + "\""});
      break;
    }
  }
  if (auto term = find_term(lowered, settings.political_terms); !term.empty())
    out.push_back({"political", "7.6.1", "names a political party or campaign: \"" + std::string(term) + "\""});
  if (const DatePeriod* p = active(settings.pre_election, today)) {
    if (auto name = find_term(lowered, settings.candidates); !name.empty())
      out.push_back({"candidate", "6.1", "names candidate \"" + std::string(name) + "\" during " + p->name});
    else if (auto term = find_term(lowered, settings.election_terms); !term.empty())
      out.push_back({"election_publicity", "6.1", "election publicity (\"" + std::string(term) + "\") during " + p->name});
  }
  if (const DatePeriod* p = active(settings.sensitive, today)) {
    if (auto term = find_term(lowered, settings.promotional_terms); !term.empty())
      out.push_back({"sensitive_period", "7.7.6",
                     "promotional wording (\"" + std::string(term) + "\") during " + p->name + ": check its timing"});
  }
  for (const std::string& host : settings.gif_hosts) {
    const std::string h = lower_ascii(host);
    if (!h.empty() && lowered.find(h) != std::string::npos) {
      out.push_back({"gif_link", "7.11.2", "a pasted GIF link (" + host + "): share GIFs with the platform's GIF option"});
      break;
    }
  }
  return out;
}

}  // namespace moderatord::daemon::policy
