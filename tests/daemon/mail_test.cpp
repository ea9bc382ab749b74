// Email building blocks: templates, highlighting, routing, rendering and the MIME shape. Pure.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "daemon/mail/digest_schedule.hpp"
#include "daemon/mail/mailer.hpp"
#include "daemon/mail/mime.hpp"
#include "daemon/mail/render.hpp"
#include "daemon/mail/template.hpp"

namespace moderatord::daemon::mail {
namespace {

const std::string kThreatPayload =
    R"({"comment_id":7,"account":"site","platform":"webhook","platform_id":"w1","url":"https://example.org/c/1",)"
    R"("author":"Bob <b>","kind":"comment","text":"I'll kill you <script>alert(1)</script> at the café",)"
    R"("labels":"abusive","action":"report","reason":"abusive score 5 >= report 5","scores":{"abusive":5},)"
    R"("matches":[{"rule":"abusive.threat.kill","category":"abusive","start":5,"end":13}],"steps":["hide","report"]})";

MailOptions options() {
  MailOptions o;
  o.from = "moderatord <moderatord@council.example>";
  o.moderators = {"mods@council.example"};
  o.clerk = {"Town Clerk <clerk@council.example>"};
  o.templates = std::filesystem::path(MODERATORD_SOURCE_DIR) / "config" / "mail";
  return o;
}

RenderContext context(const MailOptions& o) {
  RenderContext c;
  c.options = &o;
  c.outbox_id = 42;
  c.date_unix = 1792800000;
  c.host = "council.example";
  c.local_time = [](std::int64_t ms) { return format_local_time(ms, "Europe/London"); };
  return c;
}

MailTemplate shipped(std::string_view type) {
  std::ifstream in(std::filesystem::path(MODERATORD_SOURCE_DIR) / "config" / "mail" / template_file_name(type));
  std::ostringstream ss;
  ss << in.rdbuf();
  auto t = parse_template(ss.str(), type);
  EXPECT_TRUE(t) << (t ? "" : t.error().to_string());
  return t ? *t : MailTemplate{};
}

// Digest times count from local midnight, so that they keep to the clerk's clock through the year.
TEST(DigestSchedule, CountsFromLocalMidnight) {
  auto tz = policy::TimeZone::load("Europe/London");
  ASSERT_TRUE(tz);
  auto at = [&](policy::LocalDate d, int h, int m) { return tz->to_utc({d, h, m, 0}); };
  const policy::LocalDate summer{2026, 7, 1}, winter{2026, 1, 15};
  constexpr std::int64_t kHour = 3600000;
  // 4 hours: 12:00 BST in summer (counted from the epoch it was 13:00 BST), 12:00 GMT in winter.
  EXPECT_EQ(next_digest_due(at(summer, 10, 30), 4 * kHour, *tz), at(summer, 12, 0));
  EXPECT_EQ(next_digest_due(at(winter, 10, 30), 4 * kHour, *tz), at(winter, 12, 0));
  // Daily: the coming local midnight, not 01:00 BST.
  EXPECT_EQ(next_digest_due(at(summer, 10, 30), 24 * kHour, *tz), at(summer.next(), 0, 0));
  // 5 hours does not divide the day: 00, 05, 10, 15, 20, then midnight again.
  EXPECT_EQ(next_digest_due(at(summer, 20, 0), 5 * kHour, *tz), at(summer.next(), 0, 0));
  EXPECT_EQ(next_digest_due(at(summer, 19, 59), 5 * kHour, *tz), at(summer, 20, 0));
  // An interval dividing the hour is the same as counted from the epoch (the zone is whole hours).
  const std::int64_t now = at(summer, 9, 7) + 1234;
  EXPECT_EQ(next_digest_due(now, 60000, *tz), (now / 60000 + 1) * 60000);
  // The spring change (29 March 2026, 01:00 GMT -> 02:00 BST): the day has 23 hours.
  const policy::LocalDate spring{2026, 3, 29};
  EXPECT_EQ(next_digest_due(at(spring, 23, 30), 24 * kHour, *tz), at(spring.next(), 0, 0));
  EXPECT_EQ(next_digest_due(at(spring, 0, 30), kHour, *tz), at(spring, 0, 0) + kHour);  // 02:00 BST
}

TEST(MailTemplate, SectionsAndSubstitution) {
  auto t = parse_template("# comment\nSubject: Hi {{name}}\n--- text\nHello {{name}}\n--- html\n<p>{{name}} {{{raw}}}</p>\n", "t");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->subject, "Hi {{name}}");
  Vars v{{"name", "<Ann & Bob>"}, {"raw", "<b>x</b>"}};
  EXPECT_EQ(expand(t->text, v, false), "Hello <Ann & Bob>\n");
  EXPECT_EQ(expand(t->html, v, true), "<p>&lt;Ann &amp; Bob&gt; <b>x</b></p>\n");
}

TEST(MailTemplate, ConditionalSectionsAndUnknownNames) {
  Vars v{{"url", ""}, {"who", "Ann"}};
  EXPECT_EQ(expand("a{{#url}}[{{url}}]{{/url}}b{{#who}}({{who}}){{/who}}", v, false), "ab(Ann)");
  EXPECT_EQ(expand("x {{typo}} y", v, true), "x {{typo}} y");  // a typo shows, nothing is dropped
  EXPECT_EQ(unknown_names("{{who}} {{typo}} {{{raw}}}", v), (std::vector<std::string>{"raw", "typo"}));
}

TEST(MailTemplate, BrokenFileIsAnError) {
  EXPECT_FALSE(parse_template("no subject here\n", "t"));
  EXPECT_FALSE(parse_template("Subject: x\n", "t"));  // no text section
}

TEST(MailHighlight, MergesSpansWidensToUtf8AndEscapes) {
  const std::string text = "a <b> café caféx";  // é is 2 bytes
  // Overlapping spans merge; a span ending inside é widens to the whole character.
  std::vector<Span> spans{{2, 5}, {4, 6}, {9, 10}};
  EXPECT_EQ(highlight_html(text, spans), "a <mark>&lt;b&gt; </mark>caf<mark>é</mark> caféx");
  EXPECT_EQ(highlight_text(text, spans), "a [[<b> ]]caf[[é]] caféx");
  // Out-of-range and empty spans are ignored.
  EXPECT_EQ(highlight_text("abc", {{5, 9}, {2, 2}, {-3, 1}}), "[[a]]bc");
  EXPECT_EQ(highlight_html("x\ny", {}), "x<br>\ny");
}

TEST(MailRoute, TypesRecipientsAndUrgency) {
  EXPECT_EQ(route_of(kThreatPayload).type, "escalation");
  EXPECT_TRUE(route_of(kThreatPayload).urgent);  // a report to make goes at once
  auto hide = route_of(R"({"action":"hide","labels":"obscene"})");
  EXPECT_FALSE(hide.urgent);
  EXPECT_TRUE(hide.digestible);
  EXPECT_EQ(route_of(R"({"type":"sla_reminder"})").to, "moderators");
  EXPECT_TRUE(route_of(R"({"type":"sla_reminder"})").urgent);
  EXPECT_EQ(route_of(R"({"type":"own_post_alert","to":"clerk"})").to, "clerk");
  EXPECT_EQ(route_of("not json").type, "escalation");
  const auto o = options();
  EXPECT_EQ(recipients(o, "clerk"), o.clerk);
  EXPECT_EQ(recipients(o, "admins"), o.moderators);  // no admins configured: never no one
}

TEST(MailRender, EscalationHasEverythingAModeratorNeeds) {
  const auto o = options();
  const auto tmpl = shipped("escalation");
  auto m = render_mail(context(o), kThreatPayload, tmpl, nullptr);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->subject, "[moderatord] abusive on site: I'll kill you <script>alert(1)</script> at the café");
  EXPECT_EQ(m->to, o.moderators);
  EXPECT_EQ(m->message_id, "outbox-42@council.example");
  for (const char* s : {"webhook", "https://example.org/c/1", "Bob <b>", "abusive 5", "abusive.threat.kill",
                        "I'll [[kill you]] <script>", "hidden on the platform (can be undone", "reported to the platform", "Malicious Communications Act",
                        "no reply is tracked"})
    EXPECT_NE(m->text.find(s), std::string::npos) << s << "\n" << m->text;
  EXPECT_EQ(m->html.find("<script>"), std::string::npos) << "comment text must be escaped in HTML";
  EXPECT_NE(m->html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(m->html.find("<mark>kill you</mark>"), std::string::npos);
  EXPECT_NE(m->html.find("Bob &lt;b&gt;"), std::string::npos);
}

TEST(MailRender, ShippedTemplatesUseOnlyKnownNames) {
  const auto o = options();
  const std::map<std::string, std::string> samples = {
      {"escalation", kThreatPayload},
      {"sla_reminder",
       R"({"type":"sla_reminder","sla_item_id":3,"comment_id":7,"account":"site","platform":"facebook","url":"u",)"
       R"("author":"Ann","text":"Why is the bin late?","kind":"reply","opened_at":1792800000000,"due_at":1792886400000,)"
       R"("platform_due_at":1792900000000,"window_note":"n","suggested_wording":"w"})"},
      {"offer_offline",
       R"({"type":"offer_offline","sla_item_id":3,"comment_id":7,"account":"site","platform":"facebook","url":"u",)"
       R"("author":"Ann","text":"Still waiting","kind":"offer_offline","opened_at":1,"due_at":2,)"
       R"("platform_due_at":3,"window_note":"n","suggested_wording":"w"})"},
      {"own_post_alert",
       R"({"type":"own_post_alert","to":"clerk","comment_id":9,"account":"site","platform":"x","url":"u","text":"t",)"
       R"("findings":[{"check":"gif_link","detail":"a giphy link"}]})"},
      {"admin_alert", R"({"type":"admin_alert","to":"admins","account":"fb","platform":"facebook","subject":"s","detail":"d"})"},
      {"generic", R"({"type":"mystery","account":"site"})"},
      {"digest", R"({"type":"digest","to":"moderators","items":[]})"},
      {"mail_test", R"({"type":"mail_test","to":"clerk","note":"n"})"},
      {"daily_report", R"({"type":"daily_report","to":"clerk","date":"2026-10-25"})"},
  };
  for (const auto& [type, payload] : samples) {
    const auto tmpl = shipped(type);
    Vars v = payload_vars(context(o), payload);
    v["count"] = v["items_text"] = v["items_html"] = "x";  // the digest's own
    if (type == "daily_report") v["summary"] = v["report_text"] = v["report_html"] = "x";  // from the report
    for (const auto* part : {&tmpl.subject, &tmpl.text, &tmpl.html})
      EXPECT_EQ(unknown_names(*part, v), std::vector<std::string>{}) << type;
  }
}

TEST(MailRender, SlaStateLine) {
  store::SlaFact f;
  f.state = "exempt";
  f.exemption = "rhetorical";
  EXPECT_EQ(sla_state_text(f, nullptr), "no reply needed: a rhetorical question (policy 7.8.1)");
  f.state = "open";
  f.kind = "reply";
  f.due_at = 1792891800000;
  EXPECT_EQ(sla_state_text(f, [](std::int64_t ms) { return format_local_time(ms, "Europe/London"); }),
            "a reply is due by Sun 25 Oct 2026 01:30 GMT (policy 7.7.2)");
}

TEST(MailRender, OverdueReminder) {
  const auto o = options();
  auto m = render_mail(context(o),
                       R"({"type":"sla_reminder","kind":"reply","account":"site","text":"hi","due_at":1,"overdue_ms":7500000})",
                       shipped("sla_reminder"), nullptr);
  ASSERT_TRUE(m);
  EXPECT_NE(m->text.find("It is OVERDUE by 2 h 05 min."), std::string::npos) << m->text;
}

TEST(MailRender, UnknownTypeListsEveryField) {
  const auto o = options();
  auto m = render_mail(context(o), R"({"type":"mystery","to":"clerk","answer":42,"nested":{"a":[1,2]}})",
                       generic_template(), nullptr);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to, o.clerk);
  EXPECT_NE(m->text.find("answer: 42"), std::string::npos);
  EXPECT_NE(m->text.find("nested: {\"a\":[1,2]}"), std::string::npos);
}

