#include "connectors/x/oauth1.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>

namespace moderatord::connectors::x {
namespace {

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';  // form encoding of a space
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL after the text
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

}  // namespace

std::string base64(std::string_view data) {
  return base64(reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string oauth1_signature(std::string_view method, std::string_view url, const Params& form, const Params& oauth,
                             std::string_view consumer_secret, std::string_view token_secret) {
  const auto q = url.find('?');
  const std::string_view base_url = url.substr(0, q);
  std::vector<std::pair<std::string, std::string>> enc;  // encoded, then sorted by name and value
  if (q != std::string_view::npos) {
    std::string_view query = url.substr(q + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view kv = query.substr(0, amp);
      const auto eq = kv.find('=');
      enc.emplace_back(percent_encode(percent_decode(kv.substr(0, eq))),
                       eq == std::string_view::npos ? std::string() : percent_encode(percent_decode(kv.substr(eq + 1))));
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  for (const auto& [k, v] : form) enc.emplace_back(percent_encode(k), percent_encode(v));
  for (const auto& [k, v] : oauth) enc.emplace_back(percent_encode(k), percent_encode(v));
  std::sort(enc.begin(), enc.end());
  std::string params;
  for (const auto& [k, v] : enc) {
    if (!params.empty()) params += '&';
    params += k + "=" + v;
  }
  std::string upper(method);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string base = upper + "&" + percent_encode(base_url) + "&" + percent_encode(params);
  const std::string key = percent_encode(consumer_secret) + "&" + percent_encode(token_secret);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(base.data()),
       base.size(), md, &md_len);
  return base64(md, md_len);
}

std::string oauth1_header(std::string_view method, std::string_view url, const Params& form,
                          const OAuth1Credentials& c, std::string_view nonce, std::int64_t timestamp) {
  Params oauth = {{"oauth_consumer_key", c.consumer_key},
                  {"oauth_nonce", std::string(nonce)},
                  {"oauth_signature_method", "HMAC-SHA1"},
                  {"oauth_timestamp", std::to_string(timestamp)},
                  {"oauth_token", c.token},
                  {"oauth_version", "1.0"}};
  const std::string sig = oauth1_signature(method, url, form, oauth, c.consumer_secret, c.token_secret);
  oauth.emplace_back("oauth_signature", sig);
  std::sort(oauth.begin(), oauth.end());
  std::string h = "OAuth ";
  for (std::size_t i = 0; i < oauth.size(); ++i) {
    if (i) h += ", ";
    h += percent_encode(oauth[i].first) + "=\"" + percent_encode(oauth[i].second) + "\"";
  }
  return h;
}

std::string oauth1_nonce() {
  static constexpr char kAlnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  unsigned char raw[32];
  // RAND_bytes fails only when the CSPRNG cannot be seeded; a predictable nonce would let requests
  // be replayed, so that is not something to carry on from.
  if (RAND_bytes(raw, sizeof raw) != 1) std::abort();
  std::string out;
  for (unsigned char b : raw) out += kAlnum[b % 62];
  return out;
}

}  // namespace moderatord::connectors::x
