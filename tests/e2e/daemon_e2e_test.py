#!/usr/bin/env python3
"""End-to-end tests of `moderatord run`: the real binary as a process, a real SQLite file, HTTP on
127.0.0.1 only. Signed webhooks, bad input, slow and flooding clients, SIGHUP reloads, SIGTERM and
restart, the replay connector's cursor and action log, outbox dead letters and retry, and a store
that cannot commit (write lock held by another process; a "disk" that is full).

usage: daemon_e2e_test.py MODERATORD SOURCE_DIR [CACHE_DIR] [unittest options]

CACHE_DIR holds the compiled rules, shared by every daemon of the run (only the first start
compiles). Every daemon's stderr is scanned: an AddressSanitizer, LeakSanitizer or UBSan
("runtime error:") report fails the test.
"""
import email
import email.policy
import email.utils
import json
import os
import re
import resource
import select
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import (Daemon, Db, body_of, comment, maildir_files, read_jsonl, shared_cache_dir, sign,  # noqa: E402
                         wait_for, write_config)

if len(sys.argv) < 3:
    sys.exit(__doc__)
BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
_rest = sys.argv[3:]
CACHE = shared_cache_dir(_rest.pop(0) if _rest and not _rest[0].startswith("-") else None)
RULES = os.path.join(SRC, "config", "rules")

SECRET = b"e2e-s3cret-" + os.urandom(8).hex().encode()   # must never show up in the log
THREAT = "I'll kill you if I see you at the café meeting"  # abusive, report-worthy; non-ASCII on purpose
OBSCENE = "what the fuck is this roundabout"               # obscene: hide
CLEAN = "The new benches by the canal are lovely, thank you"


class DaemonCase(unittest.TestCase):
    """One daemon per test class, in its own temp dir."""
    accounts = None          # list of [[account]] tables; None = one enforcing webhook "site"
    http = {}
    outbox = {}
    daemon_opts = {}
    rules = RULES

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="moderatord-e2e-")
        cls.state = os.path.join(cls.tmp, "state")
        os.makedirs(cls.state)
        cls.secret_file = os.path.join(cls.tmp, "site.secret")
        with open(cls.secret_file, "wb") as f:
            f.write(SECRET + b"\n")
        cls.prepare()
        accounts = cls.accounts if cls.accounts is not None else [
            {"id": "site", "platform": "webhook", "mode": "enforce", "secret_file": cls.secret_file}]
        cls.config = write_config(os.path.join(cls.tmp, "moderatord.toml"), state_dir=cls.state, rules=cls.rules,
                                  cache_dir=CACHE, accounts=accounts, http=cls.http, outbox=cls.outbox,
                                  daemon=cls.daemon_opts)
        cls.d = Daemon(BIN, cls.config, cls.state, os.path.join(cls.tmp, "daemon.log"))
        cls.db = Db(os.path.join(cls.state, "moderatord.db"))
        try:
            cls.d.start()
        except BaseException:
            print(cls.d.log(), file=sys.stderr)
            raise

    @classmethod
    def prepare(cls):
        """Hook: files a class needs before its config is written."""

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        findings = cls.d.sanitizer_findings()
        keep = os.environ.get("MODERATORD_E2E_KEEP")
        if rc not in (0, None) or findings:
            print(f"\n--- moderatord log ({cls.__name__}) ---\n" + cls.d.log(), file=sys.stderr)
        if not keep:
            shutil.rmtree(cls.tmp, ignore_errors=True)
        if findings:
            raise AssertionError("sanitizer findings in moderatord's stderr:\n" + "\n".join(findings[:20]))
        if SECRET.decode() in cls.d.log():
            raise AssertionError("the webhook secret appears in moderatord's log")
        if rc not in (0, None):
            raise AssertionError(f"moderatord exited {rc} on SIGTERM")

    def tearDown(self):
        findings = self.d.sanitizer_findings()
        self.assertEqual(findings, [], "sanitizer findings in moderatord's stderr")

    # --- helpers ---
    def post(self, *comments, account="site", secret=SECRET):
        return self.d.post_webhook(account, secret, body_of(*comments))

    def comment_rows(self, platform_id, account="site"):
        return self.db.query("SELECT id, revision, text FROM comments WHERE account = ? AND platform_id = ?",
                             (account, platform_id))

    def comment_id(self, platform_id, account="site"):
        rows = self.comment_rows(platform_id, account)
        self.assertEqual(len(rows), 1, f"comment {platform_id}: rows {rows}")
        return rows[0][0]

    def assert_serving(self):
        self.assertEqual(self.d.healthz(), 200)

    def wait_outbox_state(self, outbox_id, state, timeout=60):
        wait_for(lambda: self.db.scalar("SELECT state FROM outbox WHERE id = ?", (outbox_id,)) == state, timeout,
                 f"outbox row {outbox_id} to be {state}")


