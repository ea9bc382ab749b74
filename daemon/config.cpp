#include "daemon/config.hpp"

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include "daemon/mail/template.hpp"

namespace moderatord::daemon {
namespace {

using classifier::Diagnostic;
using classifier::Error;

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

class Reader {
 public:
  Reader(std::string file, std::vector<Diagnostic>& errors) : file_(std::move(file)), errors_(errors) {}

  void error(const toml::node* n, const std::string& key, const std::string& message) {
    errors_.push_back({file_, n != nullptr ? line_of(*n) : 0, "", key + ": " + message});
  }

  // Reports keys of `t` that are not in `known`: a typo must not silently fall back to a default.
  void unknown_keys(const toml::table& t, const std::string& prefix, const std::set<std::string_view>& known) {
    for (const auto& [k, v] : t)
      if (!known.count(k.str())) error(&v, prefix + std::string(k.str()), "unknown key");
  }

  template <class T>
  void get(const toml::table& t, const std::string& prefix, std::string_view key, T& out) {
    const toml::node* n = t.get(key);
    if (n == nullptr) return;
    if (auto v = n->value<T>()) out = *v;
    else error(n, prefix + std::string(key), "wrong type");
  }

  void get_ms(const toml::table& t, const std::string& prefix, std::string_view key, std::chrono::milliseconds& out) {
    std::int64_t v = out.count();
    get(t, prefix, key, v);
    if (v < 0) error(t.get(key), prefix + std::string(key), "must not be negative");
    out = std::chrono::milliseconds(v);
  }

  void get_path(const toml::table& t, const std::string& prefix, std::string_view key, std::filesystem::path& out) {
    std::string s;
    get(t, prefix, key, s);
    if (!s.empty()) out = s;
  }

  std::vector<std::string> get_strings(const toml::table& t, const std::string& prefix, std::string_view key) {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (n == nullptr) return out;
    const auto* arr = n->as_array();
    if (arr == nullptr) {
      error(n, prefix + std::string(key), "must be a list of strings");
      return out;
    }
    for (const auto& el : *arr) {
      if (auto s = el.value<std::string>()) out.push_back(*s);
      else error(&el, prefix + std::string(key), "must hold only strings");
    }
    return out;
  }

 private:
  std::string file_;
  std::vector<Diagnostic>& errors_;
};

std::optional<ListenAddress> parse_listen(const std::string& s) {
  // "127.0.0.1:8080" or "[::1]:8080"
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 >= s.size()) return std::nullopt;
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = s.substr(colon + 1);
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (host.empty() || *end != '\0' || p < 0 || p > 65535) return std::nullopt;
  return ListenAddress{host, static_cast<unsigned short>(p)};
}

bool valid_account_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::filesystem::path& p) {
  return p.is_absolute() ? p : base / p;
}

}  // namespace

const AccountOptions* Config::account(std::string_view id) const {
  for (const auto& a : accounts)
    if (a.id == id) return &a;
  return nullptr;
}

