#include "daemon/admin_alerts.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "daemon/cli/json_writer.hpp"
#include "daemon/store_call.hpp"

namespace moderatord::daemon {

std::string admin_alert_payload(const connectors::AdminAlert& a) {
  std::string out = "{\"type\":\"admin_alert\",\"to\":\"admins\",\"account\":";
  append_json_string(out, a.account);
  out += ",\"platform\":";
  append_json_string(out, a.platform);
  out += ",\"subject\":";
  append_json_string(out, a.subject);
  out += ",\"detail\":";
  append_json_string(out, a.detail);
  out += '}';
  return out;
}

connectors::AlertSink make_admin_alert_sink(store::StoreWriter& writer, std::function<void()> on_queued) {
  return [&writer, on_queued = std::move(on_queued)](connectors::AdminAlert a) -> net::awaitable<bool> {
    const std::string key = "admin_alert:" + a.account + ":" + a.once_key;
    const std::string payload = admin_alert_payload(a);
    auto job = [key, payload](store::Store& s) {
      const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
      return s.enqueue_mail_once(key, payload, now);
    };
    auto added = co_await store_call<bool>(writer, job);
    if (!added) {
      spdlog::error("admin alert for {} not stored: {}", a.account, added.error().message);
      co_return false;
    }
    if (*added) {
      spdlog::warn("admin alert queued for {}: {}", a.account, a.subject);
      if (on_queued) on_queued();
    } else {
      spdlog::info("admin alert {} was sent before; not again", key);
    }
    co_return true;
  };
}

}  // namespace moderatord::daemon
