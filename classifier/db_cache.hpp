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
#include <filesystem>
#include <optional>
#include <string>

#include "classifier/hs_database.hpp"

namespace moderatord::classifier {

// The cache file name for these patterns on this machine and library.
std::string cache_key(const PatternTable& patterns);

// Loads databases for `key`; nullopt (with `why` set) when absent or unusable: the caller compiles.
std::optional<Databases> load_cached(const std::filesystem::path& dir, const std::string& key, std::string& why);

// Writes the databases for `key` atomically. Failure only costs a compile next time: returns the
// reason, or "" when written.
std::string store_cached(const std::filesystem::path& dir, const std::string& key, const Databases& dbs);

}  // namespace moderatord::classifier
