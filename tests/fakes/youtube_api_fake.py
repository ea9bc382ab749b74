#!/usr/bin/env python3
"""A fake of the YouTube Data API v3 for the YouTube connector's tests: HTTPS on 127.0.0.1 with a
test CA made at start by `openssl` (graph_api_fake.make_test_ca), standard library only.

Endpoints, in the documented shapes (https://developers.google.com/youtube/v3/docs/):
  GET  /youtube/v3/commentThreads?part=snippet,replies&allThreadsRelatedToChannelId=&order=time
       &maxResults=&pageToken=      threads newest activity first, replies.comments (at most 5),
                                    totalReplyCount, nextPageToken
  GET  /youtube/v3/comments?part=snippet&parentId=&maxResults=&pageToken=   all replies of a thread
  POST /youtube/v3/comments/setModerationStatus?id=a,b&moderationStatus=   204, or Google's error
       objects (commentNotFound 404, invalid status 400)
  POST /token                        Google's OAuth 2.0 token endpoint, refresh_token grant only
       (https://developers.google.com/identity/protocols/oauth2/web-server#offline): a form body with
       grant_type, refresh_token, client_id, client_secret; answers a new access token (which the API
       then takes) with expires_in, or 401 invalid_client / 400 invalid_grant as Google does
Auth: `Authorization: Bearer <token>` for a known token, or `key=<api key>`; otherwise 401 authError.

    fake = YouTubeFake(workdir, tokens=("tok",), page_size=2)
    fake.add_thread(thread_id, video_id, text, author_channel="UCresident", created=...)
    fake.add_reply(thread_id, reply_id, text, author_channel=..., created=...)
    fake.fail_next("/commentThreads", 403, QUOTA_EXCEEDED)   # errors on demand, like the Graph fake
    fake.moderation                     # comment id -> the last moderationStatus set
    fake.requests, fake.requests_to(method, path_part)

    fake = YouTubeFake(workdir, tokens=(), client=("id", "secret"), refresh_tokens=("1//r",))
    fake.token_url                      # for the account's token_url
    fake.expire_access_tokens()         # every access token so far is refused (401 authError)
    fake.revoke_refresh_token("1//r")   # the token endpoint answers invalid_grant for it
    fake.refreshes, fake.issued         # access tokens issued by refreshing; fake.unauthorized: 401s sent
"""
import base64
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


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".000Z"


def google_error(code, reason, message, domain="youtube.commentThread", status=None):
    err = {"code": code, "message": message, "errors": [{"message": message, "domain": domain, "reason": reason}]}
    if status:
        err["status"] = status
    return {"error": err}


QUOTA_EXCEEDED = google_error(403, "quotaExceeded", "The request cannot be completed because you have exceeded your "
                              "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.", domain="youtube.quota")
AUTH_ERROR = google_error(401, "authError", "Request had invalid authentication credentials.", domain="global",
                          status="UNAUTHENTICATED")


