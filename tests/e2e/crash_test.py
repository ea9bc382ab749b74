#!/usr/bin/env python3
"""Crash consistency: `kill -9` moderatord at random moments while signed webhooks stream in and a
replay account's hides and reports (and escalation emails) are being executed, restart it each
time (with a few SIGHUP reloads in between, then a few SIGTERM stops under the same load), then
check that nothing acknowledged was lost and nothing was done twice.

usage: crash_test.py MODERATORD SOURCE_DIR [CACHE_DIR] [unittest options]
environment: MODERATORD_CRASH_KILLS (default 22), MODERATORD_CRASH_SEED (default: random, printed)

After the kills the daemon drains and gets SIGTERM (exit code 0). Then:
- every comment whose webhook got a 200 is stored exactly once, with one verdict and one decision;
- every outbox row is done: none dead, none left pending or in flight;
- the replay action log holds each outbox id at most once, and exactly the done hide/report rows of
  the replay account;
- every escalation row has exactly one maildir file in new/, a complete message naming its row, and
  no maildir file exists without a row; tmp/ is empty.
"""
import collections
import email
import email.policy
import http.client
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import Daemon, Db, body_of, comment, read_jsonl, shared_cache_dir, sign, wait_for, write_config  # noqa: E402

if len(sys.argv) < 3:
    sys.exit(__doc__)
BIN = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
_rest = sys.argv[3:]
CACHE = shared_cache_dir(_rest.pop(0) if _rest and not _rest[0].startswith("-") else None)
RULES = os.path.join(SRC, "config", "rules")

KILLS = int(os.environ.get("MODERATORD_CRASH_KILLS", "22"))
GRACEFUL_STOPS = 3
SEED = int(os.environ.get("MODERATORD_CRASH_SEED", str(random.randrange(1 << 30))))
FEED_LINES = 900
FEED_RATE = 50
SECRET = b"crash-" + os.urandom(8).hex().encode()

TEXTS = [
    "The new benches by the canal are lovely, thank you",
    "what the fuck is this roundabout",                 # obscene: hide (replay) / escalate (webhook)
    "Parking charges up again and the roads are still full of potholes",
    "I'll kill you if I see you at the meeting",        # threat: hide + report + escalation email
    "When does the leisure centre reopen after the refurb?",
]


def text_for(i):
    return TEXTS[i % len(TEXTS)]


class Sender(threading.Thread):
    """A platform: posts signed webhooks with unique ids and redelivers every one that did not get a
    200 (connection refused, reset mid-request, 503) until it does."""

    def __init__(self, daemon):
        super().__init__(daemon=True)
        self.d = daemon
        self.acked = collections.Counter()   # platform id -> number of 200s
        self.pending = collections.deque()   # ids to redeliver
        self.posts = 0
        self.failures = 0
        self.next_id = 0
        self.generate = True                 # False: only redeliver what is pending
        self.stop = False
        self.error = None
        self.lock = threading.Lock()

    def post(self, pid):
        port = self.d.port
        body = body_of(comment(pid, text_for(int(pid.split("-")[1])), thread=f"t{int(pid.split('-')[1]) % 7}"))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        try:
            conn.request("POST", "/webhooks/site", body, {"X-Moderatord-Signature": sign(SECRET, body)})
            r = conn.getresponse()
            r.read()
            return r.status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            conn.close()

    def run(self):
        try:
            while not self.stop:
                with self.lock:
                    if self.pending:
                        pid = self.pending.popleft()
                    elif self.generate:
                        pid = f"w-{self.next_id}"
                        self.next_id += 1
                    else:
                        pid = None
                if pid is None:
                    time.sleep(0.02)
                    continue
                status = self.post(pid)
                with self.lock:
                    self.posts += 1
                    if status == 200:
                        self.acked[pid] += 1
                    else:
                        if status not in (None, 503):
                            raise AssertionError(f"unexpected HTTP {status} for {pid}")
                        self.failures += 1
                        self.pending.append(pid)
                time.sleep(0.01 if status == 200 else 0.05)
        except BaseException as e:  # surfaced by the test
            self.error = e

    def idle(self):
        with self.lock:
            return not self.pending


