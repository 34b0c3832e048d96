// Topic rules (TOML rule packs, docs/rules.md) and the compiled matcher.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "feedwatch/feed.h"
#include "feedwatch/status.h"

namespace re2 {
class RE2;
}

namespace feedwatch {

// The entry fields a rule may look at.
enum class Field : std::uint8_t { kTitle, kSummary, kContent, kLink, kAuthor, kCategories, kFeed };
constexpr int kFieldCount = 7;
std::string_view FieldName(Field f);
std::optional<Field> FieldFromName(std::string_view name);
using FieldMask = std::uint8_t;  // bit (1 << Field)
constexpr FieldMask kDefaultFields =
    (1 << int(Field::kTitle)) | (1 << int(Field::kSummary)) | (1 << int(Field::kContent));

struct Pattern {
  std::string regex;   // RE2 syntax after group expansion
  std::string source;  // as written in the file (a regex, or a plain term)
  int line = 0;
  // Compiled by the loader (which must compile to report errors), with the
  // rule's case sensitivity and RE2's default budget; Matcher::Build reuses it.
  std::shared_ptr<const re2::RE2> compiled;
};

// near = { terms = [...], within = N }: every term occurs in one field with
// at most N words between the first and the last.
struct NearCondition {
  std::vector<Pattern> terms;
  int within = 10;
  bool within_given = false;  // false: the rule left it at the default
  int line = 0;
};

// An embedded example ([[rule.test]]), run by `feedwatch test`.
struct RuleExample {
  Entry entry;             // title, summary, content, link, authors, categories
  std::string feed_title;  // for the "feed" field
  bool expect = true;
  int line = 0;
};

struct RuleSpec {
  std::string id;
  std::string title;
  // One line for people: what the rule catches and what it leaves out on
  // purpose (docs/packs.md lists them with their figures).
  std::string description;
  std::string severity = "medium";  // "low" | "medium" | "high" | "critical"
  std::vector<std::string> sinks;   // empty: every configured sink
  std::vector<Pattern> any;   // at least one must match (when non-empty); includes words/phrases
  std::vector<Pattern> all;   // every one must match
  std::vector<Pattern> none;  // none may match
  std::vector<NearCondition> near;  // every one must hold
  FieldMask fields = kDefaultFields;
  bool case_sensitive = false;
  std::vector<std::string> feeds;  // only entries of these feeds (by name), when non-empty
  std::vector<std::string> tags;   // only entries of feeds with one of these tags, when non-empty
  std::vector<std::string> exclude_feeds;       // never entries of these feeds
  std::optional<std::chrono::seconds> max_age;  // ignore entries dated longer ago
  // A budget per sink: at most this many of the rule's alerts per window
  // (past it they wait for a digest at the window's end). 0: none.
  int max_alerts = 0;
  std::chrono::milliseconds max_alerts_window{0};
  std::vector<RuleExample> examples;
  std::string file;
  int line = 0;
};

// Turns a plain term into a regex: NFKC-normalised, escaped, word-bounded,
// whitespace-tolerant, a trailing '*' matching the rest of a word
// ("distill*"), a trailing '~' matching the word's English forms ("curb~").
std::string TermToRegex(std::string_view term);

// The English forms a '~' term stands for: "curb" -> curb, curbs, curbed,
// curbing; "ban" adds banned, banning; "ease" -> eases, eased, easing;
// "ally" -> allies, allied, allying; "tax" -> taxes, taxed, taxing.
std::vector<std::string> WordForms(std::string_view word);

// Reads one rule pack. Each pattern is compiled once here so that a bad regex
// is reported as "file:line: rule 'id': <RE2 message>".
Result<std::vector<RuleSpec>> LoadRuleFile(const std::string& path);

// Loads many packs; rule ids must be unique across all of them. Every error of
// every file is reported together.
Result<std::vector<RuleSpec>> LoadRuleFiles(const std::vector<std::string>& paths);

// Where an entry comes from, for scoping, the "feed" field and max_age.
struct MatchContext {
  std::string_view feed_name;
  std::string_view feed_title;
  const std::vector<std::string>* feed_tags = nullptr;
  std::int64_t now = 0;       // Unix seconds; 0 disables max_age
  bool ignore_scope = false;  // embedded examples: test the text conditions only
};

struct Highlight {
  Field field;
  std::string pattern;             // source, as written
  std::size_t begin = 0, end = 0;  // byte offsets into the field's text
  std::string text;                // the matched text
};

// Why a rule did or did not match one entry (`scan --explain`, `feedwatch test`).
struct Explanation {
  bool matched = false;
  std::vector<std::string> held;      // conditions that held, human-readable
  std::vector<std::string> failed;    // conditions that did not
  std::vector<Highlight> highlights;  // spans of the patterns that matched
};

// One rule an entry matched, with what it matched there.
struct RuleHit {
  const RuleSpec* rule = nullptr;
  std::vector<Highlight> highlights;
};

struct MatcherOptions {
  // RE2 memory budget for each per-field RE2::Set. 10,000 rules need ~64 MiB.
  std::int64_t set_max_mem = 256LL << 20;
  // Budget for each single pattern (RE2's default is 8 MiB).
  std::int64_t pattern_max_mem = 8LL << 20;
};

// Immutable once built; Match() and Explain() are safe to call from many
// threads at once. Reload builds a new Matcher and swaps a shared_ptr.
class Matcher {
 public:
  static Result<std::shared_ptr<const Matcher>> Build(std::vector<RuleSpec> rules,
                                                      const MatcherOptions& options = {});
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Indexes into rules() of the rules the entry satisfies, ascending.
  std::vector<std::size_t> Match(const Entry& entry, const MatchContext& ctx = {}) const;

  // Evaluates one rule pattern by pattern (no RE2::Set), with spans. Slower
  // than Match(); meant for matches that alert and for explaining.
  Explanation Explain(const Entry& entry, const MatchContext& ctx, std::size_t rule) const;

  const std::vector<RuleSpec>& rules() const { return rules_; }

 private:
  Matcher() = default;
  struct Engine;
  std::vector<RuleSpec> rules_;
  std::unique_ptr<Engine> engine_;
};

// Static checks beyond errors: rules that can never match or match every
// entry. One warning per line, naming file:line and the rule.
std::vector<std::string> LintRules(const std::vector<RuleSpec>& rules);

// Text as the matcher compares it: NFKC ("ＤｅｅｐＳｅｅｋ" -> "DeepSeek").
std::string NormalizeText(std::string_view text);

}  // namespace feedwatch
