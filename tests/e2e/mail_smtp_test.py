#!/usr/bin/env python3
"""Email end to end: the real `moderatord` binary sends through a real SMTP server on 127.0.0.1
(Debian's python3-aiosmtpd, started here), and every message it receives is parsed with Python's
`email` package: headers, MIME structure, charsets, transfer encodings, escaping, content.

- SmtpDelivery: escalations by SMTP with AUTH (the password never appears in the log), urgent vs
  digest, the clerk's recipient group, 5xx -> dead letter at once, `outbox retry` -> delivered.
- SmtpFaults: the server is down, then refuses with 4xx, then comes back: every email arrives
  exactly once, none is dead.
- Sendmail: the sendmail transport, through a stand-in `sendmail -t -oi` script.

usage: mail_smtp_test.py MODERATORD SOURCE_DIR [CACHE_DIR] [unittest options]
"""
import os
import sys

try:
    import aiosmtpd  # noqa: F401
except ImportError:
    # python3-aiosmtpd is installed for Debian's interpreter; CMake may have found another one.
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

import email
import email.policy
import email.utils
import json
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import logging

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Daemon, Db, body_of, comment, shared_cache_dir, sign, wait_for, write_config, TEMPLATES  # noqa: E402

if len(sys.argv) < 3:
    sys.exit(__doc__)
BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
_rest = sys.argv[3:]
CACHE = shared_cache_dir(_rest.pop(0) if _rest and not _rest[0].startswith("-") else None)
RULES = os.path.join(SRC, "config", "rules")

SECRET = b"mail-s3cret-" + os.urandom(6).hex().encode()
PASSWORD = "smtp-pa55-" + os.urandom(6).hex()  # must never show up in the log
THREAT = "I'll kill you if I see you at the café meeting <script>alert(1)</script>"  # report: urgent
OBSCENE = "what the fuck is this roundabout & why"                               # hide: not urgent


# aiosmtpd logs the handshakes the tests make fail on purpose; keep the output to the tests' own.
logging.getLogger("mail.log").setLevel(logging.CRITICAL)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """aiosmtpd handler: keeps every accepted message; can refuse with a code while `refuse` > 0."""

    def __init__(self):
        self.messages = []  # (envelope from, [rcpt], raw bytes)
        self.lock = threading.Lock()
        self.refuse = 0
        self.refuse_code = "451 4.3.0 Try again later"
        self.refused = 0
        self.logins = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                self.refused += 1
                return self.refuse_code
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"moderatord" and \
            auth_data.password == PASSWORD.encode()
        with self.lock:
            self.logins.append(ok)
        return AuthResult(success=ok)

    def count(self):
        with self.lock:
            return len(self.messages)

    def parsed(self):
        with self.lock:
            return [(f, r, email.message_from_bytes(raw, policy=email.policy.default), raw) for f, r, raw in self.messages]


class SmtpServer:
    def __init__(self, port, recorder, auth=False):
        kw = {}
        if auth:
            kw = {"authenticator": recorder.authenticate, "auth_require_tls": False}
        self.controller = Controller(recorder, hostname="127.0.0.1", port=port, **kw)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


