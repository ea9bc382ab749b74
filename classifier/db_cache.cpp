#include "classifier/db_cache.hpp"

#include <openssl/evp.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "classifier/word_index.hpp"

namespace moderatord::classifier {
namespace {

// Bump when the pattern expansion or compile flags change meaning, so old caches are not reused.
constexpr const char* kEngineFormat = "moderatord-hsdb-8";
constexpr char kMagic[8] = {'M', 'O', 'D', 'H', 'S', 'D', 'B', '1'};
// A temporary file this old was left by a writer that died mid-write.
constexpr auto kStaleTemp = std::chrono::hours(1);

std::string hex_sha256(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

void put_blob(std::string& out, const hs_database_t* db, std::string& why) {
  std::uint64_t len = 0;
  if (db == nullptr) {
    out.append(reinterpret_cast<const char*>(&len), sizeof len);
    return;
  }
  char* bytes = nullptr;
  std::size_t size = 0;
  if (hs_serialize_database(db, &bytes, &size) != HS_SUCCESS) {
    why = "hs_serialize_database failed";
    return;
  }
  len = size;
  out.append(reinterpret_cast<const char*>(&len), sizeof len);
  out.append(bytes, size);
  std::free(bytes);  // allocated by Hyperscan's default allocator
}

// Reads one length-prefixed blob at `pos` and deserialises it.
bool get_blob(const std::string& in, std::size_t& pos, DatabasePtr& db, std::string& why) {
  std::uint64_t len = 0;
  if (in.size() - pos < sizeof len) {
    why = "truncated";
    return false;
  }
  std::memcpy(&len, in.data() + pos, sizeof len);
  pos += sizeof len;
  if (len == 0) return true;
  if (in.size() - pos < len) {
    why = "truncated";
    return false;
  }
  hs_database_t* raw = nullptr;
  const hs_error_t err = hs_deserialize_database(in.data() + pos, len, &raw);
  pos += len;
  switch (err) {
    case HS_SUCCESS: db.reset(raw); return true;
    case HS_DB_VERSION_ERROR: why = "built by another Hyperscan version"; return false;
    case HS_DB_PLATFORM_ERROR: why = "built for another CPU platform"; return false;
    default: why = "corrupt (hs_deserialize_database error " + std::to_string(err) + ")"; return false;
  }
}

}  // namespace

std::string cache_key(const PatternTable& patterns) {
  hs_platform_info_t plat{};
  hs_populate_platform(&plat);
  std::ostringstream k;
  k << kEngineFormat << '|' << hs_version() << '|' << plat.tune << '|' << plat.cpu_features << '|'
    << kRegexFlags << '|' << kExactRegexFlags << '\n';
  // Ids are positions, so order matters and is part of what is hashed.
  // Whole-word groups are not in the databases, but their ids are positions all the same.
  for (std::size_t g = 0; g < patterns.groups.size(); ++g)
    k << (g < patterns.first_deferred_group ? 'w' : 'd') << (WordIndex::indexable(patterns.groups[g].literal) ? 'i' : 'h')
      << patterns.groups[g].literal.size() << ':' << patterns.groups[g].literal << '\n';
  // A regex's prefilter is what its database holds (regex_prefix.hpp).
  for (const auto& r : patterns.regexes)
    k << (r.rare ? 'R' : 'r') << r.regex.size() << ':' << r.regex << '|' << r.prefilter.size() << ':' << r.prefilter
      << '|' << int{r.width} << '\n';
  return hex_sha256(k.str());
}

std::optional<Databases> load_cached(const std::filesystem::path& dir, const std::string& key, std::string& why) {
  std::ifstream in(dir / (key + ".hsdb"), std::ios::binary);
  if (!in) {
    why = "not cached";
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
    why = "not a moderatord cache file";
    return std::nullopt;
  }
  std::size_t pos = sizeof kMagic;
  Databases dbs;
  if (!get_blob(data, pos, dbs.words, why) || !get_blob(data, pos, dbs.deferred, why) ||
      !get_blob(data, pos, dbs.text, why) || !get_blob(data, pos, dbs.text_rare, why))
    return std::nullopt;
  if (pos != data.size()) {
    why = "trailing bytes";
    return std::nullopt;
  }
  // Mark it used, so that pruning (store_cached) keeps what is in use. A read-only cache is fine.
  std::error_code ec;
  std::filesystem::last_write_time(dir / (key + ".hsdb"), std::filesystem::file_time_type::clock::now(), ec);
  return dbs;
}

std::string store_cached(const std::filesystem::path& dir, const std::string& key, const Databases& dbs) {
  std::string why;
  std::string data(kMagic, sizeof kMagic);
  put_blob(data, dbs.words.get(), why);
  put_blob(data, dbs.deferred.get(), why);
  put_blob(data, dbs.text.get(), why);
  put_blob(data, dbs.text_rare.get(), why);
  if (!why.empty()) return why;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create " + dir.string() + ": " + ec.message();
  const auto final_path = dir / (key + ".hsdb");
  // A temporary name of our own: several processes (ctest, a reload beside `rules check`) may write
  // the same key at once; each renames a complete file over the final name.
  const auto tmp = dir / (key + ".hsdb.tmp." + std::to_string(::getpid()) + "." +
                          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out.flush()) return "cannot write " + tmp.string();
  }
  std::filesystem::rename(tmp, final_path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return "cannot rename into " + final_path.string();
  }
  prune_cache(dir, kCacheKeep);
  return {};
}

std::size_t prune_cache(const std::filesystem::path& dir, std::size_t keep) {
  std::error_code ec;
  const auto now = std::filesystem::file_time_type::clock::now();
  std::vector<std::pair<std::filesystem::file_time_type, std::filesystem::path>> entries;
  std::size_t removed = 0;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto& path = it->path();
    const std::string name = path.filename().string();
    const auto when = std::filesystem::last_write_time(path, ec);
    if (ec) {  // gone meanwhile (another process pruned it): nothing to do
      ec.clear();
      continue;
    }
    if (path.extension() == ".hsdb") {
      entries.emplace_back(when, path);
    } else if (name.find(".hsdb.tmp.") != std::string::npos && now - when > kStaleTemp) {
      std::error_code rm;
      removed += std::filesystem::remove(path, rm) ? 1 : 0;
    }
  }
  if (entries.size() <= keep) return removed;
  // Newest first; only the oldest beyond `keep` go. A process still running on one of them has it
  // in memory already: the file is needed only to start again without a compile.
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = keep; i < entries.size(); ++i) {
    std::error_code rm;
    removed += std::filesystem::remove(entries[i].second, rm) ? 1 : 0;
  }
  return removed;
}

}  // namespace moderatord::classifier
