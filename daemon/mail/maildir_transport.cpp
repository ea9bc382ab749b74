// Maildir delivery (tmp/ then rename into new/, fsynced), which a local MDA, an IMAP server or a
// mail client can read. Idempotent by file name: a retry after a crash finds the message there.
#include <fcntl.h>
#include <unistd.h>

#include "daemon/mail/transport.hpp"

namespace moderatord::daemon::mail {

namespace fs = std::filesystem;
using connectors::ActionOutcome;

ActionOutcome deliver_to_maildir(const fs::path& maildir, const std::string& name, std::string_view message) {
  std::error_code ec;
  for (const char* sub : {"tmp", "new", "cur"}) fs::create_directories(maildir / sub, ec);
  if (ec) return {ActionOutcome::Status::retry, "cannot create maildir " + maildir.string() + ": " + ec.message(), std::nullopt};
  // Already delivered (the crash came between delivery and marking the row done)?
  if (fs::exists(maildir / "new" / name, ec)) return {ActionOutcome::Status::done, "already delivered", std::nullopt};
  for (const auto& e : fs::directory_iterator(maildir / "cur", ec))
    if (e.path().filename().string().rfind(name + ":", 0) == 0 || e.path().filename() == name)
      return {ActionOutcome::Status::done, "already delivered (read)", std::nullopt};
  const fs::path tmp = maildir / "tmp" / name;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return {ActionOutcome::Status::retry, "cannot write " + tmp.string(), std::nullopt};
  const bool ok = ::write(fd, message.data(), message.size()) == static_cast<ssize_t>(message.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return {ActionOutcome::Status::retry, "cannot write " + tmp.string(), std::nullopt};
  fs::rename(tmp, maildir / "new" / name, ec);
  if (ec) return {ActionOutcome::Status::retry, "cannot move mail into new/: " + ec.message(), std::nullopt};
  // The rename is durable only once new/ itself is synced; the row is marked done after this
  // returns, so a power cut must not be able to undo the delivery.
  const int dir = ::open((maildir / "new").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = dir >= 0 && ::fsync(dir) == 0;
  if (dir >= 0) ::close(dir);
  if (!synced) return {ActionOutcome::Status::retry, "cannot sync the maildir's new/ folder", std::nullopt};
  return {ActionOutcome::Status::done, "delivered to " + (maildir / "new" / name).string(), std::nullopt};
}

}  // namespace moderatord::daemon::mail
