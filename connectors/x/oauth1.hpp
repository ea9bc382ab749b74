#pragma once
// OAuth 1.0a request signing (HMAC-SHA1), as X documents it:
// https://docs.x.com/fundamentals/authentication/oauth-1-0a/creating-a-signature
//   base string = METHOD & enc(base URL) & enc(sorted "k=v" of query, form body and oauth_* params)
//   key         = enc(consumer secret) & enc(token secret);  signature = base64(HMAC-SHA1(key, base))
// A JSON body is not a parameter (only application/x-www-form-urlencoded bodies are). Pure apart
// from the nonce and clock, which callers pass in (tests use the documentation's values).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace moderatord::connectors::x {

struct OAuth1Credentials {
  std::string consumer_key;
  std::string consumer_secret;  // never logged
  std::string token;            // the user's access token
  std::string token_secret;     // never logged
};

using Params = std::vector<std::pair<std::string, std::string>>;  // decoded names and values

// RFC 3986 percent-encoding (unreserved characters kept), as OAuth 1.0a requires.
std::string percent_encode(std::string_view s);

// The signature of a request. `url` may carry a query (its parameters are decoded and signed);
// `form` is the decoded form body, if any; `oauth` the oauth_* parameters without the signature.
std::string oauth1_signature(std::string_view method, std::string_view url, const Params& form, const Params& oauth,
                             std::string_view consumer_secret, std::string_view token_secret);

// The Authorization header value: `OAuth oauth_consumer_key="...", ..., oauth_signature="..."`.
std::string oauth1_header(std::string_view method, std::string_view url, const Params& form,
                          const OAuth1Credentials& credentials, std::string_view nonce, std::int64_t timestamp);

// Standard base64 with padding (also HTTP Basic credentials).
std::string base64(std::string_view data);

// 32 random alphanumeric characters (OpenSSL RAND_bytes).
std::string oauth1_nonce();

}  // namespace moderatord::connectors::x
