#!/usr/bin/env python3
"""The real `moderatord` binary, started as a process: the classify contract that shared/eval relies
on, error lines for bad input, and the exit codes of `rules check` / `rules test`.

usage: classify_cli_test.py MODERATORD SOURCE_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

BIN, SRC = sys.argv[1], sys.argv[2]
RULES = os.path.join(SRC, "tests", "data", "rules-basic")


def run(args, stdin=b""):
    return subprocess.run([BIN, *args], input=stdin, capture_output=True, timeout=120)


class Classify(unittest.TestCase):
    def classify(self, lines):
        p = run(["classify", "--rules", RULES, "--no-cache"], b"".join(lines))
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return [json.loads(l) for l in p.stdout.decode("utf-8").splitlines()]

    def test_contract_one_line_per_input_in_order(self):
        out = self.classify([
            b'{"id": "a", "text": "what the f*ck"}\n',
            b'{"text": "lovely park", "id": 7}\n',
            b'{"id": "c", "text": "When will the potholes be fixed?"}\n',
        ])
        self.assertEqual([o["id"] for o in out], ["a", 7, "c"])
        a = out[0]
        for key in ("labels", "action", "needs_response", "rhetorical", "scores", "matches"):
            self.assertIn(key, a)
        self.assertEqual(a["labels"], ["obscene"])
        self.assertEqual(a["action"], "hide")
        self.assertEqual(a["matches"], [{"rule": "t.fuck", "category": "obscene", "start": 9, "end": 13}])
        self.assertEqual(out[1]["labels"], [])
        self.assertEqual(out[1]["action"], "none")
        self.assertTrue(out[2]["needs_response"])

    def test_bad_lines_give_error_lines_and_processing_goes_on(self):
        out = self.classify([
            b'not json at all\n',
            b'{"id": "no-text"}\n',
            b'{"id": "num", "text": 42}\n',
            b'[1, 2]\n',
            b'{"id": "bad-utf8", "text": "fu\xff\xfeck"}\n',
            b'\n',
            b'{"id": "last", "text": "fuck"}',  # no final newline
        ])
        self.assertEqual(len(out), 6)
        self.assertEqual(out[0]["line"], 1)
        self.assertIn("malformed JSON", out[0]["error"])
        self.assertEqual(out[1]["id"], "no-text")
        self.assertIn("no \"text\"", out[1]["error"])
        self.assertIn("not a string", out[2]["error"])
        self.assertIn("not a JSON object", out[3]["error"])
        self.assertIn("UTF-8", out[4]["error"])  # rejected clearly, never guessed at
        self.assertEqual(out[5]["id"], "last")
        self.assertEqual(out[5]["labels"], ["obscene"])

    def test_crlf_blank_and_long_lines(self):
        # A line of megabytes (read in 8 KiB pieces), CRLF endings and blank lines of spaces or "\r".
        long_text = "x" * (3 * 1024 * 1024 + 17) + " fuck"
        out = self.classify([
            b'{"id": "crlf", "text": "what the f*ck"}\r\n',
            b'\r\n',
            b'   \n',
            ('{"id": "long", "text": "%s"}\n' % long_text).encode(),
            b'{"id": "after", "text": "lovely park"}\r\n',
            b'not json\r\n',
        ])
        self.assertEqual([o.get("id") for o in out], ["crlf", "long", "after", None])
        self.assertEqual(out[0]["labels"], ["obscene"])
        self.assertEqual(out[1]["matches"][0]["start"], len(long_text) - 4)
        self.assertEqual(out[2]["labels"], [])
        self.assertEqual(out[3]["line"], 6)

    def test_escaped_text_and_unicode_ids_round_trip(self):
        out = self.classify(['{"id": "ü-1", "text": "line\\nbreak \\"quoted\\" \\u0066uck"}\n'.encode()])
        self.assertEqual(out[0]["id"], "ü-1")
        self.assertEqual(out[0]["labels"], ["obscene"])

    def test_any_number_of_jobs_gives_the_same_output_in_order(self):
        # Several batches (512 lines each) of comments, blank lines and bad lines, so that workers
        # finish out of order and the writer must restore it.
        lines = []
        for i in range(3000):
            if i % 97 == 0:
                lines.append(b"\n")
            elif i % 89 == 0:
                lines.append(b"{broken\n")
            else:
                text = ["what the f*ck", "lovely park", "When will the potholes be fixed?"][i % 3] + " " * (i % 7)
                lines.append(json.dumps({"id": i, "text": text}).encode() + b"\n")
        data = b"".join(lines)
        outputs = {}
        for jobs in ("1", "3", "8"):
            p = run(["classify", "--rules", RULES, "--no-cache", "--jobs", jobs], data)
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            outputs[jobs] = p.stdout
        self.assertEqual(outputs["1"], outputs["3"])
        self.assertEqual(outputs["1"], outputs["8"])
        out = [json.loads(l) for l in outputs["1"].splitlines()]
        self.assertEqual(len(out), 3000 - len(range(0, 3000, 97)))
        self.assertEqual(out[-1]["id"], 2999)
        self.assertEqual([o["line"] for o in out if "error" in o][:2], [90, 179])

    def test_missing_rules_directory_fails_clearly(self):
        p = run(["classify", "--rules", "/nonexistent/rules"])
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"/nonexistent/rules", p.stderr)


class RulesCommands(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="moderatord-cli-")
        self.rules = os.path.join(self.tmp, "rules")
        shutil.copytree(RULES, self.rules)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_check_accepts_valid_rules(self):
        p = run(["rules", "check", "--rules", self.rules, "--cache-dir", os.path.join(self.tmp, "c")])
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertIn(b"are valid", p.stdout)
        self.assertRegex(p.stdout, rb"\d+ distinct literals: \d+ whole-word ones in the word index, \d+ with a wildcard")

    def test_check_names_file_line_and_rule(self):
        with open(os.path.join(self.rules, "broken.toml"), "w") as f:
            f.write('[[rule]]\nid = "x.bad"\ncategory = "obscene"\nregex = [\'(open\']\n')
        p = run(["rules", "check", "--rules", self.rules, "--no-cache"])
        self.assertEqual(p.returncode, 1)
        err = p.stderr.decode()
        self.assertIn("broken.toml:1: rule 'x.bad': pattern '(open'", err)
        self.assertIn("NOT valid", err)

    def test_rules_test_reports_failing_examples(self):
        p = run(["rules", "test", "--rules", self.rules, "--no-cache"])
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        with open(os.path.join(self.rules, "ex.toml"), "w") as f:
            f.write('[[rule]]\nid = "x.ex"\ncategory = "sexual"\nwords = ["boobs"]\n'
                    '[[rule.test]]\ntext = "nice weather"\nexpect = "match"\n')
        p = run(["rules", "test", "--rules", self.rules, "--no-cache"])
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"ex.toml:5: rule 'x.ex': expected a match", p.stderr)

    def test_help_on_every_subcommand(self):
        for args in (["--help"], ["classify", "--help"], ["rules", "--help"], ["rules", "check", "--help"],
                     ["rules", "test", "--help"]):
            p = run(args)
            self.assertEqual(p.returncode, 0, args)
            self.assertIn(b"Usage", p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
