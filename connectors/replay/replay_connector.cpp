#include "connectors/replay/replay_connector.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <fstream>
#include <mutex>
#include <set>

#include "connectors/blocking.hpp"
#include "connectors/comment_json.hpp"

namespace moderatord::connectors {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Position {
  std::string file;  // file name within the feed ("" before the first)
  std::size_t line = 0;
};

Position parse_cursor(const std::optional<std::string>& c) {
  if (!c) return {};
  const auto colon = c->rfind(':');
  if (colon == std::string::npos) return {};
  return {c->substr(0, colon), static_cast<std::size_t>(std::strtoull(c->c_str() + colon + 1, nullptr, 10))};
}

// One read from the feed: up to `max` comments after `from`, and the position after them.
struct Chunk {
  std::vector<model::Comment> comments;
  Position next;
  std::size_t skipped = 0;  // malformed lines (logged, not stored)
};

class ReplayConnector final : public Connector {
 public:
  ReplayConnector(std::string id, fs::path feed, double rate, bool follow, fs::path action_log, net::thread_pool& pool)
      : id_(std::move(id)), feed_(std::move(feed)), rate_(rate), follow_(follow), action_log_(std::move(action_log)),
        pool_(pool) {
    std::ifstream in(action_log_);
    std::string line;
    simdjson::dom::parser parser;
    while (std::getline(in, line)) {
      simdjson::dom::element e;
      int64_t id_value;
      if (parser.parse(line).get(e) == simdjson::SUCCESS && e["outbox_id"].get_int64().get(id_value) == simdjson::SUCCESS)
        applied_.insert(id_value);
    }
  }

  const std::string& id() const noexcept override { return id_; }
  std::string_view platform() const noexcept override { return "replay"; }
  Capabilities capabilities() const noexcept override {
    Capabilities c;
    c.hide = {true, true};
    c.unhide = {true, true};
    c.remove = {true, false};
    c.report = {true, false};
    return c;
  }

  WebhookDecoded handle_webhook(const HttpRequest&) const override {
    WebhookDecoded out;
    out.reply = {404, "text/plain; charset=utf-8", "the replay connector takes no webhooks\n"};
    return out;
  }

  net::awaitable<void> run(CommentSink sink, CursorStore& cursors) override {
    auto executor = co_await net::this_coro::executor;
    net::steady_timer timer(executor);
    Position pos = parse_cursor(co_await cursors.load(id_));
    // Emit in ticks of 100 ms so the rate is smooth rather than bursty.
    const auto per_tick = static_cast<std::size_t>(std::max(1.0, rate_ / 10.0));
    const auto tick = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(static_cast<double>(per_tick) / rate_));
    spdlog::info("replay {}: reading {} from {}", id_, feed_.string(), pos.file.empty() ? "the start" : pos.file + ":" + std::to_string(pos.line));
    for (;;) {
      auto read = [this, pos, per_tick] { return read_chunk(pos, per_tick); };
      Chunk chunk = co_await run_on(pool_, read);
      if (chunk.skipped > 0) spdlog::warn("replay {}: skipped {} malformed line(s) before {}:{}", id_, chunk.skipped, chunk.next.file, chunk.next.line);
      if (chunk.comments.empty() && chunk.next.file == pos.file && chunk.next.line == pos.line) {
        if (!follow_) co_return;
        timer.expires_after(1s);  // at the end of the feed: look for appended lines
        co_await timer.async_wait(net::use_awaitable);
        continue;
      }
      if (!chunk.comments.empty()) {
        // Retry the same batch until it is stored: the cursor moves only past stored comments.
        while (!co_await sink(chunk.comments)) {
          timer.expires_after(1s);
          co_await timer.async_wait(net::use_awaitable);
        }
      }
      pos = chunk.next;
      co_await cursors.save(id_, pos.file + ":" + std::to_string(pos.line));
      timer.expires_after(tick);
      co_await timer.async_wait(net::use_awaitable);
    }
  }

  net::awaitable<ActionOutcome> apply(const ActionRequest& req) override {
    auto write = [this, req] { return record(req); };
    co_return co_await run_on(pool_, write);
  }

 private:
  std::vector<fs::path> feed_files() const {
    std::vector<fs::path> files;
    std::error_code ec;
    if (fs::is_directory(feed_, ec)) {
      for (const auto& e : fs::directory_iterator(feed_, ec))
        if (e.path().extension() == ".jsonl") files.push_back(e.path());
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(feed_);
    }
    return files;
  }

