#include "connectors/instagram/instagram_connector.hpp"

#include <spdlog/spdlog.h>

#include "connectors/meta/graph_reads.hpp"
#include "connectors/meta/meta_connector.hpp"

namespace moderatord::connectors {
namespace {

constexpr std::string_view kCommentFields =
    "id,text,timestamp,username,from,parent_id,replies{id,text,timestamp,username,from,parent_id}";
constexpr int kMediaPerPoll = 10;  // the most recent media: where comments arrive
constexpr int kCommentsPerPage = 50;

class InstagramConnector final : public meta::MetaConnector {
 public:
  using MetaConnector::MetaConnector;

 protected:
  net::awaitable<std::optional<std::int64_t>> poll_once(const CommentSink& sink, std::int64_t since) override {
    const std::int64_t from = since - s_.overlap.count();
    std::int64_t newest = since;
    std::size_t delivered = 0;
    std::vector<model::Comment> fresh;
    // Mentions in comments elsewhere: the webhook gave ids only; fetch the text.
    for (const auto& m : take_mentions()) {
      const std::string fields = "mentioned_comment.comment_id(" + m.comment_id + "){id,text,timestamp,username,from,media{id}}";
      const std::string path = "/" + s_.owner.id + "?fields=" + meta::url_encode(fields);
      auto body = co_await graph_get(path);
      if (!body) continue;
      if (auto c = mentioned_comment(*body, m.media_id)) fresh.push_back(std::move(*c));
    }
    const std::string media_path = "/" + s_.owner.id + "/media?fields=" +
                                   meta::url_encode("id,caption,timestamp,permalink,comments_count") +
                                   "&limit=" + std::to_string(kMediaPerPoll);
    auto media_body = co_await graph_get(media_path);
    if (!media_body) co_return std::nullopt;
    auto media = meta::parse_instagram_media(*media_body, s_.owner);
    if (!media) {
      spdlog::warn("{}: unreadable media list: {}", id(), media.error().to_string());
      co_return std::nullopt;
    }
    keep_fresh(media->items, from, newest, fresh);
    for (const auto& media_id : media->more) {
      std::string url = "/" + media_id + "/comments?fields=" + meta::url_encode(std::string(kCommentFields)) +
                        "&limit=" + std::to_string(kCommentsPerPage);
      for (int i = 0; !url.empty() && i < s_.max_pages; ++i) {
        auto body = co_await graph_get(url);
        if (!body) co_return std::nullopt;
        auto page = meta::parse_instagram_comments(*body, s_.owner, media_id);
        if (!page) {
          spdlog::warn("{}: unreadable comments of {}: {}", id(), media_id, page.error().to_string());
          co_return std::nullopt;
        }
        const bool any_old = keep_fresh(page->items, from, newest, fresh);
        url = any_old ? std::string() : page->next;
      }
    }
    delivered = fresh.size();
    auto stored = deliver(sink, std::move(fresh));  // not inside co_await: GCC 12 temporaries
    if (!co_await std::move(stored)) co_return std::nullopt;
    if (delivered > 0) spdlog::info("{}: poll found {} item(s) since {}", id(), delivered, from);
    co_return newest;
  }

 private:
  // Moves items created at or after `from` to `out`; true when some were older.
  static bool keep_fresh(std::vector<model::Comment>& items, std::int64_t from, std::int64_t& newest,
                         std::vector<model::Comment>& out) {
    bool older = false;
    for (auto& c : items) {
      if (c.created_at < from) {
        older = true;
        continue;
      }
      newest = std::max(newest, c.created_at);
      out.push_back(std::move(c));
    }
    items.clear();
    return older;
  }

  std::optional<model::Comment> mentioned_comment(const std::string& body, const std::string& media_id) const {
    simdjson::dom::parser parser;
    simdjson::dom::object root, mc;
    if (parser.parse(body).get_object().get(root) != simdjson::SUCCESS ||
        root["mentioned_comment"].get_object().get(mc) != simdjson::SUCCESS)
      return std::nullopt;
    model::Comment c;
    c.account = s_.owner.account;
    c.platform = "instagram";
    c.platform_id = meta::id_at(mc, "id");
    c.text = meta::string_at(mc, "text");
    c.thread_id = media_id;
    c.author_name = meta::string_at(mc, "username");
    c.created_at = meta::time_at(mc, "timestamp").value_or(0);
    if (c.platform_id.empty() || c.text.empty()) return std::nullopt;
    return c;
  }
};

}  // namespace

Result<ConnectorPtr> make_instagram_connector(const ConnectorConfig& config) {
  auto s = meta::read_meta_settings(config, meta::MetaPlatform::instagram);
  if (!s) return s.error();
  s->poll_messages = false;
  auto token_source = [config] { return read_secret(config, "access_token"); };
  return ConnectorPtr(std::make_unique<InstagramConnector>(std::move(*s), token_source, config.alerts));
}

}  // namespace moderatord::connectors
