// Static checks on rule packs beyond errors (`feedwatch check`): patterns that
// match the empty string or can never match, common ways of mistyping a
// regex, rules that cannot fire.
#include <re2/re2.h>

#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/match.h"

namespace feedwatch {

namespace {

// An anchor with text on its wrong side, outside a class: 'x^' or '$x'
// (RE2 is not multi-line unless (?m) says so).
bool CanNeverMatch(const std::string& src) {
  if (src.find("(?m") != std::string::npos) return false;
  bool in_class = false;
  for (std::size_t i = 0; i < src.size(); ++i) {
    char c = src[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (in_class) {
      in_class = c != ']';
    } else if (c == '[') {
      in_class = true;
    } else if (c == '$' && i + 1 < src.size() &&
               std::string_view(")|").find(src[i + 1]) == std::string_view::npos) {
      return true;
    } else if (c == '^' && i > 0 &&
               std::string_view("(|:").find(src[i - 1]) == std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// A \b beside a literal that is not a letter or digit ('\bU\.S\.\b'): it
// holds only where a letter or digit is on its other side, so "U.S. curbs"
// does not match. Returns that literal.
std::optional<std::string> BoundaryBesideNonWord(const std::string& src) {
  auto nonword_literal = [](std::string_view lit) {
    if (lit.size() == 2 && lit[0] == '\\')
      return std::string_view(".-'/&+,:;!?\"#@%").find(lit[1]) != std::string_view::npos;
    return lit.size() == 1 &&
           std::string_view(" -'/&,:;!\"#@%").find(lit[0]) != std::string_view::npos;
  };
  std::string_view s(src);
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] != '\\') continue;
    if (s[i + 1] == 'b') {
      // "(?:\bfoo\b)" and "(?-i:\bUS\b)": that ':' closes a group's flags,
      // it is not text.
      if (i >= 1 && s[i - 1] == ':') {
        std::size_t open = s.rfind("(?", i - 1);
        bool group = open != std::string_view::npos;
        for (std::size_t k = open + 2; group && k < i - 1; ++k)
          group = std::isalpha(static_cast<unsigned char>(s[k])) || s[k] == '-';
        if (group && (open == 0 || s[open - 1] != '\\')) {
          std::string_view after =
              i + 2 < s.size() && s[i + 2] == '\\' ? s.substr(i + 2, 2) : s.substr(i + 2, 1);
          if (nonword_literal(after)) return std::string(after);
          ++i;
          continue;
        }
      }
      std::string_view before = i >= 2 && s[i - 2] == '\\' ? s.substr(i - 2, 2)
                                : i >= 1                   ? s.substr(i - 1, 1)
                                                           : "";
      std::string_view after =
          i + 2 < s.size() && s[i + 2] == '\\' ? s.substr(i + 2, 2) : s.substr(i + 2, 1);
      if (nonword_literal(before)) return std::string(before);
      if (nonword_literal(after)) return std::string(after);
    }
    ++i;  // the escaped character
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> LintRules(const std::vector<RuleSpec>& rules) {
  std::vector<std::string> warnings;
  for (const RuleSpec& r : rules) {
    auto warn = [&](int line, const std::string& msg) {
      warnings.push_back(r.file + ":" + std::to_string(line) + ": rule '" + r.id + "': " + msg);
    };
    auto matches_empty = [&](const Pattern& p) {
      RE2::Options o;
      o.set_log_errors(false);
      RE2 re(p.regex, o);
      return re.ok() && RE2::PartialMatch("", re);
    };
    // Mistakes in how a pattern is written, whichever list it is in.
    auto written = [&](const Pattern& p, std::string_view list) {
      const std::string& src = p.source;
      std::string where = "'" + src + "' in '" + std::string(list) + "'";
      if (src.rfind("(i?)", 0) == 0 || src.rfind("(?i?)", 0) == 0) {
        warn(p.line,
             "'" + src + "' starts with '" + src.substr(0, src.find(')') + 1) +
                 "', an optional 'i': did you mean '(?i)'? (rules are case-insensitive unless "
                 "case_sensitive = true)");
      }
      if (CanNeverMatch(src)) {
        warn(p.line, where + " can never match (an anchor with text beyond it)" +
                         (list == "none"  ? ", so it excludes nothing"
                          : list == "any" ? ", so this alternative never holds"
                                          : ": the rule can never match"));
      }
      if (auto c = BoundaryBesideNonWord(src)) {
        warn(p.line, where + ": '\\b' next to '" + *c +
                         "' needs a letter or digit on its other side, so it rarely matches as "
                         "meant (RE2's \\b "
                         "is between a word and a non-word character; drop it there)");
      }
    };
    for (const Pattern& p : r.any) written(p, "any");
    for (const Pattern& p : r.all) written(p, "all");
    for (const Pattern& p : r.none) written(p, "none");
    for (const auto& n : r.near) {
      for (const Pattern& p : n.terms) written(p, "near");
      if (!n.within_given)
        warn(n.line, "'near' has no 'within': its terms must be within the default of " +
                         std::to_string(n.within) + " words; say so with within = " +
                         std::to_string(n.within) + " or choose another distance");
    }
    for (const Pattern& p : r.any) {
      if (matches_empty(p))
        warn(p.line, "'" + p.source + "' matches the empty string, so 'any' holds for every entry");
    }
    for (const Pattern& p : r.all) {
      if (matches_empty(p))
        warn(p.line, "'" + p.source + "' matches the empty string, so it holds for every entry");
      for (const Pattern& n : r.none) {
        if (n.regex == p.regex)
          warn(n.line,
               "'" + n.source +
                   "' is both required (all) and excluded (none): the rule can never match");
      }
    }
    for (const Pattern& p : r.none) {
      if (matches_empty(p))
        warn(p.line,
             "'" + p.source + "' in 'none' matches the empty string: the rule can never match");
    }
    if (r.fields == (1 << int(Field::kFeed)) && r.feeds.empty() && r.tags.empty()) {
      warn(r.line, "looks only at the feed title, so it matches every entry of a matching feed");
    }
  }
  return warnings;
}

}  // namespace feedwatch
