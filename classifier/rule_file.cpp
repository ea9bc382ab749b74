#include "classifier/rule_file.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_set>

#define TOML_EXCEPTIONS 1
#include <toml++/toml.h>

#include "classifier/regex_prefix.hpp"

namespace moderatord::classifier {
namespace {

int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

void add(std::vector<Diagnostic>& errors, const std::string& file, int line, std::string rule_id,
         std::string message) {
  errors.push_back({file, line, std::move(rule_id), std::move(message)});
}

bool valid_id(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

// Reads an array of strings; reports a wrong type once with the key's line.
std::vector<std::string> string_array(const toml::table& t, std::string_view key, const std::string& file,
                                      const std::string& rule_id, std::vector<Diagnostic>& errors) {
  std::vector<std::string> out;
  const toml::node* node = t.get(key);
  if (node == nullptr) return out;
  if (const auto* s = node->as_string()) {  // a single string is accepted as a one-entry list
    out.push_back(s->get());
    return out;
  }
  const auto* arr = node->as_array();
  if (arr == nullptr) {
    add(errors, file, line_of(*node), rule_id, std::string(key) + " must be a list of strings");
    return out;
  }
  for (const auto& el : *arr) {
    if (const auto* s = el.as_string()) {
      if (s->get().empty()) add(errors, file, line_of(el), rule_id, std::string(key) + " has an empty entry");
      else out.push_back(s->get());
    } else {
      add(errors, file, line_of(el), rule_id, std::string(key) + " must hold only strings");
    }
  }
  return out;
}

// A `words` entry: letters, digits, spaces and leet symbols, with '*' wildcards at the ends only.
std::string check_word_entry(std::string_view w, bool allow_wildcards) {
  if (w.find('\n') != std::string_view::npos) return "contains a line break";
  std::string_view body = w;
  if (allow_wildcards) {
    if (!body.empty() && body.front() == '*') body.remove_prefix(1);
    if (!body.empty() && body.back() == '*') body.remove_suffix(1);
  } else if (w.front() == '*' || w.back() == '*') {
    return "wildcards are not allowed here";
  }
  if (body.find_first_not_of(" \t") == std::string_view::npos) return "has no letters";
  return {};
}

void parse_rule(const toml::table& rt, const std::optional<Category>& file_category, const std::string& file,
                RuleSource& into, std::vector<Diagnostic>& errors) {
  static const std::set<std::string_view> kKeys = {"id",     "category",     "weight", "words",
                                                   "regex",  "unless",       "unless_regex", "action",
                                                   "test",   "description",  "near",         "prefilter"};
  Rule rule;
  rule.file = file;
  rule.line = line_of(rt);
  const std::size_t errors_before = errors.size();
  if (const auto id = rt["id"].value<std::string>()) {
    rule.id = *id;
    if (!valid_id(rule.id))
      add(errors, file, rule.line, rule.id, "id may hold only a-z, 0-9, '.', '_' and '-'");
  } else {
    add(errors, file, rule.line, "", "rule has no id (id = \"category.name\")");
  }
  for (const auto& [k, v] : rt)
    if (!kKeys.count(k.str()))
      add(errors, file, line_of(v), rule.id, "unknown key '" + std::string(k.str()) + "'");

  if (const toml::node* c = rt.get("category")) {
    const auto name = c->value<std::string>();
    const auto cat = name ? parse_category(*name) : std::nullopt;
    if (cat) rule.category = *cat;
    else add(errors, file, line_of(*c), rule.id, "unknown category '" + name.value_or("?") + "'");
  } else if (file_category) {
    rule.category = *file_category;
  } else {
    add(errors, file, rule.line, rule.id, "no category (set it on the rule or at the top of the file)");
  }
  if (const toml::node* w = rt.get("weight")) {
    if (const auto d = w->value<double>()) rule.weight = *d;
    else add(errors, file, line_of(*w), rule.id, "weight must be a number");
  }
  if (const toml::node* a = rt.get("action")) {
    const auto name = a->value<std::string>();
    const auto act = name ? parse_action(*name) : std::nullopt;
    if (act) rule.action = *act;
    else add(errors, file, line_of(*a), rule.id,
             "unknown action '" + name.value_or("?") + "' (none, escalate, hide, report, remove)");
  }
  rule.words = string_array(rt, "words", file, rule.id, errors);
  rule.regexes = string_array(rt, "regex", file, rule.id, errors);
  rule.unless = string_array(rt, "unless", file, rule.id, errors);
  rule.unless_regexes = string_array(rt, "unless_regex", file, rule.id, errors);
  rule.prefilters = string_array(rt, "prefilter", file, rule.id, errors);
  for (const auto& p : rule.prefilters)
    if (std::none_of(rule.regexes.begin(), rule.regexes.end(),
                     [&p](const std::string& re) { return is_concatenation_prefix(re, p); }))
      add(errors, file, rule.line, rule.id,
          "prefilter '" + p + "' is not the start of any of the rule's regexes, followed by more of it "
          "(at the top level: not inside a group, an escape or a class, and not before a quantifier)");
  for (const auto& w : rule.words)
    if (auto why = check_word_entry(w, true); !why.empty())
      add(errors, file, rule.line, rule.id, "word \"" + w + "\" " + why);
  for (const auto& w : rule.unless)
    if (auto why = check_word_entry(w, true); !why.empty())
      add(errors, file, rule.line, rule.id, "unless \"" + w + "\" " + why);
  if (const toml::node* near = rt.get("near")) {
    std::vector<const toml::table*> tables;
    if (const auto* one = near->as_table()) tables.push_back(one);
    else if (const auto* arr = near->as_array()) {
      for (const auto& el : *arr) {
        if (const auto* t = el.as_table()) tables.push_back(t);
        else add(errors, file, line_of(el), rule.id, "near must be a table {first = [...], then = [...], within = N}");
      }
    } else {
      add(errors, file, line_of(*near), rule.id, "near must be a table {first = [...], then = [...], within = N}");
    }
    for (const auto* t : tables) {
      Near n;
      n.line = line_of(*t);
      n.first = string_array(*t, "first", file, rule.id, errors);
      n.then = string_array(*t, "then", file, rule.id, errors);
      for (const auto& [k, v] : *t)
        if (k.str() != "first" && k.str() != "then" && k.str() != "within")
          add(errors, file, line_of(v), rule.id, "unknown near key '" + std::string(k.str()) + "'");
      if (const toml::node* w = t->get("within")) {
        const auto v = w->value<int64_t>();
        if (!v || *v < 0 || *v > 20) add(errors, file, line_of(*w), rule.id, "near.within must be a whole number 0..20");
        else n.within = static_cast<int>(*v);
      }
      if (n.first.empty() || n.then.empty()) add(errors, file, n.line, rule.id, "near needs both first and then words");
      for (const auto& w : n.first)
        if (auto why = check_word_entry(w, true); !why.empty()) add(errors, file, n.line, rule.id, "near word \"" + w + "\" " + why);
      for (const auto& w : n.then)
        if (auto why = check_word_entry(w, true); !why.empty()) add(errors, file, n.line, rule.id, "near word \"" + w + "\" " + why);
      rule.near.push_back(std::move(n));
    }
    if (rule.near.size() > 1000) add(errors, file, rule.line, rule.id, "too many near tables");
  }
  if (rule.words.empty() && rule.regexes.empty() && rule.near.empty())
    add(errors, file, rule.line, rule.id, "rule has no words, regex or near");

  if (const toml::node* tests = rt.get("test")) {
    const auto* arr = tests->as_array();
    if (arr == nullptr) {
      add(errors, file, line_of(*tests), rule.id, "test must be written as [[rule.test]] tables");
    } else {
      for (const auto& el : *arr) {
        const auto* tt = el.as_table();
        if (tt == nullptr) {
          add(errors, file, line_of(el), rule.id, "each [[rule.test]] must be a table");
          continue;
        }
        RuleTest test;
        test.line = line_of(el);
        const auto text = (*tt)["text"].value<std::string>();
        const auto expect = (*tt)["expect"].value<std::string>();
        if (!text) add(errors, file, test.line, rule.id, "test has no text");
        if (!expect || (*expect != "match" && *expect != "no-match"))
          add(errors, file, test.line, rule.id, "test expect must be \"match\" or \"no-match\"");
        for (const auto& [k, v] : *tt)
          if (k.str() != "text" && k.str() != "expect")
            add(errors, file, line_of(v), rule.id, "unknown test key '" + std::string(k.str()) + "'");
        if (text && expect) {
          test.text = *text;
          test.expect_match = *expect == "match";
          rule.tests.push_back(std::move(test));
        }
      }
    }
  }
  if (errors.size() == errors_before) into.rules.push_back(std::move(rule));
}

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string sha256_hex(const std::vector<std::pair<std::string, std::string>>& files) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (const auto& [name, content] : files) {
    EVP_DigestUpdate(ctx, name.data(), name.size() + 1);  // includes the terminating NUL as separator
    const std::uint64_t len = content.size();
    EVP_DigestUpdate(ctx, &len, sizeof len);
    EVP_DigestUpdate(ctx, content.data(), content.size());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(ctx, md, &md_len);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < md_len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

// toml++ reports syntax errors as exceptions; here they become a diagnostic with the line.
bool parse_toml(std::string_view content, const std::string& file, toml::table& doc, std::vector<Diagnostic>& errors) {
  try {
    doc = toml::parse(content, file);
    return true;
  } catch (const toml::parse_error& e) {
    add(errors, file, static_cast<int>(e.source().begin.line), "", std::string(e.description()));
    return false;
  }
}

}  // namespace

void parse_rule_file(std::string_view content, const std::string& file, RuleSource& into,
                     std::vector<Diagnostic>& errors) {
  toml::table doc;
  if (!parse_toml(content, file, doc, errors)) return;
  std::optional<Category> file_category;
  if (const toml::node* c = doc.get("category")) {
    const auto name = c->value<std::string>();
    file_category = name ? parse_category(*name) : std::nullopt;
    if (!file_category) add(errors, file, line_of(*c), "", "unknown category '" + name.value_or("?") + "'");
  }
  for (const auto& [k, v] : doc)
    if (k.str() != "category" && k.str() != "rule" && k.str() != "description")
      add(errors, file, line_of(v), "", "unknown top-level key '" + std::string(k.str()) + "'");
  const toml::node* rules = doc.get("rule");
  if (rules == nullptr) return;
  const auto* arr = rules->as_array();
  if (arr == nullptr) {
    add(errors, file, line_of(*rules), "", "rules must be written as [[rule]] tables");
    return;
  }
  for (const auto& el : *arr) {
    if (const auto* rt = el.as_table()) parse_rule(*rt, file_category, file, into, errors);
    else add(errors, file, line_of(el), "", "each [[rule]] must be a table");
  }
}

void parse_thresholds(std::string_view content, const std::string& file, Thresholds& into,
                      std::vector<Diagnostic>& errors) {
  toml::table doc;
  if (!parse_toml(content, file, doc, errors)) return;
  for (const auto& [k, v] : doc) {
    const auto cat = parse_category(k.str());
    const auto* t = v.as_table();
    if (!cat || t == nullptr) {
      add(errors, file, line_of(v), "", "expected a [category] table, found '" + std::string(k.str()) + "'");
      continue;
    }
    auto& row = into.at[static_cast<std::size_t>(*cat)];
    if (!is_signal(*cat)) row.fill(Thresholds::kNever);  // the file states every threshold it wants
    for (const auto& [key, val] : *t) {
      const auto d = val.value<double>();
      if (!d) {
        add(errors, file, line_of(val), "", std::string(k.str()) + "." + std::string(key.str()) + " must be a number");
        continue;
      }
      if (key.str() == "signal" && is_signal(*cat)) {
        into.signal[static_cast<std::size_t>(*cat)] = *d;
      } else if (const auto act = parse_action(key.str()); act && *act != Action::none && !is_signal(*cat)) {
        row[static_cast<std::size_t>(*act)] = *d;
      } else {
        add(errors, file, line_of(val), "",
            "unknown threshold '" + std::string(key.str()) + "' for " + std::string(k.str()) +
                (is_signal(*cat) ? " (signals take: signal)" : " (escalate, hide, report, remove)"));
      }
    }
  }
}

void parse_allowlist(std::string_view content, const std::string& file, RuleSource& into,
                     std::vector<Diagnostic>& errors) {
  int line_no = 0;
  std::size_t pos = 0;
  while (pos <= content.size()) {
    std::size_t nl = content.find('\n', pos);
    if (nl == std::string_view::npos) nl = content.size();
    std::string_view line = content.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) continue;
    const auto e = line.find_last_not_of(" \t\r");
    line = line.substr(b, e - b + 1);
    if (auto why = check_word_entry(line, false); !why.empty()) {
      add(errors, file, line_no, "", "allowlist entry \"" + std::string(line) + "\" " + why);
      continue;
    }
    into.allow.push_back({std::string(line), file, line_no});
  }
}

void check_rule_source(const RuleSource& source, std::vector<Diagnostic>& errors) {
  std::unordered_set<std::string> seen;
  for (const auto& r : source.rules)
    if (!seen.insert(r.id).second) add(errors, r.file, r.line, r.id, "duplicate rule id");
  if (source.rules.empty()) add(errors, "", 0, "", "no rules found");
}

Result<RuleSource> load_rule_dir(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error("rules directory " + dir.string() + " does not exist");
  std::vector<fs::path> paths;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const auto rel = fs::relative(it->path(), dir);
    const auto ext = it->path().extension();
    const bool in_allowlists = rel.begin() != rel.end() && *rel.begin() == "allowlists";
    if ((ext == ".toml" && !in_allowlists) || (ext == ".txt" && in_allowlists)) paths.push_back(it->path());
  }
  if (ec) return Error("cannot read rules directory " + dir.string() + ": " + ec.message());
  std::sort(paths.begin(), paths.end());

  RuleSource source;
  std::vector<Diagnostic> errors;
  std::vector<std::pair<std::string, std::string>> hashed;
  for (const auto& p : paths) {
    const std::string name = p.string();
    const auto content = read_file(p);
    if (!content) {
      add(errors, name, 0, "", "cannot read file");
      continue;
    }
    hashed.emplace_back(fs::relative(p, dir).generic_string(), *content);
    if (p.extension() == ".txt") parse_allowlist(*content, name, source, errors);
    else if (p.filename() == "thresholds.toml") parse_thresholds(*content, name, source.thresholds, errors);
    else parse_rule_file(*content, name, source, errors);
  }
  check_rule_source(source, errors);
  if (!errors.empty()) return Error(std::move(errors));
  source.content_hash = sha256_hex(hashed);
  return source;
}

}  // namespace moderatord::classifier
