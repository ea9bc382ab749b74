#include "connectors/facebook/facebook_connector.hpp"

#include <spdlog/spdlog.h>

#include "connectors/meta/graph_reads.hpp"
#include "connectors/meta/meta_connector.hpp"

namespace moderatord::connectors {
namespace {

using meta::GraphPage;

// Posts with their newest comments in one call; a post with more comments than this pages on.
// Field expansion: https://developers.facebook.com/docs/graph-api/guides/field-expansion
constexpr std::string_view kCommentFields = "id,message,created_time,from,parent{id},permalink_url";
constexpr int kPostsPerPage = 25;
constexpr int kCommentsPerPage = 50;

class FacebookConnector final : public meta::MetaConnector {
 public:
  using MetaConnector::MetaConnector;

 protected:
  net::awaitable<std::optional<std::int64_t>> poll_once(const CommentSink& sink, std::int64_t since) override {
    const std::int64_t from = since - s_.overlap.count();
    std::int64_t newest = since;
    std::size_t delivered = 0;
    const std::string fields = "id,message,created_time,from,permalink_url,comments.order(reverse_chronological).limit(" +
                               std::to_string(kCommentsPerPage) + "){" + std::string(kCommentFields) + "}";
    // Posts of the lookback window (new comments land on older posts too), newest first.
    std::string url = "/" + s_.owner.id + "/feed?fields=" + meta::url_encode(fields) +
                      "&since=" + std::to_string(since - s_.lookback.count()) + "&limit=" + std::to_string(kPostsPerPage);
    for (int page_no = 0; !url.empty() && page_no < s_.max_pages; ++page_no) {
      auto body = co_await graph_get(url);
      if (!body) co_return std::nullopt;
      auto page = meta::parse_facebook_feed(*body, s_.owner);
      if (!page) {
        spdlog::warn("{}: unreadable feed page: {}", id(), page.error().to_string());
        co_return std::nullopt;
      }
      std::vector<model::Comment> fresh;
      take_fresh(*page, from, newest, fresh);
      // A post whose first comments page was all new may have more new ones further on.
      for (const auto& more : page->more) {
        const auto sp = more.find(' ');
        const std::string post_id = more.substr(0, sp), next = more.substr(sp + 1);
        if (!all_fresh(*page, post_id, from)) continue;  // reverse chronological: the rest is older
        auto ok = co_await read_comments(post_id, next, from, newest, fresh);
        if (!ok) co_return std::nullopt;
      }
      delivered += fresh.size();
      auto stored = deliver(sink, std::move(fresh));  // not inside co_await: GCC 12 temporaries
      if (!co_await std::move(stored)) co_return std::nullopt;
      url = page->next;
    }
    if (!url.empty())  // stopped at max_pages: older posts wait for the webhooks (or a larger max_pages)
      spdlog::warn("{}: the feed has more than {} pages since {}; read the newest only", id(), s_.max_pages,
                   since - s_.lookback.count());
    if (s_.poll_messages) {
      const std::string conv = "/" + s_.owner.id + "/conversations?platform=messenger&fields=" +
                               meta::url_encode("id,updated_time,messages.limit(25){id,message,created_time,from}") +
                               "&limit=25";
      auto body = co_await graph_get(conv);
      if (!body) co_return std::nullopt;
      auto page = meta::parse_facebook_conversations(*body, s_.owner);
      if (!page) {
        spdlog::warn("{}: unreadable conversations page: {}", id(), page.error().to_string());
        co_return std::nullopt;
      }
      std::vector<model::Comment> fresh;
      take_fresh(*page, from, newest, fresh);
      delivered += fresh.size();
      auto stored = deliver(sink, std::move(fresh));
      if (!co_await std::move(stored)) co_return std::nullopt;
    }
    if (delivered > 0) spdlog::info("{}: poll found {} item(s) since {}", id(), delivered, from);
    co_return newest;
  }

 private:
  static void take_fresh(GraphPage& page, std::int64_t from, std::int64_t& newest, std::vector<model::Comment>& out) {
    std::vector<model::Comment> stale;  // seen by an earlier poll (or webhook): not re-sent
    for (auto& c : page.items) {
      if (c.created_at < from) {
        stale.push_back(std::move(c));
        continue;
      }
      newest = std::max(newest, c.created_at);
      out.push_back(std::move(c));
    }
    page.items = std::move(stale);
  }

  static bool all_fresh(const GraphPage& page, const std::string& post_id, std::int64_t from) {
    // Called after take_fresh moved the fresh ones out: what is left is older than `from`.
    for (const auto& c : page.items)
      if (c.thread_id == post_id && c.platform_id != post_id && c.created_at < from) return false;
    return true;
  }

  net::awaitable<bool> read_comments(const std::string& post_id, const std::string& first, std::int64_t from,
                                     std::int64_t& newest, std::vector<model::Comment>& out) {
    std::string next = first;
    for (int i = 0; !next.empty() && i < s_.max_pages; ++i) {
      auto body = co_await graph_get(next);
      if (!body) co_return false;
      auto page = meta::parse_facebook_comments(*body, s_.owner, post_id);
      if (!page) co_return false;
      bool older = false;
      for (auto& c : page->items) {
        if (c.created_at < from) {
          older = true;
          continue;
        }
        newest = std::max(newest, c.created_at);
        out.push_back(std::move(c));
      }
      if (older) break;
      next = page->next;
    }
    co_return true;
  }
};

}  // namespace

Result<ConnectorPtr> make_facebook_connector(const ConnectorConfig& config) {
  auto s = meta::read_meta_settings(config, meta::MetaPlatform::facebook);
  if (!s) return s.error();
  auto token_source = [config] { return read_secret(config, "access_token"); };
  return ConnectorPtr(std::make_unique<FacebookConnector>(std::move(*s), token_source, config.alerts));
}

}  // namespace moderatord::connectors
