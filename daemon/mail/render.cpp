#include "daemon/mail/render.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>

namespace moderatord::daemon::mail {
namespace {

using simdjson::dom::element;

std::string str(element doc, const char* key) {
  std::string_view v;
  if (doc[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  std::int64_t i = 0;
  if (doc[key].get_int64().get(i) == simdjson::SUCCESS) return std::to_string(i);
  return {};
}

std::int64_t num(element doc, const char* key) {
  std::int64_t i = 0;
  if (doc[key].get_int64().get(i) == simdjson::SUCCESS) return i;
  double d = 0;
  if (doc[key].get_double().get(d) == simdjson::SUCCESS) return static_cast<std::int64_t>(d);
  return 0;
}

std::string value_text(element v) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return simdjson::minify(v);
}

std::string format_number(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence.
std::string excerpt(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  std::size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

std::string one_line(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '\n', ' ');
  std::replace(out.begin(), out.end(), '\r', ' ');
  return out;
}

// "> " before each line: the comment as a quotation in the text part.
std::string quote(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto nl = text.find('\n', pos);
    out += "> ";
    out += text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    out += '\n';
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

std::string html_lines(std::string_view s) {
  std::string out;
  for (char c : html_escape(s)) {
    if (c == '\n') out += "<br>\n";
    else out += c;
  }
  return out;
}

bool is_continuation(std::string_view s, std::size_t i) {
  return i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80;
}

// Sorted, merged, clamped to the text and widened to whole UTF-8 sequences.
std::vector<Span> normalise(std::string_view text, std::vector<Span> spans) {
  const auto size = static_cast<std::int64_t>(text.size());
  std::vector<Span> clean;
  for (Span s : spans) {
    s.start = std::clamp<std::int64_t>(s.start, 0, size);
    s.end = std::clamp<std::int64_t>(s.end, 0, size);
    if (s.end <= s.start) continue;
    while (s.start > 0 && is_continuation(text, static_cast<std::size_t>(s.start))) --s.start;
    while (s.end < size && is_continuation(text, static_cast<std::size_t>(s.end))) ++s.end;
    clean.push_back(s);
  }
  std::sort(clean.begin(), clean.end(), [](Span a, Span b) { return a.start < b.start; });
  std::vector<Span> merged;
  for (Span s : clean) {
    if (!merged.empty() && s.start <= merged.back().end) merged.back().end = std::max(merged.back().end, s.end);
    else merged.push_back(s);
  }
  return merged;
}

template <class Plain, class Marked>
std::string highlight(std::string_view text, std::vector<Span> spans, Plain plain, Marked marked) {
  std::string out;
  std::size_t pos = 0;
  for (Span s : normalise(text, std::move(spans))) {
    const auto b = static_cast<std::size_t>(s.start), e = static_cast<std::size_t>(s.end);
    out += plain(text.substr(pos, b - pos));
    out += marked(text.substr(b, e - b));
    pos = e;
  }
  out += plain(text.substr(pos));
  return out;
}

// Every field of the payload, one per line / table row: nothing of an unknown type is lost.
void add_fields(element doc, Vars& v) {
  std::string text, html = "<table class=\"fields\">\n";
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) == simdjson::SUCCESS) {
    for (auto field : obj) {
      const std::string value = value_text(field.value);
      text += std::string(field.key) + ": " + value + "\n";
      html += "<tr><th>" + html_escape(field.key) + "</th><td>" + html_lines(value) + "</td></tr>\n";
    }
  }
  v["fields_text"] = text;
  v["fields_html"] = html + "</table>\n";
}

std::vector<Span> match_spans(element doc) {
  std::vector<Span> spans;
  simdjson::dom::array arr;
  if (doc["matches"].get_array().get(arr) != simdjson::SUCCESS) return spans;
  for (auto m : arr) {
    Span s;
    if (m["start"].get_int64().get(s.start) || m["end"].get_int64().get(s.end)) continue;
    spans.push_back(s);
  }
  return spans;
}

const char* what_to_do(std::string_view action, std::string_view labels) {
  if (action == "report")
    return "Report this comment to the platform as a breach of policy 7.9 (where it threatens someone, as a "
           "breach of the Malicious Communications Act) and keep it hidden. If anyone is at risk, tell the "
           "Town Clerk today.";
  if (labels.find("personal_data") != std::string_view::npos)
    return "It contains personal data (policy 7.6.2): keep it hidden and do not repeat the details anywhere.";
  if (action == "escalate")
    return "Uncertain case: read it and decide whether it breaches policy 7.9. Legitimate criticism stays "
           "up: we do not restrict freedom of expression.";
  if (action == "hide" || action == "remove")
    return "Check the action taken under policy 7.9; if it was wrong, undo it on the platform.";
  return "Read it and decide whether anything is needed (policy 7.9).";
}

std::string step_text(std::string_view step) {
  if (step == "hide") return "hidden on the platform (can be undone: unhide it there if it was wrong)";
  if (step == "remove") return "removed from the platform (cannot be undone)";
  if (step == "report") return "reported to the platform (a report cannot be withdrawn)";
  if (step == "unhide") return "made visible again on the platform";
  return std::string(step);
}

void escalation_vars(const RenderContext& ctx, element doc, Vars& v) {
  const std::string text = str(doc, "text"), labels = str(doc, "labels"), action = str(doc, "action");
  v["labels"] = labels.empty() ? "no label" : labels;
  v["excerpt"] = one_line(excerpt(text, 60));
  v["text_quoted"] = quote(text);
  const auto spans = match_spans(doc);
  v["highlighted_html"] = highlight_html(text, spans);
  v["highlighted_text"] = quote(highlight_text(text, spans));
  // Scores, rules and what each matched.
  std::string scores;
  simdjson::dom::object sc;
  if (doc["scores"].get_object().get(sc) == simdjson::SUCCESS)
    for (auto f : sc) {
      double d = 0;
      if (f.value.get_double().get(d) != simdjson::SUCCESS) continue;
      scores += (scores.empty() ? "" : ", ") + std::string(f.key) + " " + format_number(d);
    }
  v["scores"] = scores.empty() ? "none" : scores;
  std::string rules, matches_text, matches_html;
  simdjson::dom::array arr;
  if (doc["matches"].get_array().get(arr) == simdjson::SUCCESS)
    for (auto m : arr) {
      const std::string rule = str(m, "rule"), category = str(m, "category");
      const std::int64_t b = num(m, "start"), e = num(m, "end");
      std::string matched;
      if (b >= 0 && e > b && static_cast<std::size_t>(e) <= text.size())
        matched = text.substr(static_cast<std::size_t>(b), static_cast<std::size_t>(e - b));
      if (rules.find(rule) == std::string::npos) rules += (rules.empty() ? "" : ", ") + rule;
      matches_text += "  - " + rule + " (" + category + "): \"" + one_line(matched) + "\"\n";
      matches_html += "<tr><td><code>" + html_escape(rule) + "</code></td><td>" + html_escape(category) +
                      "</td><td><mark>" + html_escape(matched) + "</mark></td></tr>\n";
    }
  v["rules"] = rules.empty() ? "none" : rules;
  v["matches_text"] = matches_text;
  v["matches_html"] = matches_html;
  // What was done already, and whether it can be undone.
  std::string taken;
  simdjson::dom::array steps;
  if (doc["steps"].get_array().get(steps) == simdjson::SUCCESS)
    for (auto s : steps) {
      std::string_view step;
      if (s.get_string().get(step) == simdjson::SUCCESS) taken += (taken.empty() ? "" : "; ") + step_text(step);
    }
  if (taken.empty())
    taken = action == "escalate" || action == "none" ? "nothing yet: it waits for you"
                                                     : "nothing on the platform (" + str(doc, "reason") + ")";
  v["action_taken"] = taken;
  // SLA state: issue 4's payloads may carry it; otherwise say plainly that none is tracked.
  std::string sla = str(doc, "sla_state");
  if (sla.empty() && num(doc, "due_at") > 0 && ctx.local_time) sla = "reply due by " + ctx.local_time(num(doc, "due_at"));
  if (sla.empty()) sla = "no reply is tracked for this comment";
  v["sla_state"] = sla;
  v["what_to_do"] = what_to_do(action, labels);
}

void sla_vars(const RenderContext& ctx, element doc, std::string_view type, Vars& v) {
  const std::string text = str(doc, "text"), kind = str(doc, "kind");
  v["excerpt"] = one_line(excerpt(text, 60));
  v["text_quoted"] = quote(text);
  v["text_html"] = html_lines(text);
  for (const char* key : {"opened_at", "due_at", "platform_due_at"}) {
    const std::int64_t ms = num(doc, key);
    v[std::string(key) + "_local"] = ms > 0 && ctx.local_time ? ctx.local_time(ms) : "";
  }
  v["overdue"] = "";
  if (const std::int64_t overdue = num(doc, "overdue_ms"); overdue > 0) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%lld h %02lld min", static_cast<long long>(overdue / 3600000),
                  static_cast<long long>(overdue % 3600000 / 60000));
    v["overdue"] = buf;
  }
  if (type == "offer_offline" || kind == "offer_offline")
    v["what_to_do"] =
        "The council has already replied once in this thread (policy 7.8.3). Do not reply again in public: "
        "offer to contact them offline to discuss it in more detail.";
  else if (kind == "message")
    v["what_to_do"] = "Answer this message within 1 day (policy 7.7.2).";
  else
    v["what_to_do"] = "Reply to this comment within 1 day (policy 7.7.2), once (7.8.3).";
}

void own_post_vars(element doc, Vars& v) {
  const std::string text = str(doc, "text");
  v["text_quoted"] = quote(text);
  v["text_html"] = html_lines(text);
  std::string ft, fh;
  simdjson::dom::array arr;
  if (doc["findings"].get_array().get(arr) == simdjson::SUCCESS)
    for (auto f : arr) {
      const std::string clause = str(f, "clause").empty() ? "" : " (policy " + str(f, "clause") + ")";
      ft += "  - " + str(f, "check") + clause + ": " + str(f, "detail") + "\n";
      fh += "<li><b>" + html_escape(str(f, "check") + clause) + "</b>: " + html_escape(str(f, "detail")) + "</li>\n";
    }
  v["findings_text"] = ft;
  v["findings_html"] = fh.empty() ? "" : "<ul>\n" + fh + "</ul>\n";
}

}  // namespace