class MailCase(unittest.TestCase):
    mail = {}
    outbox = {"max_attempts": 30, "initial_backoff_ms": 100, "max_backoff_ms": 800}
    auth = False
    start_server = True

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="moderatord-mail-")
        cls.state = os.path.join(cls.tmp, "state")
        os.makedirs(cls.state)
        # The policy engine's files (bank holidays, ...) are read relative to the config's folder.
        if os.path.isdir(os.path.join(SRC, "config", "policy")):
            shutil.copytree(os.path.join(SRC, "config", "policy"), os.path.join(cls.tmp, "policy"))
        secret_file = os.path.join(cls.tmp, "site.secret")
        with open(secret_file, "wb") as f:
            f.write(SECRET + b"\n")
        cls.port = free_port()
        cls.recorder = Recorder()
        cls.server = SmtpServer(cls.port, cls.recorder, cls.auth)
        if cls.start_server:
            cls.server.start()
        mail = {"transport": "smtp", "smtp_url": f"smtp://127.0.0.1:{cls.port}", "smtp_require_tls": False,
                "smtp_connect_timeout_ms": 2000, "smtp_timeout_ms": 10000,
                "from": "Wyverley moderatord <moderatord@test.example>",
                "moderators": ["Moderators <mods@test.example>", "deputy@test.example"],
                "clerk": ["Town Clerk <clerk@test.example>"], "templates": os.path.abspath(TEMPLATES)}
        mail.update(cls.mail)
        if cls.auth:
            pw = os.path.join(cls.tmp, "smtp.password")
            with open(pw, "w") as f:
                f.write(PASSWORD + "\n")
            mail.update({"smtp_user": "moderatord", "smtp_password_file": pw})
        cls.extra_setup(mail)
        accounts = [{"id": "site", "platform": "webhook", "mode": "enforce", "secret_file": secret_file}]
        cls.config = write_config(os.path.join(cls.tmp, "moderatord.toml"), state_dir=cls.state, rules=RULES,
                                  cache_dir=CACHE, accounts=accounts, outbox=cls.outbox, mail=mail)
        cls.d = Daemon(BIN, cls.config, cls.state, os.path.join(cls.tmp, "daemon.log"))
        cls.db = Db(os.path.join(cls.state, "moderatord.db"))
        try:
            cls.d.start()
        except BaseException:
            print(cls.d.log(), file=sys.stderr)
            raise

    @classmethod
    def extra_setup(cls, mail):
        pass

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop()
        finally:
            try:
                cls.server.stop()
            except Exception:
                pass
        findings = cls.d.sanitizer_findings()
        assert not findings, "sanitizer findings:\n" + "\n".join(findings)

    def post(self, *comments):
        body = body_of(*comments)
        status, reply = self.d.post_webhook("site", SECRET, body)
        self.assertEqual(status, 200, reply)

    def mail_rows(self, cid):
        return self.db.query("SELECT o.id, o.state, o.attempts, o.last_error FROM outbox o JOIN comments c "
                             "ON c.id = o.comment_id WHERE c.platform_id = ? AND o.executor = 'mail'", (cid,))

    def wait_done(self, oid, state="done", timeout=60):
        wait_for(lambda: self.db.scalar("SELECT state FROM outbox WHERE id = ?", (oid,)) == state, timeout,
                 f"outbox #{oid} {state}:\n" + self.d.log_tail())

    def by_outbox_id(self):
        out = {}
        for f, r, msg, raw in self.recorder.parsed():
            out.setdefault(str(msg["X-Moderatord-Outbox-Id"]), []).append((f, r, msg, raw))
        return out


