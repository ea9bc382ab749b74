#include "connectors/webhook/webhook_connector.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include "connectors/comment_json.hpp"

namespace moderatord::connectors {
namespace {

constexpr std::string_view kPrefix = "sha256=";

class WebhookConnector final : public Connector {
 public:
  WebhookConnector(std::string id, std::string secret) : id_(std::move(id)), secret_(std::move(secret)) {}
  const std::string& id() const noexcept override { return id_; }
  std::string_view platform() const noexcept override { return "webhook"; }
  Capabilities capabilities() const noexcept override { return {}; }  // cannot act on the sender's site

  WebhookDecoded handle_webhook(const HttpRequest& req) const override {
    WebhookDecoded out;
    if (req.method != "POST") {
      out.reply = {405, "text/plain; charset=utf-8", "this webhook takes POST deliveries only\n"};
      return out;
    }
    const std::string_view sig = req.header("x-moderatord-signature");
    if (sig.empty()) {
      out.reply = {401, "text/plain; charset=utf-8", "missing X-Moderatord-Signature\n"};
      return out;
    }
    if (!verify_webhook_signature(secret_, req.body, sig)) {
      out.reply = {401, "text/plain; charset=utf-8", "bad signature\n"};
      return out;
    }
    auto comments = decode_webhook_body(req.body, id_);
    if (!comments) {
      out.reply = {400, "text/plain; charset=utf-8", comments.error().to_string() + "\n"};
      return out;
    }
    out.comments = std::move(*comments);
    out.store_first = true;
    out.reply = {200, "application/json", "{\"accepted\":" + std::to_string(out.comments.size()) + "}\n"};
    return out;
  }

  net::awaitable<ActionOutcome> apply(const ActionRequest& req) override {
    // Decisions never route actions here (no capabilities); if one arrives, retrying cannot help.
    co_return ActionOutcome{ActionOutcome::Status::failed,
                            "the webhook connector cannot " + std::string(model::to_string(req.kind)) + " comments",
                            std::nullopt};
  }

 private:
  std::string id_;
  std::string secret_;  // never logged
};

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

Result<ConnectorPtr> make_webhook_connector(const ConnectorConfig& config) {
  for (const auto& [k, v] : config.settings)
    if (k != "secret_file" && k != "secret_credential")
      return Error("account " + config.id + ": unknown webhook setting '" + k + "'");
  auto secret = read_secret(config, "secret");
  if (!secret) return secret.error();
  return ConnectorPtr(std::make_unique<WebhookConnector>(config.id, std::move(*secret)));
}

}  // namespace moderatord::connectors
