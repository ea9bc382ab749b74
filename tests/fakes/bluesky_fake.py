#!/usr/bin/env python3
"""A fake Bluesky PDS (AT Protocol XRPC) for the Bluesky connector's tests: HTTPS on 127.0.0.1 with a
test CA made at start by `openssl` (graph_api_fake.make_test_ca), standard library only.

Endpoints, in the lexicon shapes (https://docs.bsky.app/docs/api/):
  POST /xrpc/com.atproto.server.createSession   {identifier, password} -> {accessJwt, refreshJwt, did, handle}
                                                401 AuthenticationRequired on a wrong password
  POST /xrpc/com.atproto.server.refreshSession  Bearer <refreshJwt> -> a new pair (the old refresh token dies)
  GET  /xrpc/app.bsky.notification.listNotifications?limit=&cursor=&reasons=   newest first, cursor by indexedAt
  GET  /xrpc/app.bsky.feed.getPosts?uris=
  GET  /xrpc/com.atproto.repo.getRecord?repo=&collection=app.bsky.feed.threadgate&rkey=   400 RecordNotFound
  POST /xrpc/com.atproto.repo.putRecord         swapRecord checked (400 InvalidSwap), hiddenReplies <= 50
  POST /xrpc/com.atproto.moderation.createReport   the atproto-proxy header is recorded
Every answer carries RateLimit-Limit/-Remaining/-Reset/-Policy; an expired access token gets
400 ExpiredToken; fail_next() injects errors (429 with RateLimit-Reset, ...).

    fake = BlueskyFake(workdir, handle="council.test", password="app-pass")
    fake.did                                    # the council's DID
    uri = fake.add_post(author_did, handle, text, root=None, parent=None, reason="reply")
    fake.expire_access_tokens(), fake.logins, fake.refreshes, fake.threadgates, fake.reports, fake.requests
"""
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


