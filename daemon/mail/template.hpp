#pragma once
// Email templates (config/mail/<type>.tmpl), which a council can edit without a rebuild:
//
//   Subject: [moderatord] {{labels}} on {{account}}
//   --- text
//   A comment on {{account}} needs a moderator: {{url}}
//   --- html
//   <p>A comment on <b>{{account}}</b> needs a moderator: <a href="{{url}}">{{url}}</a></p>
//   {{{highlighted_html}}}
//
// {{name}} is the value, HTML-escaped in the html section (comment text can never inject markup);
// {{{name}}} inserts a fragment the renderer built and escaped itself (tables, highlighted text);
// {{#name}}...{{/name}} is kept only when `name` is not empty. An unknown name stays as written, so
// a typo shows in the email rather than silently dropping text. Pure.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "classifier/error.hpp"

namespace moderatord::daemon::mail {

using classifier::Result;
using Vars = std::map<std::string, std::string, std::less<>>;

struct MailTemplate {
  std::string subject;  // one line
  std::string text;     // the plain-text part
  std::string html;     // the HTML part ("" for text-only)
};

// Splits a template file into its sections. `name` is for error messages ("escalation.tmpl").
Result<MailTemplate> parse_template(std::string_view source, std::string_view name);

// Substitutes `vars` into `tmpl`; `html` escapes {{name}} values for HTML.
std::string expand(std::string_view tmpl, const Vars& vars, bool html);

// The names `tmpl` uses that `vars` does not define (for `--check-config` and tests).
std::vector<std::string> unknown_names(std::string_view tmpl, const Vars& vars);

std::string html_escape(std::string_view s);

}  // namespace moderatord::daemon::mail