class SmtpDelivery(MailCase):
    auth = True
    mail = {"digest_interval_ms": 4000, "rate_limit_per_hour": 100}

    def test_1_urgent_escalation_is_a_well_formed_mime_message(self):
        self.post(comment("m-threat", THREAT, name="Bób Smith"))
        (oid, _, _, _), = self.mail_rows("m-threat")
        self.wait_done(oid)
        msgs = self.by_outbox_id()[str(oid)]
        self.assertEqual(len(msgs), 1)
        mail_from, rcpt, msg, raw = msgs[0]
        # Envelope and AUTH.
        self.assertEqual(mail_from, "moderatord@test.example")
        self.assertEqual(sorted(rcpt), ["deputy@test.example", "mods@test.example"])
        self.assertIn(True, self.recorder.logins)
        # Headers.
        head = raw.partition(b"\r\n\r\n")[0]
        self.assertNotIn(b"\n", head.replace(b"\r\n", b""), "header lines end in CRLF")
        self.assertTrue(all(b < 128 for b in head), "headers are 7-bit (RFC 2047 for the subject)")
        self.assertEqual(msg["From"].addresses[0].addr_spec, "moderatord@test.example")
        self.assertEqual(msg["From"].addresses[0].display_name, "Wyverley moderatord")
        self.assertEqual(sorted(a.addr_spec for a in msg["To"].addresses), ["deputy@test.example", "mods@test.example"])
        subject = str(msg["Subject"])
        self.assertIn("=?utf-8?", head.decode().lower().split("subject:")[1].split("\r\n")[0].lower() + "=?utf-8?")
        self.assertTrue(subject.startswith("[moderatord] abusive on site: I'll kill you"), subject)
        self.assertIn("café", subject)
        self.assertIsNotNone(email.utils.parsedate_to_datetime(str(msg["Date"])))
        self.assertEqual(str(msg["Message-ID"]), f"<outbox-{oid}@test.example>")
        self.assertEqual(str(msg["MIME-Version"]), "1.0")
        self.assertEqual(str(msg["Auto-Submitted"]), "auto-generated")
        # Structure: multipart/alternative, text then HTML, UTF-8, 7-bit safe transfer encodings.
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts], ["text/plain", "text/html"])
        for p in parts:
            self.assertEqual(p.get_content_charset(), "utf-8")
            self.assertIn(p["Content-Transfer-Encoding"], ("quoted-printable", "base64"))
        text, html = parts[0].get_content(), parts[1].get_content()
        # The SLA line comes from the comment's SLA item, read when the email is built.
        item = self.db.query("SELECT s.state, coalesce(s.exemption, '') FROM sla_items s JOIN comments c "
                             "ON c.id = s.comment_id WHERE c.platform_id = 'm-threat'")
        if item == [("exempt", "breach")]:
            self.assertIn("Reply (SLA):  no reply: it breaches policy 7.9", text)
        for s in ("Platform:     webhook (account site)", "Author:       Bób Smith", "abusive.threat.kill",
                  "m-threat", "[[I'll kill you]]", "<script>alert(1", "</script>", "What to do: Report this comment",
                  "Malicious Communications Act", "Reply (SLA):  "):
            self.assertIn(s, text)
        self.assertNotIn("<script>", html, "comment text is escaped in the HTML part")
        self.assertIn("&lt;script&gt;alert(1", html)
        self.assertIn(")&lt;/script&gt;", html)
        self.assertIn("<mark>I&#39;ll kill you</mark>", html)
        self.assertIn("Bób Smith", html)
        self.assertNotIn(PASSWORD, self.d.log())

    def test_2_non_urgent_escalations_wait_for_one_digest(self):
        before = self.recorder.count()
        self.post(comment("m-ob1", OBSCENE), comment("m-ob2", OBSCENE + " again"), comment("m-ob3", "fuck the ducks"))
        oids = [self.mail_rows(c)[0][0] for c in ("m-ob1", "m-ob2", "m-ob3")]
        for oid in oids:
            self.wait_done(oid)
        details = [self.db.scalar("SELECT detail FROM audit_log WHERE outbox_id = ? AND action = 'mail.digest'", (o,))
                   for o in oids]
        self.assertTrue(all(d and d.startswith("waits in digest #") for d in details), details)
        digests = {d.split("#")[1].split(" ")[0] for d in details}
        self.assertEqual(len(digests), 1, "one digest for the period")
        did = int(digests.pop())
        self.wait_done(did, timeout=30)
        got = self.by_outbox_id()
        for oid in oids:
            self.assertNotIn(str(oid), got, "a digested escalation is not also sent on its own")
        (_, rcpt, msg, _), = got[str(did)]
        self.assertEqual(str(msg["Subject"]), "[moderatord] digest: 3 item(s) to look at")
        text = msg.get_body(preferencelist=("plain",)).get_content()
        html = msg.get_body(preferencelist=("html",)).get_content()
        self.assertEqual(text.count("=== "), 3, text)
        self.assertIn("fuck the ducks", text)
        self.assertIn("roundabout &amp; why", html)
        self.assertEqual(self.recorder.count(), before + 1)

    def test_2b_a_digest_survives_kill_9(self):
        # A digest is due at the next multiple of digest_interval_ms (wall clock), anything from 0
        # to 4 s after its first item: post just after a multiple, so that the kill below comes
        # well before the digest is due, not after it is sent.
        interval = self.mail["digest_interval_ms"] / 1000
        time.sleep(interval - time.time() % interval + 0.05)
        self.post(comment("m-ob4", OBSCENE + " four"), comment("m-ob5", OBSCENE + " five"))
        oids = [self.mail_rows(c)[0][0] for c in ("m-ob4", "m-ob5")]
        for oid in oids:
            self.wait_done(oid)
        did = self.db.scalar("SELECT id FROM outbox WHERE json_extract(payload_json, '$.type') = 'digest' "
                             "AND state = 'pending'")
        self.assertIsNotNone(did, "the digest waits")
        self.d.kill9()  # before it is due: membership lives in the digest's row, not in memory
        self.d.start()
        self.wait_done(did, timeout=30)
        (_, _, msg, _), = self.by_outbox_id()[str(did)]
        text = msg.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("roundabout & why four", text)
        self.assertIn("roundabout & why five", text)
        self.assertEqual(str(msg["Subject"]), "[moderatord] digest: 2 item(s) to look at")

    def test_3_clerk_gets_unknown_types_with_every_field(self):
        # An outbox row added by another part of the daemon (an own-post alert for the clerk):
        # inserted directly, as issue 4's engine would, and picked up by the worker.
        import sqlite3
        conn = sqlite3.connect(os.path.join(self.state, "moderatord.db"), timeout=30)
        now = int(time.time() * 1000)
        payload = {"type": "mystery_alert", "to": "clerk", "urgent": True, "account": "site", "answer": 42,
                   "note": "Ünïcode & <tags>"}
        with conn:
            oid = conn.execute("INSERT INTO outbox (comment_id, decision_id, kind, executor, payload_json, state, "
                               "attempts, next_attempt_at, last_error, created_at, updated_at) VALUES (NULL, NULL, "
                               "'escalate', 'mail', ?, 'pending', 0, ?, '', ?, ?) RETURNING id",
                               (json.dumps(payload), now, now, now)).fetchone()[0]
        conn.close()
        self.wait_done(oid)
        (_, rcpt, msg, _), = self.by_outbox_id()[str(oid)]
        self.assertEqual(rcpt, ["clerk@test.example"])
        text = msg.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("answer: 42", text)
        self.assertIn("note: Ünïcode & <tags>", text)
        self.assertIn("&lt;tags&gt;", msg.get_body(preferencelist=("html",)).get_content())

    def test_3b_mail_test_command(self):
        before = self.recorder.count()
        r = self.d.cli("mail", "test", "--to", "clerk")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sent: accepted by smtp://127.0.0.1", r.stdout)
        self.assertEqual(self.recorder.count(), before + 1)
        _, rcpt, msg, _ = self.recorder.parsed()[-1]
        self.assertEqual(rcpt, ["clerk@test.example"])
        self.assertEqual(str(msg["Subject"]), "[moderatord] test email to the clerk")
        # The server refuses for good: exit 1 and the reply on stderr.
        self.recorder.refuse_code = "550 5.7.1 Relaying denied"
        self.recorder.refuse = 1
        r = self.d.cli("mail", "test")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not sent (permanent)", r.stderr)
        self.assertIn("550", r.stderr)
        self.assertNotIn(PASSWORD, r.stdout + r.stderr)
        self.recorder.refuse_code = "451 4.3.0 Try again later"

    def test_4_permanent_refusal_is_a_dead_letter_then_retry_delivers(self):
        self.recorder.refuse_code = "550 5.1.1 No such mailbox"
        self.recorder.refuse = 1
        self.post(comment("m-dead", "I will kill you, " + "x" * 10))
        (oid, _, _, _), = self.mail_rows("m-dead")
        self.wait_done(oid, "dead")
        attempts, error = self.db.query("SELECT attempts, last_error FROM outbox WHERE id = ?", (oid,))[0]
        self.assertEqual(attempts, 1, "a 5xx is not retried")
        self.assertIn("550", error)
        listed = self.d.cli("outbox", "list", "--state", "dead")
        self.assertIn(str(oid), listed.stdout)
        self.recorder.refuse_code = "451 4.3.0 Try again later"
        r = self.d.cli("outbox", "retry", str(oid))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.wait_done(oid)
        self.assertEqual(len(self.by_outbox_id()[str(oid)]), 1)
        self.assertNotIn(PASSWORD, self.d.log())


