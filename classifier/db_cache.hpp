#pragma once
// On-disk cache of compiled Hyperscan databases, so a restart or reload with unchanged rules skips
// the compile (about a second for a large rule set).
//
//   rules dir ──hash──► key = SHA-256(rule-set hash, engine format, Hyperscan version, CPU platform)
//   cache_dir/<key>.hsdb ──read──► hs_deserialize_database ──ok──► use
//                                        │ missing, truncated, HS_DB_VERSION_ERROR,
//                                        ▼ HS_DB_PLATFORM_ERROR or any doubt
//                                  compile ──► serialise ──► write temp file, rename over the old
#include <filesystem>
#include <optional>
#include <string>

#include "classifier/hs_database.hpp"

namespace moderatord::classifier {

// The cache file name for a rule set with this content hash on this machine and library.
std::string cache_key(const std::string& content_hash);

// Loads databases for `key`; nullopt (with `why` set) when absent or unusable: the caller compiles.
std::optional<Databases> load_cached(const std::filesystem::path& dir, const std::string& key, std::string& why);

// Writes the databases for `key` atomically. Failure only costs a compile next time: returns the
// reason, or "" when written.
std::string store_cached(const std::filesystem::path& dir, const std::string& key, const Databases& dbs);

}  // namespace moderatord::classifier
