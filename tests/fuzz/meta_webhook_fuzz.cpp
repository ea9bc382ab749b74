// libFuzzer target: any bytes as a Meta webhook delivery body (Facebook and Instagram), and as a
// subscription handshake query. Decoding must give comments or a clear error, never crash; every
// comment keeps the invariants the store relies on; the signature check accepts its own signature
// and rejects a changed body.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "connectors/meta/meta_webhook.hpp"
#include "connectors/webhook/webhook_connector.hpp"

namespace meta = moderatord::connectors::meta;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  // The Page id of most samples, and no id (entries for any Page are read: the messaging samples).
  for (auto [platform, page] : {std::pair{meta::MetaPlatform::facebook, "1234567890321"},
                                std::pair{meta::MetaPlatform::facebook, ""},
                                std::pair{meta::MetaPlatform::instagram, "17841400000000000"}}) {
    const meta::Owner owner{"fuzz", platform, page, "council"};
    auto d = meta::decode_meta_delivery(body, owner);
    if (!d) {
      if (d.error().to_string().empty()) std::abort();  // an error must say what is wrong
      continue;
    }
    for (const auto& c : d->comments)
      // A deletion (verb remove, an unsent message) carries ids only; anything else has text to classify.
      if (c.platform_id.empty() || (c.text.empty() && !c.deleted) || (c.deleted && !c.text.empty()) ||
          c.account != "fuzz" || c.platform != meta::platform_name(platform))
        std::abort();
    for (const auto& m : d->mentions)
      if (m.comment_id.empty()) std::abort();
  }
  // The same bytes as a handshake query: only a plain challenge is ever echoed.
  const auto reply = meta::verify_subscription("/webhooks/x?" + std::string(body), "token");
  if (reply.status == 200)
    for (char c : reply.body)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') std::abort();
  const std::string sig = moderatord::connectors::webhook_signature("app-secret", body);
  if (!moderatord::connectors::verify_webhook_signature("app-secret", body, sig)) std::abort();
  if (moderatord::connectors::verify_webhook_signature("app-secret", std::string(body) + "x", sig)) std::abort();
  return 0;
}
