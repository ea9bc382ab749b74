#!/usr/bin/env python3
"""End-to-end tests of the Facebook and Instagram connectors: the real `moderatord` binary against
the fake Graph API (tests/fakes/graph_api_fake.py, HTTPS on 127.0.0.1 with a test CA made by
`openssl`), a real SQLite file, signed Meta webhooks.

usage: meta_e2e_test.py MODERATORD SOURCE_DIR [CACHE_DIR] [unittest options]

Covered: the subscription handshake; a signed webhook gives a stored comment, a verdict and a hide
call on the fake (Facebook is_hidden=true, Instagram hide=true); a bad signature is 401 and stores
nothing; the Page's own comment is own_reply and a Messenger message a direct message; a comment
the webhooks missed is found by polling, and the cursor is saved; an Instagram mention (ids only)
is read by the next poll; a permission error names the permission; a threat escalates (Meta has no
report API); a rate-limited action is retried later; a 429 with Retry-After holds the
next call back that long; an expired token stops the calls and alerts the admins once, across a
restart, and a renewed token resumes them. Secrets never reach the log.
"""
import hashlib
import hmac
import json
import os
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
from e2e_support import PlatformE2E, shared_cache_dir, wait_for  # noqa: E402
from graph_api_fake import GraphFake, graph_error  # noqa: E402

if len(sys.argv) < 3:
    sys.exit(__doc__)
BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
_rest = sys.argv[3:]
CACHE = shared_cache_dir(_rest.pop(0) if _rest and not _rest[0].startswith("-") else None)

PAGE = "1111222233334444"
IG_USER = "17841400000000001"
APP_SECRET = "meta-app-s3cret-" + os.urandom(6).hex()
TOKEN = "EAAtestpagetoken" + os.urandom(6).hex()
IG_TOKEN = "IGQtestusertoken" + os.urandom(6).hex()
VERIFY = "verify-" + os.urandom(4).hex()
OBSCENE = "what the fuck is this roundabout"
CLEAN = "The new benches by the canal are lovely, thank you"
POLL = 2  # seconds


