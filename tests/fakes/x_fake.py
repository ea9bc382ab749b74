#!/usr/bin/env python3
"""A fake of the X API v2 for the X connector's tests: HTTPS on 127.0.0.1 with the test CA of
graph_api_fake.make_test_ca, standard library only. It checks OAuth 1.0a signatures the way X does
(HMAC-SHA1 over the signature base string) or accepts OAuth 2.0 bearer tokens.

Endpoints, in the documented shapes (https://docs.x.com/x-api/):
  GET /2/users/:id/tweets, GET /2/users/:id/mentions     since_id, max_results, pagination_token
  GET /2/tweets/search/recent?query=conversation_id:A OR conversation_id:B   since_id, next_token
  PUT /2/tweets/:id/hidden {"hidden": bool}   403 unless the conversation was started by the user
Lists answer {"data", "includes": {"users"}, "meta": {"result_count", "newest_id", "oldest_id",
"next_token"}}; every answer carries x-rate-limit-limit / -remaining / -reset (unix seconds); bad
credentials get 401 problem+json.

    fake = XFake(workdir, oauth1=("ckey", "csecret", "token", "tsecret"), bearer=("tok",))
    tid = fake.add_post("text", author_id=fake.user_id)               # the council's post
    rid = fake.add_post("@council text", author_id="42", in_reply_to=tid)
    fake.fail_next("/mentions", 429, {...}, headers={...}); fake.revoke(); fake.hidden; fake.requests
"""
import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from graph_api_fake import make_test_ca  # noqa: E402

UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
HIDE_FORBIDDEN = {"title": "Forbidden", "type": "about:blank", "status": 403,
                  "detail": "You cannot hide or unhide replies to a conversation that was not started by you."}


def q(s):
    return urllib.parse.quote(s, safe="-._~")


def oauth1_signature(method, url, params, consumer_secret, token_secret):
    pairs = sorted((q(k), q(v)) for k, v in params)
    base = "&".join([method.upper(), q(url), q("&".join(f"{k}={v}" for k, v in pairs))])
    key = q(consumer_secret) + "&" + q(token_secret)
    return base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


