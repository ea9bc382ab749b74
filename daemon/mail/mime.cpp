#include "daemon/mail/mime.hpp"

#include <gmime/gmime.h>

#include <mutex>

// GMime's cast macros (GMIME_OBJECT, GMIME_PART, ...) are C casts with a run-time type check; they
// are the library's documented way to move between its GObject types.
#pragma GCC diagnostic ignored "-Wold-style-cast"

namespace moderatord::daemon::mail {
namespace {

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Owns one GObject reference.
template <class T>
struct Ref {
  T* p = nullptr;
  explicit Ref(T* q) : p(q) {}
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() {
    if (p != nullptr) g_object_unref(p);
  }
  T* get() const { return p; }
};

// A boundary that is the same for the same message (retries send identical bytes) and cannot
// occur in a quoted-printable or base64 body ("=_" is not valid in either).
std::string boundary(const MailMessage& m, std::string_view part) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a of the Message-ID
  for (unsigned char c : m.message_id) h = (h ^ c) * 1099511628211ULL;
  char buf[80];
  std::snprintf(buf, sizeof buf, "=_moderatord_%s_%016llx", std::string(part).c_str(), static_cast<unsigned long long>(h));
  return buf;
}

// A text part in UTF-8 with the transfer encoding GMime finds best for 7-bit transport
// (7bit for plain ASCII, quoted-printable for accented text, base64 when mostly non-ASCII).
GMimeObject* text_part(const char* subtype, const std::string& text) {
  // The content is set as UTF-8 bytes with charset=utf-8 (g_mime_text_part_set_text would pick the
  // "best" charset itself and convert the text, to Latin-1 for accented text).
  GMimeTextPart* part = g_mime_text_part_new_with_subtype(subtype);
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(text.data(), text.size()));
  Ref<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(GMIME_PART(part), content.get());
  g_mime_part_set_content_encoding(GMIME_PART(part),
                                   g_mime_part_get_best_content_encoding(GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT));
  return GMIME_OBJECT(part);
}

GMimeObject* attachment_part(const Attachment& a) {
  const auto slash = a.content_type.find('/');
  const std::string type = slash == std::string::npos ? "application" : a.content_type.substr(0, slash);
  const std::string sub = slash == std::string::npos ? "octet-stream" : a.content_type.substr(slash + 1);
  GMimePart* part = g_mime_part_new_with_type(type.c_str(), sub.c_str());
  if (type == "text") g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(a.data.data(), a.data.size()));
  Ref<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(part, content.get());
  g_mime_part_set_filename(part, a.filename.c_str());  // also Content-Disposition: attachment
  g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
  return GMIME_OBJECT(part);
}

// Appends `mailboxes` to `list`; false (with the bad entry in `bad`) if one does not parse.
bool add_addresses(InternetAddressList* list, const std::vector<std::string>& mailboxes, std::string& bad) {
  for (const auto& m : mailboxes) {
    InternetAddressList* parsed = internet_address_list_parse(nullptr, m.c_str());
    if (parsed == nullptr || internet_address_list_length(parsed) == 0) {
      if (parsed != nullptr) g_object_unref(parsed);
      bad = m;
      return false;
    }
    internet_address_list_append(list, parsed);
    g_object_unref(parsed);
  }
  return true;
}

}  // namespace

Result<std::string> to_mime(const MailMessage& m) {
  init_gmime();
  if (m.to.empty()) return classifier::Error("email has no recipients");
  Ref<GMimeMessage> msg(g_mime_message_new(TRUE));
  std::string bad;
  if (!add_addresses(g_mime_message_get_addresses(msg.get(), GMIME_ADDRESS_TYPE_FROM), {m.from}, bad))
    return classifier::Error("mail.from is not an address: " + bad);
  if (!add_addresses(g_mime_message_get_addresses(msg.get(), GMIME_ADDRESS_TYPE_TO), m.to, bad))
    return classifier::Error("recipient is not an address: " + bad);
  g_mime_message_set_subject(msg.get(), m.subject.c_str(), "utf-8");
  GDateTime* date = g_date_time_new_from_unix_utc(m.date_unix);
  g_mime_message_set_date(msg.get(), date);
  g_date_time_unref(date);
  g_mime_message_set_message_id(msg.get(), m.message_id.c_str());
  GMimeObject* as_object = GMIME_OBJECT(msg.get());
  g_mime_object_set_header(as_object, "Auto-Submitted", "auto-generated", nullptr);
  for (const auto& [name, value] : m.headers) g_mime_object_set_header(as_object, name.c_str(), value.c_str(), nullptr);

  // Each part is owned by its container once added; `body` is the top part we still own.
  GMimeObject* body = text_part("plain", m.text);
  if (!m.html.empty()) {
    GMimeMultipart* alt = g_mime_multipart_new_with_subtype("alternative");
    g_mime_multipart_set_boundary(alt, boundary(m, "alt").c_str());
    g_mime_multipart_add(alt, body);
    g_object_unref(body);
    GMimeObject* html = text_part("html", m.html);
    g_mime_multipart_add(alt, html);
    g_object_unref(html);
    body = GMIME_OBJECT(alt);
  }
  if (!m.attachments.empty()) {
    GMimeMultipart* mixed = g_mime_multipart_new_with_subtype("mixed");
    g_mime_multipart_set_boundary(mixed, boundary(m, "mixed").c_str());
    g_mime_multipart_add(mixed, body);
    g_object_unref(body);
    for (const auto& a : m.attachments) {
      GMimeObject* part = attachment_part(a);
      g_mime_multipart_add(mixed, part);
      g_object_unref(part);
    }
    body = GMIME_OBJECT(mixed);
  }
  g_mime_message_set_mime_part(msg.get(), body);
  g_object_unref(body);

  GMimeFormatOptions* options = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(options, GMIME_NEWLINE_FORMAT_DOS);
  char* text = g_mime_object_to_string(as_object, options);
  g_mime_format_options_free(options);
  if (text == nullptr) return classifier::Error("GMime could not serialise the message");
  std::string out(text);
  g_free(text);
  return Result<std::string>(boost::system::in_place_value, std::move(out));
}

Result<std::vector<std::string>> addr_specs(const std::vector<std::string>& mailboxes) {
  init_gmime();
  std::vector<std::string> out;
  for (const auto& m : mailboxes) {
    InternetAddressList* parsed = internet_address_list_parse(nullptr, m.c_str());
    const int n = parsed == nullptr ? 0 : internet_address_list_length(parsed);
    for (int i = 0; i < n; ++i) {
      InternetAddress* a = internet_address_list_get_address(parsed, i);
      if (INTERNET_ADDRESS_IS_MAILBOX(a)) out.emplace_back(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)));
    }
    if (parsed != nullptr) g_object_unref(parsed);
    if (n == 0) return classifier::Error("not an email address: " + m);
  }
  return out;
}

}  // namespace moderatord::daemon::mail
