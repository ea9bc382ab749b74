#!/usr/bin/env python3
"""A fake Mastodon instance for the Mastodon connector's tests: HTTPS on 127.0.0.1 with the test CA
of graph_api_fake.make_test_ca, standard library only.

Endpoints, in the documented shapes (https://docs.joinmastodon.org/methods/):
  GET  /api/v1/accounts/verify_credentials
  GET  /api/v1/notifications?types[]=mention&since_id=&max_id=&min_id=&limit=   newest first, Link header
  GET  /api/v1/accounts/:id/statuses?since_id=&max_id=&limit=
  GET  /api/v1/statuses/:id                                                     404 {"error":"Record not found"}
  POST /api/v1/reports  account_id, status_ids[], comment, category, forward, rule_ids[]  (form or JSON)
Every answer carries X-RateLimit-Limit / -Remaining / -Reset (ISO 8601); an unknown or revoked
token gets 401 {"error":"The access token is invalid"}. Tests drive it from the same process:

    fake = MastodonFake(workdir, tokens=("tok",))
    fake.base_url, fake.ca_file
    sid = fake.add_mention("text", author_id="2001", acct="bob@elsewhere.example")
    fake.add_own_status("text", in_reply_to=sid)
    fake.fail_next("/api/v1/notifications", 429, {"error": "Too many requests"}, headers={...})
    fake.revoke(token); fake.requests; fake.reports
"""
import itertools
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from graph_api_fake import make_test_ca  # noqa: E402

INVALID_TOKEN = {"error": "The access token is invalid"}


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


