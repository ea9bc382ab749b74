#include "daemon/app.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <cstdlib>
#include <list>

#include "connectors/blocking.hpp"
#include "daemon/admin_alerts.hpp"
#include "daemon/config.hpp"
#include "daemon/http/server.hpp"
#include "daemon/outbox_worker.hpp"
#include "daemon/report/report_scheduler.hpp"
#include "daemon/retention.hpp"
#include "daemon/sla_timer.hpp"
#include "daemon/pipeline.hpp"
#include "daemon/runtime.hpp"
#include "daemon/store_call.hpp"

namespace moderatord::daemon {
namespace {

using namespace std::chrono_literals;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// Periodic duties, all here so that everything periodic can be seen at once.
constexpr auto kStatusPeriod = 30s;           // STATUS= line for systemctl status
constexpr auto kShutdownPollPeriod = 20ms;    // while waiting for deliveries in hand at shutdown
// The watchdog period comes from systemd (WatchdogSec=): we ping at half of it.

void setup_logging() {
  // Under systemd, log straight to the journal with priorities; otherwise to stderr with times.
  std::shared_ptr<spdlog::logger> logger;
  if (std::getenv("JOURNAL_STREAM") != nullptr)
    logger = std::make_shared<spdlog::logger>("moderatord", std::make_shared<spdlog::sinks::systemd_sink_mt>("moderatord", false));
  else
    logger = std::make_shared<spdlog::logger>("moderatord", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (std::getenv("JOURNAL_STREAM") == nullptr) logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(std::getenv("MODERATORD_DEBUG") != nullptr ? spdlog::level::debug : spdlog::level::info);
}

void notify(const std::string& state) { sd_notify(0, state.c_str()); }

RuntimePtr build_runtime(const Config& cfg, classifier::RuleSetPtr rules, const PolicyFiles& policy_files,
                         const std::map<std::string, connectors::ConnectorPtr>& connectors) {
  auto rt = std::make_shared<Runtime>();
  rt->rules = std::move(rules);
  rt->policy = policy_files;
  rt->outbox = cfg.outbox;
  rt->mail = cfg.mail;
  rt->retention_days = cfg.daemon.retention_days;
  for (const auto& a : cfg.accounts) {
    AccountRuntime ar;
    ar.id = a.id;
    ar.platform = a.platform;
    ar.policy.observe = a.mode == AccountMode::observe;
    ar.policy.allow_remove = a.allow_remove;
    ar.policy.thresholds = a.thresholds;
    ar.sla = a.sla;
    if (auto it = connectors.find(a.id); it != connectors.end()) ar.capabilities = it->second->capabilities();
    rt->accounts.emplace(a.id, std::move(ar));
  }
  return rt;
}

struct Loaded {
  Config config;
  classifier::RuleSetPtr rules;
  PolicyFiles policy;
};

Result<Loaded> load_all(const RunOptions& options) {
  auto cfg = load_config(options.config, options.state_dir);
  if (!cfg) return cfg.error();
  classifier::RuleSetOptions ro;
  ro.cache_dir = cfg->daemon.cache_dir;
  auto rules = classifier::RuleSet::load(cfg->daemon.rules, ro);
  if (!rules) {
    auto e = rules.error();
    e.diagnostics.insert(e.diagnostics.begin(), {"", 0, "", "rules in " + cfg->daemon.rules.string() + " are not valid:"});
    return e;
  }
  const bool working_hours = std::any_of(cfg->accounts.begin(), cfg->accounts.end(), [](const AccountOptions& a) {
    return a.sla.clock == policy::SlaPolicy::Clock::working_hours;
  });
  auto policy_files = load_policy_files(cfg->sla, working_hours);
  if (!policy_files) {
    auto e = policy_files.error();
    e.diagnostics.insert(e.diagnostics.begin(), {"", 0, "", "the policy files named in [sla] are not valid:"});
    return e;
  }
  return Loaded{std::move(*cfg), std::move(*rules), std::move(*policy_files)};
}

std::string path_of(std::string_view target) {
  const auto q = target.find('?');
  return std::string(target.substr(0, q));
}

class Daemon {
 public:
  Daemon(const RunOptions& options, Loaded loaded, std::unique_ptr<store::Store> store)
      : options_(options), config_(std::move(loaded.config)), writer_(std::move(store)),
        runtime_(nullptr), signals_(ioc_, SIGTERM, SIGINT, SIGHUP) {
    rules_ = std::move(loaded.rules);
    policy_files_ = std::move(loaded.policy);
  }

  Result<void> build_connectors() {
    for (const auto& a : config_.accounts) {
      connectors::ConnectorConfig cc{a.id, a.platform, a.settings, a.config_dir, a.state_dir, &blocking_, {}};
      cc.alerts = make_admin_alert_sink(writer_, [this] {
        if (outbox_) outbox_->wake();
      });
      auto c = connectors::make_connector(cc);
      if (!c) return c.error();
      connectors_.emplace(a.id, std::move(*c));
    }
    runtime_.set(build_runtime(config_, rules_, policy_files_, connectors_));
    return {};
  }

  int run() {
    // New comments may open SLA items due sooner than the timer's next wake-up.
    pipeline_ = std::make_unique<Pipeline>(
        writer_, runtime_, metrics_, [this] { outbox_->wake(); },
        [this](std::int64_t at) { sla_timer_->wake_by(at); });
    sla_timer_ = std::make_unique<SlaTimer>(ioc_.get_executor(), writer_, runtime_, metrics_, [this] { outbox_->wake(); });
    std::map<std::string, connectors::Connector*> executors;
    for (auto& [id, c] : connectors_) executors.emplace(id, c.get());
    outbox_ = std::make_unique<OutboxWorker>(ioc_.get_executor(), writer_, runtime_, executors, blocking_, metrics_);
    server_ = std::make_unique<http::HttpServer>(
        ioc_, config_.http, [this](connectors::HttpRequest r) { return route(std::move(r)); }, metrics_);
    if (auto r = server_->bind(); !r) {
      spdlog::critical("{}", r.error().to_string());
      return 1;
    }
    server_->start();
    for (const auto& ep : server_->local_endpoints())
      spdlog::info("listening on {}:{}", ep.address().to_string(), ep.port());
    cursors_ = std::make_unique<StoreCursors>(writer_);
    for (auto& [id, c] : connectors_) {
      auto& signal = cancel_.emplace_back();
      net::co_spawn(ioc_, run_connector(*c),
                    net::bind_cancellation_slot(signal.slot(), [id = id](std::exception_ptr e) {
                      if (!e) return;
                      try {
                        std::rethrow_exception(e);
                      } catch (const boost::system::system_error& se) {
                        if (se.code() != net::error::operation_aborted) spdlog::error("connector {} stopped: {}", id, se.what());
                      } catch (const std::exception& ex) {
                        spdlog::error("connector {} stopped: {}", id, ex.what());
                      }
                    }));
    }
    net::co_spawn(ioc_, outbox_->run(), net::detached);
    net::co_spawn(ioc_, sla_timer_->run(), net::detached);
    net::co_spawn(ioc_, handle_signals(), net::detached);
    net::co_spawn(ioc_, report::run_report_scheduler(writer_, runtime_, [this] { outbox_->wake(); }), net::detached);
    net::co_spawn(ioc_, run_retention(writer_, runtime_, metrics_), net::detached);
    net::co_spawn(ioc_, status_loop(), net::detached);
    std::uint64_t watchdog_usec = 0;
    if (sd_watchdog_enabled(0, &watchdog_usec) > 0)
      net::co_spawn(ioc_, watchdog_loop(std::chrono::microseconds(watchdog_usec / 2)), net::detached);
    spdlog::info("moderatord ready: {} account(s), rules {:.12} ({})", connectors_.size(), rules_->version(),
                 rules_->cache_status());
    notify("READY=1\nSTATUS=" + status_line());
    ioc_.run();
    writer_.stop();  // runs whatever is still queued, then joins
    blocking_.join();
    spdlog::info("moderatord stopped");
    return exit_code_;
  }

 private:
  // --- HTTP routes ---
  net::awaitable<connectors::HttpReply> route(connectors::HttpRequest req) {
    const std::string path = path_of(req.target);
    if (path == "/healthz") {
      if (req.method != "GET" && req.method != "HEAD") co_return connectors::HttpReply{405, "text/plain; charset=utf-8", "GET only\n"};
      co_return connectors::HttpReply{200, "application/json",
                                      "{\"status\":\"" + std::string(stopping_ ? "stopping" : "ok") + "\",\"rules\":\"" +
                                          runtime_.get()->rules->version().substr(0, 12) + "\",\"store_queue\":" +
                                          std::to_string(writer_.queued()) + "}\n"};
    }
    if (path == "/metrics") {
      if (req.method != "GET") co_return connectors::HttpReply{405, "text/plain; charset=utf-8", "GET only\n"};
      Gauges g;
      g.store_queue = writer_.queued();
      g.http_connections = server_->connections();
      auto read_status = [](store::Store& s) { return s.status(); };
      auto status = co_await store_call<store::StatusSummary>(writer_, read_status);
      if (status) {
        for (const auto& [state, n] : status->outbox_by_state) g.outbox_by_state[state] = n;
        g.sla_open = status->sla_open;
        g.sla_overdue = status->sla_overdue;
      }
      co_return connectors::HttpReply{200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render(g)};
    }
    constexpr std::string_view kWebhooks = "/webhooks/";
    if (path.rfind(kWebhooks, 0) == 0) {
      const std::string id = path.substr(kWebhooks.size());
      auto it = connectors_.find(id);
      if (it == connectors_.end()) co_return connectors::HttpReply{404, "text/plain; charset=utf-8", "no such webhook\n"};
      if (req.method != "GET" && req.method != "POST")
        co_return connectors::HttpReply{405, "text/plain; charset=utf-8", "GET or POST only\n"};
      connectors::WebhookDecoded decoded = it->second->handle_webhook(req);
      if (decoded.reply.status >= 400)
        metrics_.add("moderatord_webhook_rejections_total",
                     "account=\"" + id + "\",code=\"" + std::to_string(decoded.reply.status) + "\"");
      if (!decoded.store_first || decoded.comments.empty()) co_return decoded.reply;
      if (stopping_) co_return connectors::HttpReply{503, "text/plain; charset=utf-8", "shutting down, retry later\n"};
      ++deliveries_in_hand_;
      auto stored = co_await pipeline_->submit(std::move(decoded.comments));
      --deliveries_in_hand_;
      if (!stored) {
        spdlog::error("webhook {}: not stored, answering 503 so the sender retries: {}", id, stored.error().message);
        co_return connectors::HttpReply{503, "text/plain; charset=utf-8", "not stored, retry later\n"};
      }
      co_return decoded.reply;
    }
    co_return connectors::HttpReply{404, "text/plain; charset=utf-8", "not found\n"};
  }

  // --- connectors that poll or replay ---
  class StoreCursors final : public connectors::CursorStore {
   public:
    explicit StoreCursors(store::StoreWriter& w) : w_(w) {}
    net::awaitable<std::optional<std::string>> load(const std::string& account) override {
      auto job = [account](store::Store& s) { return s.load_cursor(account); };
      auto r = co_await store_call<std::optional<std::string>>(w_, job);
      co_return r ? *r : std::nullopt;
    }
    net::awaitable<bool> save(const std::string& account, const std::string& value) override {
      auto job = [account, value](store::Store& s) -> store::Result<bool> {
        if (auto x = s.save_cursor(account, value, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        std::chrono::system_clock::now().time_since_epoch()).count());
            !x)
          return x.error();
        return true;
      };
      auto r = co_await store_call<bool>(w_, job);
      co_return r.has_value();
    }

   private:
    store::StoreWriter& w_;
  };

  net::awaitable<void> run_connector(connectors::Connector& c) {
    connectors::CommentSink sink = [this](std::vector<model::Comment> comments) -> net::awaitable<bool> {
      if (stopping_) co_return false;
      ++deliveries_in_hand_;
      auto r = co_await pipeline_->submit(std::move(comments));
      --deliveries_in_hand_;
      if (!r) spdlog::error("store failed, will retry: {}", r.error().message);
      co_return r.has_value();
    };
    co_await c.run(sink, *cursors_);
  }

  // --- signals: SIGHUP reloads, SIGTERM/SIGINT stop ---
  net::awaitable<void> handle_signals() {
    for (;;) {
      auto [ec, sig] = co_await signals_.async_wait(kTuple);
      if (ec) co_return;
      if (sig == SIGHUP) {
        co_await reload();
        continue;
      }
      co_await shutdown();
      co_return;
    }
  }

  net::awaitable<void> reload() {
    notify("RELOADING=1\nSTATUS=reloading");
    spdlog::info("reload: reading {} and the rules", options_.config.string());
    auto load = [o = options_] { return load_all(o); };
    auto loaded = co_await connectors::run_on(blocking_, load);
    if (!loaded) {
      spdlog::error("reload failed, keeping current config and rules:\n{}", loaded.error().to_string());
      metrics_.add("moderatord_reloads_total", "result=\"failed\"");
    } else {
      for (const auto& what : diff_restart_only(config_, loaded->config))
        spdlog::warn("reload: {} changed but needs a restart: not applied", what);
      // Reloadable parts: rules, thresholds, modes, outbox and mail settings. Accounts themselves
      // (and their connectors) stay as started.
      Config next = config_;
      next.outbox = loaded->config.outbox;
      {
        // Everything of [mail] but where mail goes (transport, maildir: restart only).
        MailOptions mail = loaded->config.mail;
        mail.transport = config_.mail.transport;
        mail.maildir = config_.mail.maildir;
        next.mail = std::move(mail);
      }
      next.daemon.shutdown_grace = loaded->config.daemon.shutdown_grace;
      for (auto& a : next.accounts)
        if (const auto* n = loaded->config.account(a.id)) {
          a.mode = n->mode;
          a.allow_remove = n->allow_remove;
          a.thresholds = n->thresholds;
          a.sla = n->sla;
        }
      next.sla = loaded->config.sla;
      policy_files_ = loaded->policy;
      config_ = std::move(next);
      rules_ = loaded->rules;
      runtime_.set(build_runtime(config_, rules_, policy_files_, connectors_));
      spdlog::info("reload: now using rules {:.12} ({}, {} rules)", rules_->version(), rules_->cache_status(),
                   rules_->rules().size());
      metrics_.add("moderatord_reloads_total", "result=\"ok\"");
    }
    notify("READY=1\nSTATUS=" + status_line());
  }

  net::awaitable<void> shutdown() {
    notify("STOPPING=1\nSTATUS=stopping");
    spdlog::info("stopping: no new connections; finishing deliveries in hand (grace {} ms)",
                 config_.daemon.shutdown_grace.count());
    stopping_ = true;
    server_->stop();
    for (auto& s : cancel_) s.emit(net::cancellation_type::terminal);
    sla_timer_->stop();
    outbox_->stop();
    const auto deadline = std::chrono::steady_clock::now() + config_.daemon.shutdown_grace;
    net::steady_timer t(ioc_);
    while ((deliveries_in_hand_ > 0 || !outbox_->idle()) && std::chrono::steady_clock::now() < deadline) {
      t.expires_after(kShutdownPollPeriod);
      co_await t.async_wait(kTuple);
    }
    if (deliveries_in_hand_ > 0 || !outbox_->idle())
      spdlog::warn("stopping: grace period over with {} delivery(ies) and outbox actions in hand; unacknowledged "
                   "deliveries will be retried by their senders, in-flight actions requeued at the next start",
                   deliveries_in_hand_);
    ioc_.stop();
  }

  std::string status_line() {
    return std::to_string(connectors_.size()) + " account(s), rules " + rules_->version().substr(0, 12) +
           ", store queue " + std::to_string(writer_.queued());
  }

  net::awaitable<void> status_loop() {
    net::steady_timer t(ioc_);
    while (!stopping_) {
      t.expires_after(kStatusPeriod);
      co_await t.async_wait(kTuple);
      if (!stopping_) notify("STATUS=" + status_line());
    }
  }

  // The watchdog is pinged from the event loop itself, so a hung loop stops the pings and systemd
  // restarts the service.
  net::awaitable<void> watchdog_loop(std::chrono::microseconds period) {
    net::steady_timer t(ioc_);
    for (;;) {
      notify("WATCHDOG=1");
      t.expires_after(period);
      co_await t.async_wait(kTuple);
    }
  }

  RunOptions options_;
  Config config_;               // event loop only (after start)
  classifier::RuleSetPtr rules_;
  PolicyFiles policy_files_;
  net::io_context ioc_{1};
  net::thread_pool blocking_{2};  // file I/O, fsync, rule compilation on reload
  store::StoreWriter writer_;
  RuntimeHolder runtime_;
  Metrics metrics_;
  // A connector may keep the cursor store for its actions (YouTube saves its quota ledger after a
  // moderation call), and actions outlive run_connector at shutdown: the store lives as long as the
  // connectors, not in run_connector's frame.
  std::unique_ptr<connectors::CursorStore> cursors_;
  std::map<std::string, connectors::ConnectorPtr> connectors_;
  std::unique_ptr<Pipeline> pipeline_;
  std::unique_ptr<OutboxWorker> outbox_;
  std::unique_ptr<SlaTimer> sla_timer_;
  std::unique_ptr<http::HttpServer> server_;
  net::signal_set signals_;
  std::list<net::cancellation_signal> cancel_;
  bool stopping_ = false;          // event loop only
  std::size_t deliveries_in_hand_ = 0;  // event loop only
  int exit_code_ = 0;
};

}  // namespace

int run_daemon(const RunOptions& options) {
  setup_logging();
  auto loaded = load_all(options);
  if (!loaded) {
    spdlog::critical("cannot start:\n{}", loaded.error().to_string());
    return 1;
  }
  if (options.check_only) {
    // The same load path as a start (config, rules, connectors and their secrets), without the
    // store or the network: safe to run beside the running daemon (ExecReload=).
    net::thread_pool pool(1);
    for (const auto& a : loaded->config.accounts) {
      connectors::ConnectorConfig cc{a.id, a.platform, a.settings, a.config_dir, a.state_dir, &pool, {}};
      if (auto c = connectors::make_connector(cc); !c) {
        spdlog::critical("configuration is not valid:\n{}", c.error().to_string());
        return 1;
      }
    }
    std::printf("moderatord: configuration %s is valid (%zu account(s), rules %.12s, %s)\n",
                loaded->config.file.c_str(), loaded->config.accounts.size(), loaded->rules->version().c_str(),
                loaded->rules->cache_status().c_str());
    return 0;
  }
  std::error_code ec;
  std::filesystem::create_directories(loaded->config.daemon.state_dir, ec);
  if (ec) {
    spdlog::critical("cannot create state directory {}: {}", loaded->config.daemon.state_dir.string(), ec.message());
    return 1;
  }
  store::StoreOptions so;
  so.path = loaded->config.daemon.database;
  so.synchronous = loaded->config.daemon.synchronous;
  auto store = store::Store::open(so);
  if (!store) {
    spdlog::critical("cannot open the database {}: {}", so.path.string(), store.error().message);
    return 1;
  }
  Daemon d(options, std::move(*loaded), std::move(*store));
  if (auto r = d.build_connectors(); !r) {
    spdlog::critical("cannot start:\n{}", r.error().to_string());
    return 1;
  }
  return d.run();
}

}  // namespace moderatord::daemon
