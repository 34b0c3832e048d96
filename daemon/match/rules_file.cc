// Rule packs: TOML files with [groups] and [[rule]] tables (docs/rules.md).
#include <re2/re2.h>

#include <map>
#include <set>

#include "../util/toml_util.h"
#include "feedwatch/match.h"
#include "feedwatch/util.h"
#include "text_norm.h"

namespace feedwatch {

using tomlutil::Errors;

namespace {

constexpr std::size_t kMaxPatternBytes = 4096;
constexpr std::size_t kMaxRulesPerFile = 10000;
// Terms (patterns, words, phrases, group members) in one list and in one
// file. The shipped packs use at most 108 and 465; 300,000 words in one file
// (2.9 MB, under the size cap) took 6 s and 611 MB before RE2 refused them.
constexpr std::size_t kMaxTermsPerList = 2000;
constexpr std::size_t kMaxTermsPerFile = 50000;

// Counts the terms in every group and in every rule's term lists (any, all,
// none, words, phrases); errors for a list, or the file, past the bounds.
void CheckTermCounts(const toml::table& root, Errors& errors) {
  std::size_t total = 0;
  auto lists = [&](const toml::table& t, bool all_keys) {
    for (const auto& [key, value] : t) {
      const toml::array* a = value.as_array();
      std::string_view k = key.str();
      if (!a ||
          (!all_keys && k != "any" && k != "all" && k != "none" && k != "words" && k != "phrases"))
        continue;
      if (a->size() > kMaxTermsPerList)
        errors.Add(&value, "'" + std::string(key.str()) + "' lists " + std::to_string(a->size()) +
                               " terms, more than " + std::to_string(kMaxTermsPerList) +
                               ": a list this long costs seconds and hundreds of MB to compile; "
                               "split the topic into several rules or groups");
      total += a->size();
    }
  };
  if (const toml::table* g = root.get_as<toml::table>("groups")) lists(*g, true);
  if (const toml::table* p = root.get_as<toml::table>("patterns")) lists(*p, true);
  if (const toml::array* rules = root.get_as<toml::array>("rule"))
    for (const toml::node& n : *rules)
      if (const toml::table* t = n.as_table()) lists(*t, false);
  if (total > kMaxTermsPerFile)
    errors.Add(1, std::to_string(total) + " terms in one file, more than " +
                      std::to_string(kMaxTermsPerFile));
}

// PCRE habits RE2 rejects by design deserve a hint.
std::string Hint(const std::string& regex) {
  if (regex.find("(?=") != std::string::npos || regex.find("(?!") != std::string::npos ||
      regex.find("(?<=") != std::string::npos || regex.find("(?<!") != std::string::npos) {
    return " (RE2 has no lookaround; use a 'none' list to exclude text)";
  }
  for (std::size_t i = 0; i + 1 < regex.size(); ++i) {
    if (regex[i] == '\\' && regex[i + 1] >= '1' && regex[i + 1] <= '9')
      return " (RE2 has no backreferences)";
  }
  return "";
}

using Groups = std::map<std::string, std::string>;  // name -> regex alternation

// Replaces {name} with the group's alternation. `\{` stays literal, and so do
// RE2 repetitions such as {2,3} (they never start with a letter).
Result<std::string> ExpandGroups(const std::string& regex, const Groups& groups) {
  std::string out;
  for (std::size_t i = 0; i < regex.size(); ++i) {
    char c = regex[i];
    if (c == '\\' && i + 1 < regex.size()) {
      out += c;
      out += regex[++i];
      continue;
    }
    if (c == '{' && i + 1 < regex.size() &&
        std::isalpha(static_cast<unsigned char>(regex[i + 1]))) {
      std::size_t close = regex.find('}', i);
      if (close != std::string::npos) {
        std::string name = regex.substr(i + 1, close - i - 1);
        bool ident = std::all_of(name.begin(), name.end(), [](char ch) {
          return textnorm::IsAsciiWordChar(ch) || ch == '-';
        });
        if (ident) {
          auto it = groups.find(name);
          if (it == groups.end()) {
            std::vector<std::string_view> known;
            for (const auto& [g, _] : groups) known.push_back(g);
            std::string near = tomlutil::DidYouMean(name, known);
            return Status::Invalid("unknown group {" + name + "}" +
                                   (near.empty() ? "" : " (did you mean {" + near + "}?)"));
          }
          out += it->second;
          i = close;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

class RuleReader {
 public:
  RuleReader(const std::string& path, Errors& errors) : path_(path), errors_(errors) {}

  // [groups]: name = [terms], each a plain term.
  void ReadGroups(const toml::table& t) {
    ReadNamedLists(t, "group", "terms",
                   [](const toml::node&, const std::string& term, const std::string&) {
                     return std::optional<std::string>(TermToRegex(term));
                   });
  }

  // [patterns]: named lists of regexes, used as {name} like a group of terms
  // but not escaped, so that several rules can share one list (the stories
  // a pack's words also appear in) instead of each copying it. They may use
  // the term groups, which are read first.
  void ReadPatternGroups(const toml::table& t) {
    ReadNamedLists(
        t, "pattern list", "regexes",
        [&](const toml::node& at, const std::string& source,
            const std::string& where) -> std::optional<std::string> {
          auto expanded = ExpandGroups(textnorm::NfkcRegex(source), groups_);
          if (!expanded.ok()) {
            errors_.Add(&at, where + expanded.status().message() + " in '" + source + "'");
            return std::nullopt;
          }
          RE2::Options o;
          o.set_log_errors(false);
          if (RE2 re(*expanded, o); !re.ok()) {
            errors_.Add(&at,
                        where + "invalid regex '" + source + "': " + re.error() + Hint(source));
            return std::nullopt;
          }
          return "(?:" + *expanded + ")";
        });
  }

  // name = [entries]: {name} becomes the alternation of what `one` makes of
  // each entry (nullopt: it reported why, after the prefix it is given, and
  // the entry is left out).
  template <typename One>
  void ReadNamedLists(const toml::table& t, const std::string& kind, const char* entries, One one) {
    for (const auto& [k, v] : t) {
      std::string name(k.str());
      const toml::array* arr = v.as_array();
      if (groups_.count(name)) {
        errors_.Add(&v, kind + " '" + name + "' has the name of a group already defined");
        continue;
      }
      if (!arr || arr->empty()) {
        errors_.Add(&v, kind + " '" + name + "' must be a non-empty list of " + entries);
        continue;
      }
      std::string alt = "(?:";
      bool first = true;
      for (const toml::node& el : *arr) {
        const std::string* entry = el.is_string() ? &el.as_string()->get() : nullptr;
        if (!entry || entry->empty()) {
          errors_.Add(&el, kind + " '" + name + "': " + entries + " must be non-empty strings");
          continue;
        }
        auto regex = one(el, *entry, kind + " '" + name + "': ");
        if (!regex) continue;
        if (!first) alt += '|';
        alt += *regex;
        first = false;
      }
      groups_[name] = alt + ")";
    }
  }

  // Compiles `regex` once to report errors where the user wrote it.
  std::optional<Pattern> MakePattern(const RuleSpec& rule, const toml::node& at, std::string source,
                                     bool is_term) {
    if (source.empty()) {
      errors_.Add(&at, "rule '" + rule.id + "': empty pattern");
      return std::nullopt;
    }
    if (source.size() > kMaxPatternBytes) {
      errors_.Add(&at, "rule '" + rule.id + "': pattern longer than " +
                           std::to_string(kMaxPatternBytes) + " bytes");
      return std::nullopt;
    }
    // "\bAI Act\b" in a double-quoted TOML string is a backspace, "AI Act"
    // and another backspace: a pattern that can never match, silently.
    for (unsigned char c : source) {
      if (c < 0x20 || c == 0x7F) {
        std::string shown;
        for (unsigned char d : source)
          shown += d == '\b'                 ? std::string("\\b")
                   : d == '\t'               ? std::string("\\t")
                   : (d < 0x20 || d == 0x7F) ? std::string("?")
                                             : std::string(1, static_cast<char>(d));
        errors_.Add(&at, "rule '" + rule.id + "': the pattern '" + shown +
                             "' holds a control character: in a double-quoted TOML string \\b "
                             "is a backspace, not a word boundary. Write patterns in single "
                             "quotes ('\\bAI Act\\b'), which keep backslashes as they are");
        return std::nullopt;
      }
    }
    // A term is plain text, or a lone group reference such as "{chinese_labs}".
    bool group_ref = source.size() > 2 && source.front() == '{' && source.back() == '}';
    // Patterns are matched against NFKC text, so they are normalised too.
    std::string raw = is_term && !group_ref ? TermToRegex(source) : textnorm::NfkcRegex(source);
    auto expanded = ExpandGroups(raw, groups_);
    if (!expanded.ok()) {
      errors_.Add(
          &at, "rule '" + rule.id + "': " + expanded.status().message() + " in '" + source + "'");
      return std::nullopt;
    }
    RE2::Options o;
    o.set_log_errors(false);
    o.set_case_sensitive(rule.case_sensitive);
    auto re = std::make_shared<const RE2>(*expanded, o);
    if (!re->ok()) {
      std::string what = re->error_code() == RE2::ErrorPatternTooLarge
                             ? "regex too large for RE2's memory budget"
                             : "invalid regex";
      errors_.Add(&at, "rule '" + rule.id + "': " + what + " '" + source + "': " + re->error() +
                           Hint(source));
      return std::nullopt;
    }
    return Pattern{*expanded, std::move(source), tomlutil::LineOf(&at), std::move(re)};
  }

  void ReadList(const toml::table& t, std::string_view key, const RuleSpec& rule,
                std::vector<Pattern>& out, bool terms) {
    const toml::node* n = t.get(key);
    if (!n) return;
    const toml::array* arr = n->as_array();
    if (!arr) {
      errors_.Add(n,
                  "rule '" + rule.id + "': '" + std::string(key) + "' must be a list of strings");
      return;
    }
    for (const toml::node& el : *arr) {
      if (!el.is_string()) {
        errors_.Add(&el,
                    "rule '" + rule.id + "': '" + std::string(key) + "' entries must be strings");
        continue;
      }
      if (auto p = MakePattern(rule, el, *el.value<std::string>(), terms))
        out.push_back(std::move(*p));
    }
  }

  void ReadNear(const toml::node& n, RuleSpec& rule) {
    auto read_one = [&](const toml::node& node) {
      const toml::table* t = node.as_table();
      if (!t) {
        errors_.Add(&node,
                    "rule '" + rule.id + "': near must be a table { terms = [...], within = N }");
        return;
      }
      tomlutil::CheckKeys(*t, {"terms", "patterns", "within"}, "near", errors_);
      NearCondition nc;
      nc.line = tomlutil::LineOf(&node);
      ReadList(*t, "terms", rule, nc.terms, true);
      ReadList(*t, "patterns", rule, nc.terms, false);  // regexes, for what a plain term cannot say
      if (nc.terms.size() < 2) {
        errors_.Add(&node, "rule '" + rule.id + "': near needs at least two terms or patterns");
      }
      if (auto w = tomlutil::GetIntInRange(*t, "within", 0, 1000, errors_)) {
        nc.within = *w;
        nc.within_given = true;
      }
      rule.near.push_back(std::move(nc));
    };
    if (const toml::array* arr = n.as_array()) {
      for (const toml::node& el : *arr) read_one(el);
    } else {
      read_one(n);
    }
  }

  void ReadExamples(const toml::node& n, RuleSpec& rule) {
    const toml::array* arr = n.as_array();
    if (!arr) {
      errors_.Add(&n, "rule '" + rule.id + "': examples are [[rule.test]] tables");
      return;
    }
    for (const toml::node& el : *arr) {
      const toml::table* t = el.as_table();
      if (!t) continue;
      tomlutil::CheckKeys(
          *t, {"title", "summary", "content", "link", "author", "categories", "feed", "expect"},
          "[[rule.test]]", errors_);
      RuleExample ex;
      ex.line = tomlutil::LineOf(&el);
      ex.entry.title = tomlutil::GetString(*t, "title", errors_).value_or("");
      ex.entry.summary = tomlutil::GetString(*t, "summary", errors_).value_or("");
      ex.entry.content = tomlutil::GetString(*t, "content", errors_).value_or("");
      ex.entry.link = tomlutil::GetString(*t, "link", errors_).value_or("");
      if (auto a = tomlutil::GetString(*t, "author", errors_)) ex.entry.authors.push_back(*a);
      if (auto c = tomlutil::GetStringList(*t, "categories", errors_)) ex.entry.categories = *c;
      ex.feed_title = tomlutil::GetString(*t, "feed", errors_).value_or("");
      auto expect = tomlutil::GetBool(*t, "expect", errors_);
      if (!expect)
        errors_.Add(&el, "rule '" + rule.id + "': an example needs expect = true or false");
      ex.expect = expect.value_or(true);
      rule.examples.push_back(std::move(ex));
    }
  }

  std::optional<RuleSpec> ReadRule(const toml::node& n) {
    const toml::table* t = n.as_table();
    if (!t) {
      errors_.Add(&n, "[[rule]] entries must be tables");
      return std::nullopt;
    }
    RuleSpec r;
    r.file = path_;
    r.line = tomlutil::LineOf(&n);
    auto id = tomlutil::GetString(*t, "id", errors_);
    if (!id || id->empty()) {
      errors_.Add(&n, "[[rule]] needs a non-empty 'id'");
      return std::nullopt;
    }
    r.id = *id;
    tomlutil::CheckKeys(*t,
                        {"id", "title", "description", "severity", "sinks", "any", "all", "none",
                         "words", "phrases", "near", "fields", "case_sensitive", "feeds", "tags",
                         "exclude_feeds", "max_age", "max_alerts", "test"},
                        "rule '" + r.id + "'", errors_);
    r.title = tomlutil::GetString(*t, "title", errors_).value_or(r.id);
    r.description = tomlutil::GetString(*t, "description", errors_).value_or("");
    if (auto s = tomlutil::GetString(*t, "severity", errors_)) {
      if (*s != "low" && *s != "medium" && *s != "high" && *s != "critical") {
        errors_.Add(t->get("severity"),
                    "rule '" + r.id + "': severity must be low, medium, high or critical");
      }
      r.severity = *s;
    }
    if (auto s = tomlutil::GetStringList(*t, "sinks", errors_)) r.sinks = *s;
    if (auto cs = tomlutil::GetBool(*t, "case_sensitive", errors_)) r.case_sensitive = *cs;
    if (auto f = tomlutil::GetStringList(*t, "fields", errors_)) {
      r.fields = 0;
      for (const auto& name : *f) {
        if (auto field = FieldFromName(name))
          r.fields |= static_cast<FieldMask>(1 << int(*field));
        else
          errors_.Add(t->get("fields"),
                      "rule '" + r.id + "': unknown field '" + name +
                          "' (fields: title, summary, content, link, author, categories, feed)");
      }
      if (f->empty())
        errors_.Add(t->get("fields"), "rule '" + r.id + "': fields must not be empty");
    }
    if (auto v = tomlutil::GetStringList(*t, "feeds", errors_)) r.feeds = *v;
    if (auto v = tomlutil::GetStringList(*t, "tags", errors_)) r.tags = *v;
    if (auto v = tomlutil::GetStringList(*t, "exclude_feeds", errors_)) r.exclude_feeds = *v;
    if (auto d = tomlutil::GetDuration(*t, "max_age", errors_)) {
      r.max_age = std::chrono::duration_cast<std::chrono::seconds>(*d);
    }
    if (auto v = tomlutil::GetString(*t, "max_alerts", errors_)) {
      if (auto b = ParseBudget(*v)) {
        r.max_alerts = b->first;
        r.max_alerts_window = b->second;
      } else {
        errors_.Add(t->get("max_alerts"), "rule '" + r.id +
                                              "': max_alerts must look like \"10/1h\" (alerts "
                                              "per window, 1m to 7d)");
      }
    }
    ReadList(*t, "any", r, r.any, false);
    ReadList(*t, "words", r, r.any, true);
    ReadList(*t, "phrases", r, r.any, true);
    ReadList(*t, "all", r, r.all, false);
    ReadList(*t, "none", r, r.none, false);
    if (const toml::node* near = t->get("near")) ReadNear(*near, r);
    if (const toml::node* tests = t->get("test")) ReadExamples(*tests, r);
    if (!t->get("any") && !t->get("all") && !t->get("words") && !t->get("phrases") &&
        !t->get("near")) {
      errors_.Add(
          &n, "rule '" + r.id + "': needs a condition: 'any', 'all', 'words', 'phrases' or 'near'" +
                  (t->get("none") ? " ('none' only excludes: alone it would match everything)"
                                  : std::string()));
    }
    return r;
  }

 private:
  std::string path_;
  Errors& errors_;
  Groups groups_;
};

}  // namespace

Result<std::vector<RuleSpec>> LoadRuleFile(const std::string& path) {
  auto parsed = tomlutil::ParseFile(path);
  if (!parsed.ok()) return parsed.status();
  const toml::table& root = *parsed;
  Errors errors(path);
  tomlutil::CheckKeys(root, {"rule", "groups", "patterns"}, "the top level of a rule file", errors);
  CheckTermCounts(root, errors);
  if (!errors.empty()) return errors.ToStatus();  // refused before anything is compiled
  RuleReader reader(path, errors);
  if (const toml::node* g = root.get("groups")) {
    if (const toml::table* gt = g->as_table())
      reader.ReadGroups(*gt);
    else
      errors.Add(g, "[groups] must be a table of name = [terms]");
  }
  if (const toml::node* pg = root.get("patterns")) {
    if (const toml::table* pt = pg->as_table())
      reader.ReadPatternGroups(*pt);
    else
      errors.Add(pg, "[patterns] must be a table of name = [regexes]");
  }
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
      auto r = reader.ReadRule(n);
      if (!r) continue;
      if (!ids.insert(r->id).second) errors.Add(&n, "duplicate rule id '" + r->id + "'");
      rules.push_back(std::move(*r));
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
        add_error(here + ": duplicate rule id '" + rule.id + "' (first defined at " + it->second +
                  ")");
        continue;
      }
      all.push_back(std::move(rule));
    }
  }
  if (!errors.empty()) return Status::Invalid(errors);
  return all;
}

}  // namespace feedwatch
