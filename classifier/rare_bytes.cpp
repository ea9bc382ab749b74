#include "classifier/rare_bytes.hpp"

#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <algorithm>
#include <string>
#include <vector>

namespace moderatord::classifier {

std::string digits_as_zero(std::string_view regex) {
  std::string out;
  out.reserve(regex.size());
  for (std::size_t i = 0; i < regex.size(); ++i) {
    if (regex[i] == '\\' && i + 1 < regex.size()) {
      if (regex[i + 1] == 'd') out += '0';
      else out.append(regex.substr(i, 2));
      ++i;
    } else {
      out += regex[i];
    }
  }
  return out;
}

void mark_rare_regexes(PatternTable& patterns) {
  if (patterns.regexes.empty()) return;
  re2::FilteredRE2 filter(1);  // atoms of one byte count: "@" alone is what marks a mention
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  for (auto& p : patterns.regexes) {
    int id = 0;
    // RE2's prefilter gives up on "\\d{1,4}" (too many digit strings) but not on "0{1,4}".
    const std::string analysed = digits_as_zero(p.regex);
    if (filter.Add(analysed, options, &id) != RE2::NoError) return;  // check_regexes reports it; stay common
  }
  std::vector<std::string> atoms;
  filter.Compile(&atoms);
  // Every atom without a rare byte present: the regexes still possible are the common ones.
  std::vector<int> common_atoms;
  for (std::size_t i = 0; i < atoms.size(); ++i)
    if (std::none_of(atoms[i].begin(), atoms[i].end(), [](char c) { return is_rare_byte(static_cast<unsigned char>(c)); }))
      common_atoms.push_back(static_cast<int>(i));
  std::vector<int> possible;
  filter.AllPotentials(common_atoms, &possible);
  for (auto& p : patterns.regexes) p.rare = true;
  for (const int i : possible) patterns.regexes[static_cast<std::size_t>(i)].rare = false;
}

}  // namespace moderatord::classifier
