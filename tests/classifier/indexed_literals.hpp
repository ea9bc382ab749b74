#pragma once
// The word index's literals as a Hyperscan literal database: what the index is checked against
// (word_index_test, classify_fuzz) and measured against (classifier_bench). Header-only, for tests.
#include <hs/hs.h>

#include <string>
#include <vector>

#include "classifier/hs_database.hpp"
#include "classifier/pattern.hpp"
#include "classifier/word_index.hpp"

namespace moderatord::classifier {

// Every group of `t` that WordIndex::indexable() accepts, with its group index as the Hyperscan id.
// Null with `error` set when Hyperscan refuses them.
inline DatabasePtr indexed_literals_in_hyperscan(const PatternTable& t, std::string& error) {
  std::vector<const char*> lits;
  std::vector<std::size_t> lens;
  std::vector<unsigned> ids, flags;
  for (unsigned g = 0; g < t.groups.size(); ++g) {
    if (!WordIndex::indexable(t.groups[g].literal)) continue;
    lits.push_back(t.groups[g].literal.data());
    lens.push_back(t.groups[g].literal.size());
    ids.push_back(g);
    flags.push_back(0);
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile_lit_multi(lits.data(), flags.data(), ids.data(), lens.data(), static_cast<unsigned>(lits.size()),
                           HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
    error = err->message;
    hs_free_compile_error(err);
    return nullptr;
  }
  return DatabasePtr(db);
}

}  // namespace moderatord::classifier
