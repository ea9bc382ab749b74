#!/usr/bin/env python3
"""End-to-end tests of the X connector: the real `moderatord` binary against the fake X API v2
(tests/fakes/x_fake.py, HTTPS on 127.0.0.1 with a test CA made by `openssl`, OAuth 1.0a signatures
checked the way X checks them), a real SQLite file.

usage: x_e2e_test.py MODERATORD SOURCE_DIR [CACHE_DIR] [unittest options]

Covered: the council's posts and replies are own_post / own_reply; replies in its conversations and
mentions elsewhere arrive by polling (search by conversation_id, mentions with since_id) and are
classified, a post longer than 280 characters by its note_tweet text; a hide-worthy reply in the
council's conversation is hidden with PUT
/2/tweets/:id/hidden {"hidden":true}; one in someone else's conversation is escalated with the
reason and never sent to X; a restart resumes from the persisted since_id without reprocessing; a
429 waits for x-rate-limit-reset; revoked credentials stop the calls and alert once, across a
restart. No secret reaches the log.
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
from x_fake import UNAUTHORIZED, XFake  # noqa: E402

if len(sys.argv) < 3:
    sys.exit(__doc__)
BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
_rest = sys.argv[3:]
CACHE = shared_cache_dir(_rest.pop(0) if _rest and not _rest[0].startswith("-") else None)

CONSUMER_KEY = "xvz1evFS4wEEPTGEFPHBog"
CONSUMER_SECRET = "consumer-s3cret-" + os.urandom(6).hex()
ACCESS_TOKEN = "370773112-" + os.urandom(8).hex()
TOKEN_SECRET = "token-s3cret-" + os.urandom(6).hex()
OBSCENE = "what the fuck is this roundabout"
CLEAN = "The new benches by the canal are lovely, thank you"
POLL = 1


class XE2E(PlatformE2E):
    @classmethod
    def setUpClass(cls):
        cls.make_temp_dirs("moderatord-x-e2e-")
        cls.fake = XFake(os.path.join(cls.tmp, "fake"),
                         oauth1=(CONSUMER_KEY, CONSUMER_SECRET, ACCESS_TOKEN, TOKEN_SECRET))
        files = {}
        for name, value in (("consumer_secret", CONSUMER_SECRET), ("access_token", ACCESS_TOKEN),
                            ("access_token_secret", TOKEN_SECRET)):
            files[name] = cls.write_secret_file(name, value)
        # Before the start: the council's post with a reply that does not mention it, and a
        # resident's own post that mentions the council (someone else's conversation).
        cls.post = cls.fake.add_post("Bin collections move to Friday")
        cls.reply = cls.fake.add_post("Fine by me, thanks", author_id="42", username="resident", in_reply_to=cls.post)
        other = cls.fake.add_post("Roadworks again on Mill Lane", author_id="77", username="neighbour")
        cls.elsewhere = cls.fake.add_post("@wyverleytc " + OBSCENE, author_id="78", username="rude",
                                          in_reply_to=other)
        accounts = [{"id": "council-x", "platform": "x", "mode": "enforce", "user_id": cls.fake.user_id,
                     "api_base": cls.fake.base_url, "ca_file": cls.fake.ca_file, "poll_interval": POLL,
                     "consumer_key": CONSUMER_KEY, "consumer_secret_file": files["consumer_secret"],
                     "access_token_file": files["access_token"],
                     "access_token_secret_file": files["access_token_secret"]}]
        cls.token_file = files["access_token"]
        cls.start_daemon(BIN, SRC, CACHE, accounts, outbox={"initial_backoff_ms": 100, "max_backoff_ms": 1000})

    @classmethod
    def secrets_never_logged(cls):
        return (CONSUMER_SECRET, ACCESS_TOKEN, TOKEN_SECRET)

    def comment(self, platform_id):
        rows = self.db.query("SELECT id, kind, platform, thread_id, parent_id, author_name FROM comments "
                             "WHERE account = 'council-x' AND platform_id = ?", (platform_id,))
        return rows[0] if rows else None

    def outbox(self, row_id):
        return self.db.query("SELECT kind, executor, state FROM outbox WHERE comment_id = ? ORDER BY id", (row_id,))

    def test_1_polled_posts_replies_and_mentions(self):
        self.assertEqual(wait_for(lambda: self.comment(self.post), 60, "the council's post")[1], "own_post")
        row = wait_for(lambda: self.comment(self.reply), 30, "the reply found by conversation search")
        self.assertEqual(row[1:6], ("comment", "x", self.post, self.post, "@resident"))
        self.assertEqual(self.outbox(row[0]), [])
        # Every call was signed correctly (the fake checks OAuth 1.0a signatures).
        self.assertEqual(self.fake.bad_signatures, 0)
        self.assertTrue(all(r["auth"] == "OAuth" for r in self.fake.requests))
        search = self.fake.requests_to("GET", "/2/tweets/search/recent")[0]
        self.assertEqual(search["query"]["query"], f"conversation_id:{self.post}")

    def test_2_reply_in_our_conversation_is_hidden(self):
        rid = self.fake.add_post(OBSCENE, author_id="43", username="angry", in_reply_to=self.post)
        row = wait_for(lambda: self.comment(rid), 30, "the new reply")
        self.assertIn("obscene", self.db.scalar("SELECT labels FROM verdicts WHERE comment_id = ?", (row[0],)))
        wait_for(lambda: self.fake.hidden.get(rid) is True, 30, "the reply hidden on the fake")
        put = self.fake.requests_to("PUT", f"/2/tweets/{rid}/hidden")[-1]
        self.assertEqual(json.loads(put["body"]), {"hidden": True})
        self.assertTrue(put["auth_ok"])
        wait_for(lambda: ("hide", "council-x", "done") in self.outbox(row[0]), 30, "the hide row done")

    def test_2c_long_reply_is_read_past_the_cut(self):
        # X cuts `text` at 280 characters; the obscenity is after the cut, in note_tweet.text only.
        long_text = "I have been waiting since March for someone to come and look at the drain. " * 4 + OBSCENE
        self.assertGreater(len(long_text) - len(OBSCENE), 280)
        rid = self.fake.add_post(long_text, author_id="44", username="patient", in_reply_to=self.post)
        row = wait_for(lambda: self.comment(rid), 30, "the long reply")
        self.assertIn("obscene", self.db.scalar("SELECT labels FROM verdicts WHERE comment_id = ?", (row[0],)))
        wait_for(lambda: self.fake.hidden.get(rid) is True, 30, "the long reply hidden on the fake")

    def test_3_mention_elsewhere_is_escalated_not_hidden(self):
        row = wait_for(lambda: self.comment(self.elsewhere), 30, "the mention in someone else's conversation")
        self.assertEqual(self.outbox(row[0])[0][:2], ("escalate", "mail"))
        self.assertEqual([k for k, _, _ in self.outbox(row[0])], ["escalate"])
        reason = self.db.scalar("SELECT reason FROM decisions WHERE comment_id = ?", (row[0],))
        self.assertIn("conversations it started", reason)
        self.assertEqual(self.fake.requests_to("PUT", f"/2/tweets/{self.elsewhere}/hidden"), [])

    def test_4_restart_resumes_from_since_id(self):
        # Read after the stop: a poll in flight may still store posts and move the cursor.
        self.d.stop()
        n = self.db.scalar("SELECT count(*) FROM comments")
        hides = len(self.fake.requests_to("PUT"))
        cursor = self.db.scalar("SELECT value FROM cursors WHERE account = 'council-x'")
        before = len(self.fake.requests)
        self.d.start()
        wait_for(lambda: any("/mentions" in r["path"] for r in self.fake.requests[before:]), 60, "the first poll")
        first = [r for r in self.fake.requests[before:] if "/mentions" in r["path"]][0]
        self.assertEqual(first["query"]["since_id"], cursor)
        time.sleep(POLL * 2)
        self.assertEqual(self.db.scalar("SELECT count(*) FROM comments"), n, "posts were reprocessed")
        self.assertEqual(len(self.fake.requests_to("PUT")), hides)
        later = self.fake.add_post("@wyverleytc " + CLEAN, author_id="42", username="resident")
        wait_for(lambda: self.comment(later), 30, "a mention after the restart")

    def test_5_429_waits_for_the_reset(self):
        reset = int(time.time()) + 3
        self.fake.fail_next("/mentions", 429, {"title": "Too Many Requests", "detail": "Too Many Requests",
                                               "type": "about:blank", "status": 429},
                            headers={"x-rate-limit-limit": "450", "x-rate-limit-remaining": "0",
                                     "x-rate-limit-reset": str(reset)})
        wait_for(lambda: not any(f[4] > 0 for f in self.fake._faults), 30, "the 429 to be served")
        limited = self.fake.requests_to("GET", "/mentions")[-1]
        wait_for(lambda: any(r["time"] > limited["time"] for r in self.fake.requests_to("GET", "/2/")), 30,
                 "the next call")
        after = min(r["time"] for r in self.fake.requests_to("GET", "/2/") if r["time"] > limited["time"])
        self.assertGreaterEqual(after, reset - 0.05, "a call came before x-rate-limit-reset")
        self.assertLess(after - limited["time"], 15)
        self.d.wait_log(r"council-x: the platform asks us to wait", timeout=10)

    def test_6_revoked_credentials_stop_calls_and_alert_once(self):
        self.fake.revoke()
        alerts = wait_for(self.alert_rows, 60, "the admin alert")
        self.assertEqual(len(alerts), 1, alerts)
        a = alerts[0]
        self.assertEqual((a["to"], a["account"], a["platform"]), ("admins", "council-x", "x"))
        self.assertIn("refused", a["subject"])
        self.assertIn("Unauthorized", a["detail"])
        for secret in (CONSUMER_SECRET, ACCESS_TOKEN, TOKEN_SECRET):
            self.assertNotIn(secret, json.dumps(a))
        n = len(self.fake.requests)
        time.sleep(POLL * 3)
        self.assertEqual(len(self.fake.requests), n, "calls went on with refused credentials")
        self.d.stop()
        self.d.start()
        wait_for(lambda: len(self.fake.requests) > n, 60, "the first call after the restart")
        self.d.wait_log(r"refused the credentials", timeout=30, since=self.d._start_index)
        time.sleep(POLL * 2)
        self.assertEqual(len(self.alert_rows()), 1)


class XRefreshE2E(PlatformE2E):
    """auth = "oauth2" with a refresh token: the daemon gets its access token from POST
    /2/oauth2/token, writes the rotated refresh token back, refreshes again after a 401, and alerts
    once when the refresh token itself is refused."""

    secret_in_log_message = "a token appears in moderatord's log"

    @classmethod
    def setUpClass(cls):
        cls.make_temp_dirs("moderatord-x-refresh-e2e-")
        cls.fake = XFake(os.path.join(cls.tmp, "fake"))
        cls.first_refresh = "refresh-0-" + os.urandom(4).hex()
        cls.fake.refresh_tokens.add(cls.first_refresh)
        cls.refresh_file = cls.write_secret_file("x-refresh-token", cls.first_refresh, directory=cls.state)
        cls.post = cls.fake.add_post("Library opening hours change in May")
        accounts = [{"id": "council-x2", "platform": "x", "mode": "enforce", "user_id": cls.fake.user_id,
                     "api_base": cls.fake.base_url, "ca_file": cls.fake.ca_file, "poll_interval": POLL,
                     "auth": "oauth2", "client_id": cls.fake.client_id, "refresh_token_file": "x-refresh-token"}]
        cls.start_daemon(BIN, SRC, CACHE, accounts)

    @classmethod
    def secrets_never_logged(cls):
        return ("refresh-", "access-")  # every refresh and access token the fake hands out

    def stored(self, platform_id):
        return self.db.scalar("SELECT kind FROM comments WHERE account = 'council-x2' AND platform_id = ?",
                              (platform_id,))

    def token_requests(self):
        return self.fake.requests_to("POST", "/2/oauth2/token")

    def test_1_first_access_token_from_the_refresh_token(self):
        self.assertEqual(wait_for(lambda: self.stored(self.post), 60, "the council's post"), "own_post")
        first = self.token_requests()[0]
        self.assertEqual(first["form"], {"grant_type": "refresh_token", "refresh_token": self.first_refresh,
                                         "client_id": self.fake.client_id})
        with open(self.refresh_file) as f:
            saved = f.read().strip()
        self.assertNotEqual(saved, self.first_refresh)
        self.assertIn(saved, self.fake.refresh_tokens)  # the rotated one, ready for the next refresh
        calls = [r for r in self.fake.requests if r["path"] != "/2/oauth2/token"]
        self.assertTrue(calls and all(r["auth"] == "Bearer" and r["auth_ok"] for r in calls))

    def test_2_expired_access_token_is_refreshed(self):
        n = len(self.token_requests())
        self.fake.bearer.clear()  # every access token expires
        later = self.fake.add_post("Reply deadline for the consultation is Friday")
        wait_for(lambda: self.stored(later), 30, "a post after the refresh")
        self.assertEqual(len(self.token_requests()), n + 1)
        self.assertEqual(self.db.scalar("SELECT count(*) FROM outbox WHERE executor = 'mail' AND "
                                        "json_extract(payload_json, '$.type') = 'admin_alert'"), 0)

    def test_2b_calls_refused_together_refresh_once(self):
        # A hide and a poll both refused while the refresh is under way: one refresh, which both use.
        # Two would spend the single-use refresh token twice; the second would be refused and stop
        # the account with an alert.
        n = len(self.token_requests())
        self.fake.token_delay = 4.0
        self.fake.fail_next("/hidden", 401, UNAUTHORIZED)
        rude = self.fake.add_post(OBSCENE, author_id="79", username="rude2",
                                  in_reply_to=self.post)
        wait_for(lambda: self.fake.requests_to("PUT", "/hidden"), 60, "the hide")
        self.fake.fail_next("/2/users/", 401, UNAUTHORIZED)  # the next poll, while the refresh waits
        wait_for(lambda: not any(f[4] > 0 for f in self.fake._faults), 30, "the poll to be refused")
        wait_for(lambda: len(self.fake.requests_to("PUT", "/hidden")) >= 2, 60, "the hide sent again")
        self.fake.token_delay = 0.0
        later = self.fake.add_post("Reply deadline for the survey is Monday")
        wait_for(lambda: self.stored(later), 30, "a post after the refresh")
        self.assertEqual(len(self.token_requests()), n + 1, "the refresh token was spent twice")
        self.assertTrue(self.fake.hidden.get(rude))
        self.assertEqual(self.db.scalar("SELECT count(*) FROM outbox WHERE executor = 'mail' AND "
                                        "json_extract(payload_json, '$.type') = 'admin_alert'"), 0)

    def test_3_refused_refresh_token_alerts_once(self):
        self.fake.bearer.clear()
        self.fake.refresh_tokens.clear()
        rows = wait_for(lambda: self.db.query("SELECT payload_json FROM outbox WHERE executor = 'mail' AND "
                                              "json_extract(payload_json, '$.type') = 'admin_alert'"), 60, "the alert")
        self.assertEqual(len(rows), 1)
        self.assertIn("authorise the app again", json.loads(rows[0][0])["detail"])
        n = len(self.fake.requests)
        time.sleep(POLL * 3)
        self.assertEqual(len(self.fake.requests), n, "calls went on after the refresh token was refused")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + _rest, verbosity=2)
