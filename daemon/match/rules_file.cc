// Rule packs: TOML files with [[rule]] tables (docs/rules.md).
#include <re2/re2.h>

#include <set>

#include "../config/toml_util.h"
#include "feedwatch/match.h"

namespace feedwatch {

using tomlutil::Errors;

namespace {

constexpr std::size_t kMaxPatternBytes = 4096;
constexpr std::size_t kMaxRulesPerFile = 10000;

// PCRE habits RE2 rejects by design deserve a hint.
std::string Hint(const std::string& regex) {
  if (regex.find("(?=") != std::string::npos || regex.find("(?!") != std::string::npos ||
      regex.find("(?<=") != std::string::npos || regex.find("(?<!") != std::string::npos) {
    return " (RE2 has no lookaround; use a 'none' list to exclude text)";
  }
  for (std::size_t i = 0; i + 1 < regex.size(); ++i) {
    if (regex[i] == '\\' && regex[i + 1] >= '1' && regex[i + 1] <= '9') return " (RE2 has no backreferences)";
  }
  return "";
}

void ReadPatterns(const toml::table& t, std::string_view key, const RuleSpec& rule, std::vector<Pattern>& out,
                  Errors& errors) {
  const toml::node* n = t.get(key);
  if (!n) return;
  const toml::array* arr = n->as_array();
  if (!arr) {
    errors.Add(n, "rule '" + rule.id + "': '" + std::string(key) + "' must be a list of regexes");
    return;
  }
  for (const toml::node& el : *arr) {
    if (!el.is_string()) {
      errors.Add(&el, "rule '" + rule.id + "': '" + std::string(key) + "' entries must be strings");
      continue;
    }
    Pattern p{*el.value<std::string>(), tomlutil::LineOf(&el)};
    if (p.regex.empty()) {
      errors.Add(&el, "rule '" + rule.id + "': empty regex in '" + std::string(key) + "'");
      continue;
    }
    if (p.regex.size() > kMaxPatternBytes) {
      errors.Add(&el, "rule '" + rule.id + "': regex longer than " + std::to_string(kMaxPatternBytes) + " bytes");
      continue;
    }
    RE2::Options o;
    o.set_log_errors(false);
    o.set_case_sensitive(rule.case_sensitive);
    RE2 re(p.regex, o);
    if (!re.ok()) {
      errors.Add(&el, "rule '" + rule.id + "': invalid regex '" + p.regex + "': " + re.error() + Hint(p.regex));
      continue;
    }
    out.push_back(std::move(p));
  }
}

}  // namespace

Result<std::vector<RuleSpec>> LoadRuleFile(const std::string& path) {
  auto parsed = tomlutil::ParseFile(path);
  if (!parsed.ok()) return parsed.status();
  const toml::table& root = *parsed;
  Errors errors(path);
  tomlutil::CheckKeys(root, {"rule"}, "the top level of a rule file", errors);
  std::vector<RuleSpec> rules;
  const toml::node* rn = root.get("rule");
  const toml::array* arr = rn ? rn->as_array() : nullptr;
  if (rn && !arr) errors.Add(rn, "rules are declared as [[rule]] tables");
  if (arr && arr->size() > kMaxRulesPerFile) {
    errors.Add(rn, "more than " + std::to_string(kMaxRulesPerFile) + " rules in one file");
    return errors.ToStatus();
  }
  std::set<std::string> ids;
  if (arr) {
    for (const toml::node& n : *arr) {
      const toml::table* t = n.as_table();
      if (!t) {
        errors.Add(&n, "[[rule]] entries must be tables");
        continue;
      }
      RuleSpec r;
      r.file = path;
      r.line = tomlutil::LineOf(&n);
      auto id = tomlutil::GetString(*t, "id", errors);
      if (!id || id->empty()) {
        errors.Add(&n, "[[rule]] needs a non-empty 'id'");
        continue;
      }
      r.id = *id;
      tomlutil::CheckKeys(*t, {"id", "title", "severity", "sinks", "any", "all", "none", "case_sensitive"},
                          "rule '" + r.id + "'", errors);
      r.title = tomlutil::GetString(*t, "title", errors).value_or(r.id);
      if (auto s = tomlutil::GetString(*t, "severity", errors)) {
        if (*s != "low" && *s != "medium" && *s != "high" && *s != "critical") {
          errors.Add(t->get("severity"), "rule '" + r.id + "': severity must be low, medium, high or critical");
        }
        r.severity = *s;
      }
      if (auto s = tomlutil::GetStringList(*t, "sinks", errors)) r.sinks = *s;
      if (auto cs = tomlutil::GetBool(*t, "case_sensitive", errors)) r.case_sensitive = *cs;
      ReadPatterns(*t, "any", r, r.any, errors);
      ReadPatterns(*t, "all", r, r.all, errors);
      ReadPatterns(*t, "none", r, r.none, errors);
      if (!t->get("any") && !t->get("all")) {
        errors.Add(&n, "rule '" + r.id + "': needs 'any' or 'all' (a rule with only 'none' would match everything)");
      }
      if (!ids.insert(r.id).second) errors.Add(&n, "duplicate rule id '" + r.id + "'");
      rules.push_back(std::move(r));
    }
  }
  if (!errors.empty()) return errors.ToStatus();
  return rules;
}

Result<std::vector<RuleSpec>> LoadRuleFiles(const std::vector<std::string>& paths) {
  std::vector<RuleSpec> all;
  std::string errors;
  auto add_error = [&](const std::string& e) { errors += (errors.empty() ? "" : "\n") + e; };
  std::map<std::string, std::string> where;  // id -> file:line
  for (const auto& p : paths) {
    auto r = LoadRuleFile(p);
    if (!r.ok()) {
      add_error(r.status().message());
      continue;
    }
    for (auto& rule : *r) {
      std::string here = rule.file + ":" + std::to_string(rule.line);
      auto [it, inserted] = where.emplace(rule.id, here);
      if (!inserted) {
        add_error(here + ": duplicate rule id '" + rule.id + "' (first defined at " + it->second + ")");
        continue;
      }
      all.push_back(std::move(rule));
    }
  }
  if (!errors.empty()) return Status::Invalid(errors);
  return all;
}

}  // namespace feedwatch
