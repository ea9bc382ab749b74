#!/usr/bin/env python3
"""A fake of Meta's Graph API for the Facebook and Instagram connectors' tests: HTTPS on 127.0.0.1
with a test CA made at start with the `openssl` command, standard library only.

It serves the endpoints the connectors call, in the documented shapes
(https://developers.facebook.com/docs/graph-api/): a Page's feed with nested comments and paging
cursors, a post's comments, Messenger conversations, Instagram media and comments, hide/unhide
(POST /{comment-id} is_hidden= / hide=) and DELETE. Tests drive it from the same process:

    fake = GraphFake(workdir)            # makes the CA and the server certificate, starts serving
    fake.base_url                        # "https://127.0.0.1:PORT/v21.0"  (api_base)
    fake.ca_file                         # the test CA (ca_file)
    fake.add_post(...), fake.add_comment(...), fake.add_message(...), fake.add_media(...)
    fake.fail_next("/feed", status=503)  # errors on demand (429/5xx, Graph error bodies)
    fake.headers_next("/feed", {"Retry-After": "2"})
    fake.expire_token(token)             # 190/463 from now on for that token
    fake.requests                        # every request received: method, path, query, form, time, auth
    fake.close()

Run alone (`graph_api_fake.py DIR`) it prints {"base_url", "ca_file"} as one JSON line and serves
until killed; then POST /_fake/fail, /_fake/headers, /_fake/post (JSON bodies with the arguments of
fail_next, headers_next, add_post), /_fake/stall ({"path", "seconds", "count"}: answer late) and
GET /_fake/requests control it. GRAPH_FAKE_SAN sets the certificate's subjectAltName.
"""
import base64
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_VERSION = "v21.0"


