"""Shared helpers for the end-to-end tests: the real `moderatord` binary as a process, a real SQLite
file, HTTP on 127.0.0.1 only. Standard library only.

Every wait is a poll loop with a deadline (never a fixed long sleep): the same tests run under the
ASan+UBSan build, which is several times slower, so deadlines are generous and polls are tight.
"""
import hashlib
import hmac
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

# The shipped email templates (config/mail/), which test configs name explicitly: a test config
# lives in a temp dir, where the default (<config dir>/mail) does not exist.
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "config", "mail")

# Whatever the daemon prints on stderr is scanned for these: a sanitizer finding fails the test.
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")

# Deadlines. Generous (ASan is ~3x slower and the machine is shared); polls are 10-20 ms.
START_TIMEOUT = float(os.environ.get("MODERATORD_E2E_START_TIMEOUT", "180"))  # cold rule compile under ASan
STOP_TIMEOUT = 30.0
HTTP_TIMEOUT = 30.0


def wait_for(predicate, timeout, what, interval=0.02):
    """Polls `predicate` until it returns something truthy; returns it, or fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def comment(cid, text, thread="t1", author="u1", name="Ann", kind="comment"):
    return {"id": cid, "text": text, "thread_id": thread, "author": {"id": author, "name": name}, "kind": kind}


def body_of(*comments) -> bytes:
    return json.dumps({"comments": list(comments)}).encode("utf-8")


def toml_str(s) -> str:
    return json.dumps(str(s))  # a JSON string is a valid TOML basic string for our paths and ids


class Daemon:
    """One `moderatord run` process. stderr goes through a pipe to a reader thread that keeps every
    line (across restarts) in memory and in `<dir>/daemon.log`, so tests can wait for log lines."""

    def __init__(self, binary, config, state_dir, log_path, rlimit_fsize=None):
        self.binary = binary
        self.config = config
        self.state_dir = state_dir
        self.log_path = log_path
        self.rlimit_fsize = rlimit_fsize
        self.proc = None
        self.port = None
        self._lines = []
        self._lock = threading.Lock()
        self._reader = None
        self._start_index = 0
        self.starts = 0

    # --- log ---
    def _read(self, pipe):
        with open(self.log_path, "ab") as f:
            for raw in iter(pipe.readline, b""):
                line = raw.decode("utf-8", "replace")
                with self._lock:
                    self._lines.append(line)
                f.write(raw)
                f.flush()
        pipe.close()

    def log(self, since_start=False):
        with self._lock:
            return "".join(self._lines[self._start_index:] if since_start else self._lines)

    def log_count(self):
        with self._lock:
            return len(self._lines)

    def log_since(self, index):
        with self._lock:
            return "".join(self._lines[index:])

    def wait_log(self, pattern, timeout=60, since=None, what=None):
        rx = re.compile(pattern)
        start = self._start_index if since is None else since

        def found():
            m = rx.search(self.log_since(start))
            if m:
                return m
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"moderatord exited ({self.proc.returncode}) while waiting for {pattern!r}:\n"
                                     + self.log_tail())
            return None

        return wait_for(found, timeout, what or f"log line {pattern!r}")

    def log_tail(self, n=40):
        with self._lock:
            return "".join(self._lines[-n:])

    def sanitizer_findings(self):
        return [l for l in self.log().splitlines() if any(m in l for m in SANITIZER_MARKERS)]

    # --- process ---
    def _preexec(self):
        if self.rlimit_fsize is not None:
            # A small "disk": writes past this size fail with EFBIG. SIGXFSZ would kill the process,
            # so it is ignored here (an ignored signal stays ignored across exec), and the daemon
            # sees the failed write, as it would see ENOSPC on a full disk.
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            # Soft limit only: the test can lift it later (prlimit) without CAP_SYS_RESOURCE.
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.rlimit_fsize, resource.RLIM_INFINITY))

    def start(self, wait_ready=True, timeout=START_TIMEOUT):
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if self._reader is not None:
            self._reader.join(timeout=10)
        env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC")}
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        with self._lock:
            self._start_index = len(self._lines)
        self.proc = subprocess.Popen(
            [self.binary, "run", "--config", self.config, "--state-dir", self.state_dir],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
            preexec_fn=self._preexec if self.rlimit_fsize is not None else None)
        self.starts += 1
        self._reader = threading.Thread(target=self._read, args=(self.proc.stderr,), daemon=True)
        self._reader.start()
        if wait_ready:
            m = self.wait_log(r"listening on 127\.0\.0\.1:(\d+)", timeout, what="the listening line")
            self.port = int(m.group(1))
            self.wait_log(r"moderatord ready", timeout, what="moderatord ready")
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then the exit code (SIGKILL and an AssertionError if it does not stop in time)."""
        if not self.running():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"moderatord did not stop within {timeout} s of SIGTERM:\n" + self.log_tail())
        if self._reader is not None:
            self._reader.join(timeout=10)
        return rc

    def kill9(self):
        if self.running():
            self.proc.kill()
            self.proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=10)

    # --- HTTP ---
    def request(self, method, path, body=None, headers=None, timeout=HTTP_TIMEOUT):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def post_webhook(self, account, secret, body, signature=None, timeout=HTTP_TIMEOUT):
        headers = {"Content-Type": "application/json",
                   "X-Moderatord-Signature": signature if signature is not None else sign(secret, body)}
        return self.request("POST", f"/webhooks/{account}", body, headers, timeout)

    def healthz(self):
        return self.request("GET", "/healthz")[0]

    def metrics(self):
        status, body = self.request("GET", "/metrics")
        assert status == 200, status
        return body.decode()

    # --- the command line against the same state ---
    def cli(self, *args, timeout=60):
        return subprocess.run([self.binary, *args, "--config", self.config, "--state-dir", self.state_dir],
                              capture_output=True, text=True, timeout=timeout)