class XFake:
    def __init__(self, workdir, user_id="1500000000000000001", username="wyverleytc", oauth1=None, bearer=()):
        self.ca_file, cert, key = make_test_ca(workdir)
        self.lock = threading.Lock()
        self.user_id, self.username = user_id, username
        self.oauth1 = oauth1          # (consumer key, consumer secret, token, token secret) or None
        self.bearer = set(bearer)
        self.refresh_tokens = set()   # valid OAuth 2.0 refresh tokens (single use: each refresh rotates)
        self.token_delay = 0.0        # seconds POST /2/oauth2/token takes (lets two refreshes overlap)
        self.client_id = "moderatord-test-client"
        self.issued = itertools.count(1)
        self.revoked = False
        self.users = {user_id: username}
        self.ids = itertools.count(1800000000000000000)
        self.tweets = {}              # id -> tweet
        self.hidden = {}              # id -> bool as set through the API
        self.requests = []
        self.bad_signatures = 0
        self._faults = []
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
    def add_post(self, text, author_id=None, username=None, in_reply_to=None):
        with self.lock:
            author_id = author_id or self.user_id
            self.users.setdefault(author_id, username or f"user{author_id[-4:]}")
            tid = str(next(self.ids))
            t = {"id": tid, "text": text, "author_id": author_id, "created_at": iso(time.time()),
                 "conversation_id": tid, "edit_history_tweet_ids": [tid]}
            if in_reply_to:
                parent = self.tweets[in_reply_to]
                t["conversation_id"] = parent["conversation_id"]
                t["in_reply_to_user_id"] = parent["author_id"]
                t["referenced_tweets"] = [{"type": "replied_to", "id": in_reply_to}]
            self.tweets[tid] = t
            return tid

    def fail_next(self, path_part, status, body=None, headers=None, count=1):
        with self.lock:
            self._faults.append([path_part, status, body, headers or {}, count])

    def revoke(self):
        self.revoked = True

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

            def do_PUT(self):
                fake._serve(self, "PUT")

            def do_POST(self):
                fake._serve(self, "POST")

        return Handler

    def _reply(self, h, status, body, headers=None):
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/problem+json" if status >= 400 else "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        hdrs = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
                "x-rate-limit-reset": str(int(time.time()) + 900)}
        hdrs.update(headers or {})
        for k, v in hdrs.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _authorized(self, h, method, url, query_pairs):
        auth = h.headers.get("Authorization", "")
        if self.revoked:
            return False, ""
        if auth.startswith("Bearer "):
            return auth[7:] in self.bearer, auth[7:]
        if not auth.startswith("OAuth ") or not self.oauth1:
            return False, ""
        params = {k.strip(): urllib.parse.unquote(v.strip().strip('"'))
                  for k, v in (p.strip().split("=", 1) for p in auth[6:].split(",") if "=" in p)}
        ck, cs, tok, ts = self.oauth1
        if params.get("oauth_consumer_key") != ck or params.get("oauth_token") != tok:
            return False, params.get("oauth_token", "")
        sig = params.pop("oauth_signature", "")
        expected = oauth1_signature(method, f"https://127.0.0.1:{self.port}{url.path}",
                                    list(params.items()) + query_pairs, cs, ts)
        if not hmac.compare_digest(sig, expected):
            self.bad_signatures += 1
            return False, tok
        return True, tok

    def _serve(self, h, method):
        url = urllib.parse.urlsplit(h.path)
        query_pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        query = dict(query_pairs)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        if method == "POST" and url.path == "/2/oauth2/token":
            return self._token(h, raw)
        ok, token = self._authorized(h, method, url, query_pairs)
        with self.lock:
            self.requests.append({"method": method, "path": url.path, "query": query, "body": raw.decode(),
                                  "time": time.time(), "token": token, "auth_ok": ok,
                                  "auth": h.headers.get("Authorization", "").split(" ")[0]})
            fault = None
            for f in self._faults:
                if f[0] in url.path and f[4] > 0:
                    f[4] -= 1
                    fault = f
                    break
        if fault:
            return self._reply(h, fault[1], fault[2] if fault[2] is not None else
                               {"title": "Service Unavailable", "type": "about:blank", "status": fault[1]}, fault[3])
        if not ok:
            return self._reply(h, 401, UNAUTHORIZED)
        with self.lock:
            status, body = self._route(method, url.path, query, raw)
        self._reply(h, status, body)

    def _token(self, h, raw):
        """POST /2/oauth2/token, grant_type=refresh_token: a new access token and a new refresh token."""
        form = dict(urllib.parse.parse_qsl(raw.decode()))
        time.sleep(self.token_delay)
        with self.lock:
            self.requests.append({"method": "POST", "path": "/2/oauth2/token", "query": {}, "body": raw.decode(),
                                  "form": form, "time": time.time(), "token": "", "auth_ok": True, "auth": ""})
            if (form.get("grant_type") != "refresh_token" or form.get("client_id") != self.client_id
                    or form.get("refresh_token") not in self.refresh_tokens):
                return self._reply(h, 400, {"error": "invalid_request",
                                            "error_description": "Value passed for the token was invalid."})
            self.refresh_tokens.discard(form["refresh_token"])
            n = next(self.issued)
            access, refresh = f"access-{n}-{os.urandom(4).hex()}", f"refresh-{n}-{os.urandom(4).hex()}"
            self.bearer.add(access)
            self.refresh_tokens.add(refresh)
        return self._reply(h, 200, {"token_type": "bearer", "expires_in": 7200, "access_token": access,
                                    "scope": "tweet.read users.read tweet.moderate.write offline.access",
                                    "refresh_token": refresh})

    def _list(self, tweets, query, token_param):
        key = lambda t: (len(t["id"]), t["id"])  # noqa: E731
        since = query.get("since_id", "")
        sel = sorted((t for t in tweets if not since or key(t) > (len(since), since)), key=key, reverse=True)
        start = int(query.get(token_param) or 0)
        n = min(max(int(query.get("max_results") or 10), 5), 100)
        page = sel[start:start + n]
        out = {"meta": {"result_count": len(page)}}
        if page:
            out["data"] = [self._as_served(t, query) for t in page]
            out["meta"].update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
            if "author_id" in query.get("expansions", ""):
                out["includes"] = {"users": [{"id": a, "name": self.users[a].title(), "username": self.users[a]}
                                             for a in sorted({t["author_id"] for t in page})]}
        if start + n < len(sel):
            out["meta"]["next_token"] = str(start + n)
        return out

    @staticmethod
    def _as_served(t, query):
        # A post longer than 280 characters: X serves `text` cut at 280 and the whole post in
        # note_tweet.text, the latter only when tweet.fields asks for note_tweet.
        if len(t["text"]) <= 280:
            return t
        served = dict(t, text=t["text"][:280])
        if "note_tweet" in query.get("tweet.fields", "").split(","):
            served["note_tweet"] = {"text": t["text"]}
        return served

    def _route(self, method, path, query, raw):
        parts = path.strip("/").split("/")
        if parts[0] != "2":
            return 404, {"title": "Not Found Error", "type": "https://api.twitter.com/2/problems/resource-not-found"}
        rest = parts[1:]
        if method == "GET" and len(rest) == 3 and rest[0] == "users" and rest[2] == "tweets":
            return 200, self._list([t for t in self.tweets.values() if t["author_id"] == rest[1]], query,
                                   "pagination_token")
        if method == "GET" and len(rest) == 3 and rest[0] == "users" and rest[2] == "mentions":
            name = "@" + self.users.get(rest[1], "")
            return 200, self._list([t for t in self.tweets.values() if t["author_id"] != rest[1] and
                                    (name.lower() in t["text"].lower() or t.get("in_reply_to_user_id") == rest[1])],
                                   query, "pagination_token")
        if method == "GET" and rest == ["tweets", "search", "recent"]:
            convs = set(re.findall(r"conversation_id:(\d+)", query.get("query", "")))
            if not convs:
                return 400, {"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                             "type": "https://api.twitter.com/2/problems/invalid-request"}
            return 200, self._list([t for t in self.tweets.values() if t["conversation_id"] in convs], query,
                                   "next_token")
        if method == "PUT" and len(rest) == 3 and rest[0] == "tweets" and rest[2] == "hidden":
            t = self.tweets.get(rest[1])
            if not t:
                return 404, {"title": "Not Found Error", "detail": f"Could not find tweet with id: [{rest[1]}].",
                             "type": "https://api.twitter.com/2/problems/resource-not-found"}
            root = self.tweets.get(t["conversation_id"])
            if t["conversation_id"] == t["id"] or not root or root["author_id"] != self.user_id:
                return 403, HIDE_FORBIDDEN
            body = json.loads(raw or b"{}")
            if not isinstance(body.get("hidden"), bool):
                return 400, {"title": "Invalid Request", "detail": "hidden must be a boolean",
                             "type": "https://api.twitter.com/2/problems/invalid-request"}
            self.hidden[rest[1]] = body["hidden"]
            return 200, {"data": {"hidden": body["hidden"]}}
        return 404, {"title": "Not Found Error", "type": "https://api.twitter.com/2/problems/resource-not-found"}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    fake = XFake(sys.argv[1], bearer=("test-x-token",))
    print(json.dumps({"base_url": fake.base_url, "ca_file": fake.ca_file}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.close()
