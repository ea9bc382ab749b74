// The generic webhook's wire format: signature and body decoding. Pure functions (no coroutines,
// no I/O), so the fuzz target instruments them fully.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include "connectors/comment_json.hpp"
#include "connectors/webhook/webhook_connector.hpp"

namespace moderatord::connectors {
namespace {
constexpr std::string_view kPrefix = "sha256=";
}  // namespace

std::string webhook_signature(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kPrefix);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

bool verify_webhook_signature(std::string_view secret, std::string_view body, std::string_view header) {
  const std::string expected = webhook_signature(secret, body);
  if (header.size() != expected.size()) return false;
  // Hex digits compared case-insensitively but in constant time: fold case before comparing.
  std::string given(header);
  for (std::size_t i = kPrefix.size(); i < given.size(); ++i)
    if (given[i] >= 'A' && given[i] <= 'F') given[i] = static_cast<char>(given[i] + 32);
  return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

Result<std::vector<model::Comment>> decode_webhook_body(std::string_view body, const std::string& account) {
  // One parser per thread, reused: it keeps its buffers between deliveries.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(body.data(), body.size()).get(doc); e) {
    if (e == simdjson::UTF8_ERROR) return Error("body is not valid UTF-8");
    return Error(std::string("malformed JSON: ") + simdjson::error_message(e));
  }
  std::vector<model::Comment> out;
  simdjson::dom::array list;
  simdjson::dom::element single;
  if (doc["comments"].get(list) == simdjson::SUCCESS) {
    for (auto el : list) {
      auto c = comment_from_json(el, account, "webhook");
      if (!c) return c.error();
      out.push_back(std::move(*c));
    }
  } else if (doc["comment"].get(single) == simdjson::SUCCESS) {
    auto c = comment_from_json(single, account, "webhook");
    if (!c) return c.error();
    out.push_back(std::move(*c));
  } else {
    return Error("expected {\"comments\": [...]} or {\"comment\": {...}}");
  }
  if (out.empty()) return Error("no comments in the delivery");
  return out;
}

}  // namespace moderatord::connectors
