// libFuzzer target: any bytes as a YouTube commentThreads / comments list or error body, and as a
// Bluesky notifications list, getPosts answer or threadgate record. Parsing must give comments or a
// clear error, never crash; every comment keeps the invariants the store relies on, and a
// threadgate written back is valid JSON with the hidden replies we gave it.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/bluesky/bluesky_json.hpp"
#include "connectors/youtube/youtube_json.hpp"

namespace bluesky = moderatord::connectors::bluesky;
namespace youtube = moderatord::connectors::youtube;

namespace {

template <class Page>
void check(const Page& page, std::string_view platform) {
  for (const auto& c : page.items)
    if (c.platform_id.empty() || c.text.empty() || c.account != "fuzz" || c.platform != platform) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const youtube::Channel channel{"fuzz", "UCa-vrCLQHviTOVnEKDOdetQ"};
  if (auto p = youtube::parse_comment_threads(body, channel)) {
    check(*p, "youtube");
    for (const auto& t : p->threads)
      if (t.missing_replies < 0) std::abort();
  } else if (p.error().to_string().empty()) {
    std::abort();  // an error must say what is wrong
  }
  if (auto p = youtube::parse_comment_replies(body, channel, "vid")) check(*p, "youtube");
  (void)youtube::describe(youtube::parse_api_error(body), 403);
  // Google's token endpoint: a token is never empty, an expiry never negative, an error says what.
  if (auto t = youtube::parse_access_token(body)) {
    if (t->token.empty() || t->expires_in < 0) std::abort();
    if (t->token.find_first_of("\r\n ") != std::string::npos) std::abort();
  } else if (t.error().to_string().empty()) {
    std::abort();
  }
  if (auto e = youtube::parse_oauth_error(body); e && e->error.empty()) std::abort();

  const bluesky::Account account{"fuzz", "did:plc:iijrtk7ocored6zuziwmqq3c"};
  if (auto p = bluesky::parse_notifications(body, account)) {
    check(*p, "bluesky");
    if (p->indexed_ms.size() != p->items.size()) std::abort();
    for (const auto& c : p->items)
      if (!bluesky::parse_at_uri(c.platform_id)) std::abort();
  }
  (void)bluesky::parse_get_posts(body, "at://did:plc:a/app.bsky.feed.post/r");
  (void)bluesky::parse_xrpc_error(body);
  (void)bluesky::report_reason(body);
  if (auto at = bluesky::parse_at_uri(body); at && (at->did.rfind("did:", 0) != 0 || at->rkey.empty())) std::abort();
  if (auto gate = bluesky::parse_threadgate(body)) {
    std::vector<std::string> hidden = gate->hidden_replies;
    hidden.emplace_back("at://did:plc:x/app.bsky.feed.post/new");
    const std::string record = bluesky::threadgate_record(*gate, "at://did:plc:x/app.bsky.feed.post/root", hidden,
                                                          "2026-11-24T00:00:00.000Z");
    simdjson::dom::parser parser;
    simdjson::dom::array list;
    if (parser.parse(record).get_object()["hiddenReplies"].get_array().get(list) != simdjson::SUCCESS) std::abort();
    if (list.size() != hidden.size()) std::abort();
  }
  return 0;
}