def hub_sign(body: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def feed_delivery(comment_id, post_id, message, from_id="555", name="Resident", verb="add", parent=None):
    return json.dumps({"object": "page", "entry": [{"id": PAGE, "time": int(time.time()), "changes": [{
        "field": "feed", "value": {"item": "comment", "verb": verb, "comment_id": comment_id, "post_id": post_id,
                                   "parent_id": parent or post_id, "from": {"id": from_id, "name": name},
                                   "created_time": int(time.time()), "message": message}}]}]}).encode()


class MetaE2E(PlatformE2E):
    @classmethod
    def setUpClass(cls):
        cls.make_temp_dirs("moderatord-meta-e2e-")
        cls.fake = GraphFake(os.path.join(cls.tmp, "fake"), tokens=(TOKEN, IG_TOKEN))
        files = {}
        for name, value in (("app.secret", APP_SECRET), ("page.token", TOKEN), ("ig.token", IG_TOKEN)):
            files[name] = cls.write_secret_file(name, value)
        cls.token_file = files["page.token"]
        # Before the daemon starts: a post with a comment no webhook will ever announce.
        cls.fake.add_post(f"{PAGE}_100", "Bin collections move to Friday", author={"id": PAGE, "name": "Council"})
        cls.fake.add_comment(f"{PAGE}_100", "100_missed1", "Why was nobody told about this, what the fuck")
        cls.fake.add_media("1800000000000001", "Spring fair on the green")
        cls.fake.add_ig_comment("1800000000000001", "1790000000000001", "Lovely photo, see you there")
        common = {"mode": "enforce", "app_secret_file": files["app.secret"], "verify_token": VERIFY,
                  "api_base": cls.fake.base_url, "ca_file": cls.fake.ca_file, "poll_interval": POLL}
        accounts = [
            dict(common, id="council-fb", platform="facebook", page_id=PAGE, access_token_file=files["page.token"]),
            dict(common, id="council-ig", platform="instagram", ig_user_id=IG_USER, username="wyverleytc",
                 access_token_file=files["ig.token"]),
        ]
        cls.start_daemon(BIN, SRC, CACHE, accounts, outbox={"initial_backoff_ms": 100, "max_backoff_ms": 1000})

    @classmethod
    def secrets_never_logged(cls):
        return (APP_SECRET, TOKEN, IG_TOKEN, VERIFY)

    # --- helpers ---
    def post_meta(self, account, body, signature=None):
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature or hub_sign(body)}
        return self.d.request("POST", f"/webhooks/{account}", body, headers)

    def comment(self, account, platform_id):
        rows = self.db.query("SELECT id, kind, platform, thread_id, parent_id FROM comments WHERE account = ? AND "
                             "platform_id = ?", (account, platform_id))
        return rows[0] if rows else None

    def wait_hidden(self, comment_id, key="is_hidden", timeout=60):
        wait_for(lambda: self.fake.hidden.get(comment_id) is True, timeout, f"{comment_id} hidden on the fake")
        posts = [r for r in self.fake.requests_to("POST", "/" + comment_id)]
        self.assertTrue(posts)
        self.assertEqual(posts[-1]["form"], {key: "true"})

    # --- tests (run in name order; the token test is last because it stops the Page's calls) ---
    def test_1_subscription_handshake(self):
        q = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"})
        status, body = self.d.request("GET", "/webhooks/council-fb?" + q)
        self.assertEqual((status, body), (200, b"1158201444"))
        q = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"})
        self.assertEqual(self.d.request("GET", "/webhooks/council-fb?" + q)[0], 403)

    def test_2_signed_webhook_is_stored_classified_and_hidden(self):
        cid = "100_w2obscene"
        self.fake.add_comment(f"{PAGE}_100", cid, OBSCENE)
        status, reply = self.post_meta("council-fb", feed_delivery(cid, f"{PAGE}_100", OBSCENE))
        self.assertEqual(status, 200, reply)
        row = self.comment("council-fb", cid)  # 200 means committed
        self.assertIsNotNone(row)
        self.assertEqual(row[1:4], ("comment", "facebook", f"{PAGE}_100"))
        labels = self.db.scalar("SELECT labels FROM verdicts WHERE comment_id = ?", (row[0],))
        self.assertIn("obscene", labels)
        self.assertEqual(self.db.query("SELECT kind, executor FROM outbox WHERE comment_id = ? AND kind = 'hide'",
                                       (row[0],)), [("hide", "council-fb")])
        self.wait_hidden(cid)
        hide = self.fake.requests_to("POST", "/" + cid)[-1]
        self.assertEqual(hide["token"], TOKEN)  # in the Authorization header
        self.assertNotIn("access_token", hide["query"])
        oid = self.db.scalar("SELECT id FROM outbox WHERE comment_id = ? AND kind = 'hide'", (row[0],))
        wait_for(lambda: self.db.scalar("SELECT state FROM outbox WHERE id = ?", (oid,)) == "done", 30, "hide done")
        # The Page's own reply and a Messenger message.
        own = feed_delivery("100_w2own", f"{PAGE}_100", "Thanks, we will look into it", from_id=PAGE, name="Council",
                            parent=cid)
        self.assertEqual(self.post_meta("council-fb", own)[0], 200)
        self.assertEqual(self.comment("council-fb", "100_w2own")[1], "own_reply")
        self.assertEqual(self.comment("council-fb", "100_w2own")[4], cid)
        dm = json.dumps({"object": "page", "entry": [{"id": PAGE, "time": int(time.time() * 1000), "messaging": [{
            "sender": {"id": "9876"}, "recipient": {"id": PAGE}, "timestamp": int(time.time() * 1000),
            "message": {"mid": "m_w2dm", "text": "When is the next council meeting?"}}]}]}).encode()
        self.assertEqual(self.post_meta("council-fb", dm)[0], 200)
        self.assertEqual(self.comment("council-fb", "m_w2dm")[1:4], ("direct_message", "facebook", "9876"))

    def test_2b_action_errors_name_the_permission_and_reports_escalate(self):
        # A missing permission: a dead letter that names it, and one admin alert.
        cid = "100_w2bperm"
        self.fake.add_comment(f"{PAGE}_100", cid, OBSCENE)
        self.fake.fail_next("/" + cid, 403, body=graph_error(
            200, "(#200) Requires pages_manage_engagement permission to manage the object"))
        self.assertEqual(self.post_meta("council-fb", feed_delivery(cid, f"{PAGE}_100", OBSCENE))[0], 200)
        row = self.comment("council-fb", cid)
        oid = self.db.scalar("SELECT id FROM outbox WHERE comment_id = ? AND kind = 'hide'", (row[0],))
        wait_for(lambda: self.db.scalar("SELECT state FROM outbox WHERE id = ?", (oid,)) == "dead", 30, "dead letter")
        self.assertIn("pages_manage_engagement", self.db.scalar("SELECT last_error FROM outbox WHERE id = ?", (oid,)))
        alerts = wait_for(lambda: [a for a in self.alert_rows() if "pages_manage_engagement" in a["subject"]], 30,
                          "the permission alert")
        self.assertEqual(len(alerts), 1)
        # A threat: Meta has no report API, so no report action goes to the connector.
        cid = "100_w2bthreat"
        self.fake.add_comment(f"{PAGE}_100", cid, "I'll kill you if I see you at the meeting")
        self.assertEqual(self.post_meta("council-fb", feed_delivery(cid, f"{PAGE}_100",
                                                                    "I'll kill you if I see you at the meeting"))[0], 200)
        row = self.comment("council-fb", cid)
        kinds = self.db.query("SELECT kind, executor FROM outbox WHERE comment_id = ?", (row[0],))
        self.assertNotIn(("report", "council-fb"), kinds)
        self.assertIn(("escalate", "mail"), kinds)

    def test_3_bad_signature_is_refused_and_nothing_stored(self):
        body = feed_delivery("100_w3bad", f"{PAGE}_100", OBSCENE)
        for sig in ("sha256=" + "0" * 64, hub_sign(body + b" "), "", "sha1=abc"):
            with self.subTest(sig=sig[:12]):
                headers = {"Content-Type": "application/json"}
                if sig:
                    headers["X-Hub-Signature-256"] = sig
                status, _ = self.d.request("POST", "/webhooks/council-fb", body, headers)
                self.assertEqual(status, 401)
        self.assertIsNone(self.comment("council-fb", "100_w3bad"))

    def test_4_missed_webhook_is_recovered_by_polling(self):
        row = wait_for(lambda: self.comment("council-fb", "100_missed1"), 60, "the missed comment to be polled")
        self.assertEqual(row[1], "comment")
        # The Page's own post came with it, as own_post.
        self.assertEqual(self.comment("council-fb", f"{PAGE}_100")[1], "own_post")
        self.wait_hidden("100_missed1")
        # A comment added now, announced by no webhook, arrives within a poll or two.
        self.fake.add_comment(f"{PAGE}_100", "100_missed2", "Please fix the streetlight on Mill Lane")
        wait_for(lambda: self.comment("council-fb", "100_missed2"), 30, "the second missed comment")
        cursor = wait_for(lambda: self.db.scalar("SELECT value FROM cursors WHERE account = 'council-fb'"), 30,
                          "the Page's cursor")
        self.assertGreater(int(cursor), int(time.time()) - 600)
        # Instagram: polled comments, and a signed webhook that gets a hide=true call.
        wait_for(lambda: self.comment("council-ig", "1790000000000001"), 60, "the polled Instagram comment")
        self.fake.add_ig_comment("1800000000000001", "1790000000000002", OBSCENE)
        body = json.dumps({"object": "instagram", "entry": [{"id": IG_USER, "time": int(time.time()), "changes": [{
            "field": "comments", "value": {"id": "1790000000000002", "text": OBSCENE,
                                           "from": {"id": "777", "username": "resident"},
                                           "media": {"id": "1800000000000001", "media_product_type": "FEED"}}}]}]})
        self.assertEqual(self.post_meta("council-ig", body.encode())[0], 200)
        self.assertEqual(self.comment("council-ig", "1790000000000002")[2], "instagram")
        self.wait_hidden("1790000000000002", key="hide")
        self.assertEqual(self.fake.requests_to("POST", "/1790000000000002")[-1]["token"], IG_TOKEN)
        # A mention elsewhere: the webhook has ids only; the next poll reads the comment.
        self.fake.add_mention("1790000000000050", "@wyverleytc the bins on Elm Road were missed again",
                              "1800000000000099")
        body = json.dumps({"object": "instagram", "entry": [{"id": IG_USER, "time": int(time.time()), "changes": [{
            "field": "mentions", "value": {"comment_id": "1790000000000050", "media_id": "1800000000000099"}}]}]})
        self.assertEqual(self.post_meta("council-ig", body.encode())[0], 200)
        row = wait_for(lambda: self.comment("council-ig", "1790000000000050"), 30, "the mentioned comment")
        self.assertEqual(row[1:4], ("comment", "instagram", "1800000000000099"))

    def test_5_retry_after_holds_the_next_call_back(self):
        feed = f"/{PAGE}/feed"
        self.fake.fail_next(feed, 429, body=graph_error(4, "(#4) Application request limit reached", transient=True),
                            headers={"Retry-After": "3"})
        wait_for(lambda: not any(f[0] == feed and f[4] > 0 for f in self.fake._faults), 30, "the 429 to be served")
        limited = [r for r in self.fake.requests_to("GET", feed)][-1]
        wait_for(lambda: any(r["time"] > limited["time"] for r in self.fake.requests_to("GET", f"/{PAGE}/")), 30,
                 "the next call of the Page")
        after = min(r["time"] for r in self.fake.requests_to("GET", f"/{PAGE}/") if r["time"] > limited["time"])
        self.assertGreaterEqual(after - limited["time"], 2.9, "the next call came before Retry-After said")
        self.assertLess(after - limited["time"], 15)
        self.d.wait_log(r"council-fb: the platform asks us to wait 3000 ms", timeout=10)

    def token_alerts(self):
        return [a for a in self.alert_rows() if "expired or revoked" in a["subject"]]

    def test_6_expired_token_stops_calls_and_alerts_once(self):
        self.fake.expire_token(TOKEN)
        alerts = wait_for(self.token_alerts, 60, "the admin alert")
        self.assertEqual(len(alerts), 1, alerts)
        a = alerts[0]
        self.assertEqual((a["to"], a["account"], a["platform"]), ("admins", "council-fb", "facebook"))
        self.assertIn("expired or revoked", a["subject"])
        self.assertIn("190", a["detail"])
        self.assertNotIn(TOKEN, json.dumps(a))
        refused = len([r for r in self.fake.requests if r["token"] == TOKEN])
        time.sleep(POLL * 3)  # three more poll intervals: no more calls with the refused token
        self.assertEqual(len(self.token_alerts()), 1)
        self.assertEqual(len([r for r in self.fake.requests if r["token"] == TOKEN]), refused,
                         "calls went on with a refused token")
        # Instagram's token still works: its polls go on.
        n_ig = len([r for r in self.fake.requests if r["token"] == IG_TOKEN])
        wait_for(lambda: len([r for r in self.fake.requests if r["token"] == IG_TOKEN]) > n_ig, 30, "an Instagram poll")
        # A restart polls once more with the same token, is refused again, and does not alert again.
        before = len([r for r in self.fake.requests if r["token"] == TOKEN])
        self.d.stop()
        self.d.start()
        wait_for(lambda: len([r for r in self.fake.requests if r["token"] == TOKEN]) > before, 60, "the first poll")
        self.d.wait_log(r"refused the access token", timeout=30, since=self.d._start_index)
        time.sleep(POLL)
        self.assertEqual(len(self.token_alerts()), 1)
        # A renewed token is picked up without a restart and calls resume.
        new_token = TOKEN + "-renewed"
        self.fake.tokens.add(new_token)
        with open(self.token_file, "w") as f:
            f.write(new_token + "\n")
        wait_for(lambda: any(r["token"] == new_token for r in self.fake.requests), 30, "calls with the new token")
        self.d.wait_log(r"a new access token", timeout=10)


    def test_7_rate_limited_action_is_retried_later(self):
        # A rate-limit error on hide (code 613, no Retry-After): retried a minute later, not dead.
        # Last, because it holds the Instagram account's calls back for that minute.
        cid = "1790000000000009"
        self.fake.add_ig_comment("1800000000000001", cid, OBSCENE)
        self.fake.fail_next("/" + cid, 400, body=graph_error(613, "Calls to this api have exceeded the rate limit."))
        body = json.dumps({"object": "instagram", "entry": [{"id": IG_USER, "time": int(time.time()), "changes": [{
            "field": "comments", "value": {"id": cid, "text": OBSCENE, "from": {"id": "777", "username": "resident"},
                                           "media": {"id": "1800000000000001"}}}]}]}).encode()
        self.assertEqual(self.post_meta("council-ig", body)[0], 200)
        row = self.comment("council-ig", cid)
        oid = self.db.scalar("SELECT id FROM outbox WHERE comment_id = ? AND kind = 'hide'", (row[0],))
        wait_for(lambda: self.db.scalar("SELECT attempts FROM outbox WHERE id = ?", (oid,)) == 1 and
                 self.db.scalar("SELECT state FROM outbox WHERE id = ?", (oid,)) == "pending", 30, "the retry")
        state, due, err = self.db.query("SELECT state, next_attempt_at, last_error FROM outbox WHERE id = ?", (oid,))[0]
        self.assertIn("613", err)
        self.assertGreater(due / 1000.0, time.time() + 30, "a rate-limited action must wait, not retry at once")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + _rest, verbosity=2)
