#include "daemon/report/report_mail.hpp"

namespace moderatord::daemon::report {

mail::ReportBuilder report_builder() { return {}; }

}  // namespace moderatord::daemon::report