Result<Config> load_config(const std::filesystem::path& file,
                           const std::optional<std::filesystem::path>& state_dir_override) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error("cannot read config file " + file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  toml::table doc;
  try {
    doc = toml::parse(ss.str(), file.string());
  } catch (const toml::parse_error& e) {
    return Error(std::vector<Diagnostic>{
        {file.string(), static_cast<int>(e.source().begin.line), "", std::string(e.description())}});
  }
  std::vector<Diagnostic> errors;
  Reader r(file.string(), errors);
  Config c;
  c.file = std::filesystem::absolute(file);
  const auto config_dir = c.file.parent_path();
  r.unknown_keys(doc, "", {"daemon", "http", "outbox", "mail", "account", "sla"});

  if (const auto* t = doc["daemon"].as_table()) {
    r.unknown_keys(*t, "daemon.", {"state_dir", "database", "rules", "cache_dir", "synchronous",
                                   "shutdown_grace_ms", "retention_days"});
    r.get_path(*t, "daemon.", "state_dir", c.daemon.state_dir);
    r.get_path(*t, "daemon.", "database", c.daemon.database);
    r.get_path(*t, "daemon.", "rules", c.daemon.rules);
    std::filesystem::path cache;
    r.get_path(*t, "daemon.", "cache_dir", cache);
    if (!cache.empty()) c.daemon.cache_dir = cache;
    std::string sync = "full";
    r.get(*t, "daemon.", "synchronous", sync);
    if (sync == "full") c.daemon.synchronous = store::Synchronous::full;
    else if (sync == "normal") c.daemon.synchronous = store::Synchronous::normal;
    else if (sync == "off") c.daemon.synchronous = store::Synchronous::off;
    else r.error(t->get("synchronous"), "daemon.synchronous", "must be full, normal or off");
    r.get_ms(*t, "daemon.", "shutdown_grace_ms", c.daemon.shutdown_grace);
    std::int64_t days = c.daemon.retention_days;
    r.get(*t, "daemon.", "retention_days", days);
    if (days != 0 && (days < 7 || days > 36500))
      r.error(t->get("retention_days"), "daemon.retention_days", "must be 0 (keep for ever) or 7..36500");
    else c.daemon.retention_days = static_cast<int>(days);
  }
  if (state_dir_override) c.daemon.state_dir = *state_dir_override;
  c.daemon.state_dir = resolve(config_dir, c.daemon.state_dir);
  c.daemon.database = resolve(c.daemon.state_dir, c.daemon.database);
  c.daemon.rules = resolve(config_dir, c.daemon.rules);
  if (c.daemon.cache_dir) c.daemon.cache_dir = resolve(c.daemon.state_dir, *c.daemon.cache_dir);

  if (const auto* t = doc["http"].as_table()) {
    r.unknown_keys(*t, "http.", {"listen", "max_body_bytes", "header_timeout_ms", "body_timeout_ms",
                                 "idle_timeout_ms", "max_connections", "tls_certificate", "tls_private_key"});
    if (t->get("listen") != nullptr) {
      c.http.listen.clear();
      for (const auto& s : r.get_strings(*t, "http.", "listen")) {
        if (auto a = parse_listen(s)) c.http.listen.push_back(*a);
        else r.error(t->get("listen"), "http.listen", "'" + s + "' is not HOST:PORT");
      }
    }
    std::int64_t body = static_cast<std::int64_t>(c.http.max_body_bytes), conns = static_cast<std::int64_t>(c.http.max_connections);
    r.get(*t, "http.", "max_body_bytes", body);
    r.get(*t, "http.", "max_connections", conns);
    if (body < 1024) r.error(t->get("max_body_bytes"), "http.max_body_bytes", "must be at least 1024");
    if (conns < 1) r.error(t->get("max_connections"), "http.max_connections", "must be at least 1");
    c.http.max_body_bytes = static_cast<std::size_t>(body);
    c.http.max_connections = static_cast<std::size_t>(conns);
    r.get_ms(*t, "http.", "header_timeout_ms", c.http.header_timeout);
    r.get_ms(*t, "http.", "body_timeout_ms", c.http.body_timeout);
    r.get_ms(*t, "http.", "idle_timeout_ms", c.http.idle_timeout);
    std::filesystem::path cert, key;
    r.get_path(*t, "http.", "tls_certificate", cert);
    r.get_path(*t, "http.", "tls_private_key", key);
    if (cert.empty() != key.empty())
      r.error(t, "http.tls_certificate", "tls_certificate and tls_private_key go together");
    if (!cert.empty()) {
      c.http.tls_certificate = resolve(config_dir, cert);
      c.http.tls_private_key = resolve(config_dir, key);
    }
  }

  if (const auto* t = doc["outbox"].as_table()) {
    r.unknown_keys(*t, "outbox.", {"max_attempts", "initial_backoff_ms", "max_backoff_ms", "action_timeout_ms",
                                   "concurrency"});
    std::int64_t attempts = c.outbox.max_attempts, conc = c.outbox.concurrency;
    r.get(*t, "outbox.", "max_attempts", attempts);
    r.get(*t, "outbox.", "concurrency", conc);
    if (attempts < 1 || attempts > 100) r.error(t->get("max_attempts"), "outbox.max_attempts", "must be 1..100");
    if (conc < 1 || conc > 256) r.error(t->get("concurrency"), "outbox.concurrency", "must be 1..256");
    c.outbox.max_attempts = static_cast<int>(attempts);
    c.outbox.concurrency = static_cast<int>(conc);
    r.get_ms(*t, "outbox.", "initial_backoff_ms", c.outbox.initial_backoff);
    r.get_ms(*t, "outbox.", "max_backoff_ms", c.outbox.max_backoff);
    r.get_ms(*t, "outbox.", "action_timeout_ms", c.outbox.action_timeout);
  }

  if (const auto* t = doc["mail"].as_table()) {
    r.unknown_keys(*t, "mail.", {"transport", "maildir", "from", "moderators", "clerk", "admins", "templates",
                                 "smtp_url", "smtp_require_tls", "smtp_ca_file", "smtp_user", "smtp_password_file",
                                 "smtp_password_credential", "smtp_connect_timeout_ms", "smtp_timeout_ms",
                                 "sendmail", "digest_interval_ms", "rate_limit_per_hour", "time_zone",
                                 "report_time"});
    r.get(*t, "mail.", "transport", c.mail.transport);
    if (c.mail.transport != "maildir" && c.mail.transport != "smtp" && c.mail.transport != "sendmail")
      r.error(t->get("transport"), "mail.transport", "must be smtp, sendmail or maildir");
    r.get_path(*t, "mail.", "maildir", c.mail.maildir);
    r.get(*t, "mail.", "from", c.mail.from);
    c.mail.moderators = r.get_strings(*t, "mail.", "moderators");
    c.mail.clerk = r.get_strings(*t, "mail.", "clerk");
    c.mail.admins = r.get_strings(*t, "mail.", "admins");
    r.get_path(*t, "mail.", "templates", c.mail.templates);
    r.get(*t, "mail.", "smtp_url", c.mail.smtp_url);
    r.get(*t, "mail.", "smtp_require_tls", c.mail.smtp_require_tls);
    std::filesystem::path ca, password;
    r.get_path(*t, "mail.", "smtp_ca_file", ca);
    r.get_path(*t, "mail.", "smtp_password_file", password);
    if (!ca.empty()) c.mail.smtp_ca_file = resolve(config_dir, ca);
    if (!password.empty()) c.mail.smtp_password_file = resolve(config_dir, password);
    r.get(*t, "mail.", "smtp_user", c.mail.smtp_user);
    r.get(*t, "mail.", "smtp_password_credential", c.mail.smtp_password_credential);
    if (c.mail.smtp_password_file && !c.mail.smtp_password_credential.empty())
      r.error(t->get("smtp_password_credential"), "mail.smtp_password_credential",
              "give smtp_password_file or smtp_password_credential, not both");
    r.get_ms(*t, "mail.", "smtp_connect_timeout_ms", c.mail.smtp_connect_timeout);
    r.get_ms(*t, "mail.", "smtp_timeout_ms", c.mail.smtp_timeout);
    if (c.mail.transport == "smtp" && c.mail.smtp_url.rfind("smtp://", 0) != 0 &&
        c.mail.smtp_url.rfind("smtps://", 0) != 0)
      r.error(t->get("smtp_url"), "mail.smtp_url", "transport smtp needs smtp_url = \"smtps://host:465\" or \"smtp://host:587\"");
    r.get_path(*t, "mail.", "sendmail", c.mail.sendmail);
    r.get_ms(*t, "mail.", "digest_interval_ms", c.mail.digest_interval);
    std::int64_t rate = c.mail.rate_limit_per_hour;
    r.get(*t, "mail.", "rate_limit_per_hour", rate);
    if (rate < 0 || rate > 100000) r.error(t->get("rate_limit_per_hour"), "mail.rate_limit_per_hour", "must be 0..100000");
    c.mail.rate_limit_per_hour = static_cast<int>(rate);
    r.get(*t, "mail.", "time_zone", c.mail.time_zone);
    r.get(*t, "mail.", "report_time", c.mail.report_time);
    const auto& rt = c.mail.report_time;
    if (!rt.empty() && !(rt.size() == 5 && rt[2] == ':' && std::isdigit(static_cast<unsigned char>(rt[0])) &&
                         std::isdigit(static_cast<unsigned char>(rt[1])) && std::isdigit(static_cast<unsigned char>(rt[3])) &&
                         std::isdigit(static_cast<unsigned char>(rt[4])) && std::stoi(rt.substr(0, 2)) < 24 &&
                         std::stoi(rt.substr(3, 2)) < 60))
      r.error(t->get("report_time"), "mail.report_time", "must be HH:MM (24-hour local time) or \"\"");
  }
  c.mail.maildir = resolve(c.daemon.state_dir, c.mail.maildir);
  c.mail.templates = resolve(config_dir, c.mail.templates);
  c.mail.database = c.daemon.database;
  // A broken template would turn its emails into the generic listing: say so at --check-config and
  // reload instead (a missing folder is no error: every email then lists its fields).
  if (std::error_code ec; std::filesystem::is_directory(c.mail.templates, ec))
    for (const auto& entry : std::filesystem::directory_iterator(c.mail.templates, ec)) {
      if (entry.path().extension() != ".tmpl") continue;
      std::ifstream tin(entry.path(), std::ios::binary);
      std::ostringstream text;
      text << tin.rdbuf();
      if (auto t = mail::parse_template(text.str(), entry.path().string()); !t)
        for (const auto& d : t.error().diagnostics) errors.push_back(d);
    }
  if (c.mail.moderators.empty())
    errors.push_back({file.string(), 0, "", "mail.moderators: at least one address is needed for escalations"});

  parse_sla_section(doc["sla"].as_table(), config_dir, file.string(), c.sla, errors);
  // One local time for the council: the report's day and the times in emails follow [sla] time_zone
  // unless [mail] names its own.
  if (doc["mail"]["time_zone"].node() == nullptr) c.mail.time_zone = c.sla.time_zone;

  if (const toml::node* accounts = doc.get("account")) {
    const auto* arr = accounts->as_array();
    if (arr == nullptr) r.error(accounts, "account", "write accounts as [[account]] tables");
    std::set<std::string> ids;
    for (std::size_t i = 0; arr != nullptr && i < arr->size(); ++i) {
      const auto* t = (*arr)[i].as_table();
      if (t == nullptr) continue;
      AccountOptions a;
      a.config_dir = config_dir;
      a.state_dir = c.daemon.state_dir;
      const std::string prefix = "account[" + std::to_string(i) + "].";
      r.get(*t, prefix, "id", a.id);
      r.get(*t, prefix, "platform", a.platform);
      if (!valid_account_id(a.id)) r.error(t, prefix + "id", "must be 1-64 of a-z, 0-9, '-', '_'");
      else if (!ids.insert(a.id).second) r.error(t, prefix + "id", "duplicate account id '" + a.id + "'");
      if (a.platform.empty()) r.error(t, prefix + "platform", "missing");
      std::string mode = "enforce";
      r.get(*t, prefix, "mode", mode);
      if (mode == "observe") a.mode = AccountMode::observe;
      else if (mode != "enforce") r.error(t->get("mode"), prefix + "mode", "must be enforce or observe");
      r.get(*t, prefix, "allow_remove", a.allow_remove);
      for (const auto& [k, v] : *t) {
        const std::string key(k.str());
        if (key == "id" || key == "platform" || key == "mode" || key == "allow_remove") continue;
        if (key == "sla") {
          if (v.as_table() == nullptr) r.error(&v, prefix + "sla", "must be a table");
          continue;
        }
        if (key == "thresholds") {
          const auto* th = v.as_table();
          if (th == nullptr) {
            r.error(&v, prefix + "thresholds", "must be a table of categories");
            continue;
          }
          for (const auto& [cat_name, cat_node] : *th) {
            const auto cat = classifier::parse_category(cat_name.str());
            const auto* ct = cat_node.as_table();
            if (!cat || classifier::is_signal(*cat) || ct == nullptr) {
              r.error(&cat_node, prefix + "thresholds." + std::string(cat_name.str()), "not a breach category table");
              continue;
            }
            std::array<double, classifier::kActionCount> row;
            row.fill(classifier::Thresholds::kNever);
            for (const auto& [act_name, val] : *ct) {
              const auto act = classifier::parse_action(act_name.str());
              const auto d = val.value<double>();
              if (!act || *act == classifier::Action::none || !d)
                r.error(&val, prefix + "thresholds." + std::string(cat_name.str()) + "." + std::string(act_name.str()),
                        "expected escalate|hide|report|remove = number");
              else row[static_cast<std::size_t>(*act)] = *d;
            }
            a.thresholds[*cat] = row;
          }
          continue;
        }
        // Integers as written: a double's stream format would turn 1000000 into "1e+06".
        if (auto s = v.value<std::string>()) a.settings[key] = *s;
        else if (auto whole = v.as_integer()) a.settings[key] = std::to_string(whole->get());
        else if (auto n = v.value<double>()) {
          char buf[32];
          auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *n);
          a.settings[key] = std::string(buf, ec == std::errc() ? end : buf);
        } else if (auto b = v.value<bool>()) a.settings[key] = *b ? "true" : "false";
        else r.error(&v, prefix + key, "must be a string, number or boolean");
      }
      a.sla = parse_account_sla((*t)["sla"].as_table(), c.sla, a.platform, prefix, file.string(), errors);
      c.accounts.push_back(std::move(a));
    }
  }
  if (c.accounts.empty()) errors.push_back({file.string(), 0, "", "no [[account]]: nothing to moderate"});
  if (!errors.empty()) return Error(std::move(errors));
  return c;
}

