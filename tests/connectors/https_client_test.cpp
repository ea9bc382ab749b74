// The shared HTTPS client against the fake Graph API (tests/fakes/graph_api_fake.py, started once
// for the suite; HTTPS on 127.0.0.1 with a test CA made by openssl): verified TLS, keep-alive,
// retries on 5xx and 429 with Retry-After, the rate-limit hook holding later calls back, the
// request budget, and failures that are not retried. Each send() is made before its co_await
// (GCC 12 may destroy temporaries of a co_await operand twice; see connectors/blocking.hpp).
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <string>

#include "connectors/http/https_client.hpp"
#include "connectors/meta/usage_headers.hpp"

namespace moderatord::connectors::http {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Fake {
  pid_t pid = -1;
  fs::path dir;  // the test CA and server key: removed after the suite
  std::string base_url, ca_file, origin;
};
Fake g_fake;

class HttpsClientTest : public ::testing::Test {
 protected:
  // Starts the fake in `name` under the temp dir; `san` (when set) is its certificate's names.
  static Fake start_fake(const std::string& name, const char* san = nullptr) {
    Fake f;
    f.dir = fs::temp_directory_path() / ("moderatord-https-test-" + std::to_string(::getpid()) + "-" + name);
    fs::create_directories(f.dir);
    int out[2];
    if (::pipe(out) != 0) return f;
    const std::string script = std::string(MODERATORD_SOURCE_DIR) + "/tests/fakes/graph_api_fake.py";
    f.pid = ::fork();
    if (f.pid == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      if (san != nullptr) ::setenv("GRAPH_FAKE_SAN", san, 1);
      ::execlp("python3", "python3", script.c_str(), f.dir.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char ch;
    while (::read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
    ::close(out[0]);
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    std::string_view s;
    if (p.parse(line).get(doc) == simdjson::SUCCESS && doc["base_url"].get_string().get(s) == simdjson::SUCCESS) {
      f.base_url = std::string(s);
      if (doc["ca_file"].get_string().get(s) == simdjson::SUCCESS) f.ca_file = std::string(s);
      f.origin = f.base_url.substr(0, f.base_url.find("/v21.0"));
    }
    return f;
  }
  static void stop_fake(Fake& f) {
    if (f.pid > 0) {
      ::kill(f.pid, SIGTERM);
      ::waitpid(f.pid, nullptr, 0);
    }
    std::error_code ec;
    if (!f.dir.empty()) fs::remove_all(f.dir, ec);
    f = Fake{};
  }
  static void SetUpTestSuite() {
    g_fake = start_fake("main");
    ASSERT_FALSE(g_fake.base_url.empty()) << "the fake Graph API did not start";
  }
  static void TearDownTestSuite() { stop_fake(g_fake); }

  HttpsClientOptions options(bool with_ca = true) {
    HttpsClientOptions o;
    o.name = "test";
    if (with_ca) o.ca_file = g_fake.ca_file;
    o.retry.initial_backoff = 20ms;
    o.retry.max_backoff = 200ms;
    o.total_timeout = 20s;
    return o;
  }

  // Runs `f(client)` (a coroutine) to completion on a fresh io_context.
  template <class F>
  void run(HttpsClientOptions o, F f, ThrottleHook hook = {}) {
    net::io_context ioc;
    auto client = HttpsClient::create(ioc.get_executor(), std::move(o), std::move(hook));
    ASSERT_TRUE(client) << client.error().to_string();
    HttpsClient* c = client->get();
    net::co_spawn(ioc, f(*c), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    ioc.run();
  }

  static HttpsRequest get(const std::string& path) {
    HttpsRequest r;
    r.url = g_fake.base_url + path;
    r.headers = {{"Authorization", "Bearer test-page-token"}};
    return r;
  }
  static HttpsRequest control(const std::string& what, const std::string& json) {
    HttpsRequest r;
    r.method = "POST";
    r.url = g_fake.origin + "/_fake/" + what;
    r.body = json;
    r.content_type = "application/json";
    return r;
  }
};

TEST_F(HttpsClientTest, VerifiedGetsReuseOneConnection) {
  run(options(), [](HttpsClient& c) -> net::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      auto op1 = c.send(get("/1/conversations"));
      auto r = co_await std::move(op1);
      EXPECT_TRUE(r) << (r ? "" : r.error().message);
      if (r) {
        EXPECT_EQ(r->status, 200u);
        EXPECT_EQ(r->attempts, 1);
        EXPECT_NE(r->body.find("\"data\""), std::string::npos);
        EXPECT_NE(r->header("content-type").find("application/json"), std::string_view::npos);
      }
    }
    EXPECT_EQ(c.connections_opened(), 1u) << "keep-alive: one TLS connection for three requests";
  });
}

TEST_F(HttpsClientTest, LocalhostByNameWithSni) {
  auto o = options();
  run(o, [](HttpsClient& c) -> net::awaitable<void> {
    auto req = get("/1/conversations");
    req.url.replace(req.url.find("127.0.0.1"), 9, "localhost");
    auto op2 = c.send(req);
    auto r = co_await std::move(op2);
    EXPECT_TRUE(r && r->status == 200u) << (r ? std::to_string(r->status) : r.error().message);
  });
}

TEST_F(HttpsClientTest, UntrustedCertificateFailsAtOnce) {
  run(options(false), [](HttpsClient& c) -> net::awaitable<void> {
    auto op3 = c.send(get("/1/conversations"));
    auto r = co_await std::move(op3);
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_EQ(r.error().kind, HttpsFailure::Kind::tls);
      EXPECT_NE(r.error().message.find("certificate verification failed"), std::string::npos) << r.error().message;
    }
    EXPECT_EQ(c.connections_opened(), 0u);
  });
}

TEST_F(HttpsClientTest, CertificateForAnotherNameIsRefused) {
  // Same test CA, but the certificate names only other.example: host-name verification must fail.
  Fake other = start_fake("other-name", "DNS:other.example");
  ASSERT_FALSE(other.base_url.empty());
  auto o = options();
  o.ca_file = other.ca_file;
  const std::string url = other.base_url + "/1/conversations";
  run(o, [url](HttpsClient& c) -> net::awaitable<void> {
    HttpsRequest req;
    req.url = url;
    auto op = c.send(req);
    auto r = co_await std::move(op);
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_EQ(r.error().kind, HttpsFailure::Kind::tls);
      EXPECT_NE(r.error().message.find("IP address mismatch"), std::string::npos) << r.error().message;
    }
    req.url.replace(req.url.find("127.0.0.1"), 9, "localhost");  // by name: the DNS name is checked
    auto op2 = c.send(req);
    auto r2 = co_await std::move(op2);
    EXPECT_TRUE(!r2 && r2.error().message.find("hostname mismatch") != std::string::npos)
        << (r2 ? "connected" : r2.error().message);
  });
  stop_fake(other);
}

TEST_F(HttpsClientTest, SlowAnswerTimesOutAndIsRetried) {
  auto o = options();
  o.io_timeout = 300ms;
  run(o, [](HttpsClient& c) -> net::awaitable<void> {
    auto ctl = c.send(control("stall", R"({"path":"/11/conversations","seconds":1.5,"count":1})"));
    co_await std::move(ctl);
    const auto t0 = Clock::now();
    auto op = c.send(get("/11/conversations"));
    auto r = co_await std::move(op);
    EXPECT_TRUE(r && r->status == 200u && r->attempts == 2) << (r ? std::to_string(r->attempts) : r.error().message);
    EXPECT_LT(Clock::now() - t0, 1400ms) << "the stalled attempt must be cut off at io_timeout";
  });
}

TEST_F(HttpsClientTest, ServerErrorsAreRetried) {
  run(options(), [this](HttpsClient& c) -> net::awaitable<void> {
    auto op4 = c.send(control("fail", R"({"path":"/7/conversations","status":503,"count":2})"));
    auto ctl = co_await std::move(op4);
    EXPECT_TRUE(ctl && ctl->status == 200u);
    auto op5 = c.send(get("/7/conversations"));
    auto r = co_await std::move(op5);
    EXPECT_TRUE(r);
    if (r) {
      EXPECT_EQ(r->status, 200u);
      EXPECT_EQ(r->attempts, 3);
    }
    // Never more than max_attempts: five failures in a row give the last 503 back.
    auto op6 = c.send(control("fail", R"({"path":"/8/conversations","status":502,"count":5})"));
    co_await std::move(op6);
    auto op7 = c.send(get("/8/conversations"));
    auto bad = co_await std::move(op7);
    EXPECT_TRUE(bad && bad->status == 502u && bad->attempts == 4);
  });
}

TEST_F(HttpsClientTest, RetryAfterIsWaitedFor) {
  run(options(), [this](HttpsClient& c) -> net::awaitable<void> {
    auto op8 = c.send(control("fail", R"({"path":"/9/conversations","status":429,"headers":{"Retry-After":"1"}})"));
    co_await std::move(op8);
    const auto t0 = Clock::now();
    auto op9 = c.send(get("/9/conversations"));
    auto r = co_await std::move(op9);
    EXPECT_TRUE(r && r->status == 200u && r->attempts == 2);
    EXPECT_GE(Clock::now() - t0, 1s);
  });
}

TEST_F(HttpsClientTest, RateLimitHeaderHoldsLaterCallsBack) {
  meta::UsageOptions usage;
  ThrottleHook hook = [usage](const HttpsResponse& r) { return meta::graph_throttle(r, usage); };
  run(
      options(),
      [this](HttpsClient& c) -> net::awaitable<void> {
        auto op0 = c.send(control(
            "headers",
            R"({"path":"/10/conversations","headers":{"X-Business-Use-Case-Usage":"{\"10\":[{\"type\":\"pages\",\"call_count\":100,\"total_cputime\":1,\"total_time\":1,\"estimated_time_to_regain_access\":1}]}"}})"));
        co_await std::move(op0);
        auto op10 = c.send(get("/10/conversations"));
        auto first = co_await std::move(op10);
        EXPECT_TRUE(first && first->status == 200u);
        if (first) {
          EXPECT_EQ(first->retry_after, 60s);
        }
        EXPECT_GT(c.not_before(), Clock::now() + 55s);
        auto req = get("/10/conversations");
        req.max_wait = 100ms;  // an outbox action: would rather be rescheduled
        auto op11 = c.send(req);
        auto second = co_await std::move(op11);
        EXPECT_FALSE(second);
        if (!second) {
          EXPECT_EQ(second.error().kind, HttpsFailure::Kind::throttled);
          EXPECT_GT(second.error().retry_after, 55s);
        }
      },
      hook);
}

TEST_F(HttpsClientTest, RequestBudget) {
  auto o = options();
  o.requests_per_hour = 2;
  run(o, [](HttpsClient& c) -> net::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      auto op12 = c.send(get("/1/conversations"));
      auto r = co_await std::move(op12);
      EXPECT_TRUE(r);
    }
    auto req = get("/1/conversations");
    req.max_wait = 0ms;
    auto op13 = c.send(req);
    auto r = co_await std::move(op13);
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_EQ(r.error().kind, HttpsFailure::Kind::budget);
      EXPECT_GT(r.error().retry_after, 1000s);  // one request per half hour
    }
  });
}

TEST_F(HttpsClientTest, RefusedConnectionIsRetriedThenReported) {
  // A port nobody listens on: bind one, note it, close it.
  net::io_context tmp;
  net::ip::tcp::acceptor a(tmp, {net::ip::make_address("127.0.0.1"), 0});
  const auto port = a.local_endpoint().port();
  a.close();
  run(options(), [port](HttpsClient& c) -> net::awaitable<void> {
    HttpsRequest req;
    req.url = "https://127.0.0.1:" + std::to_string(port) + "/x?access_token=SECRET";
    auto op14 = c.send(req);
    auto r = co_await std::move(op14);
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_EQ(r.error().kind, HttpsFailure::Kind::network);
      EXPECT_EQ(r.error().message.find("SECRET"), std::string::npos);
    }
  });
}

TEST_F(HttpsClientTest, PlainHttpIsRefused) {
  run(options(), [](HttpsClient& c) -> net::awaitable<void> {
    HttpsRequest req;
    req.url = "http://127.0.0.1/x";
    auto op15 = c.send(req);
    auto r = co_await std::move(op15);
    EXPECT_TRUE(!r && r.error().kind == HttpsFailure::Kind::bad_url);
  });
}

}  // namespace
}  // namespace moderatord::connectors::http
