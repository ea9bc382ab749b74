#include "daemon/report/report_render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "daemon/mail/mailer.hpp"
#include "daemon/mail/template.hpp"

namespace moderatord::daemon::report {
namespace {

using mail::html_escape;

std::string pct(std::optional<double> p) {
  if (!p) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", *p);
  return buf;
}

std::string when(const DailyReport& r, std::int64_t ms) { return mail::format_local_time(ms, r.time_zone, u"EEE d MMM HH:mm zzz"); }
std::string iso(const DailyReport& r, std::int64_t ms) {
  return ms > 0 ? mail::format_local_time(ms, r.time_zone, u"yyyy-MM-dd'T'HH:mm:ssxxx") : "";
}

std::string kind_word(const std::string& kind) {
  if (kind == "hide") return "hidden";
  if (kind == "remove") return "removed";
  if (kind == "report") return "reported";
  if (kind == "escalate") return "escalated";
  return kind;
}

constexpr const char* kKinds[] = {"hide", "remove", "report", "escalate"};

std::string hours_of_day(const DailyReport& r) {
  const std::int64_t h = (r.window.to_ms - r.window.from_ms) / 3600000;
  return h == 24 ? "" : "; the clocks changed: this day had " + std::to_string(h) + " hours";
}

// A short text from a policy event's JSON detail: the values of its fields, without the quoting.
std::string event_text(const store::PolicyEventFact& e) {
  std::string out;
  bool in_string = false, escape = false;
  for (char c : e.detail) {
    if (escape) {
      out += c;
      escape = false;
    } else if (c == '\\' && in_string) {
      escape = true;
    } else if (c == '"') {
      in_string = !in_string;
    } else if (in_string) {
      out += c;
    } else if (c == ':') {
      out += ": ";
    } else if (c == ',') {
      out += "; ";
    } else if (c != '{' && c != '}' && c != '[' && c != ']') {
      out += c;
    }
  }
  return out;
}

const char* kDefinitions =
    "Needing a reply: comments and messages opened on the day that were not exempt. Within the SLA: of "
    "the items that fell due on the day (1 day, policy 7.7.2), those answered by their due time. Response "
    "times: of the items answered on the day; median, and 90th percentile by nearest rank. Breaches: items "
    "that fell due on the day and were answered late or were still open at the end of the day. Exemptions: "
    "rhetorical questions (7.8.1), repeats of an answered post (7.8.2), breaches (7.9).";

}  // namespace

std::string format_duration(std::int64_t ms) {
  const std::int64_t minutes = std::max<std::int64_t>(0, ms) / 60000;
  const std::int64_t d = minutes / 1440, h = minutes % 1440 / 60, m = minutes % 60;
  char buf[48];
  if (d > 0) std::snprintf(buf, sizeof buf, "%lld d %lld h", static_cast<long long>(d), static_cast<long long>(h));
  else if (h > 0) std::snprintf(buf, sizeof buf, "%lld h %02lld min", static_cast<long long>(h), static_cast<long long>(m));
  else std::snprintf(buf, sizeof buf, "%lld min", static_cast<long long>(m));
  return buf;
}

std::string report_text(const DailyReport& r) {
  std::string o = "moderatord daily report for " + r.date.iso() + " (" + r.time_zone + hours_of_day(r) + ")\n";
  for (const auto& a : r.accounts) {
    const SlaFigures& s = a.sla;
    o += "\n== Account " + a.account + " ==\n";
    o += "Comments received:        " + std::to_string(a.comments) + "\n";
    o += "Actions by category:" + std::string(a.actions.empty() ? "      none\n" : "\n");
    for (const auto& [cat, kinds] : a.actions) {
      std::string line;
      for (const char* k : kKinds)
        if (auto it = kinds.find(k); it != kinds.end())
          line += (line.empty() ? "" : ", ") + kind_word(k) + " " + std::to_string(it->second);
      char buf[32];
      std::snprintf(buf, sizeof buf, "  %-15s ", cat.c_str());
      o += buf + line + "\n";
    }
    o += "Needing a reply:          " + std::to_string(s.needing_reply) + "\n";
    o += "Replied within the SLA:   " + std::to_string(s.within) + " of " + std::to_string(s.due) + " due (" +
         pct(s.within_pct) + ")\n";
    o += "Response time:            " +
         (s.median_ms ? "median " + format_duration(*s.median_ms) + ", 90th percentile " + format_duration(*s.p90_ms) +
                            " (" + std::to_string(s.replied) + " replied)"
                      : std::string("none replied")) +
         "\n";
    o += "Breaches:                 " + std::to_string(s.breaches.size()) + "\n";
    for (const auto& b : s.breaches)
      o += "  - " + b.item.author + ", due " + when(r, b.item.due_at) + ": " + format_duration(b.lateness_ms) +
           (b.still_open ? " late and still open" : " late") + "  " + (b.item.url.empty() ? b.item.platform_id : b.item.url) +
           "\n";
    std::string ex;
    for (const auto& [reason, n] : s.exemptions) ex += (ex.empty() ? "" : ", ") + reason + " " + std::to_string(n);
    o += "Exemptions:               " + (ex.empty() ? std::string("none") : ex) + "\n";
    o += "One-reply violations:     " + std::to_string(a.one_reply_violations.size()) + "\n";
    for (const auto& e : a.one_reply_violations) o += "  - " + when(r, e.at) + " " + e.url + " " + event_text(e) + "\n";
    o += "Own-post alerts:          " + std::to_string(a.own_post_alerts.size()) + "\n";
    for (const auto& e : a.own_post_alerts) o += "  - " + when(r, e.at) + " " + e.url + " " + event_text(e) + "\n";
  }
  o += "\n== Outbox ==\nDead letters:             " + std::to_string(r.dead_letters.size()) + " (" +
       std::to_string(r.dead_on_day) + " on the day)\n";
  for (const auto& d : r.dead_letters)
    o += "  - #" + std::to_string(d.id) + " " + d.kind + " by " + d.executor + ": " + d.last_error +
         "  (moderatord outbox retry " + std::to_string(d.id) + ")\n";
  o += "\n== Last 30 days, all accounts ==\ndate         within SLA  median response\n";
  for (const auto& h : r.history) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s  %-10s  %s\n", h.date.iso().c_str(), pct(h.within_pct).c_str(),
                  h.median_ms ? format_duration(*h.median_ms).c_str() : "-");
    o += buf;
  }
  o += "\n" + std::string(kDefinitions) + "\n";
  return o;
}

