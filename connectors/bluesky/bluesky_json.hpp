#pragma once
// AT Protocol (Bluesky) XRPC bodies: sessions, notifications, posts, threadgate records, errors.
// Pure: tested on the recorded samples and lexicons in ../shared/platforms/bluesky/.
//   app.bsky.notification.listNotifications, com.atproto.server.createSession / refreshSession,
//   app.bsky.feed.getPosts, com.atproto.repo.getRecord / putRecord (app.bsky.feed.threadgate),
//   com.atproto.moderation.createReport. https://docs.bsky.app/docs/api/
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classifier/error.hpp"
#include "model/comment.hpp"

namespace moderatord::connectors::bluesky {

struct Account {
  std::string account;  // our account id (config)
  std::string did;      // the council's DID (from the session)
};

// at://<did>/<collection>/<rkey>
struct AtUri {
  std::string did, collection, rkey;
};
std::optional<AtUri> parse_at_uri(std::string_view uri);

struct Session {
  std::string access_jwt, refresh_jwt;  // never logged
  std::string did, handle;
};
classifier::Result<Session> parse_session(std::string_view body);

struct NotificationPage {
  std::vector<model::Comment> items;  // replies and mentions that are posts, newest first
  std::vector<std::int64_t> indexed_ms;  // per item: its indexedAt (unix ms)
  std::int64_t newest_ms = 0;         // the newest indexedAt on the page (every reason), unix ms
  std::int64_t oldest_ms = 0;         // the oldest one: paging stops once it is older than the cursor
  std::string cursor;                 // "" on the last page
  int skipped = 0;
};
// Replies whose root post is not the council's are marked no_hide_reason (a threadgate can hide
// replies only under the account's own posts). The council's own posts are own_post / own_reply.
classifier::Result<NotificationPage> parse_notifications(std::string_view body, const Account& account);

// One post from app.bsky.feed.getPosts: what a hide or report needs.
struct PostRef {
  std::string uri, cid;
  std::string root_uri;  // reply.root.uri, "" for a top-level post
};
classifier::Result<PostRef> parse_get_posts(std::string_view body, std::string_view uri);

// A threadgate record from com.atproto.repo.getRecord, and the record to put back.
struct Threadgate {
  std::string cid;                          // for swapRecord
  std::vector<std::string> hidden_replies;
  std::string value_json;                   // the record as received (other fields are kept)
};
classifier::Result<Threadgate> parse_threadgate(std::string_view get_record_body);
// The threadgate record with `hidden` as hiddenReplies and every other field of `existing` kept
// (an absent "allow" means anyone may reply: it must stay absent). `existing` empty: a new record
// for `post_uri` created at `created_at` (ISO 8601).
std::string threadgate_record(const std::optional<Threadgate>& existing, const std::string& post_uri,
                              const std::vector<std::string>& hidden, const std::string& created_at);

// XRPC errors: {"error": "ExpiredToken", "message": "..."}
struct XrpcError {
  std::string error, message;
};
std::optional<XrpcError> parse_xrpc_error(std::string_view body);

// The report reason (com.atproto.moderation.defs) that fits our labels (comma-separated, as in the
// action payload): illegal and personal data → reasonViolation, sexual → reasonSexual, deceptive →
// reasonMisleading, abusive / discriminatory / obscene → reasonRude, nothing → reasonOther.
std::string_view report_reason(std::string_view labels_csv) noexcept;

std::string json_string(std::string_view s);  // a JSON string literal, quotes included

}  // namespace moderatord::connectors::bluesky
