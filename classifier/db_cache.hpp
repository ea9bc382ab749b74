#pragma once
// On-disk cache of compiled Hyperscan databases, so a restart or reload with unchanged rules skips
// the compile (about a second for a large rule set).
//
//   patterns ──hash──► key = SHA-256(every compiled literal and regex in id order, engine format,
//                                    Hyperscan version, CPU platform)
// Keyed by what is compiled, not by the rule files: a change in how words are expanded (a new
// engine version) changes the key even when no rule file changed.
//   cache_dir/<key>.hsdb ──read──► hs_deserialize_database ──ok──► use
//                                        │ missing, truncated, HS_DB_VERSION_ERROR,
//                                        ▼ HS_DB_PLATFORM_ERROR or any doubt
//                                  compile ──► serialise ──► write temp file, rename over the old
//                                              ──► prune: keep the kCacheKeep most recently used
// Every edit of a rule file makes a new key (about 2 MB each with the shipped rules): without
// pruning, months of tuning fill the disk with databases nobody will load again.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "classifier/hs_database.hpp"

namespace moderatord::classifier {

// The cache file name for these patterns on this machine and library.
std::string cache_key(const PatternTable& patterns);

// Loads databases for `key`; nullopt (with `why` set) when absent or unusable: the caller compiles.
std::optional<Databases> load_cached(const std::filesystem::path& dir, const std::string& key, std::string& why);

// How many databases a cache directory keeps: the rules in use, the ones before them (a reload that
// is rolled back starts without a compile) and other rule directories sharing the cache (tests, an
// admin's `rules check` of a draft).
constexpr std::size_t kCacheKeep = 8;

// Writes the databases for `key` atomically, then prunes the directory to kCacheKeep. Failure only
// costs a compile next time: returns the reason, or "" when written.
std::string store_cached(const std::filesystem::path& dir, const std::string& key, const Databases& dbs);

// Removes all but the `keep` most recently used databases (load_cached marks a hit as used) and
// temporary files left by a writer that died. Returns how many files went; errors are ignored (a
// file another process removed first, a read-only directory): pruning is housekeeping.
std::size_t prune_cache(const std::filesystem::path& dir, std::size_t keep);

}  // namespace moderatord::classifier