std::string sla_state_text(const store::SlaFact& f, const std::function<std::string(std::int64_t)>& local_time) {
  auto t = [&](std::int64_t ms) { return local_time ? local_time(ms) : std::to_string(ms / 1000); };
  if (f.state == "exempt") {
    if (f.exemption == "rhetorical") return "no reply needed: a rhetorical question (policy 7.8.1)";
    if (f.exemption == "repeat") return "no reply needed: it repeats a post already answered (policy 7.8.2)";
    if (f.exemption == "breach") return "no reply: it breaches policy 7.9 (deal with it as above, do not answer it)";
    return "no reply needed (" + f.exemption + ")";
  }
  const std::string what = f.kind == "offer_offline" ? "an offer to talk offline (7.8.3)"
                           : f.kind == "message"     ? "a reply to this message"
                                                     : "a reply";
  if (f.state == "open") return what + " is due by " + t(f.due_at) + " (policy 7.7.2)";
  return "answered " + t(f.closed_at) + (f.lateness_ms > 0 ? ", after it was due" : ", in time");
}

const std::vector<std::string>& recipients(const MailOptions& o, std::string_view group) {
  if (group == "clerk" && !o.clerk.empty()) return o.clerk;
  if (group == "admins" && !o.admins.empty()) return o.admins;
  return o.moderators;
}