class Crash(unittest.TestCase):
    def test_kill9_loop_loses_nothing_acknowledged_and_does_nothing_twice(self):
        rng = random.Random(SEED)
        t_start = time.monotonic()
        tmp = tempfile.mkdtemp(prefix="moderatord-crash-")
        state = os.path.join(tmp, "state")
        os.makedirs(state)
        secret_file = os.path.join(tmp, "site.secret")
        with open(secret_file, "wb") as f:
            f.write(SECRET)
        feed = os.path.join(tmp, "feed.jsonl")
        with open(feed, "w") as f:
            for i in range(FEED_LINES):
                f.write(json.dumps(comment(f"f-{i}", text_for(i), thread=f"ft{i % 5}")) + "\n")
        action_log = os.path.join(state, "feed-actions.jsonl")
        config = write_config(
            os.path.join(tmp, "moderatord.toml"), state_dir=state, rules=RULES, cache_dir=CACHE,
            accounts=[{"id": "site", "platform": "webhook", "mode": "enforce", "secret_file": secret_file},
                      {"id": "feed", "platform": "replay", "mode": "enforce", "feed": feed,
                       "rate_per_second": FEED_RATE, "follow": True, "action_log": action_log}],
            outbox={"max_attempts": 20, "initial_backoff_ms": 50, "max_backoff_ms": 500, "concurrency": 4})
        d = Daemon(BIN, config, state, os.path.join(tmp, "daemon.log"))
        db = Db(os.path.join(state, "moderatord.db"))
        sender = Sender(d)
        ok = False
        try:
            d.start()
            sender.start()
            # --- the kills ---
            kill_times = []
            reloads = 0
            for _ in range(KILLS):
                delay = rng.uniform(0.2, 1.5)
                if rng.random() < 0.2:  # now and then a reload (same rules: a cache hit) in the middle
                    time.sleep(delay / 2)
                    d.signal(signal.SIGHUP)
                    reloads += 1
                    delay /= 2
                time.sleep(delay)
                self.assertTrue(d.running(), "moderatord died on its own:\n" + d.log_tail())
                d.kill9()
                kill_times.append(time.monotonic() - t_start)
                d.start()
                self.assertIsNone(sender.error, sender.error)
            # --- graceful stops under the same load: exit code 0 each time ---
            for _ in range(GRACEFUL_STOPS):
                time.sleep(rng.uniform(0.2, 1.0))
                rc = d.stop()
                self.assertEqual(rc, 0, "SIGTERM under load:\n" + d.log_tail())
                d.start()
            # --- drain ---
            sender.generate = False
            wait_for(sender.idle, 60, "the sender to redeliver everything")
            sender.stop = True
            sender.join(timeout=30)
            self.assertIsNone(sender.error, sender.error)
            wait_for(lambda: db.scalar("SELECT count(*) FROM comments WHERE account = 'feed'") == FEED_LINES, 120,
                     "the replay feed to be read to the end")
            wait_for(lambda: db.scalar("SELECT count(*) FROM outbox WHERE state != 'done'") == 0, 60,
                     "every outbox row to be done")
            rc = d.stop()
            self.assertEqual(rc, 0, d.log_tail())

            # --- checks ---
            acked = set(sender.acked)
            rows = dict(db.query("SELECT platform_id, count(*) FROM comments WHERE account = 'site' "
                                 "GROUP BY platform_id"))
            missing = sorted(acked - set(rows))
            self.assertEqual(missing, [], "acknowledged with a 200 but not stored")
            self.assertEqual({k: v for k, v in rows.items() if v != 1}, {}, "stored more than once")
            self.assertEqual(set(rows), acked, "stored but never acknowledged (the sender redelivers all)")
            feed_rows = db.scalar("SELECT count(DISTINCT platform_id) FROM comments WHERE account = 'feed'")
            self.assertEqual(feed_rows, FEED_LINES)
            # One verdict and one decision per comment (texts never change): ingest and decision are
            # one transaction, and a redelivery of the same text records nothing.
            bad = db.query("SELECT c.platform_id, c.revision, "
                           "(SELECT count(*) FROM verdicts v WHERE v.comment_id = c.id), "
                           "(SELECT count(*) FROM decisions x WHERE x.comment_id = c.id) FROM comments c "
                           "WHERE c.revision != 1 OR (SELECT count(*) FROM verdicts v WHERE v.comment_id = c.id) != 1 "
                           "OR (SELECT count(*) FROM decisions x WHERE x.comment_id = c.id) != 1")
            self.assertEqual(bad, [], "comments with other than one revision, verdict and decision")
            dup_actions = db.query("SELECT comment_id, kind, count(*) FROM outbox GROUP BY comment_id, kind "
                                   "HAVING count(*) > 1")
            self.assertEqual(dup_actions, [], "an action planned twice for one comment")
            states = dict(db.query("SELECT state, count(*) FROM outbox GROUP BY state"))
            self.assertEqual(set(states), {"done"}, states)

            # The replay action log: each outbox id once; exactly the done hide/report rows of feed.
            log = read_jsonl(action_log)
            ids = collections.Counter(e["outbox_id"] for e in log)
            self.assertEqual({k: n for k, n in ids.items() if n > 1}, {}, "actions recorded twice")
            done = db.query("SELECT id, kind, json_extract(payload_json, '$.platform_id') FROM outbox "
                            "WHERE executor = 'feed' AND state = 'done'")
            self.assertEqual(sorted((e["outbox_id"], e["action"], e["platform_id"]) for e in log), sorted(done))
            kinds = collections.Counter(k for _, k, _ in done)
            self.assertGreater(kinds["hide"], 0)
            self.assertGreater(kinds["report"], 0)

            # Escalations: exactly one complete maildir file per row, none without a row.
            escalations = {r[0] for r in db.query("SELECT id FROM outbox WHERE executor = 'mail'")}
            self.assertGreater(len(escalations), 0)
            new = os.listdir(os.path.join(state, "mail", "new"))
            self.assertEqual(sorted(new), sorted(f"moderatord-outbox-{i}" for i in escalations))
            self.assertEqual(os.listdir(os.path.join(state, "mail", "cur")), [])
            leftovers = os.listdir(os.path.join(state, "mail", "tmp"))
            self.assertEqual(leftovers, [], "half-delivered mail left in tmp/")
            for name in new:
                with open(os.path.join(state, "mail", "new", name), "rb") as f:
                    msg = email.message_from_binary_file(f, policy=email.policy.default)
                self.assertEqual(f"moderatord-outbox-{msg['X-Moderatord-Outbox-Id']}", name)
                self.assertIn("What to do:", msg.get_body(preferencelist=("plain",)).get_content())
            self.assertEqual(db.query("PRAGMA integrity_check"), [("ok",)])
            findings = d.sanitizer_findings()
            self.assertEqual(findings, [], "sanitizer findings in moderatord's stderr")

            requeued = sum(1 for l in d.log().splitlines() if "were in flight at the last stop" in l)
            print(f"\ncrash test summary: seed {SEED}, {len(kill_times)} kills (at "
                  f"{', '.join(f'{t:.1f}' for t in kill_times)} s), {GRACEFUL_STOPS} SIGTERMs, {reloads} SIGHUPs, "
                  f"{d.starts} starts; webhook posts "
                  f"{sender.posts}, acked {len(acked)} unique ids ({sender.failures} failed and redelivered); "
                  f"replay {feed_rows} comments; outbox {sum(states.values())} rows done "
                  f"({dict(kinds)} on the replay account, {len(escalations)} escalation emails); "
                  f"{len(log)} action-log lines; {requeued} start(s) requeued in-flight actions; "
                  f"{time.monotonic() - t_start:.1f} s", file=sys.stderr)
            ok = True
        finally:
            sender.stop = True
            d.kill9()
            if not ok:
                print(f"seed {SEED}; --- moderatord log (last 80 lines) ---\n" + d.log_tail(80), file=sys.stderr)
            if ok and not os.environ.get("MODERATORD_E2E_KEEP"):
                shutil.rmtree(tmp, ignore_errors=True)
            elif not ok:
                print(f"state kept in {tmp}", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *_rest], verbosity=2)
