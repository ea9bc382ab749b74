// YouTube Data API responses against the recorded samples (tests/data/platforms/youtube/), the
// quota ledger's day (midnight Pacific, across the DST change), the poll spreading, and the
// factory's validation of the account settings.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "connectors/connector.hpp"
#include "connectors/meta/graph_json.hpp"
#include "connectors/youtube/quota_ledger.hpp"
#include "connectors/youtube/youtube_json.hpp"
#include "meta_test_support.hpp"

namespace moderatord::connectors::youtube {
namespace {

using test::sample;
using namespace std::chrono_literals;

std::int64_t at(const char* iso) { return meta::parse_graph_time(iso).value(); }
std::int64_t ms(const char* iso) { return at(iso) * 1000; }

TEST(YouTubeJson, ThreadWithRepliesAndOwnReply) {
  // The reply's author is taken as the channel here, to see own_reply recognised.
  const Channel ch{"yt", "UCsl2A_QzcSnFD2hpCyVwXxA"};
  auto page = parse_comment_threads(sample("youtube/commentThreads-list-with-replies.json"), ch);
  ASSERT_TRUE(page) << page.error().to_string();
  ASSERT_EQ(page->items.size(), 2u);
  const auto& top = page->items[0];
  EXPECT_EQ(top.platform_id, "UgydxWWoeA7F1OdqypJ4AaABAg");
  EXPECT_EQ(top.text, "Actions.ai");  // textOriginal, not the HTML of textDisplay
  EXPECT_EQ(top.thread_id, "D-lhorsDlUQ");
  EXPECT_EQ(top.parent_id, "");
  EXPECT_EQ(top.author_id, "UCe9i1nJCcevTa6KJa55KYog");
  EXPECT_EQ(top.author_name, "Loren Robilio");
  EXPECT_EQ(top.created_at, at("2019-06-23T08:24:24Z"));
  EXPECT_EQ(top.kind, model::CommentKind::comment);
  EXPECT_EQ(top.platform, "youtube");
  EXPECT_EQ(top.url, "https://www.youtube.com/watch?v=D-lhorsDlUQ&lc=UgydxWWoeA7F1OdqypJ4AaABAg");
  const auto& reply = page->items[1];
  EXPECT_EQ(reply.parent_id, "UgydxWWoeA7F1OdqypJ4AaABAg");
  EXPECT_EQ(reply.thread_id, "D-lhorsDlUQ");
  EXPECT_EQ(reply.kind, model::CommentKind::own_reply);
  ASSERT_EQ(page->threads.size(), 1u);
  EXPECT_EQ(page->threads[0].newest, at("2019-07-20T20:22:27Z"));  // the reply is the newest activity
  EXPECT_EQ(page->threads[0].missing_replies, 0);
  EXPECT_FALSE(page->next_page_token.empty());
}

TEST(YouTubeJson, RepliesNotBroughtAreCounted) {
  // Listed without part=replies: totalReplyCount 1 and no replies, so one is missing.
  auto page = parse_comment_threads(sample("youtube/commentThreads-list-all-threads-related-to-channel.json"),
                                    {"yt", "UCa-vrCLQHviTOVnEKDOdetQ"});
  ASSERT_TRUE(page) << page.error().to_string();
  EXPECT_EQ(page->threads.size(), 4u);
  EXPECT_EQ(page->items.size(), 4u);
  int missing = 0;
  for (const auto& t : page->threads) missing += t.missing_replies;
  EXPECT_EQ(missing, 1);
  EXPECT_TRUE(page->next_page_token.empty());
  // Two comments on videos, two on the channel itself (no videoId: each is its own thread).
  int on_video = 0;
  for (const auto& c : page->items) {
    on_video += c.thread_id == "JE8xdDp5B8Q";
    if (c.thread_id != "JE8xdDp5B8Q") {
      EXPECT_EQ(c.thread_id, c.platform_id);
      EXPECT_NE(c.url.find("/channel/UCa-vrCLQHviTOVnEKDOdetQ/"), std::string::npos) << c.url;
    }
  }
  EXPECT_EQ(on_video, 2);
}

TEST(YouTubeJson, PagedThreadsAndReplies) {
  auto page = parse_comment_threads(sample("youtube/commentThreads-list-paged.json"), {"yt", "UCnobody"});
  ASSERT_TRUE(page) << page.error().to_string();
  EXPECT_FALSE(page->next_page_token.empty());
  EXPECT_FALSE(page->items.empty());
  auto replies = parse_comment_replies(sample("youtube/comments-list-by-parent-paged.json"), {"yt", "UCnobody"}, "vid");
  ASSERT_TRUE(replies) << replies.error().to_string();
  ASSERT_FALSE(replies->items.empty());
  for (const auto& c : replies->items) {
    EXPECT_FALSE(c.parent_id.empty());
    EXPECT_EQ(c.thread_id, "vid");
  }
  EXPECT_FALSE(parse_comment_threads("{\"items\": 3}", {"yt", "x"}));
  EXPECT_FALSE(parse_comment_threads("not json", {"yt", "x"}));
}

TEST(YouTubeJson, ErrorsAreClassified) {
  auto cls = [](const std::string& file, unsigned status) { return classify(parse_api_error(sample(file)), status); };
  EXPECT_EQ(cls("youtube/error-quotaExceeded.json", 403), ApiErrorClass::quota);
  EXPECT_EQ(cls("youtube/error-keyInvalid.json", 400), ApiErrorClass::auth_invalid);
  EXPECT_EQ(cls("youtube/error-permission-denied.json", 403), ApiErrorClass::permission);
  EXPECT_EQ(cls("youtube/error-commentNotFound.json", 404), ApiErrorClass::not_found);
  EXPECT_EQ(classify(std::nullopt, 401), ApiErrorClass::auth_invalid);
  EXPECT_EQ(classify(std::nullopt, 429), ApiErrorClass::rate_limited);
  EXPECT_EQ(classify(std::nullopt, 503), ApiErrorClass::transient);
  EXPECT_EQ(classify(std::nullopt, 400), ApiErrorClass::other);
  auto e = parse_api_error(sample("youtube/error-quotaExceeded.json"));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, 403);
  EXPECT_EQ(e->domain, "youtube.quota");
  EXPECT_EQ(describe(e, 403).substr(0, 22), "HTTP 403 quotaExceeded");
  EXPECT_FALSE(parse_api_error("{\"items\": []}"));
}

QuotaLedger ledger(int limit = 10'000) {
  return QuotaLedger(limit, daemon::policy::TimeZone::load("America/Los_Angeles").value());
}

TEST(QuotaLedger, ResetsAtMidnightPacific) {
  auto l = ledger();
  // 2026-11-24 07:59:59 UTC is 23:59:59 PST on the 23rd.
  l.charge(9'990, ms("2026-11-24T07:59:59Z"));
  EXPECT_EQ(l.remaining(ms("2026-11-24T07:59:59Z")), 10);
  EXPECT_EQ(l.reset_at(ms("2026-11-24T07:59:59Z")), ms("2026-11-24T08:00:00Z"));
  EXPECT_EQ(l.remaining(ms("2026-11-24T08:00:00Z")), 10'000);  // a new day in California
  l.charge(1, ms("2026-11-24T08:00:01Z"));
  EXPECT_EQ(l.used(ms("2026-11-24T08:00:01Z")), 1);
  l.exhaust(ms("2026-11-24T09:00:00Z"));
  EXPECT_EQ(l.remaining(ms("2026-11-24T09:00:00Z")), 0);
  EXPECT_EQ(l.remaining(ms("2026-11-25T08:00:00Z")), 10'000);
}

TEST(QuotaLedger, DaylightSavingDays) {
  auto l = ledger();
  // Sunday 2026-03-08 starts at 08:00 UTC (PST) and the next day at 07:00 UTC (PDT): 23 hours.
  EXPECT_EQ(l.reset_at(ms("2026-03-08T12:00:00Z")), ms("2026-03-09T07:00:00Z"));
  // Sunday 2026-11-01 is 25 hours: from 07:00 UTC (PDT) to 08:00 UTC the next day (PST).
  EXPECT_EQ(l.reset_at(ms("2026-11-01T07:30:00Z")), ms("2026-11-02T08:00:00Z"));
}

TEST(QuotaLedger, PersistsItsDay) {
  auto l = ledger();
  l.charge(1'234, ms("2026-11-24T20:00:00Z"));
  EXPECT_EQ(l.serialize(), "2026-11-24 1234");
  auto m = ledger();
  ASSERT_TRUE(m.restore(l.serialize()));
  EXPECT_EQ(m.used(ms("2026-11-24T21:00:00Z")), 1'234);
  EXPECT_EQ(m.used(ms("2026-11-25T09:00:00Z")), 0);  // restored yesterday's: today starts at 0
  for (const char* bad : {"", "2026-11-24", "2026-13-01 5", "2026-11-24 -3", "2026-11-24 12x"})
    EXPECT_FALSE(m.restore(bad)) << bad;
}

TEST(QuotaLedger, PollsSlowDownBeforeTheQuotaRunsOut) {
  const auto ten_hours = std::chrono::milliseconds(10h);
  // Plenty left: the configured interval.
  EXPECT_EQ(poll_delay(10'000, 1'000, 3, ten_hours, 300s), std::chrono::milliseconds(300s));
  // 10 units over the reserve, 3 a poll: 3 polls spread over the 10 hours left.
  EXPECT_EQ(poll_delay(1'010, 1'000, 3, ten_hours, 300s), ten_hours / 3);
  // Not one more poll fits: wait for the reset.
  EXPECT_EQ(poll_delay(1'002, 1'000, 3, ten_hours, 300s), ten_hours);
  EXPECT_EQ(poll_delay(0, 0, 1, ten_hours, 300s), ten_hours);
}

TEST(YouTubeJson, TokenEndpointAnswers) {
  // https://developers.google.com/identity/protocols/oauth2/web-server#offline
  auto t = parse_access_token(R"({"access_token": "ya29.a0AfB_new", "expires_in": 3599,
      "scope": "https://www.googleapis.com/auth/youtube.force-ssl", "token_type": "Bearer"})");
  ASSERT_TRUE(t) << t.error().to_string();
  EXPECT_EQ(t->token, "ya29.a0AfB_new");
  EXPECT_EQ(t->expires_in, 3599);
  EXPECT_FALSE(parse_access_token(R"({"error": "invalid_grant"})"));
  EXPECT_FALSE(parse_access_token("not json"));
  // It goes into a header: a CR or LF (or anything outside RFC 6750's token characters) is refused.
  EXPECT_FALSE(parse_access_token(R"({"access_token": "ya29.x\r\nX-Injected: 1", "expires_in": 3599})"));
  EXPECT_FALSE(parse_access_token(R"({"access_token": "ya29 x"})"));
  EXPECT_TRUE(parse_access_token(R"({"access_token": "ya29.A0-_~+/b=="})"));
  auto e = parse_oauth_error(R"({"error": "invalid_grant", "error_description": "Token has been expired or revoked."})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->error, "invalid_grant");
  EXPECT_EQ(e->description, "Token has been expired or revoked.");
  EXPECT_FALSE(parse_oauth_error(R"({"error": {"code": 401, "message": "Request had invalid authentication credentials."}})"));
  EXPECT_FALSE(parse_oauth_error("<html>"));
}

// --- the factory ---
class YouTubeConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("yt-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "token") << "ya29.secret-token\n";
    std::ofstream(dir_ / "key") << "AIzaSecretKey\n";
    std::ofstream(dir_ / "client-secret") << "GOCSPX-secret-client\n";
    std::ofstream(dir_ / "refresh") << "1//secret-refresh\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  ConnectorConfig config(std::map<std::string, std::string> settings) {
    ConnectorConfig c;
    c.id = "council-yt";
    c.platform = "youtube";
    c.settings = std::move(settings);
    c.config_dir = dir_;
    c.state_dir = dir_;
    return c;
  }
  std::string error_of(std::map<std::string, std::string> settings) {
    auto r = make_connector(config(std::move(settings)));
    return r ? std::string() : r.error().to_string();
  }
  std::filesystem::path dir_;
};

TEST_F(YouTubeConfig, ValidAccounts) {
  auto oauth = make_connector(config({{"channel_id", "UCcouncil"}, {"access_token_file", "token"}}));
  ASSERT_TRUE(oauth) << oauth.error().to_string();
  EXPECT_EQ((*oauth)->platform(), "youtube");
  auto caps = (*oauth)->capabilities();
  EXPECT_TRUE(caps.hide.supported && caps.hide.undoable);
  EXPECT_TRUE(caps.unhide.supported);
  EXPECT_FALSE(caps.remove.supported);  // allow_reject is off by default
  EXPECT_FALSE(caps.report.supported);
  auto reject = make_connector(
      config({{"channel_id", "UCcouncil"}, {"access_token_file", "token"}, {"allow_reject", "true"}, {"quota_per_day", "50000"}}));
  ASSERT_TRUE(reject) << reject.error().to_string();
  EXPECT_TRUE((*reject)->capabilities().remove.supported);
  EXPECT_FALSE((*reject)->capabilities().remove.undoable);
  auto key = make_connector(config({{"channel_id", "UCcouncil"}, {"api_key_file", "key"}}));
  ASSERT_TRUE(key) << key.error().to_string();
  EXPECT_FALSE((*key)->capabilities().hide.supported);  // an API key only reads
}

TEST_F(YouTubeConfig, InvalidAccountsFailAtStartup) {
  EXPECT_NE(error_of({{"access_token_file", "token"}}).find("channel_id is required"), std::string::npos);
  EXPECT_NE(error_of({{"channel_id", "UC/../x"}, {"access_token_file", "token"}}).find("channel_id"), std::string::npos);
  EXPECT_NE(error_of({{"channel_id", "UCcouncil"}}).find("api_key_file"), std::string::npos);
  EXPECT_NE(error_of({{"channel_id", "UCcouncil"}, {"access_token_file", "missing"}}).find("cannot read"),
            std::string::npos);
  EXPECT_NE(error_of({{"channel_id", "UCcouncil"}, {"access_token_file", "token"}, {"quota_reserve", "10000"}})
                .find("quota_reserve"),
            std::string::npos);
  EXPECT_NE(error_of({{"channel_id", "UCcouncil"}, {"access_token_file", "token"}, {"allow_reject", "yes"}})
                .find("allow_reject"),
            std::string::npos);
  EXPECT_NE(error_of({{"channel_id", "UCcouncil"}, {"access_token_file", "token"}, {"api_base", "http://x"}})
                .find("https://"),
            std::string::npos);
  EXPECT_NE(error_of({{"channel_id", "UCcouncil"}, {"access_token_file", "token"}, {"page_id", "1"}})
                .find("unknown youtube setting 'page_id'"),
            std::string::npos);
  // Errors never quote the secret.
  for (const auto& e : {error_of({{"channel_id", "UCcouncil"}, {"access_token_file", "token"}, {"poll_interval", "-1"}})})
    EXPECT_EQ(e.find("secret-token"), std::string::npos);
}

TEST_F(YouTubeConfig, RefreshTokenSettingsComeTogether) {
  const std::map<std::string, std::string> full = {{"channel_id", "UCcouncil"},
                                                   {"client_id", "123-abc.apps.googleusercontent.com"},
                                                   {"client_secret_file", "client-secret"},
                                                   {"refresh_token_file", "refresh"}};
  // No access token needed: the connector gets one by refreshing, and can moderate.
  auto refresh_only = make_connector(config(full));
  ASSERT_TRUE(refresh_only) << refresh_only.error().to_string();
  EXPECT_TRUE((*refresh_only)->capabilities().hide.supported);
  auto with = [&](std::map<std::string, std::string> extra) {
    auto s = full;
    for (auto& [k, v] : extra) s[k] = v;  // not merge(): that keeps the existing value
    return s;
  };
  auto both = make_connector(config(with({{"access_token_file", "token"}, {"token_url", "https://127.0.0.1:9/token"}})));
  ASSERT_TRUE(both) << both.error().to_string();

  // Two of the three: the error names the missing one.
  auto without = [&](const std::string& key) {
    auto s = with({{"access_token_file", "token"}});
    s.erase(key);
    return error_of(s);
  };
  EXPECT_NE(without("client_id").find("client_id is missing"), std::string::npos) << without("client_id");
  EXPECT_NE(without("client_secret_file").find("client_secret_file / client_secret_credential is missing"),
            std::string::npos);
  EXPECT_NE(without("refresh_token_file").find("refresh_token_file / refresh_token_credential is missing"),
            std::string::npos);
  EXPECT_NE(error_of({{"channel_id", "UCcouncil"}, {"access_token_file", "token"}, {"client_id", "123"}})
                .find("client_secret_file / client_secret_credential is missing"),
            std::string::npos);
  EXPECT_NE(error_of({{"channel_id", "UCcouncil"}, {"access_token_file", "token"}, {"token_url", "https://x/token"}})
                .find("token_url is set"),
            std::string::npos);
  EXPECT_NE(error_of(with({{"token_url", "http://127.0.0.1/token"}})).find("token_url must be an https:// URL"),
            std::string::npos);
  EXPECT_NE(error_of(with({{"client_id", ""}})).find("client_id is empty"), std::string::npos);
  auto missing = full;
  missing["refresh_token_file"] = "no-such-file";
  EXPECT_NE(error_of(missing).find("cannot read refresh_token"), std::string::npos);
  // Errors never quote the secrets.
  for (const auto& e : {without("client_id"), error_of(missing), error_of(with({{"poll_interval", "-1"}}))}) {
    EXPECT_EQ(e.find("secret-client"), std::string::npos) << e;
    EXPECT_EQ(e.find("secret-refresh"), std::string::npos) << e;
  }
}

}  // namespace
}  // namespace moderatord::connectors::youtube