class YouTubeFake:
    def __init__(self, workdir, tokens=("test-youtube-token",), keys=(), page_size=100, channel_id="UCcouncil",
                 client=None, refresh_tokens=(), expires_in=3599):
        self.ca_file, cert, key = make_test_ca(workdir)
        self.lock = threading.RLock()  # re-entrant: a test may hold it over several add_thread calls
        self.tokens, self.keys = set(tokens), set(keys)
        self.page_size = page_size
        self.channel_id = channel_id
        self.threads = {}       # thread id -> {"id", "video", "top": comment, "replies": [comment]}
        self.comments = {}      # comment id -> comment
        self.moderation = {}    # comment id -> moderationStatus set through the API
        self.requests = []
        self._faults = []
        self._delays = []       # [path part, seconds, count]: answers held back (a slow API)
        self.client_id, self.client_secret = client or (None, None)
        self.refresh_tokens = set(refresh_tokens)
        self.expires_in = expires_in
        self.refreshes = 0      # access tokens issued by the token endpoint
        self.issued = []        # those tokens, in order
        self.unauthorized = 0   # API calls answered 401 authError
        handler = self._handler_class()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}/youtube/v3"
        self.token_url = f"https://127.0.0.1:{self.port}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # --- test controls ---
    def _comment(self, cid, video, text, author_channel, author_name, created, parent=None):
        c = {"id": cid, "video": video, "text": text, "author": author_channel, "name": author_name,
             "published": created or time.time(), "updated": created or time.time(), "parent": parent}
        self.comments[cid] = c
        return c

    def add_thread(self, thread_id, video_id, text, author_channel="UCresident0000000000001", author_name="Resident",
                   created=None):
        with self.lock:
            top = self._comment(thread_id, video_id, text, author_channel, author_name, created)
            self.threads[thread_id] = {"id": thread_id, "video": video_id, "top": top, "replies": []}

    def add_reply(self, thread_id, reply_id, text, author_channel="UCresident0000000000002", author_name="Neighbour",
                  created=None):
        with self.lock:
            t = self.threads[thread_id]
            t["replies"].append(self._comment(f"{thread_id}.{reply_id}", t["video"], text, author_channel,
                                              author_name, created, parent=thread_id))

    def fail_next(self, path_part, status, body=None, headers=None, count=1):
        with self.lock:
            self._faults.append([path_part, status, body, headers or {}, count])

    def delay_next(self, path_part, seconds, count=1):
        """Hold the next `count` answers to paths containing `path_part` back by `seconds` (recorded first)."""
        with self.lock:
            self._delays.append([path_part, seconds, count])

    def expire_access_tokens(self):
        """Every access token known so far expires: the API answers 401 authError to it."""
        with self.lock:
            self.tokens.clear()

    def revoke_refresh_token(self, token):
        with self.lock:
            self.refresh_tokens.discard(token)

    def add_refresh_token(self, token):
        with self.lock:
            self.refresh_tokens.add(token)

    def faults_pending(self, path_part):
        with self.lock:
            return any(f[0] == path_part and f[4] > 0 for f in self._faults)

    def requests_to(self, method=None, path_part=""):
        with self.lock:
            return [r for r in self.requests if (method is None or r["method"] == method) and path_part in r["path"]]

    # --- resources ---
    def _comment_resource(self, c):
        sn = {"authorDisplayName": c["name"], "authorChannelUrl": "http://www.youtube.com/channel/" + c["author"],
              "authorChannelId": {"value": c["author"]}, "channelId": self.channel_id, "videoId": c["video"],
              "textDisplay": c["text"], "textOriginal": c["text"], "canRate": True, "viewerRating": "none",
              "likeCount": 0, "publishedAt": rfc3339(c["published"]), "updatedAt": rfc3339(c["updated"])}
        if c["parent"]:
            sn["parentId"] = c["parent"]
        return {"kind": "youtube#comment", "etag": "fake", "id": c["id"], "snippet": sn}

    def _visible(self, c):
        # Held for review and rejected comments leave the public lists, as on YouTube.
        return self.moderation.get(c["id"], "published") == "published"

    def _thread_resource(self, t):
        replies = [r for r in t["replies"] if self._visible(r)]
        out = {"kind": "youtube#commentThread", "etag": "fake", "id": t["id"],
               "snippet": {"channelId": self.channel_id, "videoId": t["video"],
                           "topLevelComment": self._comment_resource(t["top"]), "canReply": True,
                           "totalReplyCount": len(replies), "isPublic": True}}
        if replies:  # like YouTube: only some replies come with the thread
            out["replies"] = {"comments": [self._comment_resource(r) for r in replies[-5:]]}
        return out

    def _page(self, items, query):
        start = int(base64.b64decode(query["pageToken"]).decode()) if query.get("pageToken") else 0
        limit = min(int(query.get("maxResults") or 20), self.page_size)
        chunk = items[start:start + limit]
        out = {"kind": "youtube#commentThreadListResponse", "etag": "fake",
               "pageInfo": {"totalResults": len(items), "resultsPerPage": limit}, "items": chunk}
        if start + limit < len(items):
            out["nextPageToken"] = base64.b64encode(str(start + limit).encode()).decode()
        return out

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
        data = b"" if body is None else json.dumps(body).encode()
        h.send_response(status)
        if body is not None:
            h.send_header("Content-Type", "application/json; charset=UTF-8")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _serve(self, h, method):
        url = urllib.parse.urlsplit(h.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        auth = h.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        form = {}
        if h.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            form = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()}
        with self.lock:
            self.requests.append({"method": method, "path": url.path, "query": query, "time": time.time(),
                                  "token": token, "key": query.get("key", ""), "form": form,
                                  "content_type": h.headers.get("Content-Type"),
                                  "content_length": h.headers.get("Content-Length")})
            fault = None
            for f in self._faults:
                if f[0] in url.path and f[4] > 0:
                    f[4] -= 1
                    fault = f
                    break
            delay = 0
            for d in self._delays:
                if d[0] in url.path and d[2] > 0:
                    d[2] -= 1
                    delay = d[1]
                    break
        if delay:
            time.sleep(delay)
        if fault:
            return self._reply(h, fault[1], fault[2] if fault[2] is not None else
                               google_error(fault[1], "backendError", "Backend Error", domain="global"), fault[3])
        if method == "POST" and url.path == "/token":
            with self.lock:
                status, answer = self._token(h.headers.get("Content-Type", ""), form)
            return self._reply(h, status, answer)
        with self.lock:
            refused = token not in self.tokens and query.get("key", "") not in self.keys
            if refused:
                self.unauthorized += 1
        if refused:
            return self._reply(h, 401, AUTH_ERROR)
        with self.lock:
            status, body = self._route(method, url.path, query, bool(token))
        self._reply(h, status, body)

    def _token(self, content_type, form):
        """The refresh_token grant, with Google's answers (400/401 and an OAuth error object)."""
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return 400, {"error": "invalid_request", "error_description": "Bad Request"}
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "
                         + form.get("grant_type", "")}
        if self.client_id is None or form.get("client_id") != self.client_id or \
                form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        if form.get("refresh_token") not in self.refresh_tokens:
            return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
        new = "ya29.fake-renewed-" + os.urandom(8).hex()
        self.tokens.add(new)
        self.issued.append(new)
        self.refreshes += 1
        return 200, {"access_token": new, "expires_in": self.expires_in,
                     "scope": "https://www.googleapis.com/auth/youtube.force-ssl", "token_type": "Bearer"}

    def _route(self, method, path, query, oauth):
        if method == "GET" and path == "/youtube/v3/commentThreads":
            if query.get("allThreadsRelatedToChannelId") != self.channel_id or "snippet" not in query.get("part", ""):
                return 400, google_error(400, "invalidParameter", "bad commentThreads query")
            threads = [t for t in self.threads.values() if self._visible(t["top"])]

            def activity(t):
                return max([t["top"]["updated"]] + [r["updated"] for r in t["replies"]])
            threads.sort(key=lambda t: -activity(t))
            return 200, self._page([self._thread_resource(t) for t in threads], query)
        if method == "GET" and path == "/youtube/v3/comments":
            t = self.threads.get(query.get("parentId", ""))
            if t is None:
                return 404, google_error(404, "commentNotFound", "The comment could not be found.",
                                         domain="youtube.comment")
            return 200, self._page([self._comment_resource(r) for r in t["replies"] if self._visible(r)], query)
        if method == "POST" and path == "/youtube/v3/comments/setModerationStatus":
            if not oauth:
                return 401, google_error(401, "required", "Login Required.", domain="global")
            status = query.get("moderationStatus", "")
            if status not in ("heldForReview", "published", "rejected"):
                return 400, google_error(400, "invalidModerationStatus", "The moderation status is invalid.",
                                         domain="youtube.comment")
            ids = [i for i in query.get("id", "").split(",") if i]
            if not ids or len(ids) > 50:
                return 400, google_error(400, "invalidParameter", "id: 1 to 50 ids", domain="youtube.comment")
            for i in ids:
                if i not in self.comments or self.moderation.get(i) == "rejected":
                    return 404, google_error(404, "commentNotFound", "The comment could not be found.",
                                             domain="youtube.comment")
            for i in ids:
                self.moderation[i] = status
            return 204, None
        return 404, google_error(404, "notFound", "Not Found", domain="global")