std::string history_svg(const DailyReport& r) {
  const int w = 720, h = 260, left = 48, right = 56, top = 28, bottom = 40;
  const double plot_w = w - left - right, plot_h = h - top - bottom;
  const std::size_t n = std::max<std::size_t>(r.history.size(), 1);
  const double slot = plot_w / static_cast<double>(n);
  std::int64_t max_median = 3600000;  // at least 1 h on the right axis
  for (const auto& p : r.history)
    if (p.median_ms) max_median = std::max(max_median, *p.median_ms);
  const double max_hours = std::ceil(static_cast<double>(max_median) / 3600000.0);
  char buf[320];
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" +
                  std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
                  "\" font-family=\"Arial,Helvetica,sans-serif\" font-size=\"11\" role=\"img\" "
                  "aria-label=\"SLA compliance and median response time, last 30 days\">\n";
  s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  for (int pctl = 0; pctl <= 100; pctl += 25) {
    const double y = top + plot_h * (1.0 - pctl / 100.0);
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e3e3\"/><text x=\"%d\" y=\"%.1f\" "
                  "text-anchor=\"end\" fill=\"#2e7d32\">%d%%</text>\n",
                  left, y, left + plot_w, y, left - 6, y + 4, pctl);
    s += buf;
    std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#1565c0\">%.1f h</text>\n", left + plot_w + 6, y + 4,
                  max_hours * pctl / 100.0);
    s += buf;
  }
  std::string line;
  for (std::size_t i = 0; i < r.history.size(); ++i) {
    const auto& p = r.history[i];
    const double x = left + slot * static_cast<double>(i);
    if (p.within_pct) {
      const double bh = plot_h * *p.within_pct / 100.0;
      std::snprintf(buf, sizeof buf,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s: %.1f%% within "
                    "the SLA (%lld due)</title></rect>\n",
                    x + 1, top + plot_h - bh, std::max(1.0, slot - 2), bh, *p.within_pct >= 100.0 ? "#66bb6a" : "#ef8f00",
                    p.date.iso().c_str(), *p.within_pct, static_cast<long long>(p.due));
      s += buf;
    }
    if (p.median_ms) {
      const double y = top + plot_h * (1.0 - static_cast<double>(*p.median_ms) / (max_hours * 3600000.0));
      std::snprintf(buf, sizeof buf, "%s%.1f,%.1f", line.empty() ? "" : " ", x + slot / 2, y);
      line += buf;
      std::snprintf(buf, sizeof buf, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#1565c0\"/>\n", x + slot / 2, y);
      s += buf;
    }
    if (i % 5 == 0 || i + 1 == r.history.size()) {
      std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444\">%02d/%02d</text>\n",
                    x + slot / 2, top + plot_h + 16, p.date.day, p.date.month);
      s += buf;
    }
  }
  if (!line.empty()) s += "<polyline points=\"" + line + "\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\"/>\n";
  std::snprintf(buf, sizeof buf,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n"
                "<rect x=\"%d\" y=\"8\" width=\"10\" height=\"10\" fill=\"#66bb6a\"/><text x=\"%d\" y=\"17\">replied "
                "within the SLA (%% of items due)</text>\n"
                "<line x1=\"%d\" y1=\"13\" x2=\"%d\" y2=\"13\" stroke=\"#1565c0\" stroke-width=\"2\"/><text x=\"%d\" "
                "y=\"17\">median response time</text>\n",
                left, top + plot_h, left + plot_w, top + plot_h, left, left + 14, left + 300, left + 318, left + 322);
  s += buf;
  return s + "</svg>\n";
}