class Db:
    """Read-only view of the daemon's SQLite file (WAL mode: readers never block the daemon)."""

    def __init__(self, path):
        self.path = path

    def query(self, sql, params=()):
        # A new connection per query: always the latest committed state, and nothing left open.
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def scalar(self, sql, params=()):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None


def write_config(path, *, state_dir, rules, cache_dir, accounts, http=None, outbox=None, daemon=None, mail=None,
                 extra=""):
    """A moderatord.toml for a test: listens on an ephemeral 127.0.0.1 port."""
    http_opts = {"listen": ["127.0.0.1:0"], "max_body_bytes": 65536, "header_timeout_ms": 5000,
                 "body_timeout_ms": 5000, "idle_timeout_ms": 5000, "max_connections": 64}
    http_opts.update(http or {})
    outbox_opts = {"max_attempts": 8, "initial_backoff_ms": 100, "max_backoff_ms": 2000,
                   "action_timeout_ms": 10000, "concurrency": 8}
    outbox_opts.update(outbox or {})
    daemon_opts = {"shutdown_grace_ms": 10000, "synchronous": "full"}
    daemon_opts.update(daemon or {})

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):  # an inline table: an account's sla = {...}
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        return toml_str(v)

    lines = ["[daemon]", f"state_dir = {toml_str(state_dir)}", 'database = "moderatord.db"',
             f"rules = {toml_str(rules)}", f"cache_dir = {toml_str(cache_dir)}"]
    lines += [f"{k} = {value(v)}" for k, v in daemon_opts.items()]
    lines += ["", "[http]"] + [f"{k} = {value(v)}" for k, v in http_opts.items()]
    lines += ["", "[outbox]"] + [f"{k} = {value(v)}" for k, v in outbox_opts.items()]
    mail_opts = {"transport": "maildir", "maildir": "mail", "from": "moderatord <moderatord@test.example>",
                 "moderators": ["mods@test.example"], "templates": os.path.abspath(TEMPLATES),
                 "report_time": ""}  # no daily report unless a test asks for one
    mail_opts.update(mail or {})
    lines += ["", "[mail]"] + [f"{k} = {value(v)}" for k, v in mail_opts.items()]
    lines += ["", extra]  # raw TOML: sections the helper has no parameters for ([sla], ...)
    for a in accounts:
        lines += ["", "[[account]]"] + [f"{k} = {value(v)}" for k, v in a.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def shared_cache_dir(argv_value=None):
    """One compiled-rules cache for the whole run (only the first start compiles)."""
    if argv_value:
        argv_value = os.path.abspath(argv_value)  # the config resolves relative paths from state_dir
        os.makedirs(argv_value, exist_ok=True)
        return argv_value
    d = os.path.join(tempfile.gettempdir(), "moderatord-e2e-cache")
    os.makedirs(d, exist_ok=True)
    return d


def maildir_files(state_dir):
    new = os.path.join(state_dir, "mail", "new")
    try:
        return sorted(os.listdir(new))
    except (FileNotFoundError, NotADirectoryError):
        return []


def read_jsonl(path):
    try:
        with open(path, "rb") as f:
            return [json.loads(l) for l in f.read().splitlines() if l.strip()]
    except FileNotFoundError:
        return []


class PlatformE2E(unittest.TestCase):
    """The scaffolding every platform connector's end-to-end test class shares (X, Mastodon,
    YouTube, Bluesky, Facebook/Instagram). It was once copied into each test file; one copy means a
    fix to the start-up, shutdown or leak checks reaches every platform, and the test files hold
    only what is particular to their platform: its fake, its credentials, its accounts, its tests.

    A subclass's setUpClass does:
      make_temp_dirs(prefix)          cls.tmp (a fresh temp dir) and cls.state (<tmp>/state)
      cls.fake = SomeFake(...)        the platform's fake API, which tearDownClass closes
      write_secret_file(name, value)  a credential file, as often as needed
      start_daemon(...)               cls.config, cls.d (the Daemon), cls.db; the daemon is ready

    tearDownClass then stops the daemon, closes the fake and fails on what the whole class left
    behind: sanitizer findings, a secret in the log (secrets_never_logged), a non-zero exit on
    SIGTERM. The temp dir is removed unless MODERATORD_E2E_KEEP is set. tearDown fails a test
    after which the daemon has reported a sanitizer finding, so the finding names the test.
    """

    # The failure message when one of secrets_never_logged() is in the log.
    secret_in_log_message = "a secret appears in moderatord's log"
    # Whether tearDownClass fails when moderatord exits non-zero on SIGTERM.
    check_exit_code = True

    @classmethod
    def secrets_never_logged(cls):
        """The credentials of this class's accounts: tearDownClass fails if any is in the log."""
        return ()

    @classmethod
    def make_temp_dirs(cls, prefix):
        cls.tmp = tempfile.mkdtemp(prefix=prefix)
        cls.state = os.path.join(cls.tmp, "state")
        os.makedirs(cls.state)

    @classmethod
    def write_secret_file(cls, name, value, directory=None):
        """Writes `value` and a newline to <directory>/<name> (<tmp>/<name> by default), the way an
        admin stores a credential for moderatord to read; returns the path."""
        path = os.path.join(directory or cls.tmp, name)
        with open(path, "w") as f:
            f.write(value + "\n")
        return path

    @classmethod
    def start_daemon(cls, binary, source_dir, cache_dir, accounts, **config):
        """Writes <tmp>/moderatord.toml for `accounts` (the rules of `source_dir`; `config` goes on to
        write_config) and starts moderatord on it, waiting until it is ready. If it does not start,
        prints its log and closes cls.fake before raising: tearDownClass does not run then."""
        # The shipped policy files (bank holidays...) where the config's defaults look for them.
        policy = os.path.join(source_dir, "config", "policy")
        if os.path.isdir(policy):
            shutil.copytree(policy, os.path.join(cls.tmp, "policy"))
        cls.config = write_config(os.path.join(cls.tmp, "moderatord.toml"), state_dir=cls.state,
                                  rules=os.path.join(source_dir, "config", "rules"), cache_dir=cache_dir,
                                  accounts=accounts, **config)
        cls.d = Daemon(binary, cls.config, cls.state, os.path.join(cls.tmp, "daemon.log"))
        cls.db = Db(os.path.join(cls.state, "moderatord.db"))
        try:
            cls.d.start()
        except BaseException:
            print(cls.d.log(), file=sys.stderr)
            cls.fake.close()
            raise

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        cls.fake.close()
        log = cls.d.log()
        findings = cls.d.sanitizer_findings()
        if rc not in (0, None) or findings:
            print("\n--- moderatord log ---\n" + log, file=sys.stderr)
        if not os.environ.get("MODERATORD_E2E_KEEP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)
        if findings:
            raise AssertionError("sanitizer findings:\n" + "\n".join(findings[:20]))
        if any(secret in log for secret in cls.secrets_never_logged()):
            raise AssertionError(cls.secret_in_log_message)
        if cls.check_exit_code and rc not in (0, None):
            raise AssertionError(f"moderatord exited {rc} on SIGTERM")

    def tearDown(self):
        self.assertEqual(self.d.sanitizer_findings(), [])

    def alert_rows(self):
        """The admin alerts queued for email, as dicts."""
        rows = self.db.query("SELECT payload_json FROM outbox WHERE executor = 'mail' AND "
                             "json_extract(payload_json, '$.type') = 'admin_alert'")
        return [json.loads(r[0]) for r in rows]
