// SMTP submission through libcurl: implicit TLS (smtps://, port 465) or STARTTLS (smtp://, port
// 587) that must succeed (CURLUSESSL_ALL), certificates verified against the system store or
// mail.smtp_ca_file, AUTH when mail.smtp_user is set. The password is read for each message, from
// a file or a systemd credential, so that rotating it needs no reload; it is never logged.
#include <curl/curl.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "daemon/mail/transport.hpp"

namespace moderatord::daemon::mail {
namespace {

using connectors::ActionOutcome;

struct Upload {
  std::string_view data;
  std::size_t pos = 0;
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* u = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, u->data.size() - u->pos);
  std::memcpy(buffer, u->data.data() + u->pos, n);
  u->pos += n;
  return n;
}

// The password, or an error message (which names the file, never the content).
bool read_password(const MailOptions& o, std::string& out, std::string& error) {
  std::filesystem::path file;
  if (o.smtp_password_file) {
    file = *o.smtp_password_file;
  } else if (!o.smtp_password_credential.empty()) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir == '\0') {
      error = "mail.smtp_password_credential is set but $CREDENTIALS_DIRECTORY is not (LoadCredential= in the unit?)";
      return false;
    }
    file = std::filesystem::path(dir) / o.smtp_password_credential;
  } else {
    return true;  // no password: AUTH without one is the server's call
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = "cannot read the SMTP password file " + file.string();
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();  // files end in a newline
  return true;
}

struct CurlFree {
  void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

}  // namespace

ActionOutcome::Status smtp_status(long code) noexcept {
  if (code >= 500 && code < 600) return ActionOutcome::Status::failed;
  return ActionOutcome::Status::retry;  // 4xx, or no reply at all (refused, reset, timed out)
}

ActionOutcome send_smtp(const MailOptions& o, const Envelope& env, std::string_view message) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::string password, error;
  if (!read_password(o, password, error)) return {ActionOutcome::Status::retry, error, std::nullopt};
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) return {ActionOutcome::Status::retry, "curl_easy_init failed", std::nullopt};
  CURL* c = curl.get();
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::unique_ptr<curl_slist, SlistFree> rcpt;
  for (const auto& r : env.rcpt) {
    curl_slist* next = curl_slist_append(rcpt.get(), ("<" + r + ">").c_str());
    if (next == nullptr) return {ActionOutcome::Status::retry, "out of memory", std::nullopt};
    (void)rcpt.release();
    rcpt.reset(next);
  }
  Upload upload{message, 0};
  const std::string mail_from = "<" + env.from + ">";
  curl_easy_setopt(c, CURLOPT_URL, o.smtp_url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // we are one thread of many: no SIGALRM for timeouts
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.smtp_connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.smtp_timeout.count()));
  // smtp:// must upgrade with STARTTLS or fail; plain text only when the admin said so (a loopback relay).
  curl_easy_setopt(c, CURLOPT_USE_SSL, o.smtp_require_tls ? static_cast<long>(CURLUSESSL_ALL) : static_cast<long>(CURLUSESSL_NONE));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (o.smtp_ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, o.smtp_ca_file->c_str());
  if (!o.smtp_user.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, o.smtp_user.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  // The password is on the stack of this call only; clear it before the memory is reused.
  std::fill(password.begin(), password.end(), '\0');
  if (rc == CURLE_OK) return {ActionOutcome::Status::done, "accepted by " + o.smtp_url, std::nullopt};
  std::string detail = "SMTP " + o.smtp_url + ": " + (errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc));
  if (code > 0) detail += " (reply " + std::to_string(code) + ")";
  // A login the server refuses (535) is permanent until an admin fixes the password: 5xx, failed.
  return {smtp_status(code), detail, std::nullopt};
}

}  // namespace moderatord::daemon::mail