  Chunk read_chunk(Position from, std::size_t max) const {
    Chunk chunk;
    chunk.next = from;
    simdjson::dom::parser parser;
    for (const auto& file : feed_files()) {
      const std::string name = file.filename().string();
      if (!from.file.empty() && name < from.file) continue;
      const std::size_t skip = name == from.file ? from.line : 0;
      std::ifstream in(file, std::ios::binary);
      std::string line;
      std::size_t n = 0;
      while (n < skip && std::getline(in, line)) ++n;
      if (n < skip) return chunk;  // the file shrank: wait, do not re-read from elsewhere
      // A line without its final newline may still be being written: stop before it.
      while (chunk.comments.size() < max && std::getline(in, line) && !in.eof()) {
        ++n;
        chunk.next = {name, n};
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        simdjson::dom::element e;
        auto err = parser.parse(line).get(e);
        auto c = err ? Result<model::Comment>(Error(simdjson::error_message(err))) : comment_from_json(e, id_, "replay");
        if (c) chunk.comments.push_back(std::move(*c));
        else ++chunk.skipped;
      }
      if (chunk.comments.size() >= max) return chunk;
      if (chunk.next.file != name) chunk.next = {name, n};
    }
    return chunk;
  }

  ActionOutcome record(const ActionRequest& req) {
    std::lock_guard lock(mutex_);
    if (applied_.count(req.outbox_id))
      return {ActionOutcome::Status::done, "already recorded (outbox id " + std::to_string(req.outbox_id) + ")", std::nullopt};
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    std::string line = "{\"outbox_id\":" + std::to_string(req.outbox_id) + ",\"action\":\"" +
                       std::string(model::to_string(req.kind)) + "\",\"platform_id\":\"";
    for (char ch : req.platform_id) {
      if (ch == '"' || ch == '\\') line += '\\';
      if (static_cast<unsigned char>(ch) >= 0x20) line += ch;
    }
    line += "\",\"at\":" + std::to_string(now) + "}\n";
    // Appended and fsynced before we say done: the log is the platform's memory of what we did.
    const bool created = !std::filesystem::exists(action_log_);
    const int fd = ::open(action_log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return {ActionOutcome::Status::retry, "cannot open action log " + action_log_.string(), std::nullopt};
    bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (ok && created) {  // a new file's directory entry is durable only once the folder is synced
      const int dir = ::open(action_log_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      ok = dir >= 0 && ::fsync(dir) == 0;
      if (dir >= 0) ::close(dir);
    }
    if (!ok) return {ActionOutcome::Status::retry, "cannot write action log " + action_log_.string(), std::nullopt};
    applied_.insert(req.outbox_id);
    return {ActionOutcome::Status::done, std::string(model::to_string(req.kind)) + " recorded in the action log", std::nullopt};
  }

  std::string id_;
  fs::path feed_;
  double rate_;
  bool follow_;
  fs::path action_log_;
  net::thread_pool& pool_;
  std::mutex mutex_;              // guards applied_ and the action log file
  std::set<std::int64_t> applied_;
};

}  // namespace

Result<ConnectorPtr> make_replay_connector(const ConnectorConfig& config) {
  fs::path feed, log = config.id + "-actions.jsonl";
  double rate = 10;
  bool follow = true;
  for (const auto& [k, v] : config.settings) {
    if (k == "feed") feed = v;
    else if (k == "action_log") log = v;
    else if (k == "rate_per_second") {
      char* end = nullptr;
      rate = std::strtod(v.c_str(), &end);
      if (*end != '\0' || !(rate > 0) || rate > 1e6)
        return Error("account " + config.id + ": rate_per_second must be a number in (0, 1000000]");
    } else if (k == "follow") {
      if (v != "true" && v != "false") return Error("account " + config.id + ": follow must be true or false");
      follow = v == "true";
    } else {
      return Error("account " + config.id + ": unknown replay setting '" + k + "'");
    }
  }
  if (feed.empty()) return Error("account " + config.id + ": replay needs feed = \"file or folder\"");
  if (feed.is_relative()) feed = config.config_dir / feed;
  if (log.is_relative()) log = config.state_dir / log;
  std::error_code ec;
  if (!fs::exists(feed, ec)) return Error("account " + config.id + ": feed " + feed.string() + " does not exist");
  if (config.blocking == nullptr) return Error("account " + config.id + ": no blocking pool (internal)");
  return ConnectorPtr(std::make_unique<ReplayConnector>(config.id, feed, rate, follow, log, *config.blocking));
}

}  // namespace moderatord::connectors