# ---------------------------------------------------------------------------------------------------
class Webhook(DaemonCase):
    """Items 1-4: signed deliveries, repeats and edits, bad input, slow clients."""
    http = {"max_body_bytes": 4096, "header_timeout_ms": 500, "body_timeout_ms": 2000, "idle_timeout_ms": 2000}

    @classmethod
    def prepare(cls):
        cls.watch_secret_file = os.path.join(cls.tmp, "watch.secret")
        with open(cls.watch_secret_file, "wb") as f:
            f.write(b"watch-" + SECRET)
        cls.accounts = [
            {"id": "site", "platform": "webhook", "mode": "enforce", "secret_file": cls.secret_file},
            {"id": "watch", "platform": "webhook", "mode": "observe", "secret_file": cls.watch_secret_file},
        ]

    def test_1_signed_delivery_is_stored_classified_and_escalated(self):
        status, reply = self.post(comment("w1-clean", CLEAN), comment("w1-threat", THREAT, name="Bob"))
        self.assertEqual(status, 200, reply)
        self.assertEqual(json.loads(reply), {"accepted": 2})
        # 200 means committed: the rows are there as soon as the reply is.
        clean, threat = self.comment_id("w1-clean"), self.comment_id("w1-threat")
        for cid in (clean, threat):
            self.assertEqual(self.db.scalar("SELECT count(*) FROM verdicts WHERE comment_id = ?", (cid,)), 1)
            self.assertEqual(self.db.scalar("SELECT count(*) FROM decisions WHERE comment_id = ?", (cid,)), 1)
        self.assertEqual(self.db.query("SELECT labels, action FROM verdicts WHERE comment_id = ?", (clean,)), [("", "none")])
        labels, action = self.db.query("SELECT labels, action FROM verdicts WHERE comment_id = ?", (threat,))[0]
        self.assertIn("abusive", labels.split(","))
        self.assertEqual(action, "report")
        self.assertEqual(self.db.scalar("SELECT count(*) FROM outbox WHERE comment_id = ?", (clean,)), 0,
                         "a clean comment must not produce an outbox row")
        # The webhook cannot act: the threat becomes one escalation email.
        rows = self.db.query("SELECT id, kind, executor FROM outbox WHERE comment_id = ?", (threat,))
        self.assertEqual(len(rows), 1, rows)
        oid, kind, executor = rows[0]
        self.assertEqual((kind, executor), ("escalate", "mail"))
        self.wait_outbox_state(oid, "done")
        name = f"moderatord-outbox-{oid}"
        self.assertIn(name, maildir_files(self.state))
        with open(os.path.join(self.state, "mail", "new", name), "rb") as f:
            raw = f.read()
        head, _, _ = raw.partition(b"\r\n\r\n")
        self.assertNotIn(b"\n", head.replace(b"\r\n", b""), "header lines must end in CRLF")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(str(msg["From"]), "moderatord <moderatord@test.example>")
        self.assertIn("mods@test.example", str(msg["To"]))
        subject = str(msg["Subject"])  # RFC 2047 encoded (non-ASCII text), decoded by the policy
        self.assertIn("abusive", subject)
        self.assertIn("site", subject)
        self.assertIn("café", subject)
        self.assertIsNotNone(email.utils.parsedate_to_datetime(str(msg["Date"])))
        self.assertEqual(str(msg["Message-ID"]), f"<outbox-{oid}@test.example>")  # the same on every retry
        self.assertEqual(str(msg["X-Moderatord-Outbox-Id"]), str(oid))
        body = msg.get_body(preferencelist=("plain",)).get_content()  # multipart/alternative
        self.assertIn(THREAT, body)
        self.assertIn("w1-threat", body)
        self.assertIn("Bob", body)
        self.assertIn("abusive.threat.kill", body)

    def test_1b_observe_mode_records_without_acting_but_still_escalates_reports(self):
        watch_secret = b"watch-" + SECRET
        status, _ = self.post(comment("o-obscene", OBSCENE), comment("o-threat", THREAT), account="watch",
                              secret=watch_secret)
        self.assertEqual(status, 200)
        obscene = self.comment_id("o-obscene", "watch")
        self.assertIn("obscene", self.db.scalar("SELECT labels FROM verdicts WHERE comment_id = ?", (obscene,)))
        self.assertEqual(self.db.scalar("SELECT count(*) FROM outbox WHERE comment_id = ?", (obscene,)), 0)
        threat = self.comment_id("o-threat", "watch")
        self.assertEqual(self.db.query("SELECT kind, executor FROM outbox WHERE comment_id = ?", (threat,)),
                         [("escalate", "mail")])
        # The other account's secret is not this one's.
        status, _ = self.post(comment("o-wrong", CLEAN), account="watch", secret=SECRET)
        self.assertEqual(status, 401)

    def test_2_repeats_are_one_row_and_edits_a_new_revision(self):
        c = comment("w2-dup", "Potholes on Mill Lane again")
        self.assertEqual(self.post(c)[0], 200)
        self.assertEqual(self.post(c)[0], 200)
        self.assertEqual(self.post(c, c)[0], 200)  # twice in one delivery, too
        rows = self.comment_rows("w2-dup")
        self.assertEqual(len(rows), 1, rows)
        cid = rows[0][0]
        self.assertEqual(rows[0][1], 1)
        self.assertEqual(self.db.scalar("SELECT count(*) FROM verdicts WHERE comment_id = ?", (cid,)), 1)
        edited = comment("w2-dup", "Potholes on Mill Lane again, what the fuck are you doing")
        self.assertEqual(self.post(edited)[0], 200)
        rows = self.comment_rows("w2-dup")
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0][1], 2)
        self.assertEqual(rows[0][2], edited["text"])
        verdicts = self.db.query("SELECT revision, labels FROM verdicts WHERE comment_id = ? ORDER BY id", (cid,))
        self.assertEqual([v[0] for v in verdicts], [1, 2])
        self.assertEqual(verdicts[0][1], "")
        self.assertIn("obscene", verdicts[1][1])
        self.assertEqual(self.db.scalar("SELECT count(*) FROM decisions WHERE comment_id = ?", (cid,)), 2)

    def raw_exchange(self, data, read_timeout=10):
        """Sends raw bytes (tolerating a server that closes early) and returns what comes back."""
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=read_timeout)
        try:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
                if b"\r\n\r\n" in out:
                    m = re.search(rb"content-length:\s*(\d+)", out, re.I)
                    if m and len(out.partition(b"\r\n\r\n")[2]) >= int(m.group(1)):
                        break
            return out
        finally:
            s.close()

    @staticmethod
    def status_of(raw):
        m = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
        return int(m.group(1)) if m else None

    def test_3_bad_input_is_refused_and_nothing_is_stored(self):
        before = self.db.scalar("SELECT count(*) FROM comments")
        good = body_of(comment("rej-1", OBSCENE))
        oversized = body_of(comment("rej-big", "a" * 8000))
        bad_utf8 = b'{"comments":[{"id":"rej-utf8","text":"fu\xff\xfeck you"}]}'
        cases = [
            ("missing signature", lambda: self.d.request("POST", "/webhooks/site", good,
                                                         {"Content-Type": "application/json"}), 401),
            ("wrong secret", lambda: self.d.post_webhook("site", b"not-the-secret", good), 401),
            ("signature of another body", lambda: self.d.post_webhook(
                "site", SECRET, good, signature=sign(SECRET, body_of(comment("rej-other", CLEAN)))), 401),
            ("no sha256= prefix", lambda: self.d.post_webhook(
                "site", SECRET, good, signature=sign(SECRET, good)[len("sha256="):]), 401),
            ("truncated signature", lambda: self.d.post_webhook(
                "site", SECRET, good, signature=sign(SECRET, good)[:-2]), 401),
            ("malformed JSON", lambda: self.d.post_webhook("site", SECRET, b'{"comments":[{"id":"rej-2",'), 400),
            ("not an object", lambda: self.d.post_webhook("site", SECRET, b'[1,2,3]'), 400),
            ("invalid UTF-8", lambda: self.d.post_webhook("site", SECRET, bad_utf8), 400),
            ("missing text", lambda: self.d.post_webhook("site", SECRET, b'{"comments":[{"id":"rej-3"}]}'), 400),
            ("missing id", lambda: self.d.post_webhook("site", SECRET, b'{"comments":[{"text":"hello"}]}'), 400),
            ("text not a string", lambda: self.d.post_webhook(
                "site", SECRET, b'{"comments":[{"id":"rej-4","text":42}]}'), 400),
            ("empty list", lambda: self.d.post_webhook("site", SECRET, b'{"comments":[]}'), 400),
            ("one bad comment spoils the delivery", lambda: self.d.post_webhook(
                "site", SECRET, b'{"comments":[{"id":"rej-5","text":"fine"},{"id":"rej-6"}]}'), 400),
            ("oversized body", lambda: self.d.post_webhook("site", SECRET, oversized), 413),
            ("unknown account", lambda: self.d.post_webhook("nosuch", SECRET, good), 404),
            ("PUT", lambda: self.d.request("PUT", "/webhooks/site", good,
                                           {"X-Moderatord-Signature": sign(SECRET, good)}), 405),
            ("DELETE", lambda: self.d.request("DELETE", "/webhooks/site"), 405),
            ("unknown path", lambda: self.d.request("GET", "/nope"), 404),
            ("path traversal", lambda: self.d.request("POST", "/webhooks/../webhooks/site", good,
                                                      {"X-Moderatord-Signature": sign(SECRET, good)}), 404),
        ]
        for what, call, expected in cases:
            with self.subTest(what):
                try:
                    status, _ = call()
                except (BrokenPipeError, ConnectionResetError) as e:
                    self.fail(f"{what}: connection dropped without a reply: {e!r}")
                self.assertEqual(status, expected, what)
                self.assert_serving()
        # The same oversized body sent chunked (no Content-Length): the limit holds while reading.
        head = (b"POST /webhooks/site HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                b"X-Moderatord-Signature: " + sign(SECRET, oversized).encode() + b"\r\n\r\n")
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(oversized[i:i + 1000]), oversized[i:i + 1000])
                           for i in range(0, len(oversized), 1000)) + b"0\r\n\r\n"
        self.assertEqual(self.status_of(self.raw_exchange(head + chunked)), 413)
        self.assert_serving()
        # Not HTTP at all.
        self.assertEqual(self.status_of(self.raw_exchange(b"\x16\x03\x01 hello\r\n\r\n")), 400)
        self.assert_serving()
        # A head over the 16 KiB limit.
        big_head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n"
        self.assertEqual(self.status_of(self.raw_exchange(big_head)), 431)
        self.assert_serving()

        self.assertEqual(self.db.scalar("SELECT count(*) FROM comments WHERE platform_id LIKE 'rej-%'"), 0)
        self.assertEqual(self.db.scalar("SELECT count(*) FROM comments"), before)
        # A signature in upper-case hex is the same signature.
        ok = body_of(comment("w3-upper", CLEAN))
        sig = "sha256=" + sign(SECRET, ok)[len("sha256="):].upper()
        self.assertEqual(self.d.post_webhook("site", SECRET, ok, signature=sig)[0], 200)
        metrics = self.d.metrics()
        self.assertRegex(metrics, r'moderatord_webhook_rejections_total\{account="site",code="401"\} [1-9]')
        # The secret (and a valid signature) never reach the log or the metrics.
        log = self.d.log()
        for leaked in (SECRET.decode(), sign(SECRET, good)[len("sha256="):]):
            self.assertNotIn(leaked, log)
            self.assertNotIn(leaked, metrics)

    def test_4_slow_loris_is_cut_off_while_others_are_served(self):
        s = socket.create_connection(("127.0.0.1", self.d.port))
        t0 = time.monotonic()
        s.setblocking(False)
        trickle = b"POST /webhooks/site HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 2000
        closed_after = None
        served = 0
        i = 0
        try:
            while time.monotonic() - t0 < 30:
                try:
                    s.send(trickle[i:i + 1])
                    i += 1
                except (BrokenPipeError, ConnectionResetError):
                    closed_after = time.monotonic() - t0
                    break
                except BlockingIOError:
                    pass
                r, _, _ = select.select([s], [], [], 0.05)
                if r:
                    try:
                        data = s.recv(4096)
                    except ConnectionResetError:
                        data = b""
                    if not data:
                        closed_after = time.monotonic() - t0
                        break
                if i % 4 == 0:  # meanwhile, everyone else is served promptly
                    t1 = time.monotonic()
                    self.assert_serving()
                    self.assertLess(time.monotonic() - t1, 2.0)
                    served += 1
        finally:
            s.close()
        self.assertIsNotNone(closed_after, "the slow client was never cut off")
        self.assertGreaterEqual(closed_after, 0.4)   # header_timeout_ms = 500
        self.assertLess(closed_after, 5.0)
        self.assertGreater(served, 0)
        # A client that connects and sends nothing is cut off the same way.
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=10)
        t0 = time.monotonic()
        try:
            self.assertEqual(s.recv(100), b"")
        except ConnectionResetError:
            pass
        finally:
            s.close()
        self.assertLess(time.monotonic() - t0, 5.0)
        # A body that stalls half way is cut off after body_timeout_ms.
        body = body_of(comment("w4-stalled", CLEAN))
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=15)
        try:
            s.sendall(b"POST /webhooks/site HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                      b"X-Moderatord-Signature: %s\r\n\r\n" % (len(body), sign(SECRET, body).encode()) + body[:10])
            t0 = time.monotonic()
            try:
                self.assertEqual(s.recv(100), b"")
            except ConnectionResetError:
                pass
            self.assertLess(time.monotonic() - t0, 10.0)
        finally:
            s.close()
        self.assertEqual(self.comment_rows("w4-stalled"), [])
        self.assert_serving()


# ---------------------------------------------------------------------------------------------------
class ConnectionFlood(DaemonCase):
    """Item 5: beyond max_connections, new connections get a 503 at once; afterwards all is normal."""
    http = {"max_connections": 8, "header_timeout_ms": 10000, "idle_timeout_ms": 10000}

    def test_5_connection_flood(self):
        self.assert_serving()
        wait_for(lambda: "moderatord_http_connections 1\n" in self.d.metrics(), 10,
                 "earlier connections to close")  # the /metrics request itself is the one
        socks = []
        try:
            for _ in range(20):
                socks.append(socket.create_connection(("127.0.0.1", self.d.port), timeout=10))
            refused = {}

            def settle():
                for i, s in enumerate(socks):
                    if i in refused:
                        continue
                    r, _, _ = select.select([s], [], [], 0)
                    if r:
                        try:
                            data = s.recv(4096)
                        except ConnectionResetError:
                            data = b""
                        refused[i] = data
                return len(refused) >= 12

            wait_for(settle, 10, "12 of 20 connections to be refused")
            time.sleep(0.3)  # nothing more may be refused: the first 8 hold their slots
            settle()
            self.assertEqual(len(refused), 12, sorted(refused))
            for i, data in refused.items():
                if data:
                    self.assertTrue(data.startswith(b"HTTP/1.1 503"), data[:80])
            self.assertGreaterEqual(sum(1 for d in refused.values() if d.startswith(b"HTTP/1.1 503")), 1)
            # While the 8 are held, a real request is refused with a 503 too.
            status, body = self.d.request("GET", "/healthz")
            self.assertEqual(status, 503)
            self.assertIn(b"too many connections", body)
            # The 8 held connections still work: one sends a request now.
            held = [s for i, s in enumerate(socks) if i not in refused]
            self.assertEqual(len(held), 8)
            held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertTrue(held[0].recv(4096).startswith(b"HTTP/1.1 200"))
        finally:
            for s in socks:
                s.close()
        # Closed: capacity comes back.
        wait_for(lambda: self.d.healthz() == 200, 10, "/healthz 200 after the flood")
        status, _ = self.post(comment("flood-after", CLEAN))
        self.assertEqual(status, 200)
        self.assertRegex(self.d.metrics(), r'moderatord_http_responses_total\{code="503"\} (1[3-9]|[2-9]\d)')


# ---------------------------------------------------------------------------------------------------
class Reload(DaemonCase):
    """Item 6: SIGHUP with broken rules keeps the old ones; with a new rule, applies it."""

    @classmethod
    def prepare(cls):
        cls.rules = os.path.join(cls.tmp, "rules")
        shutil.copytree(RULES, cls.rules)

    def labels(self, platform_id):
        return self.db.scalar("SELECT labels FROM verdicts WHERE comment_id = ? ORDER BY id DESC LIMIT 1",
                              (self.comment_id(platform_id),))

    def reload(self):
        mark = self.mark = self.d.log_count()
        self.d.signal(signal.SIGHUP)
        m = self.d.wait_log(r"reload failed, keeping current config and rules|reload: now using rules", 180,
                            since=mark, what="the reload to finish")
        return m.group(0), self.d.log_since(mark)

    def test_6_reload(self):
        self.assertEqual(self.post(comment("r-before", "you zzyzxqq"))[0], 200)
        self.assertEqual(self.labels("r-before"), "")
        obscene = os.path.join(self.rules, "obscene.toml")
        with open(obscene) as f:
            original = f.read()
        # (a) A broken rule file: the reload fails, the old rules stay in use.
        with open(obscene, "a") as f:
            f.write('\n[[rule]\nid = "obscene.broken"\nwords = [\n')
        result, log = self.reload()
        self.assertEqual(result, "reload failed, keeping current config and rules", log)
        self.d.wait_log(r"obscene\.toml", 10, since=self.mark)  # the error says where
        self.assertTrue(self.d.running())
        self.assertEqual(self.post(comment("r-old-rules", OBSCENE))[0], 200)
        self.assertIn("obscene", self.labels("r-old-rules"))
        self.assertRegex(self.d.metrics(), r'moderatord_reloads_total\{result="failed"\} 1')
        # (b) A new rule: applied after the reload.
        with open(obscene, "w") as f:
            f.write(original + '\n[[rule]]\nid = "obscene.e2e_test_word"\nweight = 2.0\nwords = ["zzyzxqq"]\n')
        result, log = self.reload()
        self.assertEqual(result, "reload: now using rules", log)
        self.assertEqual(self.post(comment("r-after", "you zzyzxqq"))[0], 200)
        self.assertIn("obscene", self.labels("r-after").split(","))
        cid = self.comment_id("r-after")
        self.assertIn("obscene.e2e_test_word", self.db.scalar("SELECT matches_json FROM verdicts WHERE comment_id = ?",
                                                              (cid,)))
        versions = self.db.query("SELECT DISTINCT rule_set_version FROM verdicts")
        self.assertEqual(len(versions), 2, versions)
        self.assertRegex(self.d.metrics(), r'moderatord_reloads_total\{result="ok"\} 1')
        # Old comments keep the verdict they got.
        self.assertEqual(self.labels("r-before"), "")


# ---------------------------------------------------------------------------------------------------
class Restart(DaemonCase):
    """Item 7: SIGTERM (and SIGINT) stop with exit code 0 in time; a restart finds everything."""

    def test_7_sigterm_then_restart_keeps_data(self):
        for i in range(5):
            self.assertEqual(self.post(comment(f"t-{i}", CLEAN if i % 2 else THREAT))[0], 200)
        wait_for(lambda: self.db.scalar("SELECT count(*) FROM outbox WHERE state != 'done'") == 0, 30,
                 "escalations to be delivered")
        t0 = time.monotonic()
        rc = self.d.stop()
        self.assertEqual(rc, 0, self.d.log_tail())
        self.assertLess(time.monotonic() - t0, 10.0)
        self.assertIn("moderatord stopped", self.d.log(since_start=True))
        with self.assertRaises(OSError):  # the port is closed
            socket.create_connection(("127.0.0.1", self.d.port), timeout=2).close()
        self.d.start()
        self.assertEqual(self.db.scalar("SELECT count(*) FROM comments WHERE platform_id LIKE 't-%'"), 5)
        status = self.d.cli("status", "--json")
        self.assertEqual(status.returncode, 0, status.stderr)
        st = json.loads(status.stdout)
        self.assertEqual(st["comments"], 5)
        self.assertEqual(st["outbox"].get("done"), 3)
        show = self.d.cli("comments", "show", str(self.comment_id("t-0")))
        self.assertEqual(show.returncode, 0, show.stderr)
        self.assertIn(THREAT, show.stdout)
        self.assertIn("abusive", show.stdout)
        # Repeats after the restart are still repeats.
        self.assertEqual(self.post(comment("t-0", THREAT))[0], 200)
        self.assertEqual(self.db.scalar("SELECT count(*) FROM comments"), 5)
        self.assertEqual(len(maildir_files(self.state)), 3)
        # SIGINT stops it the same way.
        self.d.signal(signal.SIGINT)
        self.assertEqual(self.d.proc.wait(timeout=30), 0)
        self.d.start()
        self.assert_serving()


# ---------------------------------------------------------------------------------------------------
class Replay(DaemonCase):
    """Item 8: a replay feed is stored, its hides recorded once; a restart resumes at the cursor."""
    N = 30

    @classmethod
    def prepare(cls):
        cls.feed = os.path.join(cls.tmp, "feed.jsonl")
        cls.action_log = os.path.join(cls.state, "actions.jsonl")
        with open(cls.feed, "w") as f:
            for i in range(cls.N):
                f.write(json.dumps(comment(f"p-{i}", OBSCENE if i % 3 == 0 else CLEAN)) + "\n")
        cls.accounts = [{"id": "feed", "platform": "replay", "mode": "enforce", "feed": cls.feed,
                         "rate_per_second": 200, "follow": True, "action_log": cls.action_log}]

    def count(self):
        return self.db.scalar("SELECT count(*) FROM comments WHERE account = 'feed'") or 0

    def all_done(self):
        return self.db.scalar("SELECT count(*) FROM outbox WHERE state != 'done'") == 0

    def check_action_log(self):
        log = read_jsonl(self.action_log)
        ids = [e["outbox_id"] for e in log]
        self.assertEqual(len(ids), len(set(ids)), "an action recorded twice")
        done = self.db.query("SELECT id, kind, json_extract(payload_json, '$.platform_id') FROM outbox "
                             "WHERE executor = 'feed' AND state = 'done'")
        self.assertEqual(sorted((e["outbox_id"], e["action"], e["platform_id"]) for e in log), sorted(done))
        return log

    def metric(self, name_labels):
        m = re.search(re.escape(name_labels) + r" (\d+)", self.d.metrics())
        return int(m.group(1)) if m else 0

    def test_8_replay_resumes_from_its_cursor(self):
        wait_for(lambda: self.count() == self.N, 60, f"{self.N} replayed comments")
        wait_for(self.all_done, 60, "the hides to be done")
        hides = self.N // 3
        log = self.check_action_log()
        self.assertEqual(len(log), hides)
        self.assertEqual({e["action"] for e in log}, {"hide"})
        self.assertEqual(self.db.scalar("SELECT value FROM cursors WHERE account = 'feed'"), f"feed.jsonl:{self.N}")

        self.assertEqual(self.d.stop(), 0)
        self.d.start()
        self.d.wait_log(rf"replay feed: reading .*feed\.jsonl from feed\.jsonl:{self.N}", 30)
        # Append more: only those are stored; nothing is re-read from the start.
        with open(self.feed, "a") as f:
            for i in range(self.N, self.N + 6):
                f.write(json.dumps(comment(f"p-{i}", OBSCENE if i % 3 == 0 else CLEAN)) + "\n")
        wait_for(lambda: self.count() == self.N + 6, 60, "the appended comments")
        wait_for(self.all_done, 60, "the new hides to be done")
        self.assertEqual(self.metric('moderatord_comments_total{platform="replay",change="new"}'), 6)
        self.assertEqual(self.metric('moderatord_comments_total{platform="replay",change="repeated"}'), 0)
        log = self.check_action_log()
        self.assertEqual(len(log), hides + 2)
        # A line still being written (no final newline) waits for its newline.
        with open(self.feed, "a") as f:
            f.write(json.dumps(comment("p-partial", OBSCENE))[:20])
        time.sleep(1.5)  # the follow loop looks once a second: give it a look or two
        self.assertEqual(self.comment_rows("p-partial", "feed"), [])
        with open(self.feed, "a") as f:
            f.write(json.dumps(comment("p-partial", OBSCENE))[20:] + "\n")
        wait_for(lambda: self.comment_rows("p-partial", "feed"), 30, "the completed line")
        self.assertEqual(self.count(), self.N + 7)
        wait_for(self.all_done, 60, "the last hide")
        self.assertEqual(len(self.check_action_log()), hides + 3)
        self.assertEqual(self.db.scalar("SELECT value FROM cursors WHERE account = 'feed'"), f"feed.jsonl:{self.N + 7}")


# ---------------------------------------------------------------------------------------------------
class DeadLetter(DaemonCase):
    """Item 9: an escalation that cannot be delivered becomes a dead letter; `outbox retry` revives it."""
    outbox = {"max_attempts": 2, "initial_backoff_ms": 100, "max_backoff_ms": 200}

    @classmethod
    def prepare(cls):
        # A regular file where the maildir should be: create_directories fails, even as root.
        with open(os.path.join(cls.state, "mail"), "w") as f:
            f.write("not a directory\n")

    def test_9_dead_letter_and_retry(self):
        self.assertEqual(self.post(comment("dl-1", THREAT))[0], 200)
        oid = self.db.scalar("SELECT id FROM outbox WHERE comment_id = ?", (self.comment_id("dl-1"),))
        self.wait_outbox_state(oid, "dead", 60)
        attempts, error = self.db.query("SELECT attempts, last_error FROM outbox WHERE id = ?", (oid,))[0]
        self.assertEqual(attempts, 2)
        self.assertIn("cannot create maildir", error)
        self.d.wait_log(rf"#{oid} for mail is a dead letter after 2 attempt", 10)

        status = self.d.cli("status")
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertRegex(status.stdout, r"dead 1\b")
        self.assertIn("1 dead letter(s)", status.stdout)
        self.assertEqual(json.loads(self.d.cli("status", "--json").stdout)["outbox"].get("dead"), 1)
        listed = self.d.cli("outbox", "list", "--state", "dead")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertRegex(listed.stdout, rf"(?m)^{oid}\s+escalate\s+dead\s+mail\b")
        self.assertIn('moderatord_outbox_rows{state="dead"} 1', self.d.metrics())

        os.remove(os.path.join(self.state, "mail"))
        retry = self.d.cli("outbox", "retry", str(oid))
        self.assertEqual(retry.returncode, 0, retry.stderr)
        self.wait_outbox_state(oid, "done", 30)  # the worker looks at least every 2 s
        self.assertIn(f"moderatord-outbox-{oid}", maildir_files(self.state))
        self.assertIn('moderatord_outbox_rows{state="dead"} 0', self.d.metrics())
        again = self.d.cli("outbox", "retry", str(oid))  # done rows are not retried
        self.assertEqual(again.returncode, 1)
        audit = self.db.query("SELECT action, actor FROM audit_log WHERE outbox_id = ? AND action = 'outbox.retry'",
                              (oid,))
        self.assertEqual(len(audit), 1, audit)
        self.assertTrue(audit[0][1].startswith("cli:"))


# ---------------------------------------------------------------------------------------------------
class StoreLocked(DaemonCase):
    """Item 10a: another process holds the database's write lock (an admin's sqlite3 shell left in a
    transaction): deliveries get 503 after busy_timeout, nothing half-stored, and the same delivery
    succeeds once the lock is gone."""

    def test_10a_write_lock_held_gives_503_then_recovers(self):
        self.assertEqual(self.post(comment("lk-0", CLEAN))[0], 200)
        holder = sqlite3.connect(os.path.join(self.state, "moderatord.db"), timeout=30, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            t0 = time.monotonic()
            status, body = self.post(comment("lk-1", THREAT))
            self.assertEqual(status, 503, body)
            self.assertGreater(time.monotonic() - t0, 3.0)  # busy_timeout is 5 s
            self.assert_serving()                            # the rest of the daemon is fine
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        self.assertEqual(self.comment_rows("lk-1"), [])
        self.d.wait_log(r"webhook site: not stored, answering 503", 10)  # stderr is read asynchronously
        # The platform redelivers: now stored, once, and escalated.
        self.assertEqual(self.post(comment("lk-1", THREAT))[0], 200)
        cid = self.comment_id("lk-1")
        oid = self.db.scalar("SELECT id FROM outbox WHERE comment_id = ?", (cid,))
        self.wait_outbox_state(oid, "done")
        self.assertEqual(maildir_files(self.state), [f"moderatord-outbox-{oid}"])


class DiskFull(unittest.TestCase):
    """Item 10b: the file system refuses to grow the database (RLIMIT_FSIZE stands in for a full disk:
    writes past the limit fail with EFBIG, as they would with ENOSPC). Deliveries get 503, the daemon
    keeps serving and stops cleanly; after a restart with space, every acknowledged comment is there
    and the refused ones were not half-stored."""

    def test_10b_full_disk_gives_503_and_loses_nothing_acknowledged(self):
        tmp = tempfile.mkdtemp(prefix="moderatord-e2e-full-")
        try:
            state = os.path.join(tmp, "state")
            os.makedirs(state)
            secret_file = os.path.join(tmp, "secret")
            with open(secret_file, "wb") as f:
                f.write(SECRET)
            config = write_config(os.path.join(tmp, "moderatord.toml"), state_dir=state, rules=RULES,
                                  cache_dir=CACHE, accounts=[{"id": "site", "platform": "webhook",
                                                              "secret_file": secret_file}])
            db = Db(os.path.join(state, "moderatord.db"))
            # First start without a limit: creates the database and its schema.
            d = Daemon(BIN, config, state, os.path.join(tmp, "daemon.log"))
            d.start()
            self.assertEqual(d.stop(), 0)
            size = sum(os.path.getsize(os.path.join(state, n)) for n in os.listdir(state)
                       if n.startswith("moderatord.db"))
            d.rlimit_fsize = max(size, 256 * 1024) + 256 * 1024
            d.start()
            acked, refused = [], []
            text = "Lovely day at the market " * 400  # ~10 KB a comment: the WAL grows fast
            for i in range(200):
                status, _ = d.post_webhook("site", SECRET, body_of(comment(f"df-{i}", text + str(i))))
                self.assertIn(status, (200, 503))
                (acked if status == 200 else refused).append(f"df-{i}")
                if len(refused) >= 3:
                    break
                self.assertTrue(d.running(), d.log_tail())
            self.assertGreaterEqual(len(refused), 3, "the limit was never reached")
            self.assertGreater(len(acked), 0)
            self.assertEqual(d.healthz(), 200)
            d.wait_log(r"not stored, answering 503", 10)
            # Space comes back while it runs (an admin cleans up): redeliveries are stored, no restart.
            resource.prlimit(d.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            for pid in refused:
                status, _ = d.post_webhook("site", SECRET, body_of(comment(pid, text + "again")))
                self.assertEqual(status, 200, d.log_tail())
                acked.append(pid)
            self.assertEqual(d.post_webhook("site", SECRET, body_of(comment("df-after", THREAT)))[0], 200)
            acked.append("df-after")
            oid = db.scalar("SELECT id FROM outbox WHERE comment_id = "
                            "(SELECT id FROM comments WHERE platform_id = 'df-after')")
            wait_for(lambda: db.scalar("SELECT state FROM outbox WHERE id = ?", (oid,)) == "done", 30,
                     "the escalation after the disk came back")
            self.assertEqual(d.stop(), 0, d.log_tail())
            d.rlimit_fsize = None
            d.start()
            stored = {r[0] for r in db.query("SELECT platform_id FROM comments")}
            self.assertTrue(set(acked) <= stored, f"acknowledged but lost: {sorted(set(acked) - stored)}")
            self.assertEqual(len(stored), len(acked))
            # Every stored comment is whole: one verdict and one decision for its one revision.
            self.assertEqual(db.query("SELECT count(*) FROM comments c WHERE (SELECT count(*) FROM verdicts v "
                                      "WHERE v.comment_id = c.id) != c.revision"), [(0,)])
            self.assertEqual(db.query("PRAGMA integrity_check"), [("ok",)])
            self.assertEqual(d.stop(), 0)
            findings = d.sanitizer_findings()
            self.assertEqual(findings, [], "sanitizer findings")
        except BaseException:
            with open(os.path.join(tmp, "daemon.log"), errors="replace") as f:
                print("\n--- moderatord log (DiskFull) ---\n" + f.read(), file=sys.stderr)
            raise
        finally:
            if 'd' in locals():
                d.kill9()
            if not os.environ.get("MODERATORD_E2E_KEEP"):
                shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *_rest], verbosity=2)
