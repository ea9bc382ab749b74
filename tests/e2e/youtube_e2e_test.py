#!/usr/bin/env python3
"""End-to-end tests of the YouTube connector: the real `moderatord` binary against the fake YouTube
Data API (tests/fakes/youtube_api_fake.py, HTTPS on 127.0.0.1 with a test CA made by `openssl`).

usage: youtube_e2e_test.py MODERATORD SOURCE_DIR [CACHE_DIR] [unittest options]

Covered: polled threads and replies (those beyond the five a thread brings, through comments.list)
are stored and classified, the channel's own reply as own_reply; an obscene comment is held for
review (setModerationStatus heldForReview, OAuth bearer); comments arriving together share one
batched call; a restart resumes from the persisted cursor (no re-read of old pages, no second
action); a 429 with Retry-After holds the next call back; quotaExceeded stops the calls until the
quota day changes (the persisted ledger says so across a restart); a refused token stops the calls
and alerts the admins once, and a renewed token resumes them; a stop with a moderation call in
flight finishes it cleanly. The token never reaches the log.

YouTubeRefreshE2E: an account with client_id, a client secret and a refresh token but no access
token gets its first token from the token endpoint; an access token that expires mid-run is renewed
once (a poll and a moderation call refused together share the renewal) and the calls go on without
an alert; a token endpoint that fails is tried again at the next poll, without an alert; a refused
refresh token (invalid_grant) alerts once and stops the calls until a new one is written; a token
about to expire is renewed before a call meets its expiry.
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
from youtube_api_fake import QUOTA_EXCEEDED, YouTubeFake, google_error  # noqa: E402

if len(sys.argv) < 3:
    sys.exit(__doc__)
BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
_rest = sys.argv[3:]
CACHE = shared_cache_dir(_rest.pop(0) if _rest and not _rest[0].startswith("-") else None)

CHANNEL = "UCcouncil0000000000000001"
TOKEN = "ya29.test-youtube-token-" + os.urandom(6).hex()
OBSCENE = "what the fuck is this roundabout"
POLL = 2
# A quota far above what the test spends, so the daemon polls every POLL seconds: with YouTube's
# default 10,000 units it spreads them over the day (polls 30-60 s apart), which the unit tests of
# youtube::poll_delay cover; here it would only make every wait longer.
QUOTA = 1_000_000
ACCOUNT = "council-yt"
HOUR_AGO = time.time() - 3600


class YouTubeE2E(PlatformE2E):
    secret_in_log_message = "the token appears in moderatord's log"

    @classmethod
    def setUpClass(cls):
        cls.make_temp_dirs("moderatord-youtube-e2e-")
        # Two threads a page: the first poll pages through everything, later polls stop early.
        cls.fake = YouTubeFake(os.path.join(cls.tmp, "fake"), tokens=(TOKEN,), page_size=2, channel_id=CHANNEL)
        cls.token_file = cls.write_secret_file("youtube.token", TOKEN)
        # Seen before the daemon starts, an hour ago (outside the re-read overlap).
        f = cls.fake
        f.add_thread("Ugx_old1", "vid00000001", "Lovely to see the park looking so well", created=HOUR_AGO)
        f.add_reply("Ugx_old1", "AAA1", "Thank you, we will pass it on", author_channel=CHANNEL,
                    author_name="Wyverley Town Council", created=HOUR_AGO + 10)
        f.add_thread("Ugx_old2", "vid00000001", "Why does the bin lorry come at 6am, what the fuck", created=HOUR_AGO + 20)
        f.add_thread("Ugx_many", "vid00000002", "Who decided on the new parking charges?", created=HOUR_AGO + 30)
        for i in range(7):
            f.add_reply("Ugx_many", f"R{i}", f"Reply number {i} about parking", created=HOUR_AGO + 40 + i)
        f.add_thread("Ugx_old3", "vid00000002", "When is the next meeting?", created=HOUR_AGO + 60)
        f.add_thread("Ugx_old4", "vid00000003", "Great work on the flower beds", created=HOUR_AGO + 70)
        account = {"id": ACCOUNT, "platform": "youtube", "mode": "enforce", "channel_id": CHANNEL,
                   "access_token_file": cls.token_file, "api_base": f.base_url, "ca_file": f.ca_file,
                   "poll_interval": POLL, "batch_window_ms": 1500, "quota_per_day": QUOTA}
        cls.start_daemon(BIN, SRC, CACHE, [account], outbox={"initial_backoff_ms": 100, "max_backoff_ms": 1000})

    @classmethod
    def secrets_never_logged(cls):
        return (TOKEN,)

    def comment(self, platform_id):
        rows = self.db.query("SELECT id, kind, platform, thread_id, parent_id FROM comments WHERE account = ? AND "
                             "platform_id = ?", (ACCOUNT, platform_id))
        return rows[0] if rows else None

    def moderation_calls(self):
        return self.fake.requests_to("POST", "/comments/setModerationStatus")

    def thread_lists(self, after=0.0):
        return [r for r in self.fake.requests_to("GET", "/commentThreads") if r["time"] > after]

    # --- tests, in name order ---
    def test_1_polled_classified_and_held_for_review(self):
        for cid in ("Ugx_old1", "Ugx_old2", "Ugx_many", "Ugx_old3", "Ugx_old4"):
            wait_for(lambda: self.comment(cid), 60, f"{cid} polled")
        own = self.comment("Ugx_old1.AAA1")
        self.assertEqual(own[1:5], ("own_reply", "youtube", "vid00000001", "Ugx_old1"))
        # Seven replies: five came with the thread, all seven through comments.list.
        for i in range(7):
            self.assertIsNotNone(self.comment(f"Ugx_many.R{i}"), i)
        self.assertTrue(self.fake.requests_to("GET", "/comments"))
        self.assertEqual(self.fake.requests_to("GET", "/comments")[0]["query"]["parentId"], "Ugx_many")
        first = self.thread_lists()[0]["query"]
        self.assertEqual((first["part"], first["allThreadsRelatedToChannelId"], first["order"]),
                         ("snippet,replies", CHANNEL, "time"))
        row = self.comment("Ugx_old2")
        self.assertIn("obscene", self.db.scalar("SELECT labels FROM verdicts WHERE comment_id = ?", (row[0],)))
        wait_for(lambda: self.fake.moderation.get("Ugx_old2") == "heldForReview", 60, "Ugx_old2 held for review")
        call = [c for c in self.moderation_calls() if "Ugx_old2" in c["query"]["id"]][-1]
        self.assertEqual(call["query"]["moderationStatus"], "heldForReview")
        self.assertEqual(call["token"], TOKEN)
        self.assertEqual(call["key"], "")
        self.assertEqual(call["content_length"], "0")
        oid = self.db.scalar("SELECT id FROM outbox WHERE comment_id = ? AND kind = 'hide'", (row[0],))
        wait_for(lambda: self.db.scalar("SELECT state FROM outbox WHERE id = ?", (oid,)) == "done", 30, "hide done")
        self.assertIsNone(self.fake.moderation.get("Ugx_old1"))  # clean comments are left alone
        cursor = wait_for(lambda: self.db.scalar("SELECT value FROM cursors WHERE account = ?", (ACCOUNT,)), 30,
                          "the cursor")
        self.assertGreaterEqual(int(cursor), int(HOUR_AGO + 70))

    def test_2_comments_arriving_together_share_one_call(self):
        now = time.time()
        # Both at once: a poll served between the two would bring them in separate polls, more
        # than batch_window_ms apart, and so in two calls.
        with self.fake.lock:
            self.fake.add_thread("Ugx_b1", "vid00000003", OBSCENE + " one", created=now)
            self.fake.add_thread("Ugx_b2", "vid00000003", OBSCENE + " two", created=now + 1)
        wait_for(lambda: self.fake.moderation.get("Ugx_b1") == "heldForReview" and
                 self.fake.moderation.get("Ugx_b2") == "heldForReview", 60, "both held")
        calls = [c for c in self.moderation_calls() if "Ugx_b" in c["query"]["id"]]
        self.assertEqual(len(calls), 1, [c["query"] for c in calls])
        self.assertEqual(sorted(calls[0]["query"]["id"].split(",")), ["Ugx_b1", "Ugx_b2"])

    def test_3_restart_resumes_from_the_cursor(self):
        # Read after the stop: a poll in flight may still store comments.
        self.d.stop()
        comments = self.db.scalar("SELECT count(*) FROM comments")
        outbox = self.db.scalar("SELECT count(*) FROM outbox")
        calls = len(self.moderation_calls())
        restarted = time.time()
        self.fake.add_thread("Ugx_new", "vid00000004", "Is the library open on Sunday?", created=time.time())
        self.d.start()
        wait_for(lambda: self.comment("Ugx_new"), 60, "the comment made while stopped")
        time.sleep(POLL + 1)
        self.assertEqual(self.db.scalar("SELECT count(*) FROM comments"), comments + 1)
        self.assertEqual(self.db.scalar("SELECT count(*) FROM outbox"), outbox)  # a clean comment: no action
        self.assertEqual(len(self.moderation_calls()), calls)
        # The first poll after the restart stops at the hour-old threads: it does not page to the end.
        lists = self.thread_lists(after=restarted)
        self.assertTrue(lists)
        tokens = {r["query"].get("pageToken", "") for r in lists}
        self.assertLessEqual(len(tokens), 2, tokens)  # the newest page and the one the cursor stops on

    def test_4_429_with_retry_after_holds_the_next_call_back(self):
        self.fake.fail_next("/commentThreads", 429,
                            body=google_error(429, "rateLimitExceeded", "Too many requests", domain="youtube.quota"),
                            headers={"Retry-After": "3"})
        wait_for(lambda: not self.fake.faults_pending("/commentThreads"), 30, "the 429 to be served")
        limited = self.thread_lists()[-1]
        nxt = wait_for(lambda: [r for r in self.fake.requests_to("GET", "/youtube/v3/") if r["time"] > limited["time"]],
                       30, "the next call")[0]
        self.assertGreaterEqual(nxt["time"] - limited["time"], 2.9, "the next call came before Retry-After said")
        self.assertLess(nxt["time"] - limited["time"], 15)

    def quota_row(self):
        return self.db.scalar("SELECT value FROM cursors WHERE account = ?", (ACCOUNT + "#quota",))

    def test_5_quota_exceeded_waits_for_the_reset(self):
        self.fake.fail_next("/commentThreads", 403, body=QUOTA_EXCEEDED)
        self.d.wait_log(r"daily quota is used up", timeout=30)
        wait_for(lambda: (self.quota_row() or "").endswith(f" {QUOTA}"), 30, "the exhausted ledger saved")
        refused = time.time()
        time.sleep(POLL * 3)
        self.assertEqual([r for r in self.fake.requests_to("GET", "/youtube/v3/") if r["time"] > refused + 0.5], [],
                         "calls went on with the quota used up")
        # A restart remembers it: still no calls.
        self.d.stop()
        self.d.start()
        self.d.wait_log(r"polls paused until", timeout=30, since=self.d._start_index)
        started = time.time()
        time.sleep(POLL * 2)
        self.assertEqual(self.thread_lists(after=started), [])
        # The quota day changes (the ledger says yesterday): polls resume.
        self.d.stop()
        day, _ = self.quota_row().split(" ")
        y, m, dd = map(int, day.split("-"))
        yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.mktime((y, m, dd, 12, 0, 0, 0, 0, -1)) - 86400))
        import sqlite3
        conn = sqlite3.connect(os.path.join(self.state, "moderatord.db"))
        conn.execute("UPDATE cursors SET value = ? WHERE account = ?", (f"{yesterday} {QUOTA}", ACCOUNT + "#quota"))
        conn.commit()
        conn.close()
        resumed = time.time()
        self.d.start()
        wait_for(lambda: self.thread_lists(after=resumed), 60, "polls after the reset")
        wait_for(lambda: self.quota_row() and not self.quota_row().startswith(yesterday), 30, "a new quota day")

    def test_6_refused_token_alerts_once(self):
        self.fake.tokens.discard(TOKEN)
        alerts = wait_for(self.alert_rows, 60, "the admin alert")
        self.assertEqual(len(alerts), 1, alerts)
        a = alerts[0]
        self.assertEqual((a["account"], a["platform"]), (ACCOUNT, "youtube"))
        self.assertIn("invalid", a["subject"])
        self.assertNotIn(TOKEN, json.dumps(a))
        refused = len([r for r in self.fake.requests if r["token"] == TOKEN])
        time.sleep(POLL * 3)
        self.assertEqual(len([r for r in self.fake.requests if r["token"] == TOKEN]), refused,
                         "calls went on with a refused token")
        # A restart tries once more, is refused again, and does not alert again.
        self.d.stop()
        self.d.start()
        wait_for(lambda: len([r for r in self.fake.requests if r["token"] == TOKEN]) > refused, 60, "the first poll")
        self.d.wait_log(r"YouTube refused the access token", timeout=30, since=self.d._start_index)
        time.sleep(POLL)
        self.assertEqual(len(self.alert_rows()), 1)
        new_token = TOKEN + "-renewed"
        self.fake.tokens.add(new_token)
        with open(self.token_file, "w") as f:
            f.write(new_token + "\n")
        wait_for(lambda: any(r["token"] == new_token for r in self.fake.requests), 30, "calls with the new token")
        self.d.wait_log(r"a new access token", timeout=10)

    def test_7_stop_with_a_moderation_call_in_flight(self):
        # The call outlives the polling loop (cancelled first at SIGTERM) and then saves the quota
        # ledger through the cursor store: that store must still be there (it once lived in the
        # polling loop's frame, and ASan caught the use after free here).
        self.fake.delay_next("/comments/setModerationStatus", 3)
        self.fake.add_thread("Ugx_slow", "vid00000005", OBSCENE + " slow", created=time.time())
        wait_for(lambda: [c for c in self.moderation_calls() if "Ugx_slow" in c["query"]["id"]], 60,
                 "the moderation call")
        self.assertEqual(self.d.stop(), 0)
        row = self.comment("Ugx_slow")
        self.assertEqual(self.db.scalar("SELECT state FROM outbox WHERE comment_id = ? AND kind = 'hide'", (row[0],)),
                         "done", "the call in flight was finished within the shutdown grace")
        self.assertEqual(self.d.sanitizer_findings(), [])
        self.d.start()


REFRESH_ACCOUNT = "council-yt-refresh"
CLIENT_ID = "123456789012-fake.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-test-secret-" + os.urandom(6).hex()
REFRESH_TOKEN = "1//0g-test-refresh-" + os.urandom(6).hex()
NEW_REFRESH_TOKEN = REFRESH_TOKEN + "-reauthorised"


class YouTubeRefreshE2E(PlatformE2E):
    secret_in_log_message = "a token or the client secret appears in moderatord's log"

    @classmethod
    def setUpClass(cls):
        cls.make_temp_dirs("moderatord-youtube-refresh-e2e-")
        cls.fake = YouTubeFake(os.path.join(cls.tmp, "fake"), tokens=(), channel_id=CHANNEL,
                               client=(CLIENT_ID, CLIENT_SECRET), refresh_tokens=(REFRESH_TOKEN,))
        cls.fake.add_thread("Ugr_old1", "vid00000001", "Thanks for fixing the streetlight", created=HOUR_AGO)
        cls.refresh_file = cls.write_secret_file("youtube.refresh", REFRESH_TOKEN)
        account = {"id": REFRESH_ACCOUNT, "platform": "youtube", "mode": "enforce", "channel_id": CHANNEL,
                   "client_id": CLIENT_ID, "client_secret_file": cls.write_secret_file("client.secret", CLIENT_SECRET),
                   "refresh_token_file": cls.refresh_file, "token_url": cls.fake.token_url,
                   "api_base": cls.fake.base_url, "ca_file": cls.fake.ca_file, "poll_interval": POLL,
                   "batch_window_ms": 300, "quota_per_day": QUOTA}
        cls.start_daemon(BIN, SRC, CACHE, [account], outbox={"initial_backoff_ms": 100, "max_backoff_ms": 1000})

    @classmethod
    def secrets_never_logged(cls):
        return (CLIENT_SECRET, REFRESH_TOKEN, NEW_REFRESH_TOKEN) + tuple(cls.fake.issued)

    def comment(self, platform_id):
        return self.db.scalar("SELECT id FROM comments WHERE account = ? AND platform_id = ?",
                              (REFRESH_ACCOUNT, platform_id))

    def token_requests(self, after=0.0):
        return [r for r in self.fake.requests_to("POST", "/token") if r["time"] > after]

    def api_requests(self, after=0.0):
        return [r for r in self.fake.requests_to(None, "/youtube/v3/") if r["time"] > after]

    # --- tests, in name order ---
    def test_1_first_access_token_by_refreshing(self):
        wait_for(lambda: self.comment("Ugr_old1"), 60, "the first poll")
        self.assertEqual(self.fake.refreshes, 1)
        first = self.token_requests()[0]
        self.assertEqual(first["content_type"], "application/x-www-form-urlencoded")
        self.assertEqual(first["form"], {"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN,
                                         "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
        self.assertEqual({r["token"] for r in self.api_requests()}, {self.fake.issued[0]})
        self.assertEqual(self.fake.unauthorized, 0)  # no call went out before the first token

    def test_2_expired_access_token_is_renewed_once(self):
        refreshes, unauthorized = self.fake.refreshes, self.fake.unauthorized
        # The moderation call is held back in the fake (which checks the token after the delay)
        # while the token expires, and the renewal is slow: the polls every POLL s are refused
        # meanwhile too, and all of them must share one renewal.
        self.fake.delay_next("/comments/setModerationStatus", 2)
        self.fake.add_thread("Ugr_bad1", "vid00000002", OBSCENE, created=time.time())
        wait_for(lambda: self.fake.requests_to("POST", "/comments/setModerationStatus"), 60, "the moderation call")
        self.fake.delay_next("/token", 2)
        expired = time.time()
        self.fake.expire_access_tokens()
        wait_for(lambda: self.fake.moderation.get("Ugr_bad1") == "heldForReview", 60, "Ugr_bad1 held for review")
        self.fake.add_thread("Ugr_new1", "vid00000002", "Is the car park free on Sundays?", created=time.time())
        wait_for(lambda: self.comment("Ugr_new1"), 60, "a poll after the renewal")
        self.assertGreater(self.fake.unauthorized, unauthorized, "no call met the expired token")
        self.assertEqual(self.fake.refreshes, refreshes + 1)
        self.assertEqual(len(self.token_requests(after=expired)), 1)
        self.assertEqual(self.fake.requests_to("POST", "/comments/setModerationStatus")[-1]["token"],
                         self.fake.issued[-1])
        row = self.comment("Ugr_bad1")
        wait_for(lambda: self.db.scalar("SELECT state FROM outbox WHERE comment_id = ? AND kind = 'hide'", (row,))
                 == "done", 30, "the hide done")
        self.assertEqual(self.alert_rows(), [])
        self.assertNotIn("YouTube refused", self.d.log())

    def test_3_token_endpoint_failing_is_retried_at_the_next_poll(self):
        refreshes = self.fake.refreshes
        # More 503s than the HTTPS client's retries (4 tries): this renewal fails.
        self.fake.fail_next("/token", 503, body={"error": "backend_error"}, count=4)
        self.fake.expire_access_tokens()
        self.d.wait_log(r"could not renew the access token", timeout=60)
        wait_for(lambda: self.fake.refreshes == refreshes + 1, 60, "the renewal at a later poll")
        self.fake.add_thread("Ugr_new2", "vid00000002", "When do the bins go out at Christmas?", created=time.time())
        wait_for(lambda: self.comment("Ugr_new2"), 60, "a poll after the renewal")
        self.assertEqual(self.alert_rows(), [])

    def test_4_refused_refresh_token_alerts_once_and_resumes_when_renewed(self):
        self.fake.revoke_refresh_token(REFRESH_TOKEN)
        self.fake.expire_access_tokens()
        alerts = wait_for(self.alert_rows, 60, "the admin alert")
        self.assertEqual(len(alerts), 1, alerts)
        a = alerts[0]
        self.assertEqual((a["account"], a["platform"]), (REFRESH_ACCOUNT, "youtube"))
        self.assertIn("refresh token", a["subject"])
        self.assertIn("refresh_token_file", a["detail"])
        for secret in self.secrets_never_logged():
            self.assertNotIn(secret, json.dumps(a))
        # No calls at all now: neither the API nor the token endpoint.
        stopped = time.time() + 0.5
        time.sleep(POLL * 3)
        self.assertEqual(self.api_requests(after=stopped), [])
        self.assertEqual(self.token_requests(after=stopped), [])
        self.assertEqual(len(self.alert_rows()), 1)
        # The admin authorises the app again and writes the new refresh token: calls resume.
        self.fake.add_refresh_token(NEW_REFRESH_TOKEN)
        with open(self.refresh_file, "w") as f:
            f.write(NEW_REFRESH_TOKEN + "\n")
        self.d.wait_log(r"a new refresh token", timeout=30)
        self.fake.add_thread("Ugr_new3", "vid00000003", "Thank you for the new benches", created=time.time())
        wait_for(lambda: self.comment("Ugr_new3"), 60, "a poll with the renewed token")
        self.assertEqual(self.token_requests()[-1]["form"]["refresh_token"], NEW_REFRESH_TOKEN)
        self.assertEqual(len(self.alert_rows()), 1)

    def test_5_renewed_before_it_expires(self):
        # Tokens that last 6 s are renewed 3 s in (half their life; 5 minutes before for Google's
        # hour), when a call is about to go out: no call meets the expiry, so no 401.
        self.fake.expires_in = 6
        try:
            refreshes = self.fake.refreshes
            self.fake.expire_access_tokens()
            wait_for(lambda: self.fake.refreshes == refreshes + 1, 30, "the renewal after the 401")
            unauthorized = self.fake.unauthorized
            wait_for(lambda: self.fake.refreshes >= refreshes + 3, 30, "two renewals before expiry")
            self.assertEqual(self.fake.unauthorized, unauthorized)
        finally:
            self.fake.expires_in = 3599
        self.assertEqual(len(self.alert_rows()), 1)  # test_4's


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + _rest, verbosity=2)
