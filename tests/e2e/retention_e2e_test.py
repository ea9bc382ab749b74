#!/usr/bin/env python3
"""End-to-end: the retention purge in the real daemon, with a real SQLite file.

Comments arrive through the replay connector and are acted on (an abusive one hidden). The
daemon stops; the test ages two of them past daemon.retention_days in the file (as a year of running
would), and starts it again. The purge then removes the old abusive comment's text, author and link
and the payload of its finished actions, keeps a comment still owed a reply and a recent one, and the
same comment delivered again is recognised and not acted on twice.

usage: retention_e2e_test.py MODERATORD SOURCE_DIR [CACHE_DIR] [unittest args]
"""
import json
import os
import sqlite3
import sys
import unittest

from e2e_support import PlatformE2E, shared_cache_dir, wait_for

if len(sys.argv) < 3:
    sys.exit(__doc__)
BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
_rest = sys.argv[3:]
CACHE = shared_cache_dir(_rest.pop(0) if _rest and not _rest[0].startswith("-") else None)
DAY_MS = 86_400_000

ABUSE = {"id": "old-abuse", "text": "Jo Bloggs you are a fucking idiot", "thread_id": "p1",
         "author": {"id": "u1", "name": "Angry Resident"}, "url": "https://social.example/old-abuse"}
OWED = {"id": "old-question", "text": "When will the bins on Elm Grove be collected?", "thread_id": "p1",
        "author": {"id": "u2", "name": "Waiting Resident"}, "url": "https://social.example/old-question"}
RECENT = {"id": "recent", "text": "Thanks for fixing the streetlight", "thread_id": "p1",
          "author": {"id": "u3", "name": "Happy Resident"}, "url": "https://social.example/recent"}


class NoFake:
    """The replay connector needs no platform fake; PlatformE2E closes one."""

    def close(self):
        pass


class Retention(PlatformE2E):
    secret_in_log_message = "a resident's name appears in moderatord's log"

    @classmethod
    def secrets_never_logged(cls):
        return ("Bloggs",)

    @classmethod
    def setUpClass(cls):
        cls.make_temp_dirs("moderatord-e2e-retention-")
        cls.fake = NoFake()
        cls.feed = os.path.join(cls.tmp, "feed.jsonl")
        open(cls.feed, "w").close()
        accounts = [{"id": "feed", "platform": "replay", "mode": "enforce", "feed": cls.feed, "rate_per_second": 500,
                     "follow": True, "action_log": os.path.join(cls.state, "feed-actions.jsonl")}]
        cls.start_daemon(BIN, SRC, CACHE, accounts, daemon={"retention_days": 30})
        cls.db_path = os.path.join(cls.state, "moderatord.db")

    def append(self, *entries):
        with open(self.feed, "a") as f:
            for e in entries:
                f.write(json.dumps(e) + "\n")

    def comment(self, platform_id):
        rows = self.db.query("SELECT id, text, author_name, url, redacted_at FROM comments WHERE platform_id = ?",
                             (platform_id,))
        return rows[0] if rows else None

    def test_old_words_go_what_was_done_stays(self):
        self.append(ABUSE, OWED, RECENT)
        abuse = wait_for(lambda: self.comment("old-abuse"), 60, "the abusive comment stored")[0]
        wait_for(lambda: self.comment("recent"), 60, "the recent comment stored")
        # Its actions (the hide) done.
        wait_for(lambda: self.db.query("SELECT count(*), sum(state = 'done') FROM outbox WHERE comment_id = ?",
                                       (abuse,))[0] in [(n, n) for n in range(1, 5)], 60, "the hide done")
        actions = self.db.scalar("SELECT count(*) FROM outbox WHERE comment_id = ?", (abuse,))
        self.assertEqual(self.db.scalar("SELECT state FROM sla_items s JOIN comments c ON c.id = s.comment_id "
                                        "WHERE c.platform_id = 'old-question'"), "open")
        self.assertEqual(self.d.stop(), 0)

        # A year passes for the two old ones.
        conn = sqlite3.connect(self.db_path)
        with conn:
            conn.execute("UPDATE comments SET received_at = received_at - 400 * ? WHERE platform_id LIKE 'old-%'",
                         (DAY_MS,))
            conn.execute("UPDATE outbox SET created_at = created_at - 400 * ? WHERE comment_id = ?", (DAY_MS, abuse))
        conn.close()

        self.d.start()
        self.d.wait_log(rf"retention: redacted 1 comment\(s\), {actions} finished outbox row\(s\)", 60, what="the purge")
        _, text, author, url, redacted_at = self.comment("old-abuse")
        self.assertEqual((text, author, url), ("", "", ""))
        self.assertIsNotNone(redacted_at)
        payloads = [p for (p,) in self.db.query("SELECT payload_json FROM outbox WHERE comment_id = ?", (abuse,))]
        self.assertEqual(payloads, ['{"redacted":true}'] * actions)
        self.assertEqual(self.db.scalar("SELECT labels FROM verdicts WHERE comment_id = ?", (abuse,)), "abusive,obscene")
        self.assertEqual(self.comment("old-question")[1], OWED["text"])  # still owed a reply: kept
        self.assertEqual(self.comment("recent")[1], RECENT["text"])

        # The platform delivers the old comment again: the same comment, nothing done twice.
        self.append(ABUSE, {**RECENT, "id": "later"})
        wait_for(lambda: self.comment("later"), 60, "a later comment stored")
        self.assertEqual(self.db.scalar("SELECT count(*) FROM decisions WHERE comment_id = ?", (abuse,)), 1)
        self.assertEqual(self.comment("old-abuse")[1], "")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + _rest)
