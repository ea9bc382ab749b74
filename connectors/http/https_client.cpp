#include "connectors/http/https_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <random>

#include "connectors/http/redact.hpp"

namespace moderatord::connectors::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

void throw_exception_from_error(const HttpsFailure& e, const boost::source_location&) {
  throw std::runtime_error(e.message);
}

std::string_view to_string(HttpsFailure::Kind k) noexcept {
  switch (k) {
    case HttpsFailure::Kind::bad_url: return "bad_url";
    case HttpsFailure::Kind::network: return "network";
    case HttpsFailure::Kind::timeout: return "timeout";
    case HttpsFailure::Kind::tls: return "tls";
    case HttpsFailure::Kind::throttled: return "throttled";
    case HttpsFailure::Kind::budget: return "budget";
    case HttpsFailure::Kind::cancelled: return "cancelled";
  }
  return "?";
}

std::string_view HttpsResponse::header(std::string_view lower_name) const noexcept {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

classifier::Result<Url> parse_https_url(std::string_view url) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) return classifier::Error("not an https:// URL: " + redact_url(url));
  std::string_view rest = url.substr(kScheme.size());
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  Url out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!out.target.empty() && out.target[0] == '?') out.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return classifier::Error("credentials in a URL are not allowed");
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return classifier::Error("bad IPv6 host in " + redact_url(url));
    out.host = std::string(authority.substr(1, close - 1));
    authority = authority.substr(close + 1);
    out.port = authority.size() > 1 && authority[0] == ':' ? std::string(authority.substr(1)) : "443";
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    out.port = colon == std::string_view::npos ? "443" : std::string(authority.substr(colon + 1));
  }
  if (out.host.empty()) return classifier::Error("no host in " + redact_url(url));
  for (char c : out.port)
    if (c < '0' || c > '9') return classifier::Error("bad port in " + redact_url(url));
  if (out.port.empty() || out.port.size() > 5) return classifier::Error("bad port in " + redact_url(url));
  return out;
}

namespace {

struct Connection {
  Connection(net::any_io_executor ex, ssl::context& ctx) : stream(ex, ctx) {}
  beast::ssl_stream<beast::tcp_stream> stream;
  Clock::time_point idle_since{};
};
using ConnectionPtr = std::unique_ptr<Connection>;

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// Errors that mean "the server closed the idle connection" when they happen on a reused one.
bool stale_connection_error(const boost::system::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == ssl::error::stream_truncated;
}

}  // namespace

struct HttpsClient::Impl {
  Impl(net::any_io_executor ex, HttpsClientOptions o, ThrottleHook h)
      : executor(std::move(ex)), options(std::move(o)), hook(std::move(h)), ctx(ssl::context::tls_client),
        tokens(options.requests_per_hour) {}

  net::any_io_executor executor;
  HttpsClientOptions options;
  ThrottleHook hook;
  ssl::context ctx;
  std::map<std::string, std::vector<ConnectionPtr>> idle;  // by host:port
  Clock::time_point not_before{};
  // Request budget: a token bucket of requests_per_hour, refilled continuously.
  double tokens;
  Clock::time_point refilled_at = Clock::now();
  std::uint64_t opened = 0;
  std::mt19937_64 rng{std::random_device{}()};

  milliseconds until(Clock::time_point t) const {
    return std::chrono::duration_cast<milliseconds>(t - Clock::now());
  }

  // Time until a budget token is available (0: take one now).
  milliseconds budget_wait() {
    if (options.requests_per_hour <= 0) return milliseconds(0);
    const auto now = Clock::now();
    const double per_ms = options.requests_per_hour / 3'600'000.0;
    tokens = std::min<double>(options.requests_per_hour,
                              tokens + per_ms * static_cast<double>(std::chrono::duration_cast<milliseconds>(now - refilled_at).count()));
    refilled_at = now;
    if (tokens >= 1) return milliseconds(0);
    return milliseconds(static_cast<std::int64_t>((1 - tokens) / per_ms) + 1);
  }

