#include "connectors/http/redact.hpp"

#include <array>
#include <cctype>

namespace moderatord::connectors::http {
namespace {

constexpr std::array<std::string_view, 7> kSecretParams = {"access_token", "appsecret_proof", "client_secret",
                                                           "input_token", "fb_exchange_token", "token", "key"};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

bool is_secret_param(std::string_view name) {
  for (auto p : kSecretParams)
    if (iequals(name, p)) return true;
  return false;
}

}  // namespace

std::string redact_url(std::string_view url) {
  const auto q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, q + 1));
  std::string_view rest = url.substr(q + 1);
  std::string_view fragment;
  if (const auto h = rest.find('#'); h != std::string_view::npos) {
    fragment = rest.substr(h);
    rest = rest.substr(0, h);
  }
  bool first = true;
  while (!rest.empty() || first) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (!first) out += '&';
    first = false;
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && is_secret_param(pair.substr(0, eq))) {
      out.append(pair.substr(0, eq + 1));
      out += "REDACTED";
    } else {
      out.append(pair);
    }
    if (amp == std::string_view::npos) break;
  }
  out.append(fragment);
  return out;
}

std::string redact_header(std::string_view name, std::string_view value) {
  if (iequals(name, "authorization") || iequals(name, "proxy-authorization")) {
    const auto sp = value.find(' ');
    if (sp == std::string_view::npos) return "REDACTED";
    return std::string(value.substr(0, sp)) + " REDACTED";
  }
  if (iequals(name, "cookie") || iequals(name, "set-cookie")) return "REDACTED";
  return std::string(value);
}

std::string scrub(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
    text.replace(at, secret.size(), "REDACTED");
  return text;
}

}  // namespace moderatord::connectors::http