std::string highlight_html(std::string_view text, std::vector<Span> spans) {
  return highlight(text, std::move(spans), html_lines,
                   [](std::string_view s) { return "<mark>" + html_lines(s) + "</mark>"; });
}

std::string highlight_text(std::string_view text, std::vector<Span> spans) {
  return highlight(text, std::move(spans), [](std::string_view s) { return std::string(s); },
                   [](std::string_view s) { return "[[" + std::string(s) + "]]"; });
}

MailRoute route_of(std::string_view payload_json) {
  MailRoute r;
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(payload_json.data(), payload_json.size()).get(doc) != simdjson::SUCCESS) return r;
  if (auto t = str(doc, "type"); !t.empty()) r.type = t;
  if (auto to = str(doc, "to"); !to.empty()) r.to = to;
  bool flag = false;
  const bool forced = doc["urgent"].get_bool().get(flag) == simdjson::SUCCESS && flag;
  if (r.type == "escalation") {
    r.urgent = forced || str(doc, "action") == "report";
    r.digestible = !r.urgent;
  } else if (r.type == "sla_reminder" || r.type == "offer_offline" || r.type == "admin_alert" ||
             r.type == "daily_report" || r.type == "digest") {
    r.urgent = true;
  } else {
    r.urgent = forced;
    r.digestible = !forced;
  }
  return r;
}

std::string template_file_name(std::string_view type) {
  for (char c : type)
    if (!((c >= 'a' && c <= 'z') || c == '_')) return "generic.tmpl";
  return std::string(type) + ".tmpl";
}