  ConnectionPtr take_idle(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    while (!list.empty()) {
      ConnectionPtr c = std::move(list.back());
      list.pop_back();
      if (Clock::now() - c->idle_since < options.keep_alive) return c;
      beast::get_lowest_layer(c->stream).close();  // too old: the server has likely dropped it
    }
    return nullptr;
  }

  void give_back(const std::string& key, ConnectionPtr c) {
    auto& list = idle[key];
    if (list.size() >= options.max_idle_per_host) {
      beast::get_lowest_layer(c->stream).close();
      return;
    }
    c->idle_since = Clock::now();
    list.push_back(std::move(c));
  }

  milliseconds step_timeout(milliseconds per_step, Clock::time_point deadline) const {
    return std::max(milliseconds(1), std::min(per_step, until(deadline)));
  }

  net::awaitable<boost::system::result<ConnectionPtr, HttpsFailure>> connect(const Url& u, Clock::time_point deadline) {
    using R = boost::system::result<ConnectionPtr, HttpsFailure>;
    tcp::resolver resolver(executor);
    net::steady_timer guard(executor);
    // The resolver has no deadline of its own; a connect deadline covers resolve + connect.
    auto [rec, results] = co_await resolver.async_resolve(u.host, u.port, kTuple);
    if (rec) co_return R(HttpsFailure{HttpsFailure::Kind::network, "cannot resolve " + u.host + ": " + rec.message(), {}});
    auto conn = std::make_unique<Connection>(executor, ctx);
    // SNI (SSL_set_tlsext_host_name is a macro with an old-style cast; this is what it expands to).
    if (!is_ip_literal(u.host) && !SSL_ctrl(conn->stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                                            TLSEXT_NAMETYPE_host_name, const_cast<char*>(u.host.c_str())))
      co_return R(HttpsFailure{HttpsFailure::Kind::tls, "cannot set SNI for " + u.host, {}});
    conn->stream.set_verify_mode(ssl::verify_peer);
    // OpenSSL's own name check (RFC 6125: SAN only, no partial wildcards), so a mismatch is
    // reported as "hostname mismatch" / "IP address mismatch" rather than an unspecified error.
    X509_VERIFY_PARAM* param = SSL_get0_param(conn->stream.native_handle());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int named = is_ip_literal(u.host) ? X509_VERIFY_PARAM_set1_ip_asc(param, u.host.c_str())
                                            : X509_VERIFY_PARAM_set1_host(param, u.host.c_str(), u.host.size());
    if (named != 1) co_return R(HttpsFailure{HttpsFailure::Kind::tls, "cannot verify the name " + u.host, {}});
    auto& tcp_layer = beast::get_lowest_layer(conn->stream);
    tcp_layer.expires_after(step_timeout(options.connect_timeout, deadline));
    auto [cec, ep] = co_await tcp_layer.async_connect(results, kTuple);
    if (cec) {
      const auto kind = cec == beast::error::timeout ? HttpsFailure::Kind::timeout : HttpsFailure::Kind::network;
      co_return R(HttpsFailure{kind, "cannot connect to " + u.host + ":" + u.port + ": " + cec.message(), {}});
    }
    tcp_layer.expires_after(step_timeout(options.io_timeout, deadline));
    auto [hec] = co_await conn->stream.async_handshake(ssl::stream_base::client, kTuple);
    if (hec) {
      std::string why = hec.message();
      const long verify = SSL_get_verify_result(conn->stream.native_handle());
      if (verify != X509_V_OK) why = std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify);
      const auto kind = hec == beast::error::timeout ? HttpsFailure::Kind::timeout : HttpsFailure::Kind::tls;
      co_return R(HttpsFailure{kind, "TLS handshake with " + u.host + ":" + u.port + " failed: " + why, {}});
    }
    ++opened;
    co_return R(std::move(conn));
  }

  // One exchange on one connection (an idle one when there is one; a reused connection the server
  // has closed meanwhile is replaced once, without counting as an attempt).
  net::awaitable<HttpsResult> exchange(const Url& u, const HttpsRequest& r, Clock::time_point deadline) {
    const std::string key = u.host + ":" + u.port;
    bhttp::request<bhttp::string_body> req;
    req.method_string(r.method);
    req.target(u.target);
    req.version(11);
    req.set(bhttp::field::host, u.port == "443" ? u.host : u.host + ":" + u.port);
    req.set(bhttp::field::user_agent, options.user_agent);
    req.set(bhttp::field::accept, "application/json");
    for (const auto& [k, v] : r.headers) req.set(k, v);
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT") {
      if (!r.content_type.empty()) req.set(bhttp::field::content_type, r.content_type);
      req.body() = r.body;
    }
    req.prepare_payload();

    ConnectionPtr conn = take_idle(key);
    bool reused = conn != nullptr;
    for (;;) {
      if (!conn) {
        auto c = co_await connect(u, deadline);
        if (!c) co_return HttpsResult(c.error());
        conn = std::move(*c);
        reused = false;
      }
      auto& tcp_layer = beast::get_lowest_layer(conn->stream);
      tcp_layer.expires_after(step_timeout(options.io_timeout, deadline));
      auto [wec, wn] = co_await bhttp::async_write(conn->stream, req, kTuple);
      boost::system::error_code ec = wec;
      beast::flat_buffer buffer;
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(options.max_body_bytes);
      if (!ec) {
        tcp_layer.expires_after(step_timeout(options.io_timeout, deadline));
        auto [rec, rn] = co_await bhttp::async_read(conn->stream, buffer, parser, kTuple);
        ec = rec;
      }
      if (ec) {
        tcp_layer.close();
        conn.reset();
        if (reused && stale_connection_error(ec)) continue;  // the server dropped the idle connection
        if (ec == net::error::operation_aborted) co_return HttpsResult(HttpsFailure{HttpsFailure::Kind::cancelled, "cancelled", {}});
        const auto kind = ec == beast::error::timeout ? HttpsFailure::Kind::timeout : HttpsFailure::Kind::network;
        co_return HttpsResult(HttpsFailure{kind, r.method + " " + redact_url(r.url) + ": " + ec.message(), {}});
      }
      auto res = parser.release();
      HttpsResponse out;
      out.status = res.result_int();
      for (const auto& f : res) {
        std::string name(f.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        out.headers.emplace_back(std::move(name), std::string(f.value()));
      }
      out.body = std::move(res.body());
      if (res.keep_alive()) give_back(key, std::move(conn));
      else tcp_layer.close();
      co_return HttpsResult(std::move(out));
    }
  }

  // Sleeps `d` unless it ends past `deadline` or beyond `max_wait`; false when it did not sleep.
  net::awaitable<bool> wait(milliseconds d, Clock::time_point deadline, milliseconds max_wait) {
    if (d <= milliseconds(0)) co_return true;
    if (d > max_wait || Clock::now() + d > deadline) co_return false;
    net::steady_timer t(executor, d);
    auto [ec] = co_await t.async_wait(kTuple);
    co_return !ec;
  }
};

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsClient::~HttpsClient() = default;

