#pragma once
// Words so frequent in comments that matching them everywhere costs more than everything else the
// scanner does. A `near` pair with such words on one side only is anchored on its other side: the
// common side is kept out of the main Hyperscan database and looked for only in comments where the
// anchor matched (see PatternTable::first_deferred_group). What matches does not change, only when
// the scanner looks.
#include <string_view>
#include <vector>

namespace moderatord::classifier {

// English function words and the nouns council comments are made of, in plain lower case (the
// pattern builder normalises them like rule entries).
const std::vector<std::string_view>& common_words();

}  // namespace moderatord::classifier
