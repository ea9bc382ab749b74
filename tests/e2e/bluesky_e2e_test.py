#!/usr/bin/env python3
"""End-to-end tests of the Bluesky connector: the real `moderatord` binary against a fake PDS
(tests/fakes/bluesky_fake.py, HTTPS on 127.0.0.1 with a test CA made by `openssl`).

usage: bluesky_e2e_test.py MODERATORD SOURCE_DIR [CACHE_DIR] [unittest options]

Covered: one login, then replies and mentions from listNotifications (paged with its cursor; likes
ignored) are stored and classified; an obscene reply under the council's post is hidden through
the root's threadgate (putRecord, hiddenReplies); a threat in a mention (not the council's thread:
cannot be hidden) is reported with reasonRude through the atproto-proxy header and escalated; an
expired access token is refreshed, not logged in again; a restart resumes from the persisted
cursor and the persisted refresh token (no new login, nothing processed twice); a 429 waits for
RateLimit-Reset; a refused login alerts the admins once and a new app password resumes. Secrets
never reach the log.
"""
import json
import os
import stat
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
from bluesky_fake import BlueskyFake  # noqa: E402
from e2e_support import PlatformE2E, shared_cache_dir, wait_for  # noqa: E402

if len(sys.argv) < 3:
    sys.exit(__doc__)
BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
_rest = sys.argv[3:]
CACHE = shared_cache_dir(_rest.pop(0) if _rest and not _rest[0].startswith("-") else None)

ACCOUNT = "council-bsky"
PASSWORD = "abcd-efgh-" + os.urandom(4).hex()
OBSCENE = "what the fuck is this roundabout"
THREAT = "I know where you live and I will kill you"
RESIDENT = ("did:plc:resident0000000000000001", "resident.test")
NEIGHBOUR = ("did:plc:neighbour000000000000001", "neighbour.test")
POLL = 2


