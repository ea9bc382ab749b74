#!/usr/bin/env python3
"""End-to-end tests of the Mastodon connector: the real `moderatord` binary against the fake
instance (tests/fakes/mastodon_fake.py, HTTPS on 127.0.0.1 with a test CA made by `openssl`), a
real SQLite file.

usage: mastodon_e2e_test.py MODERATORD SOURCE_DIR [CACHE_DIR] [unittest options]

Covered: mentions (and a direct mention, and the council's own statuses) arrive by polling and are
classified; a threat is reported with POST /api/v1/reports carrying the right account_id,
status_ids[], category and comment, and escalated too (Mastodon cannot hide it); a hide-worthy
comment is escalated with the reason; a restart resumes from the persisted cursor (since_id) and
reprocesses nothing; a 429 holds the next call back until X-RateLimit-Reset; a revoked token stops
the calls and alerts the admins once, across a restart. The token never reaches the log.
"""
import json
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
from e2e_support import PlatformE2E, shared_cache_dir, wait_for  # noqa: E402
from mastodon_fake import MastodonFake, iso  # noqa: E402

if len(sys.argv) < 3:
    sys.exit(__doc__)
BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
_rest = sys.argv[3:]
CACHE = shared_cache_dir(_rest.pop(0) if _rest and not _rest[0].startswith("-") else None)

TOKEN = "mastodon-token-" + os.urandom(6).hex()
THREAT = "I'll kill you if I see you at the council meeting"  # abusive: report-worthy
OBSCENE = "what the fuck is this roundabout"                    # hide-worthy
CLEAN = "The new benches by the canal are lovely, thank you"
POLL = 1  # seconds


