#include "daemon/http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace moderatord::daemon::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::chrono::seconds kWriteTimeout{10};
constexpr std::chrono::seconds kTlsHandshakeTimeout{10};

bhttp::response<bhttp::string_body> make_response(const connectors::HttpReply& reply, unsigned version,
                                                  bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status), version};
  res.set(bhttp::field::server, "moderatord");
  res.set(bhttp::field::content_type, reply.content_type);
  res.body() = reply.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// Tracks one open connection in the server's count for as long as it lives. Holds the count by
// shared_ptr: a session frame can outlive the server (destroyed with the io_context at exit).
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<std::atomic<std::size_t>> n) : n_(std::move(n)) { ++*n_; }
  ~ConnectionSlot() { --*n_; }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  std::shared_ptr<std::atomic<std::size_t>> n_;
};

}  // namespace

struct HttpServer::Impl {
  net::io_context& ioc;
  HttpOptions options;
  Handler handler;
  Metrics& metrics;
  std::shared_ptr<std::atomic<std::size_t>> connections;
  std::vector<tcp::acceptor> acceptors;
  std::optional<net::ssl::context> tls;
  bool stopping = false;  // read and written on the event loop only

  Impl(net::io_context& io, const HttpOptions& o, Handler h, Metrics& m, std::shared_ptr<std::atomic<std::size_t>> c)
      : ioc(io), options(o), handler(std::move(h)), metrics(m), connections(std::move(c)) {}

  void count(int status) { metrics.add("moderatord_http_responses_total", "code=\"" + std::to_string(status) + "\""); }

  // Refuses a connection beyond the cap: a short 503 so that the sender retries later.
  net::awaitable<void> refuse(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(2));
    auto res = make_response({503, "text/plain; charset=utf-8", "too many connections\n"}, 11, false);
    co_await bhttp::async_write(stream, res, kTuple);
    count(503);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  template <class Stream>
  net::awaitable<void> serve(Stream& stream) {
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(options.max_body_bytes);
      // Slow-loris defence: the whole head must arrive within header_timeout; an idle keep-alive
      // connection gets idle_timeout before its next request starts.
      beast::get_lowest_layer(stream).expires_after(first ? options.header_timeout : options.idle_timeout);
      first = false;
      auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
      if (!ec) {
        beast::get_lowest_layer(stream).expires_after(options.body_timeout);
        std::tie(ec, n) = co_await bhttp::async_read(stream, buffer, parser, kTuple);
      }
      if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) {
        const int status = ec == bhttp::error::body_limit ? 413 : 431;
        auto res = make_response({status, "text/plain; charset=utf-8",
                                  status == 413 ? "body too large\n" : "request head too large\n"},
                                 11, false);
        beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
        co_await bhttp::async_write(stream, res, kTuple);
        count(status);
        break;
      }
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::eof ||
          ec == net::error::connection_reset || ec == net::ssl::error::stream_truncated || ec == net::error::operation_aborted)
        break;
      if (ec) {
        // Not HTTP: answer 400 and close; nothing was read that could be a comment.
        auto res = make_response({400, "text/plain; charset=utf-8", "bad request: " + ec.message() + "\n"}, 11, false);
        beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
        co_await bhttp::async_write(stream, res, kTuple);
        count(400);
        break;
      }
      auto req = parser.release();
      connectors::HttpRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      for (const auto& f : req) {
        std::string name(f.name_string());
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        request.headers.emplace_back(std::move(name), std::string(f.value()));
      }
      request.body = std::move(req.body());
      // No read deadline while the handler waits for the store: the store answers or fails.
      beast::get_lowest_layer(stream).expires_never();
      const connectors::HttpReply reply = co_await handler(std::move(request));
      auto res = make_response(reply, req.version(), req.keep_alive() && !stopping);
      beast::get_lowest_layer(stream).expires_after(kWriteTimeout);
      auto [wec, wn] = co_await bhttp::async_write(stream, res, kTuple);
      count(reply.status);
      if (wec || !res.keep_alive()) break;
    }
  }

  net::awaitable<void> session(tcp::socket socket) {
    ConnectionSlot slot(connections);
    beast::tcp_stream tcp_stream(std::move(socket));
    if (!tls) {
      co_await serve(tcp_stream);
      beast::error_code ignored;
      tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls);
    beast::get_lowest_layer(stream).expires_after(kTlsHandshakeTimeout);
    auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, kTuple);
    if (ec) co_return;  // port scanners and plain-HTTP clients: nothing to log per connection
    co_await serve(stream);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(kTuple);
  }

  net::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec == net::error::operation_aborted || stopping) co_return;
      if (ec) {
        // EMFILE and friends: back off briefly rather than spin.
        spdlog::warn("http: accept failed: {}", ec.message());
        net::steady_timer t(ioc, std::chrono::milliseconds(100));
        co_await t.async_wait(kTuple);
        continue;
      }
      if (connections->load() >= options.max_connections) {
        net::co_spawn(ioc, refuse(std::move(socket)), net::detached);
        continue;
      }
      net::co_spawn(ioc, session(std::move(socket)), net::detached);
    }
  }
};

HttpServer::HttpServer(net::io_context& ioc, const HttpOptions& options, Handler handler, Metrics& metrics)
    : impl_(std::make_unique<Impl>(ioc, options, std::move(handler), metrics, connections_)) {}

HttpServer::~HttpServer() = default;

Result<void> HttpServer::bind() {
  if (impl_->options.tls_certificate) {
    impl_->tls.emplace(net::ssl::context::tls_server);
    impl_->tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                            net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    impl_->tls->use_certificate_chain_file(impl_->options.tls_certificate->string(), ec);
    if (ec) return classifier::Error("http: cannot load TLS certificate " + impl_->options.tls_certificate->string() + ": " + ec.message());
    impl_->tls->use_private_key_file(impl_->options.tls_private_key->string(), net::ssl::context::pem, ec);
    if (ec) return classifier::Error("http: cannot load TLS private key " + impl_->options.tls_private_key->string() + ": " + ec.message());
  }
  for (const auto& l : impl_->options.listen) {
    beast::error_code ec;
    const auto address = net::ip::make_address(l.host, ec);
    if (ec) return classifier::Error("http: '" + l.host + "' is not an IP address");
    tcp::endpoint ep(address, l.port);
    tcp::acceptor acceptor(impl_->ioc);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return classifier::Error("http: cannot listen on " + l.host + ":" + std::to_string(l.port) + ": " + ec.message());
    impl_->acceptors.push_back(std::move(acceptor));
  }
  return {};
}

void HttpServer::start() {
  for (auto& a : impl_->acceptors) net::co_spawn(impl_->ioc, impl_->accept_loop(a), net::detached);
}

void HttpServer::stop() {
  impl_->stopping = true;
  for (auto& a : impl_->acceptors) {
    beast::error_code ignored;
    a.close(ignored);
  }
}

std::vector<net::ip::tcp::endpoint> HttpServer::local_endpoints() const {
  std::vector<tcp::endpoint> out;
  for (const auto& a : impl_->acceptors) {
    beast::error_code ec;
    auto ep = a.local_endpoint(ec);
    if (!ec) out.push_back(ep);
  }
  return out;
}

}  // namespace moderatord::daemon::http
