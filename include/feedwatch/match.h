// Topic rules (TOML rule packs, docs/rules.md) and the compiled matcher.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "feedwatch/feed.h"
#include "feedwatch/status.h"

namespace feedwatch {

// The entry fields a rule may look at.
enum class Field : std::uint8_t { kTitle = 0, kSummary = 1, kContent = 2 };
constexpr int kFieldCount = 3;

struct Pattern {
  std::string regex;  // RE2 syntax, as written
  int line = 0;
};

struct RuleSpec {
  std::string id;
  std::string title;
  std::string severity = "medium";  // "low" | "medium" | "high" | "critical"
  std::vector<std::string> sinks;   // empty: every configured sink
  std::vector<Pattern> any;         // at least one must match (when non-empty)
  std::vector<Pattern> all;         // every one must match
  std::vector<Pattern> none;        // none may match
  bool case_sensitive = false;
  std::string file;
  int line = 0;
};

// Reads one rule pack. Each pattern is compiled once here so that a bad regex
// is reported as "file:line: rule 'id': <RE2 message>".
Result<std::vector<RuleSpec>> LoadRuleFile(const std::string& path);

// Loads many packs; rule ids must be unique across all of them. Every error of
// every file is reported together.
Result<std::vector<RuleSpec>> LoadRuleFiles(const std::vector<std::string>& paths);

struct MatcherOptions {
  // RE2 memory budget for each per-field RE2::Set. 10,000 rules need ~64 MiB.
  std::int64_t set_max_mem = 128LL << 20;
};

// Immutable once built; Match() is safe to call from many threads at once.
// Reload builds a new Matcher and swaps a shared_ptr; the old one stays valid
// for whoever still holds it.
class Matcher {
 public:
  static Result<std::shared_ptr<const Matcher>> Build(std::vector<RuleSpec> rules,
                                                      const MatcherOptions& options = {});
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Indexes into rules() of the rules the entry satisfies, ascending.
  std::vector<std::size_t> Match(const Entry& entry) const;

  const std::vector<RuleSpec>& rules() const { return rules_; }

 private:
  Matcher() = default;
  std::vector<RuleSpec> rules_;
  struct Engine;                                              // RE2 objects (re2.h stays out of this header)
  std::unique_ptr<Engine> engine_;
  std::vector<std::uint32_t> pattern_rule_;                   // pattern -> rule index
  std::vector<std::uint8_t> pattern_kind_;                    // 0 any, 1 all, 2 none
  std::vector<std::size_t> rule_first_pattern_;               // rule -> first pattern; size rules+1
};

}  // namespace feedwatch
