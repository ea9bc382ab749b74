#include "connectors/connector.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "connectors/bluesky/bluesky_connector.hpp"
#include "connectors/facebook/facebook_connector.hpp"
#include "connectors/instagram/instagram_connector.hpp"
#include "connectors/mastodon/mastodon_connector.hpp"
#include "connectors/x/x_connector.hpp"
#include "connectors/replay/replay_connector.hpp"
#include "connectors/webhook/webhook_connector.hpp"
#include "connectors/youtube/youtube_connector.hpp"

namespace moderatord::connectors {

const Capability& Capabilities::of(model::ActionKind k) const noexcept {
  static const Capability kNone{};
  switch (k) {
    case model::ActionKind::hide: return hide;
    case model::ActionKind::unhide: return unhide;
    case model::ActionKind::remove: return remove;
    case model::ActionKind::report: return report;
    case model::ActionKind::escalate: return kNone;
  }
  return kNone;
}

std::string_view HttpRequest::header(std::string_view lower_name) const noexcept {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

net::awaitable<void> Connector::run(CommentSink, CursorStore&) { co_return; }

Result<ConnectorPtr> make_connector(const ConnectorConfig& config) {
  if (config.platform == "webhook") return make_webhook_connector(config);
  if (config.platform == "replay") return make_replay_connector(config);
  if (config.platform == "facebook") return make_facebook_connector(config);
  if (config.platform == "instagram") return make_instagram_connector(config);
  if (config.platform == "youtube") return make_youtube_connector(config);
  if (config.platform == "bluesky") return make_bluesky_connector(config);
  if (config.platform == "mastodon") return make_mastodon_connector(config);
  if (config.platform == "x") return make_x_connector(config);
  return Error("account " + config.id + ": unknown platform '" + config.platform +
               "' (this build knows: webhook, replay, facebook, instagram, mastodon, x, youtube, bluesky)");
}

Result<std::string> read_secret(const ConnectorConfig& config, const std::string& key) {
  std::filesystem::path path;
  if (auto it = config.settings.find(key + "_file"); it != config.settings.end()) {
    path = it->second;
    if (path.is_relative()) path = config.config_dir / path;
  } else if (auto cred = config.settings.find(key + "_credential"); cred != config.settings.end()) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr)
      return Error("account " + config.id + ": " + key + "_credential is set but $CREDENTIALS_DIRECTORY is not " +
                   "(use LoadCredential= in the unit)");
    path = std::filesystem::path(dir) / cred->second;
  } else {
    return Error("account " + config.id + ": set " + key + "_file or " + key + "_credential");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error("account " + config.id + ": cannot read " + key + " from " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string secret = ss.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return Error("account " + config.id + ": " + key + " in " + path.string() + " is empty");
  return Result<std::string>(boost::system::in_place_value, std::move(secret));
}

}  // namespace moderatord::connectors
