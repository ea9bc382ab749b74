#pragma once
// The HTTP(S) server (Boost.Beast): one coroutine per connection on the event loop, a deadline on
// every read and write, a body limit, and a cap on connections. It knows nothing of routes: each
// request goes to the handler, which returns the reply.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "connectors/connector.hpp"
#include "daemon/config.hpp"
#include "daemon/metrics.hpp"

namespace moderatord::daemon::http {

namespace net = boost::asio;

class HttpServer {
 public:
  // Runs on the event loop. It may wait (for the store), never block.
  using Handler = std::function<net::awaitable<connectors::HttpReply>(connectors::HttpRequest)>;

  HttpServer(net::io_context& ioc, const HttpOptions& options, Handler handler, Metrics& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every configured address (and loads the TLS certificate when configured). Errors name
  // the address or file. Call once, before start().
  Result<void> bind();
  // Starts accepting on the event loop.
  void start();
  // Stops accepting; open connections finish the request in hand and close.
  void stop();

  std::size_t connections() const noexcept { return connections_->load(); }
  std::vector<net::ip::tcp::endpoint> local_endpoints() const;

 private:
  // Shared with each connection's coroutine: a connection still open when the server is destroyed
  // (its frame is destroyed later, with the io_context) must not touch freed memory. Declared
  // before impl_, which is built with a copy of it.
  std::shared_ptr<std::atomic<std::size_t>> connections_ = std::make_shared<std::atomic<std::size_t>>(0);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace moderatord::daemon::http
