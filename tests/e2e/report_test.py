#!/usr/bin/env python3
"""The clerk's daily report end to end, on the hand-computed fixture day of
tests/data/report/fixture-2026-10-25.sql (the day the clocks go back: 25 hours):

- `moderatord report --date 2026-10-25 --format text|csv|html` against the real database;
- the HTML rendered by headless Chromium to a PNG (it renders: a real, non-blank image);
- the report as the daemon emails it: a daily_report outbox row becomes a multipart/mixed message
  (text + HTML alternatives and the CSV attachment) for the clerk.

usage: report_test.py MODERATORD SOURCE_DIR [CACHE_DIR] [unittest options]
Set MODERATORD_REPORT_PNG=path to keep the PNG (docs/daily-report-example.png is made that way).
"""
import csv
import email
import email.policy
import io
import os
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Daemon, Db, shared_cache_dir, wait_for, write_config, TEMPLATES  # noqa: E402

if len(sys.argv) < 3:
    sys.exit(__doc__)
BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
_rest = sys.argv[3:]
CACHE = shared_cache_dir(_rest.pop(0) if _rest and not _rest[0].startswith("-") else None)
RULES = os.path.join(SRC, "config", "rules")
FIXTURE = os.path.join(SRC, "tests", "data", "report", "fixture-2026-10-25.sql")
HISTORY = os.path.join(SRC, "tests", "data", "report", "history-2026-09-26.sql")  # fills the 30-day chart
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="moderatord-report-")
        cls.state = os.path.join(cls.tmp, "state")
        os.makedirs(cls.state)
        if os.path.isdir(os.path.join(SRC, "config", "policy")):
            shutil.copytree(os.path.join(SRC, "config", "policy"), os.path.join(cls.tmp, "policy"))
        secret = os.path.join(cls.tmp, "site.secret")
        with open(secret, "w") as f:
            f.write("report-secret\n")
        mail = {"clerk": ["Town Clerk <clerk@test.example>"], "templates": os.path.abspath(TEMPLATES),
                "time_zone": "Europe/London", "report_time": ""}  # no scheduled report: the test adds the row
        cls.config = write_config(os.path.join(cls.tmp, "moderatord.toml"), state_dir=cls.state, rules=RULES,
                                  cache_dir=CACHE, mail=mail,
                                  accounts=[{"id": "site", "platform": "webhook", "secret_file": secret}])
        cls.d = Daemon(BIN, cls.config, cls.state, os.path.join(cls.tmp, "daemon.log"))
        cls.d.start()  # creates and migrates the database
        cls.d.stop()
        db = os.path.join(cls.state, "moderatord.db")
        conn = sqlite3.connect(db)
        for script in (FIXTURE, HISTORY):
            with open(script) as f, conn:
                conn.executescript(f.read())
        conn.close()
        cls.db = Db(db)

    @classmethod
    def tearDownClass(cls):
        if cls.d.running():
            cls.d.stop()
        findings = cls.d.sanitizer_findings()
        assert not findings, "sanitizer findings:\n" + "\n".join(findings)

    def report(self, fmt):
        r = self.d.cli("report", "--date", "2026-10-25", "--format", fmt)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_1_text_figures(self):
        text = self.report("text")
        for s in ("this day had 25 hours", "== Account site ==", "Comments received:        7",
                  "Needing a reply:          2", "Replied within the SLA:   1 of 3 due (33.3%)",
                  "median 1 d 0 h, 90th percentile 1 d 3 h (4 replied)", "Breaches:                 2",
                  "3 h 30 min late  https://council.example/c/i2", "4 h 00 min late and still open",
                  "Exemptions:               repeat 1, rhetorical 1", "One-reply violations:     1",
                  "Own-post alerts:          1", "Dead letters:             2 (1 on the day)",
                  "2026-10-24  0.0%", "2026-10-25  33.3%       1 d 0 h"):
            self.assertIn(s, text)
        bad = self.d.cli("report", "--date", "2026-02-30")
        self.assertEqual(bad.returncode, 2)

    def test_2_csv(self):
        rows = list(csv.DictReader(io.StringIO(self.report("csv"), newline="")))
        self.assertEqual(len(rows), 8)
        by_id = {r["platform_id"]: r for r in rows}
        self.assertEqual(by_id["i1"]["within_sla"], "yes")
        self.assertEqual(by_id["i2"]["lateness_minutes"], "210")
        self.assertEqual(by_id["i3"]["author"], "Cat <b>")
        self.assertEqual(by_id["i4"]["opened_at"], "2026-10-25T01:30:00+01:00")  # the first 01:30
        self.assertEqual(by_id["i9"]["closed_at"], "2026-10-25T01:00:00+00:00")  # the second 01:00
        self.assertEqual(by_id["i6"]["exemption"], "rhetorical")

    @unittest.skipIf(CHROMIUM is None, "no chromium")
    def test_3_html_renders_in_chromium(self):
        html = self.report("html")
        self.assertIn("<svg", html)
        self.assertNotIn("Cat <b>", html)
        page = os.path.join(self.tmp, "report.html")
        with open(page, "w") as f:
            f.write(html)
        png = os.environ.get("MODERATORD_REPORT_PNG") or os.path.join(self.tmp, "report.png")
        profile = os.path.join(self.tmp, "chromium-profile")
        r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                            "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                            f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=800,1400",
                            "file://" + page], capture_output=True, text=True, timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        with open(png, "rb") as f:
            data = f.read()
        self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
        width, height = struct.unpack(">II", data[16:24])
        self.assertEqual((width, height), (800, 1400))
        # A blank page compresses to a few kB; text, tables and the chart do not.
        self.assertGreater(len(data), 30000)

    def test_4_emailed_report(self):
        now = int(time.time() * 1000)
        conn = sqlite3.connect(self.db.path, timeout=30)
        with conn:
            oid = conn.execute(
                "INSERT INTO outbox (comment_id, decision_id, kind, executor, payload_json, state, attempts, "
                "next_attempt_at, last_error, created_at, updated_at) VALUES (NULL, NULL, 'escalate', 'mail', ?, "
                "'pending', 0, ?, '', ?, ?) RETURNING id",
                ('{"type":"daily_report","to":"clerk","date":"2026-10-25"}', now, now, now)).fetchone()[0]
        conn.close()
        self.d.start()
        wait_for(lambda: self.db.scalar("SELECT state FROM outbox WHERE id = ?", (oid,)) == "done", 60,
                 "the report email:\n" + self.d.log_tail())
        with open(os.path.join(self.state, "mail", "new", f"moderatord-outbox-{oid}"), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        self.assertEqual(str(msg["Subject"]), "[moderatord] daily report 2026-10-25: 1/3 replied in time, 2 breach(es)")
        self.assertEqual([a.addr_spec for a in msg["To"].addresses], ["clerk@test.example"])
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        self.assertIn("Replied within the SLA:   1 of 3 due (33.3%)",
                      msg.get_body(preferencelist=("plain",)).get_content())
        self.assertIn("<svg", msg.get_body(preferencelist=("html",)).get_content())
        attachments = list(msg.iter_attachments())
        self.assertEqual(len(attachments), 1)
        self.assertEqual(attachments[0].get_filename(), "moderatord-report-2026-10-25.csv")
        self.assertEqual(attachments[0].get_content_type(), "text/csv")
        self.assertEqual(len(list(csv.DictReader(io.StringIO(attachments[0].get_content(), newline="")))), 8)

    def test_5_scheduled_once_per_day_across_restarts(self):
        # report_time a minute ago, local time: the daemon queues yesterday's report when it starts
        # (a missed send time is caught up), and a restart does not queue it again.
        from datetime import datetime, timedelta
        from zoneinfo import ZoneInfo
        now = datetime.now(ZoneInfo("Europe/London"))
        send = now - timedelta(minutes=1)
        report_date = (send.date() - timedelta(days=1)).isoformat()
        if self.d.running():
            self.d.stop()
        with open(self.config) as f:
            cfg = f.read()
        with open(self.config, "w") as f:
            f.write(cfg.replace('report_time = ""', f'report_time = "{send:%H:%M}"'))
        key = f"daily_report:{report_date}"
        rows = lambda: self.db.query("SELECT id, state FROM outbox WHERE json_extract(payload_json, '$.key') = ?",  # noqa: E731
                                     (key,))
        self.d.start()
        self.d.wait_log(rf"the daily report for {report_date} is queued", timeout=60)
        wait_for(lambda: rows() and rows()[0][1] == "done", 60, "the scheduled report sent:\n" + self.d.log_tail())
        (oid, _), = rows()
        with open(os.path.join(self.state, "mail", "new", f"moderatord-outbox-{oid}"), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        self.assertTrue(str(msg["Subject"]).startswith(f"[moderatord] daily report {report_date}:"), msg["Subject"])
        self.d.stop()
        self.d.start()
        time.sleep(1.0)
        self.assertEqual(len(rows()), 1, "one report per date, whatever the restarts")
        self.d.stop()


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *_rest], verbosity=2)