class SmtpFaults(MailCase):
    """The server is down at first, then refuses with 4xx, then accepts: each email exactly once."""
    start_server = False
    mail = {"digest_interval_ms": 0}

    def test_outage_then_refusals_then_recovery(self):
        n = 6
        ids = [f"f-{i}" for i in range(n)]
        self.post(*[comment(c, f"I'll kill you {c}") for c in ids[:3]])
        oids = [self.mail_rows(c)[0][0] for c in ids[:3]]
        # Down: connection refused, retried with backoff (no dead letters).
        wait_for(lambda: all(self.db.scalar("SELECT attempts FROM outbox WHERE id = ?", (o,)) >= 2 for o in oids),
                 60, "retries while the server is down")
        states = {r[0] for r in self.db.query("SELECT state FROM outbox WHERE executor = 'mail'")}
        self.assertNotIn("dead", states)
        self.assertIn("127.0.0.1", self.db.scalar("SELECT last_error FROM outbox WHERE id = ?", (oids[0],)))
        # More arrive during the outage; then the server comes back but refuses the next 5 RCPTs.
        self.post(*[comment(c, f"I'll kill you {c}") for c in ids[3:]])
        oids += [self.mail_rows(c)[0][0] for c in ids[3:]]
        self.recorder.refuse = 5
        self.server.start()
        for oid in oids:
            self.wait_done(oid, timeout=90)
        self.assertEqual(self.recorder.refused, 5)
        got = self.by_outbox_id()
        for oid in oids:
            self.assertEqual(len(got.get(str(oid), [])), 1, f"outbox #{oid} delivered exactly once")
        self.assertEqual(self.recorder.count(), n)
        # Restarting sends nothing again.
        self.d.stop()
        self.d.start()
        time.sleep(1.5)
        self.assertEqual(self.recorder.count(), n)


