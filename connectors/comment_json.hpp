#pragma once
// Our own comment shape in JSON, used by the generic webhook and the replay feed:
//   {"id": "c1", "text": "...", "thread_id": "p1", "parent_id": "", "author": {"id": "u1", "name": "Ann"},
//    "url": "https://...", "created_at": 1764000000, "kind": "comment"}
// Only "id" and "text" are required. `kind` is comment | direct_message | own_post | own_reply.
#include <simdjson.h>

#include <string>

#include "classifier/error.hpp"
#include "model/comment.hpp"

namespace moderatord::connectors {

// Decodes one comment object. Errors say which field is wrong (never echo the text back).
classifier::Result<model::Comment> comment_from_json(simdjson::dom::element obj, const std::string& account,
                                                     const std::string& platform);

}  // namespace moderatord::connectors
