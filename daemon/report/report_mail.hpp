#pragma once
// The daily report as an email: the mailer calls this builder (on its own pool) when it sends
// a "daily_report" row, so the figures are read when the email goes, from a read-only connection.
#include "daemon/mail/mailer.hpp"

namespace moderatord::daemon::report {

mail::ReportBuilder report_builder();

}  // namespace moderatord::daemon::report