std::string report_html(const DailyReport& r) {
  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>moderatord daily report " +
      r.date.iso() +
      "</title></head>\n<body style=\"font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1a1a1a;"
      "max-width:760px;margin:16px\">\n<h1 style=\"font-size:20px\">Daily report for " +
      html_escape(mail::format_local_time(r.window.from_ms + 12 * 3600000LL, r.time_zone, u"EEEE d MMMM yyyy")) +
      "</h1>\n<p style=\"color:#555\">" + html_escape(r.time_zone + hours_of_day(r)) + "</p>\n";
  const char* th = " style=\"text-align:left;padding:3px 8px;border-bottom:1px solid #ccc\"";
  const char* td = " style=\"padding:3px 8px;border-bottom:1px solid #eee\"";
  for (const auto& a : r.accounts) {
    const SlaFigures& s = a.sla;
    o += "<h2 style=\"font-size:17px;margin-top:24px\">Account " + html_escape(a.account) + "</h2>\n";
    o += "<table style=\"border-collapse:collapse\">\n";
    auto row = [&](const std::string& k, const std::string& v) {
      o += "<tr><th" + std::string(th) + ">" + k + "</th><td" + td + ">" + v + "</td></tr>\n";
    };
    row("Comments received", std::to_string(a.comments));
    row("Needing a reply", std::to_string(s.needing_reply));
    row("Replied within the SLA",
        std::to_string(s.within) + " of " + std::to_string(s.due) + " due (<b>" + pct(s.within_pct) + "</b>)");
    row("Median response time", s.median_ms ? format_duration(*s.median_ms) : "-");
    row("90th percentile", s.p90_ms ? format_duration(*s.p90_ms) : "-");
    row("Breaches", std::to_string(s.breaches.size()));
    std::string ex;
    for (const auto& [reason, n] : s.exemptions) ex += (ex.empty() ? "" : ", ") + html_escape(reason) + " " + std::to_string(n);
    row("Exemptions", ex.empty() ? "none" : ex);
    row("One-reply violations", std::to_string(a.one_reply_violations.size()));
    row("Own-post alerts", std::to_string(a.own_post_alerts.size()));
    o += "</table>\n";
    if (!a.actions.empty()) {
      o += "<h3 style=\"font-size:15px\">Actions by category</h3>\n<table style=\"border-collapse:collapse\"><tr><th" +
           std::string(th) + ">category</th>";
      for (const char* k : kKinds) o += "<th" + std::string(th) + ">" + kind_word(k) + "</th>";
      o += "</tr>\n";
      for (const auto& [cat, kinds] : a.actions) {
        o += "<tr><td" + std::string(td) + ">" + html_escape(cat) + "</td>";
        for (const char* k : kKinds) {
          const auto it = kinds.find(k);
          o += "<td" + std::string(td) + ">" + (it == kinds.end() ? "0" : std::to_string(it->second)) + "</td>";
        }
        o += "</tr>\n";
      }
      o += "</table>\n";
    }
    if (!s.breaches.empty()) {
      o += "<h3 style=\"font-size:15px\">Breaches</h3>\n<ul>\n";
      for (const auto& b : s.breaches) {
        const std::string link = b.item.url.empty() ? html_escape(b.item.platform_id)
                                                    : "<a href=\"" + html_escape(b.item.url) + "\">" + html_escape(b.item.url) + "</a>";
        o += "<li>" + html_escape(b.item.author) + ", due " + html_escape(when(r, b.item.due_at)) + ": <b>" +
             format_duration(b.lateness_ms) + (b.still_open ? " late, still open" : " late") + "</b> " + link + "</li>\n";
      }
      o += "</ul>\n";
    }
    for (const auto* list : {&a.one_reply_violations, &a.own_post_alerts}) {
      if (list->empty()) continue;
      o += std::string("<h3 style=\"font-size:15px\">") +
           (list == &a.one_reply_violations ? "One-reply violations (7.8.3)" : "Own-post alerts") + "</h3>\n<ul>\n";
      for (const auto& e : *list)
        o += "<li>" + html_escape(when(r, e.at)) + " " +
             (e.url.empty() ? "" : "<a href=\"" + html_escape(e.url) + "\">" + html_escape(e.url) + "</a> ") +
             html_escape(event_text(e)) + "</li>\n";
      o += "</ul>\n";
    }
  }
  o += "<h2 style=\"font-size:17px;margin-top:24px\">Outbox</h2>\n<p>Dead letters: <b>" +
       std::to_string(r.dead_letters.size()) + "</b> (" + std::to_string(r.dead_on_day) + " on the day)</p>\n";
  if (!r.dead_letters.empty()) {
    o += "<ul>\n";
    for (const auto& d : r.dead_letters)
      o += "<li>#" + std::to_string(d.id) + " " + html_escape(d.kind) + " by " + html_escape(d.executor) + ": " +
           html_escape(d.last_error) + " (<code>moderatord outbox retry " + std::to_string(d.id) + "</code>)</li>\n";
    o += "</ul>\n";
  }
  o += "<h2 style=\"font-size:17px;margin-top:24px\">Last 30 days, all accounts</h2>\n" + history_svg(r);
  o += "<p style=\"color:#666;font-size:12px\">" + html_escape(kDefinitions) + "</p>\n</body></html>\n";
  return o;
}

