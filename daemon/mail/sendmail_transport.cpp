// The Unix daemon convention: pipe the message to the local MTA's `sendmail -t -oi` (recipients
// from the headers; a line with a single dot does not end the message) and read its exit status
// (sysexits.h: EX_TEMPFAIL and EX_UNAVAILABLE mean try again later).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/mail/transport.hpp"

extern char** environ;

namespace moderatord::daemon::mail {

using connectors::ActionOutcome;

ActionOutcome send_sendmail(const MailOptions& o, std::string_view message) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {ActionOutcome::Status::retry, std::string("pipe: ") + std::strerror(errno), std::nullopt};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  const std::string path = o.sendmail.string();
  std::string a0 = path, a1 = "-t", a2 = "-oi";
  char* argv[] = {a0.data(), a1.data(), a2.data(), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[0]);
  if (spawned != 0) {
    ::close(fds[1]);
    return {ActionOutcome::Status::retry, "cannot run " + path + ": " + std::strerror(spawned), std::nullopt};
  }
  // A sendmail that exits early would raise SIGPIPE: write with MSG_NOSIGNAL is for sockets, so
  // block the signal for this thread while writing (it is a pool thread of our own).
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  std::size_t written = 0;
  bool write_failed = false;
  while (written < message.size()) {
    const ssize_t n = ::write(fds[1], message.data() + written, message.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      write_failed = true;
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fds[1]);
  // Consume a SIGPIPE we may have caused, so it is not delivered once unblocked.
  timespec zero{0, 0};
  while (sigtimedwait(&block, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status))
    return {ActionOutcome::Status::retry, path + " was killed by signal " + std::to_string(WTERMSIG(status)), std::nullopt};
  const int code = WEXITSTATUS(status);
  if (code == 0 && !write_failed) return {ActionOutcome::Status::done, "handed to " + path, std::nullopt};
  if (code == 0) return {ActionOutcome::Status::retry, path + " exited before reading the whole message", std::nullopt};
  const bool temporary = code == EX_TEMPFAIL || code == EX_UNAVAILABLE || code == EX_OSERR || code == EX_IOERR ||
                         code == EX_CANTCREAT;
  return {temporary ? ActionOutcome::Status::retry : ActionOutcome::Status::failed,
          path + " exited with status " + std::to_string(code), std::nullopt};
}

}  // namespace moderatord::daemon::mail
