// The HTTPS client's pure parts: redaction, retry schedule, Retry-After, URLs.
#include <gtest/gtest.h>

#include "connectors/http/https_client.hpp"
#include "connectors/http/redact.hpp"
#include "connectors/http/retry_policy.hpp"

namespace moderatord::connectors::http {
namespace {

using namespace std::chrono_literals;

TEST(Redact, TokensInUrlsAndHeaders) {
  EXPECT_EQ(redact_url("https://graph.facebook.com/v11.0/1/comments?access_token=EAAB123&pretty=0&after=x"),
            "https://graph.facebook.com/v11.0/1/comments?access_token=REDACTED&pretty=0&after=x");
  EXPECT_EQ(redact_url("https://h/p?a=1&appsecret_proof=abc#frag"), "https://h/p?a=1&appsecret_proof=REDACTED#frag");
  EXPECT_EQ(redact_url("https://h/p?ACCESS_TOKEN=abc"), "https://h/p?ACCESS_TOKEN=REDACTED");
  EXPECT_EQ(redact_url("https://h/p"), "https://h/p");
  EXPECT_EQ(redact_url("https://h/p?fields=id,message"), "https://h/p?fields=id,message");
  EXPECT_EQ(redact_header("Authorization", "Bearer EAAB123"), "Bearer REDACTED");
  EXPECT_EQ(redact_header("authorization", "EAAB123"), "REDACTED");
  EXPECT_EQ(redact_header("Content-Type", "text/plain"), "text/plain");
  EXPECT_EQ(scrub("bad token EAAB123 (EAAB123)", "EAAB123"), "bad token REDACTED (REDACTED)");
}

TEST(RetryPolicy, ExponentialWithJitterAndCap) {
  RetryPolicy p;
  p.initial_backoff = 100ms;
  p.max_backoff = 1000ms;
  EXPECT_EQ(p.backoff(1, 0.5), 100ms);
  EXPECT_EQ(p.backoff(2, 0.5), 200ms);
  EXPECT_EQ(p.backoff(3, 0.5), 400ms);
  EXPECT_EQ(p.backoff(10, 0.5), 1000ms);
  EXPECT_EQ(p.backoff(1, 0.0), 50ms);
  EXPECT_EQ(p.backoff(1, 1.0), 150ms);
  EXPECT_TRUE(retryable_status(429));
  EXPECT_TRUE(retryable_status(503));
  EXPECT_FALSE(retryable_status(501));
  EXPECT_FALSE(retryable_status(400));
  EXPECT_FALSE(retryable_status(200));
}

TEST(RetryPolicy, RetryAfter) {
  EXPECT_EQ(parse_retry_after("3", 0), 3000ms);
  EXPECT_EQ(parse_retry_after(" 0 ", 0), 0ms);
  EXPECT_FALSE(parse_retry_after("", 0));
  EXPECT_FALSE(parse_retry_after("-1", 0));
  EXPECT_FALSE(parse_retry_after("soon", 0));
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7000ms);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111790), 0ms);
}

TEST(Url, HttpsOnly) {
  auto u = parse_https_url("https://127.0.0.1:8443/v21.0/1/feed?since=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->target, "/v21.0/1/feed?since=1");
  auto d = parse_https_url("https://graph.facebook.com");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, "443");
  EXPECT_EQ(d->target, "/");
  auto v6 = parse_https_url("https://[::1]:9/x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_FALSE(parse_https_url("http://graph.facebook.com/"));
  EXPECT_FALSE(parse_https_url("https://user:pw@host/"));
  EXPECT_FALSE(parse_https_url("https://host:x/"));
  EXPECT_FALSE(parse_https_url("https:///path"));
}

}  // namespace
}  // namespace moderatord::connectors::http
