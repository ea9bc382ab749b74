#pragma once
// Mastodon status content is HTML (https://docs.joinmastodon.org/spec/activitypub/#sanitization:
// p, br, a, span and a few inline tags survive the server's sanitiser). The classifier reads text,
// so: paragraphs become blank lines, <br> a newline, tags go, entities are decoded (named ones
// Mastodon emits, and numeric). Pure; a malformed tag is dropped up to its '>' or the end.
#include <string>
#include <string_view>

namespace moderatord::connectors::mastodon {

std::string html_to_text(std::string_view html);

}  // namespace moderatord::connectors::mastodon
