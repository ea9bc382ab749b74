// libFuzzer target: any bytes as an X API v2 list, a Mastodon notifications or statuses list, a
// Link header and Mastodon HTML content. Parsing must give comments or a clear error, never
// crash; every comment keeps the invariants the store relies on.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/mastodon/html_text.hpp"
#include "connectors/mastodon/mastodon_api.hpp"
#include "connectors/x/x_api.hpp"

namespace mastodon = moderatord::connectors::mastodon;
namespace x = moderatord::connectors::x;

namespace {

template <class Page>
void check(const Page& page, std::string_view platform) {
  for (const auto& c : page.items)
    if (c.platform_id.empty() || c.text.empty() || c.account != "fuzz" || c.platform != platform) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto p = x::parse_tweets(body, x::Owner{"fuzz", "2244994945"})) check(*p, "x");
  else if (p.error().to_string().empty()) std::abort();  // an error must say what is wrong
  const mastodon::Owner owner{"fuzz", "109000000000000001"};
  if (auto p = mastodon::parse_notifications(body, owner)) check(*p, "mastodon");
  if (auto p = mastodon::parse_statuses(body, owner)) check(*p, "mastodon");
  const std::string next = mastodon::link_next(body);
  if (next.size() > body.size()) std::abort();
  const std::string text = mastodon::html_to_text(body);
  // Without markup or entities the text is the input (less trailing blank lines and spaces).
  if (body.find_first_of("<&") == std::string_view::npos && body.substr(0, text.size()) != text) std::abort();
  (void)x::parse_hidden(body);
  return 0;
}