def make_test_ca(workdir, san="IP:127.0.0.1,DNS:localhost"):
    """A CA and a server certificate for `san` (EC P-256: quick to make)."""
    os.makedirs(workdir, exist_ok=True)
    ca_key, ca_pem = os.path.join(workdir, "ca.key"), os.path.join(workdir, "ca.pem")
    key, csr, pem = (os.path.join(workdir, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(workdir, "server.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                f"subjectAltName={san}\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", *ec, "-keyout", ca_key, "-out", ca_pem, "-days", "2", "-subj", "/CN=moderatord test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    run("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial", "-out", pem, "-days", "2",
        "-extfile", ext)
    return ca_pem, pem, key


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))


def graph_error(code, message, subcode=None, transient=False):
    err = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AFakeTrace" + str(code)}
    if subcode is not None:
        err["error_subcode"] = subcode
    if transient:
        err["is_transient"] = True
    return {"error": err}


EXPIRED = graph_error(190, "Error validating access token: Session has expired on Friday, 01-Aug-25 13:00:00 PDT.",
                      subcode=463)
INVALID = graph_error(190, "Invalid OAuth access token - Cannot parse access token")


class GraphFake:
    def __init__(self, workdir, tokens=("test-page-token",), page_size=25, san="IP:127.0.0.1,DNS:localhost"):
        self.workdir = workdir
        self.ca_file, cert, key = make_test_ca(workdir, san)
        self.lock = threading.Lock()
        self.tokens = set(tokens)
        self.expired = set()
        self.page_size = page_size
        self.posts = {}         # post id -> {"id", "message", "created_time", "from", "comments": [...]}
        self.comments = {}      # comment id -> comment dict (also inside its post)
        self.conversations = {}  # conversation id -> {"id", "messages": [...]}
        self.media = {}         # ig media id -> {"id", "caption", "timestamp", "comments": [...]}
        self.mentioned = {}     # comment id -> comment that mentions the IG account (elsewhere)
        self.hidden = {}        # comment id -> bool, as set through the API
        self.deleted = set()
        self.requests = []
        self._faults = []       # [path substring, status, body, headers, remaining]
        self._extra_headers = []  # [path substring, headers, remaining]
        self._stalls = []       # [path substring, seconds, remaining]: answer late (client timeouts)
        handler = self._handler_class()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}/{API_VERSION}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # --- test controls ---
    def add_post(self, post_id, message, created=None, author=None):
        with self.lock:
            post = {"id": post_id, "message": message, "created_time": created or time.time(),
                    "from": author, "comments": []}
            self.posts[post_id] = post
            return post

    def add_comment(self, post_id, comment_id, message, author_id="555", author_name="Resident", created=None,
                    parent_id=None):
        with self.lock:
            c = {"id": comment_id, "message": message, "created_time": created or time.time(),
                 "from": {"id": author_id, "name": author_name}}
            if parent_id:
                c["parent"] = {"id": parent_id}
            self.posts[post_id]["comments"].append(c)
            self.comments[comment_id] = c
            return c

    def add_message(self, conversation_id, message_id, text, sender_id, sender_name="Resident", created=None):
        with self.lock:
            conv = self.conversations.setdefault(conversation_id, {"id": conversation_id, "messages": []})
            conv["messages"].append({"id": message_id, "message": text, "created_time": created or time.time(),
                                     "from": {"id": sender_id, "name": sender_name}})

    def add_media(self, media_id, caption, created=None):
        with self.lock:
            self.media[media_id] = {"id": media_id, "caption": caption, "timestamp": created or time.time(),
                                    "comments": []}

    def add_ig_comment(self, media_id, comment_id, text, username="resident", user_id="777", created=None):
        with self.lock:
            c = {"id": comment_id, "text": text, "timestamp": created or time.time(), "username": username,
                 "from": {"id": user_id, "username": username}}
            self.media[media_id]["comments"].append(c)
            self.comments[comment_id] = c

    def add_mention(self, comment_id, text, media_id, username="neighbour", created=None):
        """A comment on someone else's media that @-mentions the account (read via mentioned_comment)."""
        with self.lock:
            self.mentioned[comment_id] = {"id": comment_id, "text": text, "timestamp": created or time.time(),
                                          "username": username, "media": {"id": media_id}}

    def fail_next(self, path_part, status, body=None, headers=None, count=1):
        """The next `count` requests whose path contains `path_part` get this answer instead."""
        with self.lock:
            self._faults.append([path_part, status, body, headers or {}, count])

    def headers_next(self, path_part, headers, count=1):
        """Adds `headers` to the next `count` successful answers for paths containing `path_part`."""
        with self.lock:
            self._extra_headers.append([path_part, headers, count])

    def expire_token(self, token):
        with self.lock:
            self.expired.add(token)

    def requests_to(self, method=None, path_part=""):
        with self.lock:
            return [r for r in self.requests if (method is None or r["method"] == method) and path_part in r["path"]]

    # --- the server ---
    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as graph.facebook.com

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._serve(self, "GET")

            def do_POST(self):
                fake._serve(self, "POST")

            def do_DELETE(self):
                fake._serve(self, "DELETE")

        return Handler

    def _reply(self, h, status, body, headers=None):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=UTF-8")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _control(self, h, method, path, raw):
        """/_fake/...: the same controls over HTTP, for tests in other processes (the C++ client tests)."""
        arg = json.loads(raw or b"{}")
        if method == "GET" and path == "/_fake/requests":
            with self.lock:
                return self._reply(h, 200, self.requests)
        if method == "POST" and path == "/_fake/fail":
            self.fail_next(arg["path"], arg["status"], arg.get("body"), arg.get("headers"), arg.get("count", 1))
        elif method == "POST" and path == "/_fake/headers":
            self.headers_next(arg["path"], arg["headers"], arg.get("count", 1))
        elif method == "POST" and path == "/_fake/stall":
            with self.lock:
                self._stalls.append([arg["path"], arg["seconds"], arg.get("count", 1)])
        elif method == "POST" and path == "/_fake/post":
            self.add_post(arg["id"], arg["message"], author=arg.get("from"))
        else:
            return self._reply(h, 404, {"error": "no such control"})
        return self._reply(h, 200, {"ok": True})

    def _serve(self, h, method):
        url = urllib.parse.urlsplit(h.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode("utf-8", "replace")).items()}
        if url.path.startswith("/_fake/"):
            return self._control(h, method, url.path, raw)
        auth = h.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else query.get("access_token", "")
        with self.lock:
            self.requests.append({"method": method, "path": url.path, "query": query, "form": form, "time": time.time(),
                                  "token": token, "user_agent": h.headers.get("User-Agent", "")})
            fault = None
            for f in self._faults:
                if f[0] in url.path and f[4] > 0:
                    f[4] -= 1
                    fault = f
                    break
            extra = {}
            for e in self._extra_headers:
                if e[0] in url.path and e[2] > 0:
                    e[2] -= 1
                    extra = e[1]
                    break
            stall = 0
            for st in self._stalls:
                if st[0] in url.path and st[2] > 0:
                    st[2] -= 1
                    stall = st[1]
                    break
        if stall:
            time.sleep(stall)
        if fault:
            return self._reply(h, fault[1], fault[2] if fault[2] is not None else
                               graph_error(2, "Service temporarily unavailable", transient=True), fault[3])
        if token in self.expired:
            return self._reply(h, 400, EXPIRED)
        if token not in self.tokens:
            return self._reply(h, 400, INVALID)
        parts = url.path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != API_VERSION:
            return self._reply(h, 400, graph_error(2500, "Unknown path components: " + url.path))
        try:
            status, body = self._route(method, parts[1:], query, form)
        except KeyError as e:
            status, body = 400, graph_error(100, f"Unsupported get request. Object with ID '{e.args[0]}' does not "
                                                 "exist, cannot be loaded due to missing permissions, or does not "
                                                 "support this operation.", subcode=33)
        self._reply(h, status, body, extra)

    def _page(self, items, query, path):
        """A list page with cursor paging: cursors.before/after, and next while there is more."""
        start = int(base64.b64decode(query["after"]).decode()) if query.get("after") else 0
        limit = int(query.get("limit") or self.page_size)
        chunk = items[start:start + limit]
        out = {"data": chunk}
        if chunk:
            out["paging"] = {"cursors": {"before": base64.b64encode(str(start).encode()).decode(),
                                         "after": base64.b64encode(str(start + len(chunk)).encode()).decode()}}
            if start + len(chunk) < len(items):
                q = dict(query)
                q["after"] = out["paging"]["cursors"]["after"]
                out["paging"]["next"] = f"https://127.0.0.1:{self.port}{path}?" + urllib.parse.urlencode(q)
        return out

    def _comment_view(self, c):
        if "message" in c:
            out = dict(c, created_time=iso(c["created_time"]))
        else:
            out = dict(c, timestamp=iso(c["timestamp"]))
        out["is_hidden" if "message" in c else "hidden"] = self.hidden.get(c["id"], False)
        return out

    def _route(self, method, parts, query, form):
        with self.lock:
            obj = parts[0]
            edge = parts[1] if len(parts) > 1 else None
            if method == "POST" and edge is None:
                if obj not in self.comments or obj in self.deleted:
                    raise KeyError(obj)
                if "is_hidden" in form:
                    self.hidden[obj] = form["is_hidden"] == "true"
                elif "hide" in form:
                    self.hidden[obj] = form["hide"] == "true"
                else:
                    return 400, graph_error(100, "(#100) No fields to update")
                return 200, {"success": True}
            if method == "DELETE" and edge is None:
                if obj not in self.comments or obj in self.deleted:
                    raise KeyError(obj)
                self.deleted.add(obj)
                return 200, {"success": True}
            if method != "GET":
                return 400, graph_error(100, "Unsupported method")
            path = f"/{API_VERSION}/{obj}/{edge}"
            if edge == "feed":
                since = int(query.get("since") or 0)
                posts = sorted((p for p in self.posts.values() if p["created_time"] >= since),
                               key=lambda p: -p["created_time"])
                view = []
                for p in posts:
                    comments = sorted((c for c in p["comments"] if c["id"] not in self.deleted),
                                      key=lambda c: -c["created_time"])
                    v = {"id": p["id"], "message": p["message"], "created_time": iso(p["created_time"]),
                         "permalink_url": "https://www.facebook.com/" + p["id"]}
                    if p["from"]:
                        v["from"] = p["from"]
                    v["comments"] = self._page([self._comment_view(c) for c in comments], {"limit": "50"},
                                               f"/{API_VERSION}/{p['id']}/comments")
                    view.append(v)
                return 200, self._page(view, query, path)
            if edge == "comments" and obj in self.posts:
                comments = sorted((c for c in self.posts[obj]["comments"] if c["id"] not in self.deleted),
                                  key=lambda c: -c["created_time"])
                return 200, self._page([self._comment_view(c) for c in comments], query, path)
            if edge == "comments" and obj in self.media:
                comments = [c for c in self.media[obj]["comments"] if c["id"] not in self.deleted]
                return 200, self._page([self._comment_view(c) for c in comments], query, path)
            if edge == "conversations":
                convs = [{"id": c["id"], "updated_time": iso(max(m["created_time"] for m in c["messages"])),
                          "messages": {"data": [dict(m, created_time=iso(m["created_time"]))
                                                for m in sorted(c["messages"], key=lambda m: -m["created_time"])]}}
                         for c in self.conversations.values()]
                return 200, self._page(convs, query, path)
            if edge == "media":
                media = sorted(self.media.values(), key=lambda m: -m["timestamp"])
                return 200, self._page([{"id": m["id"], "caption": m["caption"], "timestamp": iso(m["timestamp"]),
                                         "permalink": "https://www.instagram.com/p/" + m["id"],
                                         "comments_count": len(m["comments"])} for m in media], query, path)
            fields = query.get("fields", "")
            if edge is None and fields.startswith("mentioned_comment.comment_id("):
                # GET /{ig-user-id}?fields=mentioned_comment.comment_id(ID){fields}
                cid = fields[len("mentioned_comment.comment_id("):].split(")")[0]
                c = self.mentioned[cid]
                return 200, {"mentioned_comment": dict(c, timestamp=iso(c["timestamp"])), "id": obj}
            if edge is None and obj in self.comments:
                return 200, self._comment_view(self.comments[obj])
            raise KeyError(obj)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    # GRAPH_FAKE_SAN: the certificate's subjectAltName (tests of host-name verification).
    fake = GraphFake(sys.argv[1], san=os.environ.get("GRAPH_FAKE_SAN", "IP:127.0.0.1,DNS:localhost"))
    print(json.dumps({"base_url": fake.base_url, "ca_file": fake.ca_file}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.close()
