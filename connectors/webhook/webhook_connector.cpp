#include "connectors/webhook/webhook_connector.hpp"


namespace moderatord::connectors {
namespace {

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

Result<ConnectorPtr> make_webhook_connector(const ConnectorConfig& config) {
  for (const auto& [k, v] : config.settings)
    if (k != "secret_file" && k != "secret_credential")
      return Error("account " + config.id + ": unknown webhook setting '" + k + "'");
  auto secret = read_secret(config, "secret");
  if (!secret) return secret.error();
  return ConnectorPtr(std::make_unique<WebhookConnector>(config.id, std::move(*secret)));
}

}  // namespace moderatord::connectors