def iso_ms(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int((t % 1) * 1000)


class BlueskyFake:
    def __init__(self, workdir, handle="council.test", password="app-password", did="did:plc:council00000000000000001"):
        self.ca_file, cert, key = make_test_ca(workdir)
        self.lock = threading.Lock()
        self.handle, self.password, self.did = handle, password, did
        self.access, self.refresh = set(), set()   # valid tokens
        self.expired = set()
        self.logins = 0
        self.refreshes = 0
        self.refresh_delay = 0.0   # seconds refreshSession takes (lets two renewals overlap)
        self.posts = {}            # uri -> post view
        self.notifications = []    # notification views
        self.threadgates = {}      # rkey -> {"cid", "value"}
        self.reports = []          # (body, atproto-proxy header)
        self.requests = []
        self._faults = []
        self._n = 0
        self.rate_remaining = 3000
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
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
    def _next(self, prefix):
        self._n += 1
        return f"{prefix}{self._n:06d}"

    def add_post(self, author_did, author_handle, text, root=None, parent=None, reason="reply", created=None, rkey=None):
        """A post; unless it is the council's own, also a notification (reason reply or mention)."""
        with self.lock:
            t = created or time.time()
            rkey = rkey or self._next("3kfake")
            uri = f"at://{author_did}/app.bsky.feed.post/{rkey}"
            record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": iso_ms(t), "langs": ["en"]}
            if root:
                record["reply"] = {"root": {"uri": root, "cid": self.posts[root]["cid"] if root in self.posts else "bafyroot"},
                                   "parent": {"uri": parent or root,
                                              "cid": self.posts.get(parent or root, {}).get("cid", "bafyparent")}}
            author = {"did": author_did, "handle": author_handle, "displayName": author_handle.split(".")[0],
                      "labels": []}
            view = {"uri": uri, "cid": "bafy" + rkey, "author": author, "record": record, "indexedAt": iso_ms(t),
                    "_t": t}
            self.posts[uri] = view
            if author_did != self.did:
                self.notifications.append({"uri": uri, "cid": view["cid"], "author": author, "reason": reason,
                                           "reasonSubject": parent or root or "", "record": record, "isRead": False,
                                           "indexedAt": iso_ms(t), "labels": [], "_t": t})
            return uri

    def add_like(self, subject_uri):
        with self.lock:
            t = time.time()
            self.notifications.append({"uri": "at://did:plc:liker/app.bsky.feed.like/" + self._next("l"), "cid": "bafylike",
                                       "author": {"did": "did:plc:liker", "handle": "liker.test"}, "reason": "like",
                                       "reasonSubject": subject_uri,
                                       "record": {"$type": "app.bsky.feed.like", "subject": {"uri": subject_uri}},
                                       "isRead": False, "indexedAt": iso_ms(t), "labels": [], "_t": t})

    def expire_access_tokens(self):
        with self.lock:
            self.expired |= self.access
            self.access = set()

    def fail_next(self, path_part, status, body=None, headers=None, count=1):
        with self.lock:
            self._faults.append([path_part, status, body, headers or {}, count])

    def faults_pending(self, path_part):
        with self.lock:
            return any(f[0] == path_part and f[4] > 0 for f in self._faults)

    def requests_to(self, path_part, method=None):
        with self.lock:
            return [r for r in self.requests if path_part in r["path"] and (method is None or r["method"] == method)]

    # --- the server ---
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
        reset = int(time.time()) + 300
        base = {"RateLimit-Limit": "3000", "RateLimit-Remaining": str(self.rate_remaining),
                "RateLimit-Reset": str(reset), "RateLimit-Policy": "3000;w=300"}
        base.update(headers or {})
        for k, v in base.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _serve(self, h, method):
        url = urllib.parse.urlsplit(h.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        auth = h.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        with self.lock:
            self.requests.append({"method": method, "path": url.path, "query": query, "time": time.time(),
                                  "token": token, "body": raw.decode("utf-8", "replace"),
                                  "proxy": h.headers.get("atproto-proxy", "")})
            fault = None
            for f in self._faults:
                if f[0] in url.path and f[4] > 0:
                    f[4] -= 1
                    fault = f
                    break
        if fault:
            return self._reply(h, fault[1], fault[2] or {"error": "InternalServerError", "message": "Internal Server Error"},
                               fault[3])
        nsid = url.path[len("/xrpc/"):] if url.path.startswith("/xrpc/") else ""
        body = json.loads(raw) if raw else {}
        if nsid == "com.atproto.server.refreshSession":
            time.sleep(self.refresh_delay)
        with self.lock:
            status, out = self._route(method, nsid, query, body, token, h.headers.get("atproto-proxy", ""))
        self._reply(h, status, out)

    def _session(self):
        access, refresh = self._next("acc-"), self._next("ref-")
        self.access.add(access)
        self.refresh.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh, "did": self.did, "handle": self.handle, "active": True}

    def _route(self, method, nsid, query, body, token, proxy):
        if nsid == "com.atproto.server.createSession" and method == "POST":
            if body.get("identifier") not in (self.handle, self.did) or body.get("password") != self.password:
                return 401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
            self.logins += 1
            return 200, self._session()
        if nsid == "com.atproto.server.refreshSession" and method == "POST":
            if token not in self.refresh:
                return 400, {"error": "ExpiredToken", "message": "Token has expired"}
            self.refresh.discard(token)  # refresh tokens rotate
            self.refreshes += 1
            return 200, self._session()
        if token in self.expired:
            return 400, {"error": "ExpiredToken", "message": "Token has expired"}
        if token not in self.access:
            return 401, {"error": "AuthenticationRequired", "message": "Authentication Required"}
        q = {k: v[-1] for k, v in query.items()}
        if nsid == "app.bsky.notification.listNotifications" and method == "GET":
            reasons = set(query.get("reasons", [])) or None
            items = sorted((n for n in self.notifications if reasons is None or n["reason"] in reasons),
                           key=lambda n: -n["_t"])
            if q.get("cursor"):
                items = [n for n in items if n["_t"] * 1000 < int(q["cursor"])]
            limit = min(int(q.get("limit") or 50), 2)  # two a page: the connector must page
            page = items[:limit]
            out = {"notifications": [{k: v for k, v in n.items() if k != "_t"} for n in page]}
            if len(items) > limit:
                out["cursor"] = str(int(page[-1]["_t"] * 1000))
            return 200, out
        if nsid == "app.bsky.feed.getPosts" and method == "GET":
            uris = query.get("uris", [])
            return 200, {"posts": [{k: v for k, v in self.posts[u].items() if k != "_t"} for u in uris if u in self.posts]}
        if nsid == "com.atproto.repo.getRecord" and method == "GET":
            if q.get("repo") != self.did or q.get("collection") != "app.bsky.feed.threadgate":
                return 400, {"error": "InvalidRequest", "message": "unsupported record"}
            gate = self.threadgates.get(q.get("rkey"))
            if gate is None:
                return 400, {"error": "RecordNotFound",
                             "message": f"Could not locate record: at://{self.did}/app.bsky.feed.threadgate/{q.get('rkey')}"}
            return 200, {"uri": f"at://{self.did}/app.bsky.feed.threadgate/{q['rkey']}", "cid": gate["cid"],
                         "value": gate["value"]}
        if nsid == "com.atproto.repo.putRecord" and method == "POST":
            if body.get("repo") != self.did or body.get("collection") != "app.bsky.feed.threadgate":
                return 400, {"error": "InvalidRequest", "message": "unsupported record"}
            rkey = body.get("rkey")
            record = body.get("record") or {}
            if record.get("$type") != "app.bsky.feed.threadgate" or record.get("post") != \
                    f"at://{self.did}/app.bsky.feed.post/{rkey}":
                return 400, {"error": "InvalidRequest", "message": "threadgate rkey must match its post"}
            if len(record.get("hiddenReplies", [])) > 50:
                return 400, {"error": "InvalidRequest", "message": "hiddenReplies must not be longer than 50 elements"}
            current = self.threadgates.get(rkey)
            if "swapRecord" in body and (current is None or current["cid"] != body["swapRecord"]):
                return 400, {"error": "InvalidSwap", "message": "Record was at another cid"}
            cid = self._next("bafygate")
            self.threadgates[rkey] = {"cid": cid, "value": record}
            return 200, {"uri": f"at://{self.did}/app.bsky.feed.threadgate/{rkey}", "cid": cid}
        if nsid == "com.atproto.moderation.createReport" and method == "POST":
            subject = body.get("subject") or {}
            if subject.get("$type") != "com.atproto.repo.strongRef" or subject.get("uri") not in self.posts or \
                    subject.get("cid") != self.posts[subject["uri"]]["cid"]:
                return 400, {"error": "InvalidRequest", "message": "bad subject"}
            self.reports.append((body, proxy))
            return 200, {"id": len(self.reports), "reasonType": body.get("reasonType"), "reason": body.get("reason"),
                         "subject": subject, "reportedBy": self.did, "createdAt": iso_ms(time.time())}
        return 400, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}