std::string report_csv(const DailyReport& r) {
  auto field = [](const std::string& v) {
    if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
    std::string out = "\"";
    for (char c : v) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  };
  std::string o =
      "account,comment_id,platform_id,url,author,kind,state,exemption,opened_at,due_at,closed_at,response_minutes,"
      "lateness_minutes,within_sla\r\n";
  for (const auto& a : r.accounts)
    for (const auto& it : a.items) {
      const bool due_today = it.due_at >= r.window.from_ms && it.due_at < r.window.to_ms;
      std::string within;
      if (due_today) within = it.state == "closed" && it.closed_at > 0 && it.closed_at <= it.due_at ? "yes" : "no";
      o += field(a.account) + "," + std::to_string(it.comment_id) + "," + field(it.platform_id) + "," + field(it.url) +
           "," + field(it.author) + "," + field(it.kind) + "," + field(it.state) + "," + field(it.exemption) + "," +
           iso(r, it.opened_at) + "," + iso(r, it.due_at) + "," + iso(r, it.closed_at) + "," +
           (it.response_ms >= 0 ? std::to_string(it.response_ms / 60000) : "") + "," +
           (it.lateness_ms > 0 ? std::to_string(it.lateness_ms / 60000) : "") + "," + within + "\r\n";
    }
  return o;
}

}  // namespace moderatord::daemon::report
