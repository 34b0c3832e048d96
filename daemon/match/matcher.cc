// One RE2::Set holds every pattern of every rule, so an entry's text is
// scanned once per field however many rules there are; only the rules whose
// patterns hit are then evaluated (any / all / none).
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>

#include "feedwatch/match.h"

namespace feedwatch {

namespace {
enum Kind : std::uint8_t { kAny = 0, kAll = 1, kNone = 2 };
}

struct Matcher::Engine {
  std::vector<std::unique_ptr<RE2>> patterns;  // one per (rule, pattern), same index as in `set`
  std::unique_ptr<RE2::Set> set;
};

Matcher::~Matcher() = default;

Result<std::shared_ptr<const Matcher>> Matcher::Build(std::vector<RuleSpec> rules, const MatcherOptions& options) {
  std::shared_ptr<Matcher> m(new Matcher());
  RE2::Options set_opts;
  set_opts.set_log_errors(false);
  set_opts.set_max_mem(options.set_max_mem);
  m->engine_ = std::make_unique<Engine>();
  m->engine_->set = std::make_unique<RE2::Set>(set_opts, RE2::UNANCHORED);
  auto& patterns = m->engine_->patterns;
  auto& set = *m->engine_->set;
  for (std::size_t r = 0; r < rules.size(); ++r) {
    const RuleSpec& rule = rules[r];
    m->rule_first_pattern_.push_back(patterns.size());
    auto add = [&](const std::vector<Pattern>& list, Kind kind) -> Status {
      for (const Pattern& p : list) {
        RE2::Options o;
        o.set_log_errors(false);
        o.set_case_sensitive(rule.case_sensitive);
        auto re = std::make_unique<RE2>(p.regex, o);
        std::string where = rule.file + ":" + std::to_string(p.line) + ": rule '" + rule.id + "'";
        if (!re->ok()) return Status::Invalid(where + ": invalid regex '" + p.regex + "': " + re->error());
        std::string wrapped = (rule.case_sensitive ? "(?:" : "(?i:") + p.regex + ")";
        std::string err;
        int idx = set.Add(wrapped, &err);
        if (idx < 0) return Status::Invalid(where + ": invalid regex '" + p.regex + "': " + err);
        patterns.push_back(std::move(re));
        m->pattern_rule_.push_back(static_cast<std::uint32_t>(r));
        m->pattern_kind_.push_back(kind);
      }
      return Status::Ok();
    };
    for (auto [list, kind] : {std::pair{&rule.any, kAny}, std::pair{&rule.all, kAll}, std::pair{&rule.none, kNone}}) {
      if (Status s = add(*list, kind); !s.ok()) return s;
    }
  }
  m->rule_first_pattern_.push_back(patterns.size());
  if (!patterns.empty() && !set.Compile()) {
    return Status::Invalid("the rule set (" + std::to_string(rules.size()) + " rules, " +
                           std::to_string(patterns.size()) +
                           " patterns) does not fit RE2's memory budget of " +
                           std::to_string(options.set_max_mem >> 20) + " MiB");
  }
  m->rules_ = std::move(rules);
  return std::shared_ptr<const Matcher>(std::move(m));
}

std::vector<std::size_t> Matcher::Match(const Entry& entry) const {
  std::vector<std::size_t> out;
  const auto& patterns_ = engine_->patterns;
  const RE2::Set& set = *engine_->set;
  if (patterns_.empty()) return out;
  std::vector<char> hit(patterns_.size(), 0);
  std::vector<int> idx;
  bool any_hit = false;
  for (const std::string* text : {&entry.title, &entry.summary, &entry.content}) {
    if (text->empty()) continue;
    idx.clear();
    RE2::Set::ErrorInfo info{};
    if (set.Match(*text, &idx, &info)) {
      for (int i : idx) hit[static_cast<std::size_t>(i)] = 1;
      any_hit = true;
    } else if (info.kind != RE2::Set::kNoError) {
      // The DFA ran out of memory (or similar): never treat that as "no match";
      // fall back to testing each pattern on its own.
      for (std::size_t i = 0; i < patterns_.size(); ++i) {
        if (!hit[i] && RE2::PartialMatch(*text, *patterns_[i])) {
          hit[i] = 1;
          any_hit = true;
        }
      }
    }
  }
  if (!any_hit) return out;
  // Candidates: rules with a hit in 'any' or 'all'; only those are evaluated.
  std::vector<std::uint32_t> candidates;
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    if (hit[i] && pattern_kind_[i] != kNone) candidates.push_back(pattern_rule_[i]);
  }
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  for (std::uint32_t r : candidates) {
    bool has_any = false, any_ok = false, all_ok = true, none_ok = true;
    for (std::size_t k = rule_first_pattern_[r]; k < rule_first_pattern_[r + 1]; ++k) {
      switch (pattern_kind_[k]) {
        case kAny: has_any = true; any_ok = any_ok || hit[k]; break;
        case kAll: all_ok = all_ok && hit[k]; break;
        case kNone: none_ok = none_ok && !hit[k]; break;
      }
    }
    if ((!has_any || any_ok) && all_ok && none_ok) out.push_back(r);
  }
  return out;
}

}  // namespace feedwatch
