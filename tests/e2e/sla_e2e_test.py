#!/usr/bin/env python3
"""End-to-end: the policy engine (issue 4) in the real daemon, driven by a comment/reply script
through the replay connector (a JSON-lines feed the test appends to), with a real SQLite file.

  feed account   (24 h SLA):  complaint → council reply closes it; further negative comment →
                              offer_offline item and email; reply to it is no violation; a second
                              reply to another negative commenter is a one-reply violation;
                              rhetorical and repeat exemptions (the repeat linked to its original);
                              direct message; the council's own posts checked (6.1, 7.11.2).
  fast account   (SLA of seconds): an unanswered question is reminded once, the daemon restarts,
                              the breach is recorded once after the restart, never reminded twice.

usage: sla_e2e_test.py MODERATORD SOURCE_DIR [CACHE_DIR] [unittest args]
"""
import datetime
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

from e2e_support import Daemon, Db, shared_cache_dir, wait_for, write_config, maildir_files

if len(sys.argv) < 3:
    sys.exit(__doc__)
BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
_rest = sys.argv[3:]
CACHE = shared_cache_dir(_rest.pop(0) if _rest and not _rest[0].startswith("-") else None)
RULES = os.path.join(SRC, "config", "rules")
POLICY = os.path.join(SRC, "config", "policy")

FAST_SLA_S = 12.0       # the fast account's reply deadline
FAST_REMIND_S = 9.0     # its reminder goes this long before due, i.e. 3 s after the comment


def entry(cid, text, *, thread, author, kind="comment", parent=None):
    e = {"id": cid, "text": text, "thread_id": thread, "author": {"id": author, "name": author.title()},
         "kind": kind, "url": f"https://social.example/{cid}"}
    if parent:
        e["parent_id"] = parent
    return e