class BlueskyE2E(PlatformE2E):
    @classmethod
    def setUpClass(cls):
        cls.make_temp_dirs("moderatord-bluesky-e2e-")
        f = cls.fake = BlueskyFake(os.path.join(cls.tmp, "fake"), handle="council.test", password=PASSWORD)
        cls.password_file = cls.write_secret_file("bluesky.password", PASSWORD)
        past = time.time() - 600
        cls.post = f.add_post(f.did, "council.test", "Bin collections move to Friday next week", created=past,
                              rkey="3kcouncilpost1")
        cls.r_clean = f.add_post(*RESIDENT, "Thanks for letting us know", root=cls.post, created=past + 1)
        cls.r_obscene = f.add_post(*NEIGHBOUR, OBSCENE, root=cls.post, created=past + 2)
        f.add_like(cls.post)
        cls.m_threat = f.add_post(*RESIDENT, "@council.test " + THREAT, reason="mention", created=past + 3)
        account = {"id": ACCOUNT, "platform": "bluesky", "mode": "enforce", "identifier": "council.test",
                   "app_password_file": cls.password_file, "service": f.base_url, "ca_file": f.ca_file,
                   "poll_interval": POLL}
        cls.start_daemon(BIN, SRC, CACHE, [account], outbox={"initial_backoff_ms": 100, "max_backoff_ms": 1000})

    @classmethod
    def secrets_never_logged(cls):
        return [PASSWORD] + [t for t in cls.fake.access | cls.fake.refresh | cls.fake.expired]

    def comment(self, uri):
        rows = self.db.query("SELECT id, kind, platform, thread_id, parent_id FROM comments WHERE account = ? AND "
                             "platform_id = ?", (ACCOUNT, uri))
        return rows[0] if rows else None

    def hidden(self):
        gate = self.fake.threadgates.get("3kcouncilpost1")
        return gate["value"].get("hiddenReplies", []) if gate else []

    def login_alerts(self):
        return [a for a in self.alert_rows() if "login" in a["subject"]]

    def session_file(self):
        return os.path.join(self.state, f"bluesky-{ACCOUNT}.session")

    # --- tests, in name order ---
    def test_1_login_poll_classify_and_hide(self):
        for uri in (self.r_clean, self.r_obscene, self.m_threat):
            wait_for(lambda: self.comment(uri), 60, f"{uri} polled")
        self.assertEqual(self.comment(self.r_clean)[1:5], ("comment", "bluesky", self.post, self.post))
        self.assertEqual(self.comment(self.m_threat)[3], self.m_threat)  # a mention is its own thread
        self.assertEqual(self.fake.logins, 1)
        lists = self.fake.requests_to("listNotifications")
        self.assertEqual(lists[0]["query"].get("reasons"), ["reply", "mention"])
        self.assertTrue(any("cursor" in r["query"] for r in lists), "the notifications were not paged")
        wait_for(lambda: self.r_obscene in self.hidden(), 60, "the obscene reply hidden")
        self.assertNotIn(self.r_clean, self.hidden())
        gate = self.fake.threadgates["3kcouncilpost1"]["value"]
        self.assertEqual(gate["post"], self.post)
        self.assertNotIn("allow", gate)  # a new threadgate must not restrict who may reply
        put = json.loads(self.fake.requests_to("putRecord")[-1]["body"])
        self.assertEqual((put["repo"], put["collection"], put["rkey"]), (self.fake.did, "app.bsky.feed.threadgate",
                                                                         "3kcouncilpost1"))
        # The session is kept for the next start, readable by the daemon only.
        st = os.stat(self.session_file())
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        with open(self.session_file()) as fh:
            self.assertIn(next(iter(self.fake.refresh)), fh.read())

    def test_2_threat_in_a_mention_is_reported_and_escalated(self):
        report = wait_for(lambda: [r for r in self.fake.reports if r[0]["subject"]["uri"] == self.m_threat], 60,
                          "the report")[0]
        body, proxy = report
        self.assertEqual(body["reasonType"], "com.atproto.moderation.defs#reasonRude")
        self.assertEqual(body["subject"]["$type"], "com.atproto.repo.strongRef")
        self.assertEqual(body["subject"]["cid"], self.fake.posts[self.m_threat]["cid"])
        self.assertEqual(proxy, "did:plc:ar7c4by46qjdydhdevvrndac#atproto_labeler")
        cid = self.comment(self.m_threat)[0]
        kinds = self.db.query("SELECT kind, executor FROM outbox WHERE comment_id = ? ORDER BY id", (cid,))
        self.assertNotIn(("hide", ACCOUNT), kinds)  # not in the council's thread: a threadgate cannot hide it
        self.assertIn(("report", ACCOUNT), kinds)
        self.assertIn(("escalate", "mail"), kinds)
        # A threat replying under the council's post: hidden and reported.
        r_threat = self.fake.add_post(*NEIGHBOUR, THREAT, root=self.post)
        wait_for(lambda: r_threat in self.hidden(), 60, "the threat hidden")
        wait_for(lambda: any(r[0]["subject"]["uri"] == r_threat for r in self.fake.reports), 60, "its report")
        self.assertIn(self.r_obscene, self.hidden())  # the earlier one stays hidden

    def test_2b_a_full_threadgate_escalates_to_the_admins(self):
        post2 = self.fake.add_post(self.fake.did, "council.test", "Road closures this weekend", rkey="3kcouncilpost2")
        self.fake.threadgates["3kcouncilpost2"] = {
            "cid": "bafyfull", "value": {"$type": "app.bsky.feed.threadgate", "post": post2, "createdAt": "2026-01-01T00:00:00.000Z",
                                         "hiddenReplies": [f"at://did:plc:x/app.bsky.feed.post/h{i}" for i in range(50)]}}
        uri = self.fake.add_post(*NEIGHBOUR, OBSCENE + " again", root=post2)
        alert = wait_for(lambda: [a for a in self.alert_rows() if "could not be hidden" in a["subject"]], 60,
                         "the admin alert for the full threadgate")[0]
        self.assertIn(uri, alert["detail"])
        cid = self.comment(uri)[0]
        wait_for(lambda: self.db.scalar("SELECT state FROM outbox WHERE comment_id = ? AND kind = 'hide'", (cid,)) == "dead",
                 30, "the hide dead-lettered")
        self.assertEqual(len(self.fake.threadgates["3kcouncilpost2"]["value"]["hiddenReplies"]), 50)

    def test_3_expired_access_token_is_refreshed_not_logged_in_again(self):
        refreshes = self.fake.refreshes
        self.fake.expire_access_tokens()
        uri = self.fake.add_post(*RESIDENT, "Is the library open on Sunday?", root=self.post)
        wait_for(lambda: self.comment(uri), 60, "the reply after the refresh")
        self.assertGreater(self.fake.refreshes, refreshes)
        self.assertEqual(self.fake.logins, 1)

    def test_3b_actions_expired_together_renew_once(self):
        # The hide and the report of one threat both find the access token expired while a renewal
        # is under way: one refreshSession serves both. Two would send the same single-use refresh
        # token; the PDS refuses the second, and that call would log in again.
        refreshes, logins = self.fake.refreshes, self.fake.logins
        expired = {"error": "ExpiredToken", "message": "Token has expired"}
        self.fake.refresh_delay = 3.0
        self.fake.fail_next("com.atproto.repo.getRecord", 400, expired)        # the hide's first call
        self.fake.fail_next("com.atproto.moderation.createReport", 400, expired)
        uri = self.fake.add_post(*NEIGHBOUR, THREAT + " tonight", root=self.post)
        wait_for(lambda: uri in self.hidden(), 60, "the threat hidden")
        wait_for(lambda: any(r[0]["subject"]["uri"] == uri for r in self.fake.reports), 60, "its report")
        self.fake.refresh_delay = 0.0
        self.assertEqual(self.fake.refreshes, refreshes + 1)
        self.assertEqual(self.fake.logins, logins, "a renewal was refused and the daemon logged in again")

    def test_4_restart_resumes_without_login_or_reprocessing(self):
        # Read after the stop: a poll in flight may still store replies.
        self.d.stop()
        comments = self.db.scalar("SELECT count(*) FROM comments")
        outbox = self.db.scalar("SELECT count(*) FROM outbox")
        puts = len(self.fake.requests_to("putRecord"))
        refreshes = self.fake.refreshes
        uri = self.fake.add_post(*NEIGHBOUR, "When does the new bus timetable start?", root=self.post)
        self.d.start()
        wait_for(lambda: self.comment(uri), 60, "the reply made while stopped")
        time.sleep(POLL + 1)
        self.assertEqual(self.fake.logins, 1, "a restart logged in again")
        self.assertGreater(self.fake.refreshes, refreshes)
        self.assertEqual(self.db.scalar("SELECT count(*) FROM comments"), comments + 1)
        self.assertEqual(self.db.scalar("SELECT count(*) FROM outbox"), outbox)
        self.assertEqual(len(self.fake.requests_to("putRecord")), puts)

    def test_5_429_waits_for_the_reset(self):
        reset = int(time.time()) + 4
        self.fake.fail_next("listNotifications", 429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                            headers={"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)})
        wait_for(lambda: not self.fake.faults_pending("listNotifications"), 30, "the 429 to be served")
        limited = self.fake.requests_to("listNotifications")[-1]
        nxt = wait_for(lambda: [r for r in self.fake.requests if r["time"] > limited["time"]], 30, "the next call")[0]
        self.assertGreaterEqual(nxt["time"], reset - 1.1, "the next call came before RateLimit-Reset")
        self.assertLess(nxt["time"] - limited["time"], 15)


    def test_6_refused_login_alerts_once(self):
        # The app password was revoked: the session dies with it.
        self.fake.password = "revoked-" + os.urandom(4).hex()
        self.fake.refresh.clear()
        self.fake.expire_access_tokens()
        alerts = wait_for(self.login_alerts, 60, "the admin alert")
        self.assertEqual(len(alerts), 1, alerts)
        self.assertEqual((alerts[0]["account"], alerts[0]["platform"]), (ACCOUNT, "bluesky"))
        self.assertNotIn(PASSWORD, json.dumps(alerts[0]))
        logins = len(self.fake.requests_to("createSession"))
        time.sleep(POLL * 3)
        self.assertEqual(len(self.fake.requests_to("createSession")), logins, "logins went on with a refused password")
        self.d.stop()
        self.d.start()
        wait_for(lambda: len(self.fake.requests_to("createSession")) > logins, 60, "one login attempt after the restart")
        time.sleep(POLL)
        self.assertEqual(len(self.login_alerts()), 1)
        # A new app password: logins resume and posts arrive again.
        new_password = "new-pass-" + os.urandom(4).hex()
        self.fake.password = new_password
        with open(self.password_file, "w") as fh:
            fh.write(new_password + "\n")
        uri = self.fake.add_post(*RESIDENT, "Lovely flowers on the green", root=self.post)
        wait_for(lambda: self.comment(uri), 60, "a reply after the new password")
        self.d.wait_log(r"a new app password", timeout=10)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + _rest, verbosity=2)