class MastodonE2E(PlatformE2E):
    secret_in_log_message = "the token appears in moderatord's log"

    @classmethod
    def setUpClass(cls):
        cls.make_temp_dirs("moderatord-mastodon-e2e-")
        cls.fake = MastodonFake(os.path.join(cls.tmp, "fake"), tokens=(TOKEN,), page_size=40)
        cls.token_file = cls.write_secret_file("mastodon.token", TOKEN)
        # Before the daemon starts: the council's post, and mentions waiting in the notifications.
        cls.post = cls.fake.add_own_status("Bin collections move to Friday")
        cls.threat = cls.fake.add_mention(THREAT, author_id="2001", acct="angry@elsewhere.example",
                                          in_reply_to=cls.post)
        cls.clean = cls.fake.add_mention(CLEAN, author_id="2002", acct="kind")
        cls.fake.add_follow()
        accounts = [{"id": "council-masto", "platform": "mastodon", "mode": "enforce", "api_base": cls.fake.base_url,
                     "ca_file": cls.fake.ca_file, "access_token_file": cls.token_file, "poll_interval": POLL,
                     "report_forward": True}]
        cls.start_daemon(BIN, SRC, CACHE, accounts, outbox={"initial_backoff_ms": 100, "max_backoff_ms": 1000})

    @classmethod
    def secrets_never_logged(cls):
        return (TOKEN,)

    def comment(self, platform_id):
        rows = self.db.query("SELECT id, kind, platform, thread_id, parent_id, author_name, text FROM comments "
                             "WHERE account = 'council-masto' AND platform_id = ?", (platform_id,))
        return rows[0] if rows else None

    def outbox(self, comment_row_id):
        return self.db.query("SELECT kind, executor, state FROM outbox WHERE comment_id = ? ORDER BY id",
                             (comment_row_id,))

    def test_1_mentions_are_polled_classified_and_reported(self):
        row = wait_for(lambda: self.comment(self.threat), 60, "the threat to be polled")
        self.assertEqual(row[1:5], ("comment", "mastodon", self.post, self.post))
        self.assertEqual(row[5], "@angry@elsewhere.example")
        self.assertEqual(row[6], "@council " + THREAT)  # HTML content as text
        labels, action = self.db.query("SELECT labels, action FROM verdicts WHERE comment_id = ?", (row[0],))[0]
        self.assertIn("abusive", labels)
        self.assertEqual(action, "report")
        # Reported on the instance (no hide there) and escalated to the moderators.
        kinds = {(k, e) for k, e, _ in self.outbox(row[0])}
        self.assertEqual(kinds, {("report", "council-masto"), ("escalate", "mail")})
        report = wait_for(lambda: self.fake.reports, 30, "the report on the fake")[0]
        self.assertEqual(report["target_account"]["id"], "2001")
        self.assertEqual(report["status_ids"], [self.threat])
        self.assertEqual(report["category"], "other")
        self.assertTrue(report["forwarded"])
        self.assertIn("abusive", report["comment"])
        post = self.fake.requests_to("POST", "/api/v1/reports")[-1]
        self.assertEqual(post["token"], TOKEN)
        self.assertEqual(post["form"]["status_ids[]"], [self.threat])
        wait_for(lambda: ("report", "council-masto", "done") in self.outbox(row[0]), 30, "the report row done")
        # The clean mention is stored without actions; the council's own post as own_post.
        clean = wait_for(lambda: self.comment(self.clean), 30, "the clean mention")
        self.assertEqual(self.outbox(clean[0]), [])
        self.assertEqual(self.comment(self.post)[1], "own_post")
        # The notifications were asked for mentions only.
        first = self.fake.requests_to("GET", "/api/v1/notifications")[0]
        self.assertEqual(first["query"]["types[]"], ["mention"])

    def test_2_new_mentions_and_hide_worthy_comment_escalated(self):
        obscene = self.fake.add_mention(OBSCENE, author_id="2003", acct="rude", in_reply_to=self.post)
        dm = self.fake.add_mention("When is the next council meeting?", author_id="2004", acct="asker",
                                   visibility="direct")
        reply = self.fake.add_own_status("@asker it is on Tuesday", in_reply_to=dm)
        row = wait_for(lambda: self.comment(obscene), 30, "the new mention")
        self.assertEqual(self.outbox(row[0])[0][:2], ("escalate", "mail"))
        reason = self.db.scalar("SELECT reason FROM decisions WHERE comment_id = ?", (row[0],))
        self.assertIn("cannot hide", reason)
        self.assertEqual(wait_for(lambda: self.comment(dm), 30, "the direct mention")[1], "direct_message")
        own = wait_for(lambda: self.comment(reply), 30, "the council's reply")
        self.assertEqual((own[1], own[4]), ("own_reply", dm))
        cursor = wait_for(lambda: self.db.scalar("SELECT value FROM cursors WHERE account = 'council-masto'"), 30,
                          "the cursor")
        self.assertRegex(cursor, r"^\d+/\d+$")

    def test_3_restart_resumes_from_the_cursor(self):
        # Read after the stop: a poll in flight may still store comments and move the cursor.
        self.d.stop()
        n_comments = self.db.scalar("SELECT count(*) FROM comments")
        n_reports = len(self.fake.reports)
        cursor = self.db.scalar("SELECT value FROM cursors WHERE account = 'council-masto'")
        before = len(self.fake.requests)
        self.d.start()
        wait_for(lambda: any(r["path"] == "/api/v1/notifications" for r in self.fake.requests[before:]), 60,
                 "the first poll after the restart")
        first = [r for r in self.fake.requests[before:] if r["path"] == "/api/v1/notifications"][0]
        self.assertEqual(first["query"]["since_id"], [cursor.split("/")[0]])
        time.sleep(POLL * 2)
        self.assertEqual(self.db.scalar("SELECT count(*) FROM comments"), n_comments, "comments were reprocessed")
        self.assertEqual(len(self.fake.reports), n_reports, "a report was made twice")
        later = self.fake.add_mention(CLEAN + " again", author_id="2002", acct="kind")
        wait_for(lambda: self.comment(later), 30, "a mention after the restart")

    def test_4_429_waits_for_the_reset(self):
        reset = time.time() + 3
        self.fake.fail_next("/api/v1/notifications", 429, {"error": "Too many requests"},
                            headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                                     "X-RateLimit-Reset": iso(reset)})
        wait_for(lambda: not any(f[4] > 0 for f in self.fake._faults), 30, "the 429 to be served")
        limited = self.fake.requests_to("GET", "/api/v1/notifications")[-1]
        wait_for(lambda: any(r["time"] > limited["time"] for r in self.fake.requests_to("GET", "/api/v1/")), 30,
                 "the next call")
        after = min(r["time"] for r in self.fake.requests_to("GET", "/api/v1/") if r["time"] > limited["time"])
        self.assertGreaterEqual(after, reset - 0.1, "a call came before X-RateLimit-Reset")
        self.assertLess(after - limited["time"], 15)
        self.d.wait_log(r"council-masto: the platform asks us to wait", timeout=10)

    def test_5_revoked_token_stops_calls_and_alerts_once(self):
        self.fake.revoke(TOKEN)
        alerts = wait_for(self.alert_rows, 60, "the admin alert")
        self.assertEqual(len(alerts), 1, alerts)
        a = alerts[0]
        self.assertEqual((a["to"], a["account"], a["platform"]), ("admins", "council-masto", "mastodon"))
        self.assertIn("refused", a["subject"])
        self.assertIn("401", a["detail"])
        self.assertNotIn(TOKEN, json.dumps(a))
        n = len(self.fake.requests)
        time.sleep(POLL * 3)
        self.assertEqual(len(self.fake.requests), n, "calls went on with a refused token")
        self.d.stop()
        self.d.start()
        wait_for(lambda: len(self.fake.requests) > n, 60, "the first call after the restart")
        self.d.wait_log(r"refused the credentials", timeout=30, since=self.d._start_index)
        time.sleep(POLL * 2)
        self.assertEqual(len(self.alert_rows()), 1)
        # A new token is picked up without a restart.
        new = TOKEN + "-new"
        self.fake.tokens.add(new)
        with open(self.token_file, "w") as f:
            f.write(new + "\n")
        wait_for(lambda: any(r["token"] == new for r in self.fake.requests), 30, "calls with the new token")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + _rest, verbosity=2)