def make_ca(tmp, name):
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it (openssl)."""
    d = os.path.join(tmp, name)
    os.makedirs(d)
    run = lambda *a: subprocess.run(a, cwd=d, check=True, capture_output=True)  # noqa: E731
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", f"/CN={name} test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    return d


class SmtpTls(MailCase):
    """STARTTLS required and verified against smtp_ca_file; AUTH only over TLS."""
    auth = True
    start_server = False
    mail = {"digest_interval_ms": 0}

    @classmethod
    def extra_setup(cls, mail):
        good = make_ca(cls.tmp, "good")
        cls.other_ca = os.path.join(make_ca(cls.tmp, "other"), "ca.pem")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(os.path.join(good, "server.pem"), os.path.join(good, "server.key"))
        cls.server = SmtpServer(cls.port, cls.recorder, auth=True)
        cls.server.controller = Controller(cls.recorder, hostname="127.0.0.1", port=cls.port, tls_context=ctx,
                                           require_starttls=True, authenticator=cls.recorder.authenticate,
                                           auth_require_tls=True)
        cls.server.start()
        mail.update({"smtp_require_tls": True, "smtp_ca_file": os.path.join(good, "ca.pem")})

    def test_starttls_verified_then_a_wrong_ca_is_refused(self):
        self.post(comment("t-threat", THREAT))
        (oid, _, _, _), = self.mail_rows("t-threat")
        self.wait_done(oid)
        self.assertEqual(len(self.by_outbox_id()[str(oid)]), 1)
        self.assertEqual(self.recorder.logins, [True])
        # The same server seen through another CA: certificate verification fails, the email waits.
        with open(self.config) as f:
            cfg = f.read()
        with open(self.config, "w") as f:
            f.write(cfg.replace(os.path.join(self.tmp, "good", "ca.pem"), self.other_ca))
        mark = self.d.log_count()
        self.d.signal(signal.SIGHUP)
        self.d.wait_log(r"reload: now using rules", timeout=120, since=mark)
        self.post(comment("t-threat2", THREAT + " again"))
        (oid2, _, _, _), = self.mail_rows("t-threat2")
        wait_for(lambda: self.db.scalar("SELECT attempts FROM outbox WHERE id = ?", (oid2,)) >= 2, 60,
                 "retries with a CA that does not match")
        self.assertIn(self.db.scalar("SELECT state FROM outbox WHERE id = ?", (oid2,)), ("pending", "in_flight"))
        error = self.db.scalar("SELECT last_error FROM outbox WHERE id = ?", (oid2,))
        self.assertRegex(error.lower(), r"certificate|ssl|tls", error)
        self.assertNotIn(str(oid2), self.by_outbox_id())
        self.assertNotIn(PASSWORD, self.d.log())


class SmtpsImplicitTls(MailCase):
    """smtps://: TLS from the first byte, verified against smtp_ca_file."""
    start_server = False
    mail = {"digest_interval_ms": 0}

    @classmethod
    def extra_setup(cls, mail):
        ca = make_ca(cls.tmp, "implicit")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(os.path.join(ca, "server.pem"), os.path.join(ca, "server.key"))
        cls.server = SmtpServer(cls.port, cls.recorder)
        cls.server.controller = Controller(cls.recorder, hostname="127.0.0.1", port=cls.port, ssl_context=ctx)
        cls.server.start()
        mail.update({"smtp_url": f"smtps://127.0.0.1:{cls.port}", "smtp_require_tls": True,
                     "smtp_ca_file": os.path.join(ca, "ca.pem")})

    def test_implicit_tls(self):
        self.post(comment("s-tls", THREAT))
        (oid, _, _, _), = self.mail_rows("s-tls")
        self.wait_done(oid)
        self.assertEqual(len(self.by_outbox_id()[str(oid)]), 1)


class Sendmail(MailCase):
    start_server = False

    @classmethod
    def extra_setup(cls, mail):
        cls.spool = os.path.join(cls.tmp, "spool")
        os.makedirs(cls.spool)
        script = os.path.join(cls.tmp, "sendmail")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n"
                    f'[ "$1 $2" = "-t -oi" ] || exit 64\n'
                    f'cat > "{cls.spool}/msg.$$.tmp" && mv "{cls.spool}/msg.$$.tmp" "{cls.spool}/msg.$$"\n')
        os.chmod(script, 0o755)
        mail.update({"transport": "sendmail", "sendmail": script})

    def test_sendmail_gets_the_whole_message(self):
        self.post(comment("s-threat", THREAT))
        (oid, _, _, _), = self.mail_rows("s-threat")
        self.wait_done(oid)
        files = [f for f in os.listdir(self.spool) if not f.endswith(".tmp")]
        self.assertEqual(len(files), 1)
        with open(os.path.join(self.spool, files[0]), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        self.assertEqual(str(msg["Message-ID"]), f"<outbox-{oid}@test.example>")
        self.assertIn("[[I'll kill you]]", msg.get_body(preferencelist=("plain",)).get_content())


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *_rest], verbosity=2)