const MailTemplate& generic_template() {
  static const MailTemplate t{
      "[moderatord] {{type}}{{#account}} on {{account}}{{/account}}",
      "moderatord has a message of type \"{{type}}\" for you.\n\n{{fields_text}}"
      "{{#what_to_do}}\nWhat to do: {{what_to_do}}\n{{/what_to_do}}",
      "<p>moderatord has a message of type <b>{{type}}</b> for you.</p>\n{{{fields_html}}}"
      "{{#what_to_do}}<p><b>What to do:</b> {{what_to_do}}</p>{{/what_to_do}}"};
  return t;
}

Vars payload_vars(const RenderContext& ctx, std::string_view payload_json) {
  Vars v;
  const MailRoute route = route_of(payload_json);
  v["type"] = route.type;
  v["to"] = route.to;
  v["outbox_id"] = std::to_string(ctx.outbox_id);
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(payload_json.data(), payload_json.size()).get(doc) != simdjson::SUCCESS) {
    v["fields_text"] = std::string(payload_json) + "\n";
    v["fields_html"] = "<pre>" + html_escape(payload_json) + "</pre>\n";
    return v;
  }
  // Every scalar field by its own name (the templates use most of them as they are).
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) == simdjson::SUCCESS)
    for (auto f : obj)
      if (!f.value.is_array() && !f.value.is_object()) v[std::string(f.key)] = value_text(f.value);
  add_fields(doc, v);
  if (route.type == "escalation") escalation_vars(ctx, doc, v);
  else if (route.type == "sla_reminder" || route.type == "offer_offline") sla_vars(ctx, doc, route.type, v);
  else if (route.type == "own_post_alert") own_post_vars(doc, v);
  if (v["author"].empty() && v.count("author") != 0) v["author"] = "(unknown)";
  return v;
}

Result<MailMessage> render_mail(const RenderContext& ctx, std::string_view payload_json, const MailTemplate& tmpl,
                                const std::function<const MailTemplate*(std::string_view type)>& load,
                                const Vars& extra, std::vector<Attachment> attachments) {
  Vars v = payload_vars(ctx, payload_json);
  for (const auto& [k, val] : extra) v[k] = val;
  const MailRoute route = route_of(payload_json);
  if (route.type == "digest") {
    // Each item in its own type's wording, one after the other.
    simdjson::dom::parser parser;
    element doc;
    std::string items_text, items_html;
    std::size_t count = 0;
    simdjson::dom::array items;
    if (parser.parse(payload_json.data(), payload_json.size()).get(doc) == simdjson::SUCCESS &&
        doc["items"].get_array().get(items) == simdjson::SUCCESS)
      for (auto item : items) {
        const std::string item_json = simdjson::minify(item);
        RenderContext item_ctx = ctx;
        item_ctx.outbox_id = num(item, "outbox_id");
        const Vars iv = payload_vars(item_ctx, item_json);
        const MailTemplate* it = load ? load(route_of(item_json).type) : nullptr;
        if (it == nullptr) it = &generic_template();
        ++count;
        items_text += "\n=== " + std::to_string(count) + ". " + one_line(expand(it->subject, iv, false)) + " ===\n\n" +
                      expand(it->text, iv, false);
        items_html += "<section class=\"item\"><h2>" + std::to_string(count) + ". " +
                      html_escape(one_line(expand(it->subject, iv, false))) + "</h2>\n" +
                      expand(it->html.empty() ? it->text : it->html, iv, !it->html.empty()) + "</section>\n";
      }
    v["count"] = std::to_string(count);
    v["items_text"] = items_text;
    v["items_html"] = items_html;
  }
  MailMessage m;
  m.from = ctx.options->from;
  m.to = recipients(*ctx.options, route.to);
  m.subject = one_line(expand(tmpl.subject, v, false));
  m.text = expand(tmpl.text, v, false);
  if (!tmpl.html.empty()) m.html = expand(tmpl.html, v, true);
  m.attachments = std::move(attachments);
  m.message_id = "outbox-" + std::to_string(ctx.outbox_id) + "@" + ctx.host;
  m.date_unix = ctx.date_unix;
  m.headers.emplace_back("X-Moderatord-Outbox-Id", std::to_string(ctx.outbox_id));
  m.headers.emplace_back("X-Moderatord-Type", route.type);
  return m;
}

}  // namespace moderatord::daemon::mail