TEST(MailRender, DigestRendersEachItemInItsOwnWording) {
  const auto o = options();
  const std::string digest = R"({"type":"digest","to":"moderators","items":[)" + kThreatPayload.substr(0, kThreatPayload.size() - 1) +
                             R"(,"outbox_id":5},{"type":"own_post_alert","text":"hello","findings":[],"outbox_id":6}]})";
  std::map<std::string, MailTemplate> loaded;
  auto load = [&](std::string_view type) -> const MailTemplate* {
    auto it = loaded.emplace(std::string(type), shipped(type)).first;
    return &it->second;
  };
  auto m = render_mail(context(o), digest, shipped("digest"), load);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->subject, "[moderatord] digest: 2 item(s) to look at");
  EXPECT_NE(m->text.find("=== 1. [moderatord] abusive on site"), std::string::npos) << m->text;
  EXPECT_NE(m->text.find("=== 2. [moderatord] check a council post"), std::string::npos);
  EXPECT_EQ(m->html.find("<script>"), std::string::npos);
}

TEST(MailMime, MultipartAlternativeWithAttachmentAndEncodedHeaders) {
  MailMessage m;
  m.from = "moderatord <moderatord@council.example>";
  m.to = {"Town Clerk <clerk@council.example>", "mods@council.example"};
  m.subject = "Rapport: café – 25 Oct";
  m.text = "Plain café text\nline two\n";
  m.html = "<p>HTML café</p>\n";
  m.attachments.push_back({"report-2026-10-25.csv", "text/csv", "account,comments\nsite,3\n"});
  m.message_id = "outbox-1@council.example";
  m.date_unix = 1792800000;
  m.headers.emplace_back("X-Moderatord-Outbox-Id", "1");
  auto mime = to_mime(m);
  ASSERT_TRUE(mime) << mime.error().to_string();
  const std::string& s = *mime;
  // Every line ends in CRLF.
  for (std::size_t i = s.find('\n'); i != std::string::npos; i = s.find('\n', i + 1)) ASSERT_EQ(s[i - 1], '\r') << i;
  EXPECT_NE(s.find("Subject: Rapport: =?UTF-8?B?"), std::string::npos) << s;  // RFC 2047 encoded-word
  EXPECT_NE(s.find("Message-Id: <outbox-1@council.example>"), std::string::npos);  // header names are case-insensitive
  EXPECT_NE(s.find("Date: "), std::string::npos);
  EXPECT_NE(s.find("MIME-Version: 1.0"), std::string::npos);
  EXPECT_NE(s.find("Auto-Submitted: auto-generated"), std::string::npos);
  EXPECT_NE(s.find("multipart/mixed"), std::string::npos);
  EXPECT_NE(s.find("multipart/alternative"), std::string::npos);
  EXPECT_NE(s.find("Content-Type: text/plain; charset=utf-8"), std::string::npos);
  EXPECT_NE(s.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  EXPECT_NE(s.find("Content-Transfer-Encoding: quoted-printable"), std::string::npos);
  EXPECT_NE(s.find("caf=C3=A9"), std::string::npos);
  EXPECT_NE(s.find("filename=report-2026-10-25.csv"), std::string::npos);
  EXPECT_NE(s.find("Content-Transfer-Encoding: base64"), std::string::npos);
  // The same message renders to the same bytes (a retry sends the same thing).
  EXPECT_EQ(*to_mime(m), s);
}

TEST(MailMime, TextOnlyAsciiIs7bitAndBadAddressesAreErrors) {
  MailMessage m;
  m.from = "a@b.example";
  m.to = {"c@d.example"};
  m.subject = "plain";
  m.text = "hello\n";
  m.message_id = "x@y";
  auto mime = to_mime(m);
  ASSERT_TRUE(mime);
  EXPECT_EQ(mime->find("multipart"), std::string::npos);
  EXPECT_NE(mime->find("Content-Type: text/plain; charset=utf-8"), std::string::npos) << *mime;
  // No Content-Transfer-Encoding header: 7bit, the default (RFC 2045 6.1).
  EXPECT_EQ(mime->find("Content-Transfer-Encoding"), std::string::npos) << *mime;
  m.to.clear();
  EXPECT_FALSE(to_mime(m));
  auto specs = addr_specs({"Town Clerk <clerk@council.example>", "a@b.example"});
  ASSERT_TRUE(specs);
  EXPECT_EQ(*specs, (std::vector<std::string>{"clerk@council.example", "a@b.example"}));
  EXPECT_FALSE(addr_specs({""}));
}

TEST(MailConfig, BrokenTemplateIsAConfigError) {
  const auto dir = std::filesystem::temp_directory_path() / ("moderatord-mailcfg-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "mail");
  std::ofstream(dir / "moderatord.toml") << "[mail]\nmoderators = [\"m@x.example\"]\ntransport = \"smtp\"\n"
                                            "smtp_url = \"smtps://mail.x.example:465\"\nclerk = [\"c@x.example\"]\n"
                                            "digest_interval_ms = 60000\n[[account]]\nid = \"a\"\nplatform = \"webhook\"\n";
  std::ofstream(dir / "mail" / "escalation.tmpl") << "Subject: ok\n--- text\nfine\n";
  auto ok = load_config(dir / "moderatord.toml");
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(ok->mail.transport, "smtp");
  EXPECT_EQ(ok->mail.clerk, std::vector<std::string>{"c@x.example"});
  EXPECT_EQ(ok->mail.digest_interval.count(), 60000);
  EXPECT_EQ(ok->mail.templates, dir / "mail");
  EXPECT_EQ(ok->mail.time_zone, "Europe/London");
  std::ofstream(dir / "dublin.toml") << "[mail]\nmoderators = [\"m@x.example\"]\n[sla]\ntime_zone = \"Europe/Dublin\"\n"
                                         "[[account]]\nid = \"a\"\nplatform = \"webhook\"\n";
  auto dublin = load_config(dir / "dublin.toml");
  ASSERT_TRUE(dublin) << dublin.error().to_string();
  EXPECT_EQ(dublin->mail.time_zone, "Europe/Dublin");  // follows [sla] unless [mail] says otherwise
  std::ofstream(dir / "mail" / "broken.tmpl") << "no subject\n";
  auto bad = load_config(dir / "moderatord.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().to_string().find("broken.tmpl"), std::string::npos) << bad.error().to_string();
  std::ofstream(dir / "moderatord.toml") << "[mail]\nmoderators = [\"m@x.example\"]\ntransport = \"smtp\"\n"
                                            "[[account]]\nid = \"a\"\nplatform = \"webhook\"\n";
  std::filesystem::remove(dir / "mail" / "broken.tmpl");
  auto no_url = load_config(dir / "moderatord.toml");
  ASSERT_FALSE(no_url);
  EXPECT_NE(no_url.error().to_string().find("mail.smtp_url"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(MailTime, LocalTimeAcrossTheClockChange) {
  // 2026-10-25 00:30 UTC is 01:30 BST; 01:30 UTC is 01:30 GMT (the hour repeats).
  EXPECT_EQ(format_local_time(1792888200000, "Europe/London"), "Sun 25 Oct 2026 01:30 BST");
  EXPECT_EQ(format_local_time(1792891800000, "Europe/London"), "Sun 25 Oct 2026 01:30 GMT");
}

}  // namespace
}  // namespace moderatord::daemon::mail
