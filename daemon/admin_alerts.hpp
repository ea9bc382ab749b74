#pragma once
// Alerts from connectors to the admins (an expired token, a missing permission): each becomes one
// outbox row for the "mail" executor, with the payload
//   {"type":"admin_alert","to":"admins","account","platform","subject","detail","key"}
// written by Store::enqueue_mail_once under the key "admin_alert:<account>:<once_key>", so that an
// alert is sent once however often the connector raises it and however often the daemon restarts.
// The mailer renders it (daemon/mail/).
#include <functional>
#include <string>

#include "connectors/connector.hpp"
#include "store/store_writer.hpp"

namespace moderatord::daemon {

// The sink handed to every connector (ConnectorConfig::alerts). `on_queued` runs on the caller's
// executor after a new row is committed (wake the outbox). `writer` must outlive the sink.
connectors::AlertSink make_admin_alert_sink(store::StoreWriter& writer, std::function<void()> on_queued);

std::string admin_alert_payload(const connectors::AdminAlert& alert);

}  // namespace moderatord::daemon
