#include "daemon/mail/maildir_mailer.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <simdjson.h>
#include <unistd.h>

#include <ctime>

namespace moderatord::daemon::mail {
namespace {

namespace fs = std::filesystem;

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80 || c < 0x20) return false;
  return true;
}

// RFC 2047 encoded-word for a header with non-ASCII text (subjects quote comment excerpts).
std::string encode_header(std::string_view s) {
  if (is_ascii(s)) return std::string(s);
  std::string b64(4 * ((s.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  b64.resize(static_cast<std::size_t>(n));
  return "=?UTF-8?B?" + b64 + "?=";
}

std::string rfc5322_date(std::int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence.
std::string excerpt(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  std::size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

std::string field(simdjson::dom::element doc, const char* key) {
  std::string_view v;
  if (doc[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

const char* what_to_do(std::string_view action, std::string_view labels) {
  if (action == "report")
    return "Report this comment to the platform (policy 7.9: report as a breach of the Malicious\n"
           "Communications Act where it threatens someone) and keep it hidden.";
  if (labels.find("personal_data") != std::string_view::npos)
    return "It contains personal data (policy 7.6.2): keep it hidden and contact the person privately.";
  if (action == "escalate") return "Uncertain case: read it and decide whether it breaches policy 7.9.";
  return "Check the action taken; undo it on the platform if it was wrong.";
}

}  // namespace

Result<std::string> render_escalation(const MailOptions& options, std::int64_t outbox_id, std::string_view payload,
                                      std::int64_t now_unix) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(payload.data(), payload.size()).get(doc) != simdjson::SUCCESS)
    return classifier::Error("escalation payload is not JSON");
  const std::string account = field(doc, "account"), platform = field(doc, "platform"), text = field(doc, "text"),
                    labels = field(doc, "labels"), action = field(doc, "action"), reason = field(doc, "reason"),
                    url = field(doc, "url"), author = field(doc, "author"), platform_id = field(doc, "platform_id");
  std::string steps;
  simdjson::dom::array arr;
  if (doc["steps"].get_array().get(arr) == simdjson::SUCCESS)
    for (auto s : arr) {
      std::string_view v;
      if (s.get_string().get(v) == simdjson::SUCCESS) steps += (steps.empty() ? "" : ", ") + std::string(v);
    }
  std::string matched;
  simdjson::dom::array matches;
  if (doc["matches"].get_array().get(matches) == simdjson::SUCCESS)
    for (auto m : matches) {
      int64_t b = 0, e = 0;
      std::string_view rule;
      if (m["rule"].get_string().get(rule) || m["start"].get_int64().get(b) || m["end"].get_int64().get(e)) continue;
      if (b < 0 || e < b || static_cast<std::size_t>(e) > text.size()) continue;
      matched += "  - " + std::string(rule) + ": \"" + text.substr(static_cast<std::size_t>(b), static_cast<std::size_t>(e - b)) + "\"\n";
    }

  std::string to;
  for (const auto& m : options.moderators) to += (to.empty() ? "" : ", ") + m;
  const std::string subject = "[moderatord] " + (labels.empty() ? std::string("check") : labels) + " on " + account +
                              ": " + excerpt(text, 60);
  std::string msg;
  msg += "Date: " + rfc5322_date(now_unix) + "\r\n";
  msg += "From: " + options.from + "\r\n";
  msg += "To: " + to + "\r\n";
  msg += "Subject: " + encode_header(subject) + "\r\n";
  msg += "Message-ID: <outbox-" + std::to_string(outbox_id) + "." + std::to_string(now_unix) + "@moderatord>\r\n";
  msg += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n";
  msg += "X-Moderatord-Outbox-Id: " + std::to_string(outbox_id) + "\r\n\r\n";
  std::string body;
  body += "A comment needs a moderator.\n\n";
  body += "Account:   " + account + " (" + platform + ")\n";
  body += "Comment:   " + platform_id + (url.empty() ? "" : "  " + url) + "\n";
  body += "Author:    " + (author.empty() ? std::string("(unknown)") : author) + "\n";
  body += "Labels:    " + (labels.empty() ? std::string("none") : labels) + "\n";
  body += "Decision:  " + action + (steps.empty() ? "" : " (done on the platform: " + steps + ")") + "\n";
  body += "Why:       " + reason + "\n\n";
  body += "The comment:\n\n";
  for (std::size_t pos = 0; pos <= text.size();) {
    const auto nl = text.find('\n', pos);
    body += "> " + text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos) + "\n";
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  if (!matched.empty()) body += "\nWhat matched:\n" + matched;
  body += "\nWhat to do: ";
  body += what_to_do(action, labels);
  body += "\n";
  // Bare LF to CRLF in the body, as RFC 5322 wants.
  for (char c : body) {
    if (c == '\n') msg += "\r\n";
    else if (c != '\r') msg += c;
  }
  return Result<std::string>(boost::system::in_place_value, std::move(msg));
}

connectors::ActionOutcome deliver_to_maildir(const MailOptions& options, std::int64_t outbox_id,
                                             std::string_view payload_json) {
  using connectors::ActionOutcome;
  std::error_code ec;
  for (const char* sub : {"tmp", "new", "cur"}) fs::create_directories(options.maildir / sub, ec);
  if (ec) return {ActionOutcome::Status::retry, "cannot create maildir " + options.maildir.string() + ": " + ec.message(), std::nullopt};
  const std::string name = "moderatord-outbox-" + std::to_string(outbox_id);
  // Already delivered (the crash came between delivery and marking the row done)?
  if (fs::exists(options.maildir / "new" / name, ec)) return {ActionOutcome::Status::done, "already delivered", std::nullopt};
  for (const auto& e : fs::directory_iterator(options.maildir / "cur", ec))
    if (e.path().filename().string().rfind(name + ":", 0) == 0 || e.path().filename() == name)
      return {ActionOutcome::Status::done, "already delivered (read)", std::nullopt};
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  auto msg = render_escalation(options, outbox_id, payload_json, now);
  if (!msg) return {ActionOutcome::Status::failed, msg.error().to_string(), std::nullopt};
  const fs::path tmp = options.maildir / "tmp" / name;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return {ActionOutcome::Status::retry, "cannot write " + tmp.string(), std::nullopt};
  const bool ok = ::write(fd, msg->data(), msg->size()) == static_cast<ssize_t>(msg->size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return {ActionOutcome::Status::retry, "cannot write " + tmp.string(), std::nullopt};
  fs::rename(tmp, options.maildir / "new" / name, ec);
  if (ec) return {ActionOutcome::Status::retry, "cannot move mail into new/: " + ec.message(), std::nullopt};
  // The rename is durable only once new/ itself is synced; the row is marked done after this
  // returns, so a power cut must not be able to undo the delivery.
  const int dir = ::open((options.maildir / "new").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = dir >= 0 && ::fsync(dir) == 0;
  if (dir >= 0) ::close(dir);
  if (!synced) return {ActionOutcome::Status::retry, "cannot sync the maildir's new/ folder", std::nullopt};
  return {ActionOutcome::Status::done, "delivered to " + (options.maildir / "new" / name).string(), std::nullopt};
}

}  // namespace moderatord::daemon::mail
