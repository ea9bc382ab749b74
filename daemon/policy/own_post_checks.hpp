#pragma once
// Checks on the council's own posts and replies, each alerting the clerk (policy 6.1, 7.6, 7.7.6,
// 7.11.2). Pure: text and today's local date in, findings out. The word lists are the council's
// to keep (config/policy/own-posts.toml): party names and candidates change every election.
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "classifier/normaliser.hpp"
#include "daemon/policy/time_zone.hpp"

namespace moderatord::daemon::policy {

struct DatePeriod {
  std::string name;
  LocalDate first, last;  // inclusive, local dates
  bool contains(const LocalDate& d) const noexcept { return first <= d && d <= last; }
};

struct OwnPostSettings {
  std::vector<std::string> political_terms;    // parties and campaign wording (7.6.1)
  std::vector<std::string> candidates;         // candidates' names (6.1)
  std::vector<std::string> election_terms;     // election publicity wording (6.1)
  std::vector<DatePeriod> pre_election;        // notice of election to polling day (6.1)
  std::vector<DatePeriod> sensitive;           // mourning, major incidents (7.7.6)
  std::vector<std::string> promotional_terms;  // scheduled-sounding promotion (7.7.6)
  std::vector<std::string> gif_hosts;          // pasted GIF links (7.11.2)
  std::vector<std::string> council_contacts;   // the council's own phone numbers and addresses: not personal data

  // Reads config/policy/own-posts.toml; errors name the file and key.
  static classifier::Result<OwnPostSettings> load(const std::filesystem::path& file);
};

struct OwnPostFinding {
  std::string check;   // personal_data | political | candidate | election_publicity | sensitive_period | gif_link
  std::string clause;  // "7.6.2"
  std::string detail;  // what was found, for the clerk
};

// `personal_data_spans`: byte ranges the classifier labelled personal_data (empty when none).
std::vector<OwnPostFinding> check_own_post(std::string_view text, const std::vector<classifier::Span>& personal_data_spans,
                                           const LocalDate& today, const OwnPostSettings& settings);

}  // namespace moderatord::daemon::policy
