// The ceiling for tests/bench/run-webhook-bench: a Beast HTTP/1.1 server written like
// daemon/http/server.cpp (C++20 coroutines, one io_context thread, beast::tcp_stream with the same
// per-phase deadlines, request_parser<string_body> with the same limits, keep-alive) whose handler
// does nothing: every request, body read in full, gets 200 and a short body.
//   bare_beast_server PORT [HOST]     (HOST defaults to 127.0.0.1; PORT 0 picks a free one)
// Prints "bare_beast_server listening on HOST:PORT" on stderr once it accepts; SIGTERM/SIGINT stop it.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
// The daemon's defaults (config/moderatord.toml and daemon/http/server.cpp).
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::uint64_t kBodyLimit = 1048576;
constexpr std::chrono::seconds kHeaderTimeout{5};
constexpr std::chrono::seconds kBodyTimeout{15};
constexpr std::chrono::seconds kIdleTimeout{60};
constexpr std::chrono::seconds kWriteTimeout{10};

net::awaitable<void> session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  bool first = true;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    stream.expires_after(first ? kHeaderTimeout : kIdleTimeout);
    first = false;
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
    if (!ec) {
      stream.expires_after(kBodyTimeout);
      std::tie(ec, n) = co_await bhttp::async_read(stream, buffer, parser, kTuple);
    }
    if (ec) break;  // end of stream, timeout, reset, or not HTTP: nothing to answer in a ceiling test
    auto req = parser.release();
    stream.expires_never();
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::server, "bare");
    res.set(bhttp::field::content_type, "application/json");
    res.body() = "{\"accepted\":1}\n";
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    stream.expires_after(kWriteTimeout);
    auto [wec, wn] = co_await bhttp::async_write(stream, res, kTuple);
    if (wec || !res.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec == net::error::operation_aborted) co_return;
    if (ec) continue;
    net::co_spawn(acceptor.get_executor(), session(std::move(socket)), net::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [HOST]\n", argv[0]);
    return 2;
  }
  try {
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    const std::string host = argc > 2 ? argv[2] : "127.0.0.1";
    net::io_context ioc{1};
    tcp::endpoint ep(net::ip::make_address(host), port);
    tcp::acceptor acceptor(ioc);
    acceptor.open(ep.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(net::socket_base::max_listen_connections);
    net::signal_set signals(ioc, SIGTERM, SIGINT);
    signals.async_wait([&](const beast::error_code&, int) {
      beast::error_code ignored;
      acceptor.close(ignored);
      ioc.stop();
    });
    net::co_spawn(ioc, accept_loop(acceptor), net::detached);
    const auto local = acceptor.local_endpoint();
    std::fprintf(stderr, "bare_beast_server listening on %s:%u\n", local.address().to_string().c_str(),
                 static_cast<unsigned>(local.port()));
    ioc.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bare_beast_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