class MastodonFake:
    def __init__(self, workdir, tokens=("test-mastodon-token",), account_id="109000000000000001", page_size=40):
        self.ca_file, cert, key = make_test_ca(workdir)
        self.lock = threading.Lock()
        self.tokens = set(tokens)
        self.revoked = set()
        self.account = {"id": account_id, "username": "council", "acct": "council", "display_name": "Town Council",
                        "url": "https://social.example/@council"}
        self.accounts = {account_id: self.account}
        self.page_size = page_size
        self.ids = itertools.count(110000000000000000)
        self.statuses = {}       # id -> status
        self.notifications = []  # oldest first
        self.reports = []
        self.requests = []
        self._faults = []        # [path part, status, body, headers, remaining]
        handler = self._handler_class()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # --- test controls ---
    def _status(self, account, text, in_reply_to, visibility):
        sid = str(next(self.ids))
        in_reply_acct = self.statuses[in_reply_to]["account"]["id"] if in_reply_to in self.statuses else None
        st = {"id": sid, "created_at": iso(time.time()), "in_reply_to_id": in_reply_to,
              "in_reply_to_account_id": in_reply_acct, "sensitive": False, "spoiler_text": "",
              "visibility": visibility, "language": "en", "uri": f"https://social.example/users/x/statuses/{sid}",
              "url": f"https://social.example/@{account['acct']}/{sid}",
              "content": "<p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                         .replace("'", "&#39;") + "</p>",
              "account": account, "mentions": []}
        self.statuses[sid] = st
        return st

    def add_mention(self, text, author_id="2001", acct="resident@elsewhere.example", in_reply_to=None,
                    visibility="public"):
        with self.lock:
            account = self.accounts.setdefault(author_id, {"id": author_id, "username": acct.split("@")[0],
                                                           "acct": acct, "display_name": acct.split("@")[0].title()})
            mention = ('<span class="h-card" translate="no"><a href="https://social.example/@council" '
                       'class="u-url mention">@<span>council</span></a></span> ')
            st = self._status(account, "", in_reply_to, visibility)
            st["content"] = "<p>" + mention + text.replace("&", "&amp;").replace("<", "&lt;") + "</p>"
            self.notifications.append({"id": str(next(self.ids)), "type": "mention", "created_at": st["created_at"],
                                       "account": account, "status": st})
            return st["id"]

    def add_follow(self, author_id="2002"):
        with self.lock:
            account = self.accounts.setdefault(author_id, {"id": author_id, "username": "f", "acct": "f"})
            self.notifications.append({"id": str(next(self.ids)), "type": "follow", "created_at": iso(time.time()),
                                       "account": account})

    def add_own_status(self, text, in_reply_to=None):
        with self.lock:
            return self._status(self.account, text, in_reply_to, "public")["id"]

    def fail_next(self, path_part, status, body=None, headers=None, count=1):
        with self.lock:
            self._faults.append([path_part, status, body, headers or {}, count])

    def revoke(self, token):
        with self.lock:
            self.revoked.add(token)

    def requests_to(self, method=None, path_part=""):
        with self.lock:
            return [r for r in self.requests if (method is None or r["method"] == method) and path_part in r["path"]]

    # --- serving ---
    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._serve(self, "GET")

            def do_POST(self):
                fake._serve(self, "POST")

        return Handler

    def _reply(self, h, status, body, headers=None):
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        hdrs = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299",
                "X-RateLimit-Reset": iso(time.time() + 300)}
        hdrs.update(headers or {})
        for k, v in hdrs.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _serve(self, h, method):
        url = urllib.parse.urlsplit(h.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        if h.headers.get("Content-Type", "").startswith("application/json"):
            form = {k: v if isinstance(v, list) else [str(v).lower() if isinstance(v, bool) else str(v)]
                    for k, v in json.loads(raw or b"{}").items()}
        else:
            form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        auth = h.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        with self.lock:
            self.requests.append({"method": method, "path": url.path, "query": query, "form": form,
                                  "time": time.time(), "token": token})
            fault = None
            for f in self._faults:
                if f[0] in url.path and f[4] > 0:
                    f[4] -= 1
                    fault = f
                    break
        if fault:
            return self._reply(h, fault[1], fault[2] if fault[2] is not None else {"error": "Internal error"}, fault[3])
        if token not in self.tokens or token in self.revoked:
            return self._reply(h, 401, INVALID_TOKEN)
        with self.lock:
            status, body, headers = self._route(method, url.path, query, form)
        self._reply(h, status, body, headers)

    def _window(self, items, query, path):
        """Newest first between since_id/min_id and max_id, `limit` of them, with a Link header."""
        one = lambda k: query.get(k, [""])[-1]  # noqa: E731
        limit = min(int(one("limit") or self.page_size), 80)
        since, max_id, min_id = one("since_id"), one("max_id"), one("min_id")
        key = lambda x: (len(x["id"]), x["id"])  # noqa: E731
        sel = [x for x in items if (not since or key(x) > (len(since), since))
               and (not min_id or key(x) > (len(min_id), min_id)) and (not max_id or key(x) < (len(max_id), max_id))]
        sel.sort(key=key, reverse=True)
        page = sel[-limit:] if min_id else sel[:limit]
        links = []
        base = f"https://127.0.0.1:{self.port}{path}"
        keep = [("types[]", t) for t in query.get("types[]", [])]
        if page and len(page) == limit:  # Mastodon links on full pages; since_id is not carried over
            links.append(f'<{base}?{urllib.parse.urlencode([("max_id", page[-1]["id"])] + keep)}>; rel="next"')
        if page:
            links.append(f'<{base}?{urllib.parse.urlencode([("min_id", page[0]["id"])] + keep)}>; rel="prev"')
        return page, ({"Link": ", ".join(links)} if links else {})

    def _route(self, method, path, query, form):
        parts = path.strip("/").split("/")
        if parts[:2] != ["api", "v1"]:
            return 404, {"error": "Record not found"}, None
        rest = parts[2:]
        if method == "GET" and rest == ["accounts", "verify_credentials"]:
            return 200, self.account, None
        if method == "GET" and rest == ["notifications"]:
            types = query.get("types[]") or query.get("types")
            items = [n for n in self.notifications if not types or n["type"] in types]
            page, headers = self._window(items, query, path)
            return 200, page, headers
        if method == "GET" and len(rest) == 3 and rest[0] == "accounts" and rest[2] == "statuses":
            items = [s for s in self.statuses.values() if s["account"]["id"] == rest[1]]
            page, headers = self._window(items, query, path)
            return 200, page, headers
        if method == "GET" and len(rest) == 2 and rest[0] == "statuses":
            st = self.statuses.get(rest[1])
            return (200, st, None) if st else (404, {"error": "Record not found"}, None)
        if method == "POST" and rest == ["reports"]:
            one = lambda k: form.get(k, [""])[-1]  # noqa: E731
            account_id, category = one("account_id"), one("category") or "other"
            status_ids = form.get("status_ids[]", [])
            rule_ids = form.get("rule_ids[]", [])
            if account_id not in self.accounts:
                return 404, {"error": "Record not found"}, None
            if category not in ("spam", "legal", "violation", "other"):
                return 422, {"error": "Validation failed: Category is not included in the list"}, None
            if category == "violation" and not rule_ids:
                return 422, {"error": "Validation failed: Rule ids is invalid"}, None
            if any(s not in self.statuses or self.statuses[s]["account"]["id"] != account_id for s in status_ids):
                return 404, {"error": "Record not found"}, None
            report = {"id": str(len(self.reports) + 1), "action_taken": False, "action_taken_at": None,
                      "category": category, "comment": one("comment"), "forwarded": one("forward") == "true",
                      "created_at": iso(time.time()), "status_ids": status_ids, "rule_ids": rule_ids or None,
                      "target_account": self.accounts[account_id]}
            self.reports.append(report)
            return 200, report, None
        return 404, {"error": "Record not found"}, None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    fake = MastodonFake(sys.argv[1])
    print(json.dumps({"base_url": fake.base_url, "ca_file": fake.ca_file}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.close()
