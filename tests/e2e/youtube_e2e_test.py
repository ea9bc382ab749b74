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


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + _rest, verbosity=2)