class PolicyEngine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="moderatord-e2e-sla-")
        cls.state = os.path.join(cls.tmp, "state")
        os.makedirs(cls.state)
        cls.feed = os.path.join(cls.tmp, "feed.jsonl")
        cls.fast_feed = os.path.join(cls.tmp, "fast.jsonl")
        open(cls.feed, "w").close()
        open(cls.fast_feed, "w").close()
        today = datetime.date.today()
        own_posts = os.path.join(cls.tmp, "own-posts.toml")
        with open(own_posts, "w") as f:
            f.write('political_terms = ["Labour Party", "Reform UK"]\n'
                    'candidates = ["Jane Smith"]\n'
                    'election_terms = ["vote for", "polling day"]\n'
                    'gif_hosts = ["giphy.com", ".gif"]\n'
                    'council_contacts = ["01632 960000"]\n'
                    '[[pre_election]]\nname = "the test election"\n'
                    f'first = "{today - datetime.timedelta(days=1)}"\nlast = "{today + datetime.timedelta(days=1)}"\n')
        extra = ("[sla]\n"
                 f"holidays = \"{os.path.join(POLICY, 'bank-holidays-england-and-wales.txt')}\"\n"
                 f"own_posts = \"{own_posts}\"\n"
                 f"offer_offline_template = \"{os.path.join(POLICY, 'offer-offline.txt')}\"\n")
        accounts = [
            {"id": "feed", "platform": "replay", "mode": "enforce", "feed": cls.feed, "rate_per_second": 500,
             "follow": True, "action_log": os.path.join(cls.state, "feed-actions.jsonl")},
            {"id": "fast", "platform": "replay", "mode": "enforce", "feed": cls.fast_feed, "rate_per_second": 500,
             "follow": True, "action_log": os.path.join(cls.state, "fast-actions.jsonl"),
             "sla": {"response_hours": FAST_SLA_S / 3600, "remind_before_minutes": FAST_REMIND_S / 60}},
        ]
        cls.config = write_config(os.path.join(cls.tmp, "moderatord.toml"), state_dir=cls.state, rules=RULES,
                                  cache_dir=CACHE, accounts=accounts, mail={"clerk": ["clerk@test.example"]},
                                  extra=extra)
        cls.d = Daemon(BIN, cls.config, cls.state, os.path.join(cls.tmp, "daemon.log"))
        cls.db = Db(os.path.join(cls.state, "moderatord.db"))
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        findings = cls.d.sanitizer_findings()
        if rc not in (0, None) or findings:
            print("\n--- moderatord log ---\n" + cls.d.log(), file=sys.stderr)
        if not os.environ.get("MODERATORD_E2E_KEEP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)
        if findings:
            raise AssertionError("sanitizer findings:\n" + "\n".join(findings[:20]))

    # --- helpers ---
    def append(self, path, *entries):
        with open(path, "a") as f:
            for e in entries:
                f.write(json.dumps(e) + "\n")
        # Wait until each is stored: the script's order is the order the council would see.
        for e in entries:
            wait_for(lambda: self.comment_id(e["id"]), 60, f"comment {e['id']} stored")

    def comment_id(self, platform_id):
        return self.db.scalar("SELECT id FROM comments WHERE platform_id = ?", (platform_id,))

    def item(self, platform_id):
        rows = self.db.query(
            "SELECT s.kind, s.state, coalesce(s.exemption, ''), coalesce(s.repeat_of, 0), s.due_at, "
            "coalesce(s.closed_by, ''), coalesce(s.lateness_ms, 0) FROM sla_items s JOIN comments c ON c.id = s.comment_id "
            "WHERE c.platform_id = ?", (platform_id,))
        return rows[0] if rows else None

    def mails(self, mail_type):
        return self.db.query("SELECT id, json_extract(payload_json, '$.to'), payload_json FROM outbox "
                             "WHERE executor = 'mail' AND json_extract(payload_json, '$.type') = ?", (mail_type,))

    # --- the script ---
    def test_1_replies_exemptions_one_reply_rule_and_own_posts(self):
        feed = self.feed
        # A complaint with a question: an item, due in 24 h.
        self.append(feed, entry("c1", "When will the Quarry Lane drains be cleared? They have been blocked for weeks.",
                                thread="t1", author="alice"))
        kind, state, _, _, due_at, _, _ = self.item("c1")
        self.assertEqual((kind, state), ("reply", "open"))
        opened = self.db.scalar("SELECT opened_at FROM sla_items s JOIN comments c ON c.id = s.comment_id "
                                "WHERE c.platform_id = 'c1'")
        self.assertEqual(due_at - opened, 24 * 3600 * 1000)

        # The council replies under it: closed, in time.
        self.append(feed, entry("r1", "Thanks Alice, the crew is booked for Tuesday.", thread="t1", author="council",
                                kind="own_reply", parent="c1"))
        wait_for(lambda: self.item("c1")[1] == "closed", 30, "c1 closed by the reply")
        self.assertEqual(self.item("c1")[5], f"reply:{self.comment_id('r1')}")
        self.assertEqual(self.item("c1")[6], 0)

        # Alice carries on, negatively: 7.8.3 says offer to talk offline; the moderators hear now.
        self.append(feed, entry("c2", "That is not good enough, it is a disgrace", thread="t1", author="alice"))
        self.assertEqual(self.item("c2")[:2], ("offer_offline", "open"))
        offers = self.mails("offer_offline")
        self.assertEqual(len(offers), 1)
        payload = json.loads(offers[0][2])
        self.assertEqual(payload["to"], "moderators")
        self.assertIn("clerk@wyverley-tc.gov.uk", payload["suggested_wording"])  # from config/policy/offer-offline.txt

        # The offline offer itself is a reply, and not a violation.
        self.append(feed, entry("r2", "Alice, please email the clerk and we'll talk it through.", thread="t1",
                                author="council", kind="own_reply", parent="c2"))
        wait_for(lambda: self.item("c2")[1] == "closed", 30, "the offer-offline item closed")

        # Bob complains in another thread; the council replies twice to him: a one-reply violation.
        self.append(feed, entry("c4", "The bins on Mill Road were not collected again. Please sort it out.",
                                thread="t2", author="bob"))
        self.append(feed, entry("r4", "Sorry Bob, we've reported it to the contractor.", thread="t2",
                                author="council", kind="own_reply", parent="c4"),
                    entry("r5", "Bob, update: they'll come tomorrow.", thread="t2", author="council",
                          kind="own_reply", parent="c4"))
        wait_for(lambda: self.db.scalar("SELECT count(*) FROM policy_events WHERE kind = 'one_reply_violation'") == 1,
                 30, "the one-reply violation")
        detail = json.loads(self.db.scalar("SELECT detail FROM policy_events WHERE kind = 'one_reply_violation'"))
        self.assertEqual((detail["commenter_id"], detail["reply_number"], detail["thread_id"]), ("bob", 2, "t2"))
        # Alice's thread has no violation: the second reply there was the offline offer.
        self.assertEqual(self.db.scalar("SELECT count(*) FROM policy_events WHERE kind = 'one_reply_violation' "
                                        "AND json_extract(detail, '$.commenter_id') = 'alice'"), 0)

        # Exemptions: rhetorical (7.8.1), and a repeat of the answered c1 from someone else (7.8.2).
        self.append(feed, entry("c5", "Who plans roadworks in the week before Christmas? Genius.", thread="t3",
                                author="carol"),
                    entry("c6", "Quarry Lane drains still blocked. As I said last week.", thread="t4", author="dave"))
        self.assertEqual(self.item("c5")[1:3], ("exempt", "rhetorical"))
        kind, state, exemption, repeat_of, due_at, _, _ = self.item("c6")
        self.assertEqual((state, exemption, repeat_of, due_at), ("exempt", "repeat", self.comment_id("c1"), None))

        # A direct message always needs a reply; a moderator resolves it by hand from the CLI.
        self.append(feed, entry("d1", "hi, can I book the hall for a party?", thread="conv-1", author="erin",
                                kind="direct_message"))
        self.assertEqual(self.item("d1")[:2], ("message", "open"))
        item_id = self.db.scalar("SELECT s.id FROM sla_items s JOIN comments c ON c.id = s.comment_id "
                                 "WHERE c.platform_id = 'd1'")
        out = self.d.cli("sla", "list", "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        listed = json.loads(out.stdout)
        self.assertIn(item_id, [i["id"] for i in listed])
        res = self.d.cli("sla", "resolve", str(item_id), "--reason", "answered by phone")
        self.assertEqual(res.returncode, 0, res.stderr)
        again = self.d.cli("sla", "resolve", str(item_id), "--reason", "twice")
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("not open", again.stderr)
        self.assertEqual(self.item("d1")[1], "closed")
        self.assertEqual(self.db.scalar("SELECT count(*) FROM audit_log WHERE action = 'sla.close' AND "
                                        "detail LIKE '%answered by phone%'"), 1)

        # A question its author deletes before anyone answers: no reply is owed any more.
        self.append(feed, entry("q-del", "Is the tip open on Boxing Day?", thread="post-2", author="gwen"))
        self.assertEqual(self.item("q-del")[:2], ("reply", "open"))
        with open(feed, "a") as f:
            f.write(json.dumps({"id": "q-del", "deleted": True}) + "\n")
        wait_for(lambda: self.item("q-del")[1] == "exempt", 30, "the deleted question's item exempt")
        self.assertEqual(self.item("q-del")[2], "deleted")
        self.assertIsNotNone(self.db.scalar("SELECT deleted_at FROM comments WHERE platform_id = 'q-del'"))

        # The council's own posts: a candidate in the pre-election period, and a pasted GIF link.
        self.append(feed, entry("p1", "Come and meet Jane Smith at the fete on Saturday!", thread="p1",
                                author="council", kind="own_post"),
                    entry("p2", "Happy Friday! https://media.giphy.com/media/abc/giphy.gif", thread="p2",
                          author="council", kind="own_post"),
                    entry("p3", "The library opens at 9 tomorrow. Call 01632 960000 with questions.", thread="p3",
                          author="council", kind="own_post"))
        alerts = wait_for(lambda: len(self.mails("own_post_alert")) >= 2 and self.mails("own_post_alert"), 30,
                          "own-post alerts")
        checks = sorted(f["check"] for a in alerts for f in json.loads(a[2])["findings"])
        self.assertEqual(checks, ["candidate", "gif_link"])
        self.assertTrue(all(a[1] == "clerk" for a in alerts))
        self.assertEqual(self.db.scalar("SELECT count(*) FROM policy_events WHERE kind = 'own_post_alert'"), 2)
        # Own posts open no SLA items.
        self.assertIsNone(self.item("p1"))
        # Every email row is delivered (rendered by the mail templates into the maildir).
        wait_for(lambda: self.db.scalar("SELECT count(*) FROM outbox WHERE executor = 'mail' AND state != 'done'") == 0,
                 60, "all emails delivered")
        self.assertGreaterEqual(len(maildir_files(self.state)), 3)

    def test_2_reminder_once_then_breach_across_a_restart(self):
        self.append(self.fast_feed, entry("q1", "Why is the library closed on Saturdays now?", thread="f1",
                                          author="frank"))
        kind, state, _, _, due_at, _, _ = self.item("q1")
        self.assertEqual((kind, state), ("reply", "open"))
        reminders = wait_for(lambda: self.mails("sla_reminder"), 30, "the reminder")
        self.assertEqual(len(reminders), 1)
        payload = json.loads(reminders[0][2])
        self.assertEqual(payload["platform_id"], "q1")
        self.assertEqual(payload["due_at"], due_at)

        # A restart before the due time: the reminder is not sent again.
        self.d.stop()
        self.d.start()
        remaining = due_at / 1000 - time.time()
        wait_for(lambda: self.db.scalar("SELECT count(*) FROM policy_events WHERE kind = 'sla_breach'") == 1,
                 max(remaining, 0) + 30, "the breach after the due time")
        breached_at = self.db.scalar("SELECT breached_at FROM sla_items WHERE breached_at IS NOT NULL")
        self.assertGreaterEqual(breached_at, due_at)
        time.sleep(1.5)  # a further sweep, which must add nothing
        self.assertEqual(len(self.mails("sla_reminder")), 1)
        self.assertEqual(self.db.scalar("SELECT count(*) FROM policy_events WHERE kind = 'sla_breach'"), 1)
        self.assertIn('moderatord_sla_items{state="overdue"} 1', self.d.metrics())
        status = self.d.cli("status")
        self.assertRegex(status.stdout, r"replies: +\d+ owed, 1 overdue")
        # A late reply closes it with its lateness.
        self.append(self.fast_feed, entry("qr1", "Sorry Frank, staff shortages; it reopens in May.", thread="f1",
                                          author="council", kind="own_reply", parent="q1"))
        wait_for(lambda: self.item("q1")[1] == "closed", 30, "the late reply closes the item")
        self.assertGreater(self.item("q1")[6], 0)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *_rest], verbosity=2)