std::vector<std::string> diff_restart_only(const Config& a, const Config& b) {
  std::vector<std::string> out;
  auto listen_str = [](const Config& c) {
    std::string s;
    for (const auto& l : c.http.listen) s += l.host + ":" + std::to_string(l.port) + " ";
    return s;
  };
  if (a.daemon.state_dir != b.daemon.state_dir) out.push_back("daemon.state_dir");
  if (a.daemon.database != b.daemon.database) out.push_back("daemon.database");
  if (a.daemon.synchronous != b.daemon.synchronous) out.push_back("daemon.synchronous");
  if (listen_str(a) != listen_str(b)) out.push_back("http.listen");
  if (a.http.max_body_bytes != b.http.max_body_bytes || a.http.header_timeout != b.http.header_timeout ||
      a.http.body_timeout != b.http.body_timeout || a.http.idle_timeout != b.http.idle_timeout ||
      a.http.max_connections != b.http.max_connections || a.http.tls_certificate != b.http.tls_certificate)
    out.push_back("http limits or TLS");
  if (a.mail.transport != b.mail.transport || a.mail.maildir != b.mail.maildir) out.push_back("mail.transport/maildir");
  std::string ids_a, ids_b;
  for (const auto& x : a.accounts) ids_a += x.id + "/" + x.platform + " ";
  for (const auto& x : b.accounts) ids_b += x.id + "/" + x.platform + " ";
  if (ids_a != ids_b) out.push_back("accounts added, removed or changed platform");
  for (const auto& x : a.accounts)
    if (const auto* y = b.account(x.id); y != nullptr && y->settings != x.settings)
      out.push_back("account " + x.id + " connector settings");
  return out;
}

}  // namespace moderatord::daemon
