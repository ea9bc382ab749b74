// libFuzzer target: any bytes as a signed webhook delivery body. Decoding must give comments or a
// clear error, never crash; every decoded comment keeps the invariants the store relies on.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/webhook/webhook_connector.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto comments = moderatord::connectors::decode_webhook_body(body, "fuzz");
  if (!comments) {
    if (comments.error().to_string().empty()) std::abort();  // an error must say what is wrong
    return 0;
  }
  for (const auto& c : *comments)
    if (c.platform_id.empty() || c.account != "fuzz") std::abort();
  // The signature check must accept its own signature and reject a changed body.
  const std::string sig = moderatord::connectors::webhook_signature("secret", body);
  if (!moderatord::connectors::verify_webhook_signature("secret", body, sig)) std::abort();
  if (moderatord::connectors::verify_webhook_signature("secret", std::string(body) + "x", sig)) std::abort();
  return 0;
}