classifier::Result<std::unique_ptr<HttpsClient>> HttpsClient::create(net::any_io_executor executor,
                                                                     HttpsClientOptions options, ThrottleHook hook) {
  auto impl = std::make_unique<Impl>(std::move(executor), std::move(options), std::move(hook));
  SSL_CTX_set_min_proto_version(impl->ctx.native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (impl->options.ca_file) {
    impl->ctx.load_verify_file(impl->options.ca_file->string(), ec);
    if (ec) return classifier::Error("cannot load CA file " + impl->options.ca_file->string() + ": " + ec.message());
  } else {
    impl->ctx.set_default_verify_paths(ec);
    if (ec) return classifier::Error("cannot load the system trust store: " + ec.message());
  }
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::move(impl)));
}

void HttpsClient::defer_until(std::chrono::steady_clock::time_point until) {
  impl_->not_before = std::max(impl_->not_before, until);
}
std::chrono::steady_clock::time_point HttpsClient::not_before() const noexcept { return impl_->not_before; }
std::uint64_t HttpsClient::connections_opened() const noexcept { return impl_->opened; }

net::awaitable<HttpsResult> HttpsClient::send(HttpsRequest request) {
  Impl& s = *impl_;
  auto url = parse_https_url(request.url);
  if (!url) co_return HttpsResult(HttpsFailure{HttpsFailure::Kind::bad_url, url.error().to_string(), {}});
  const auto deadline = Clock::now() + s.options.total_timeout;
  const milliseconds max_wait = request.max_wait.value_or(s.options.total_timeout);
  const RetryPolicy& policy = s.options.retry;
  std::optional<HttpsResult> last;
  for (int attempt = 1;; ++attempt) {
    // Rate-limit gate: a platform asked us to hold back.
    if (const auto hold = s.until(s.not_before); hold > milliseconds(0)) {
      // Too long to wait here: a retry gives back the platform's own answer (its error says why).
      if (!co_await s.wait(hold, deadline, max_wait)) {
        if (last) co_return std::move(*last);
        co_return HttpsResult(HttpsFailure{HttpsFailure::Kind::throttled,
                                           "rate limited for another " + std::to_string(hold.count()) + " ms", hold});
      }
    }
    if (const auto b = s.budget_wait(); b > milliseconds(0)) {
      if (!co_await s.wait(b, deadline, max_wait))
        co_return HttpsResult(HttpsFailure{HttpsFailure::Kind::budget,
                                           "request budget of " + std::to_string(s.options.requests_per_hour) +
                                               "/hour used up", b});
      s.budget_wait();
    }
    if (s.options.requests_per_hour > 0) s.tokens -= 1;
    const auto started = Clock::now();
    HttpsResult r = co_await s.exchange(*url, request, deadline);
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started).count();
    milliseconds delay{0};
    bool retry = false;
    if (!r) {
      spdlog::debug("{}: {} {} failed after {} ms: {}", s.options.name, request.method, redact_url(request.url), took,
                    r.error().message);
      if (r.error().kind == HttpsFailure::Kind::tls || r.error().kind == HttpsFailure::Kind::cancelled) co_return r;
      retry = true;
    } else {
      r->attempts = attempt;
      spdlog::debug("{}: {} {} -> {} in {} ms", s.options.name, request.method, redact_url(request.url), r->status, took);
      milliseconds wait{0};
      if (auto ra = parse_retry_after(r->header("retry-after"), std::chrono::duration_cast<std::chrono::seconds>(
                                                                    std::chrono::system_clock::now().time_since_epoch()).count()))
        wait = *ra;
      retry = retryable_status(r->status);
      if (s.hook) {
        const Throttle t = s.hook(*r);
        wait = std::max(wait, t.wait);
        retry = retry || t.retry;
      }
      if (wait > milliseconds(0)) {
        s.not_before = std::max(s.not_before, Clock::now() + wait);
        spdlog::info("{}: the platform asks us to wait {} ms (status {})", s.options.name, wait.count(), r->status);
      }
      r->retry_after = wait;
      delay = wait;
    }
    if (!retry || attempt >= policy.max_attempts) co_return r;
    const auto backoff = policy.backoff(attempt, std::uniform_real_distribution<double>(0, 1)(s.rng));
    delay = std::max(delay, backoff);
    if (delay > policy.max_retry_after) co_return r;  // long waits are the caller's to schedule
    spdlog::warn("{}: {} {} {}; retry {} in {} ms", s.options.name, request.method, redact_url(request.url),
                 r ? "got " + std::to_string(r->status) : r.error().message, attempt + 1, delay.count());
    last = std::move(r);
    // The gate at the top of the loop waits for not_before; this sleeps only the backoff part.
    const auto gate = s.until(s.not_before);
    if (delay > gate && !co_await s.wait(delay - std::max(gate, milliseconds(0)), deadline, max_wait)) co_return std::move(*last);
  }
}

}  // namespace moderatord::connectors::http
