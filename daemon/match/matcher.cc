// Matching: one RE2::Set per field holds every pattern that looks at that
// field, so an entry's text is scanned once per field however many rules
// there are; only rules whose patterns hit are evaluated further.
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>

#include "conditions.h"
#include "feedwatch/match.h"
#include "text_norm.h"

namespace feedwatch {

namespace {

using namespace matchimpl;

enum Kind : std::uint8_t { kAny, kAll, kNone, kNear };

struct PatternInfo {
  std::shared_ptr<const RE2> re;
  const Pattern* spec;
  std::uint32_t rule;
  Kind kind;
  std::uint16_t near_index;  // which near condition (kNear only)
  std::uint16_t term_index;  // which term of it
  // Only triggers go into the RE2::Sets; a hit on one makes its rule a
  // candidate, whose other patterns are then tried one by one. Triggers are
  // the 'any' patterns, or (a rule without 'any') its first 'all' pattern, or
  // (without either) its first near term: each is necessary for the rule to
  // match. Common words in 'all' and 'none' lists thus cost nothing for the
  // entries that no rule is about.
  bool trigger = false;
};

// The text of each field for one entry, in NFKC (textnorm::NormalizedText:
// ASCII and already-normal text are views, not copies). Title, summary,
// content, link point into the entry; the joined fields are built here.
struct FieldTexts {
  std::array<std::string_view, kFieldCount> v;  // what patterns run on
  std::array<textnorm::NormalizedText, kFieldCount>& norm;
  std::string authors, categories;

  // Joins authors and categories only when `needed` asks for them: this runs
  // once per entry, and most rule sets never look at those fields. `norm`
  // holds the normalised texts (the caller's, so its buffers are reused);
  // `offsets` keeps their maps back to the original, for highlights.
  FieldTexts(const Entry& e, const MatchContext& ctx, FieldMask needed,
             std::array<textnorm::NormalizedText, kFieldCount>& norm_texts, bool offsets)
      : norm(norm_texts) {
    auto join = [](const std::vector<std::string>& parts) {
      std::string s;
      for (const auto& p : parts) s += (s.empty() ? "" : ", ") + p;
      return s;
    };
    if (needed & (1 << int(Field::kAuthor))) authors = join(e.authors);
    if (needed & (1 << int(Field::kCategories))) categories = join(e.categories);
    std::array<std::string_view, kFieldCount> raw;
    raw[int(Field::kTitle)] = e.title;
    raw[int(Field::kSummary)] = e.summary;
    raw[int(Field::kContent)] = e.content;
    raw[int(Field::kLink)] = e.link;
    raw[int(Field::kAuthor)] = authors;
    raw[int(Field::kCategories)] = categories;
    raw[int(Field::kFeed)] = ctx.feed_title;
    for (int f = 0; f < kFieldCount; ++f) {
      if (!(needed & (1 << f))) continue;
      norm[f].Assign(raw[f], offsets);
      v[f] = norm[f].text();
    }
  }

  // A span of v[f] as a highlight on the field's original text.
  Highlight Span(int f, std::string pattern, std::size_t b, std::size_t e) const {
    std::size_t ob = norm[f].ToOriginalBegin(b), oe = norm[f].ToOriginalEnd(e);
    return Highlight{static_cast<Field>(f), std::move(pattern), ob, oe,
                     std::string(norm[f].original().substr(ob, oe - ob))};
  }
};

// One rule's conditions over one entry: the single definition of what any,
// all, none, near and the scope mean. Match() and Explain() differ only in
// how they learn where a pattern occurs (`probe(k, first)`: the fields, as a
// mask, in which pattern k matches; given `first`, a probe may stop at the
// first such field and fill in its span, since only "whether" counts then) and in
// `ex`: without it, evaluation stops at the first condition that fails;
// with it, every condition is tried and described, and spans are kept.
template <typename Probe>
bool EvaluateRule(const RuleSpec& rule, const PatternInfo* pats, std::size_t first,
                  std::size_t last, const Entry& entry, const MatchContext& ctx,
                  const FieldTexts& texts, Probe&& probe, Explanation* ex) {
  auto quote = [](std::string_view s) { return "'" + std::string(s) + "'"; };
  std::string why;
  bool ok = InScope(rule, entry, ctx, ex ? &why : nullptr);
  if (!ok) {
    if (!ex) return false;
    ex->failed.push_back(why);
  }
  bool has_any = false, any_ok = false;
  std::vector<std::string> any_missed;
  for (std::size_t k = first; k < last; ++k) {
    const PatternInfo& p = pats[k];
    if (p.kind == kNear) continue;
    if (!ex) {
      // Cheap first: one 'any' that holds is enough; a failing 'all' or a
      // matching 'none' ends it.
      if (p.kind == kAny) {
        has_any = true;
        if (!any_ok) any_ok = probe(k, nullptr) != 0;
      } else if ((probe(k, nullptr) != 0) != (p.kind == kAll)) {
        return false;
      }
      continue;
    }
    Highlight h;
    bool found = probe(k, &h) != 0;
    std::string where =
        found ? " matched " + std::string(FieldName(h.field)) + " \"" + h.text + "\"" : "";
    switch (p.kind) {
      case kAny:
        has_any = true;
        if (found) {
          any_ok = true;
          ex->held.push_back("any: " + quote(p.spec->source) + where);
          ex->highlights.push_back(h);
        } else {
          any_missed.push_back(quote(p.spec->source));
        }
        break;
      case kAll:
        if (found) {
          ex->held.push_back("all: " + quote(p.spec->source) + where);
          ex->highlights.push_back(h);
        } else {
          ok = false;
          ex->failed.push_back("all: " + quote(p.spec->source) + " did not match");
        }
        break;
      case kNone:
        if (found) {
          ok = false;
          ex->failed.push_back("none: " + quote(p.spec->source) + where);
        }
        break;
      case kNear:
        break;
    }
  }
  if (has_any && !any_ok) {
    if (!ex) return false;
    ok = false;
    std::string list;
    for (const auto& m : any_missed) list += (list.empty() ? "" : ", ") + m;
    ex->failed.push_back("any: none of " + list + " matched");
  }
  // Proximity needs positions: only now, for rules still standing.
  for (std::size_t n = 0; n < rule.near.size(); ++n) {
    const int within = rule.near[n].within;
    std::vector<const RE2*> terms;
    std::vector<std::string_view> names;
    FieldMask common = rule.fields;
    for (std::size_t k = first; k < last; ++k) {
      if (pats[k].kind != kNear || pats[k].near_index != n) continue;
      terms.push_back(pats[k].re.get());
      if (ex) names.push_back(pats[k].spec->source);
      if (common) common &= probe(k, nullptr);
    }
    std::optional<int> best;
    int best_field = -1;
    std::vector<NearSpan> best_spans;
    for (int f = 0; f < kFieldCount; ++f) {
      if (!(common & (1 << f))) continue;
      const auto& starts = texts.norm[f].word_starts();
      if (!ex) {
        // Every term occurs in this field (common says so): in a field no
        // longer than `within` words, say a headline, they are close enough
        // wherever they are, and positions need not be searched.
        if (starts.size() <= static_cast<std::size_t>(within) + 1) {
          best = 0;
          break;
        }
        auto d = NearDistance(texts.v[f], starts, terms, nullptr);
        if (d && *d <= within) {
          best = d;
          break;
        }
        continue;
      }
      std::vector<NearSpan> spans;
      auto d = NearDistance(texts.v[f], starts, terms, &spans);
      if (d && (!best || *d < *best)) {
        best = d;
        best_field = f;
        best_spans = std::move(spans);
      }
    }
    bool held = best && *best <= within;
    if (!ex) {
      if (!held) return false;
      continue;
    }
    std::string label;
    for (const auto& name : names) label += (label.empty() ? "" : " ~ ") + std::string(name);
    label = "near: " + label + " within " + std::to_string(within) + " words";
    if (held) {
      ex->held.push_back(label + " (" + std::to_string(*best) + " apart in " +
                         std::string(FieldName(static_cast<Field>(best_field))) + ")");
      // Each span names the term that matched it, as 'any' and 'all' spans do.
      for (const NearSpan& sp : best_spans)
        ex->highlights.push_back(
            texts.Span(best_field, std::string(names[sp.term]), sp.begin, sp.end));
    } else {
      ok = false;
      ex->failed.push_back(label + (best ? " (closest: " + std::to_string(*best) + " apart)"
                                         : " (not all terms occur in one field)"));
    }
  }
  if (ex) {
    if (ex->failed.empty() && ex->held.empty()) ex->failed.push_back("no condition");
    ex->matched = ok;
  }
  return ok;
}

}  // namespace

std::string_view FieldName(Field f) {
  static constexpr std::string_view kNames[] = {"title",  "summary",    "content", "link",
                                                "author", "categories", "feed"};
  return kNames[int(f)];
}

std::optional<Field> FieldFromName(std::string_view name) {
  for (int i = 0; i < kFieldCount; ++i) {
    if (FieldName(static_cast<Field>(i)) == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

struct Matcher::Engine {
  std::vector<PatternInfo> patterns;
  std::vector<std::size_t> rule_first;  // rule -> first pattern; size rules + 1
  FieldMask used_fields = 0;            // fields some rule looks at (each has a Set)
  // Fields with the same pattern list share one Set (and its DFA cache).
  std::array<std::shared_ptr<RE2::Set>, kFieldCount> sets;
  std::array<std::vector<std::uint32_t>, kFieldCount> set_patterns;  // set index -> pattern
};

Matcher::~Matcher() = default;

Result<std::shared_ptr<const Matcher>> Matcher::Build(std::vector<RuleSpec> rules,
                                                      const MatcherOptions& options) {
  std::shared_ptr<Matcher> m(new Matcher());
  m->rules_ = std::move(rules);
  auto engine = std::make_unique<Engine>();
  RE2::Options set_opts;
  set_opts.set_log_errors(false);
  set_opts.set_max_mem(options.set_max_mem);
  std::vector<std::string> wrapped_patterns;
  for (std::size_t r = 0; r < m->rules_.size(); ++r) {
    const RuleSpec& rule = m->rules_[r];
    engine->rule_first.push_back(engine->patterns.size());
    auto add = [&](const Pattern& p, Kind kind, std::size_t near_i, std::size_t term_i) -> Status {
      std::shared_ptr<const RE2> re = p.compiled;
      if (!re || re->options().case_sensitive() != rule.case_sensitive ||
          re->options().max_mem() != options.pattern_max_mem) {
        RE2::Options o;
        o.set_log_errors(false);
        o.set_case_sensitive(rule.case_sensitive);
        o.set_max_mem(options.pattern_max_mem);
        re = std::make_shared<const RE2>(p.regex, o);
      }
      std::string where = rule.file + ":" + std::to_string(p.line) + ": rule '" + rule.id + "'";
      if (!re->ok())
        return Status::Invalid(where + ": invalid regex '" + p.source + "': " + re->error());
      wrapped_patterns.push_back((rule.case_sensitive ? "(?:" : "(?i:") + p.regex + ")");
      engine->patterns.push_back(PatternInfo{std::move(re), &p, static_cast<std::uint32_t>(r), kind,
                                             static_cast<std::uint16_t>(near_i),
                                             static_cast<std::uint16_t>(term_i)});
      return Status::Ok();
    };
    for (auto [list, kind] :
         {std::pair{&rule.any, kAny}, std::pair{&rule.all, kAll}, std::pair{&rule.none, kNone}}) {
      for (const Pattern& p : *list) {
        if (Status s = add(p, kind, 0, 0); !s.ok()) return s;
      }
    }
    for (std::size_t n = 0; n < rule.near.size(); ++n) {
      for (std::size_t t = 0; t < rule.near[n].terms.size(); ++t) {
        if (Status s = add(rule.near[n].terms[t], kNear, n, t); !s.ok()) return s;
      }
    }
  }
  engine->rule_first.push_back(engine->patterns.size());
  for (std::size_t r = 0; r < m->rules_.size(); ++r) {
    const RuleSpec& rule = m->rules_[r];
    Kind trigger_kind = !rule.any.empty() ? kAny : !rule.all.empty() ? kAll : kNear;
    bool first = true;
    for (std::size_t k = engine->rule_first[r]; k < engine->rule_first[r + 1]; ++k) {
      PatternInfo& p = engine->patterns[k];
      if (p.kind != trigger_kind) continue;
      p.trigger = trigger_kind == kAny || first;
      first = false;
      if (!p.trigger) continue;
      for (int f = 0; f < kFieldCount; ++f) {
        if (rule.fields & (1 << f))
          engine->set_patterns[f].push_back(static_cast<std::uint32_t>(k));
      }
    }
  }
  for (int f = 0; f < kFieldCount; ++f) {
    const auto& list = engine->set_patterns[f];
    if (list.empty()) continue;
    engine->used_fields |= static_cast<FieldMask>(1 << f);
    for (int g = 0; g < f && !engine->sets[f]; ++g) {
      if (engine->set_patterns[g] == list) engine->sets[f] = engine->sets[g];
    }
    if (engine->sets[f]) continue;
    auto set = std::make_shared<RE2::Set>(set_opts, RE2::UNANCHORED);
    for (std::uint32_t index : list) {
      std::string err;
      if (set->Add(wrapped_patterns[index], &err) < 0) {
        const PatternInfo& p = engine->patterns[index];
        const RuleSpec& rule = m->rules_[p.rule];
        return Status::Invalid(rule.file + ":" + std::to_string(p.spec->line) + ": rule '" +
                               rule.id + "': invalid regex '" + p.spec->source + "': " + err);
      }
    }
    if (!set->Compile()) {
      return Status::Invalid("the rule set (" + std::to_string(m->rules_.size()) + " rules, " +
                             std::to_string(list.size()) + " patterns on field '" +
                             std::string(FieldName(static_cast<Field>(f))) +
                             "') does not fit RE2's memory budget of " +
                             std::to_string(options.set_max_mem >> 20) + " MiB");
    }
    engine->sets[f] = std::move(set);
  }
  m->engine_ = std::move(engine);
  return std::shared_ptr<const Matcher>(std::move(m));
}

std::vector<std::size_t> Matcher::Match(const Entry& entry, const MatchContext& ctx) const {
  std::vector<std::size_t> out;
  const Engine& eng = *engine_;
  if (eng.patterns.empty()) return out;
  // Reused per thread: an entry with a no-break space or an ellipsis in its
  // content is normalised into these buffers without allocating.
  thread_local std::array<textnorm::NormalizedText, kFieldCount> norm;
  FieldTexts texts(entry, ctx, eng.used_fields, norm, false);
  // hit[p]: bit f set when trigger p matched field f. Reused per thread.
  thread_local std::vector<std::uint8_t> hit;
  thread_local std::vector<int> idx;
  thread_local std::vector<std::uint32_t> candidates, touched;
  // Cleared by undoing the last call's writes, not by rewriting the whole
  // vector: with 10,000 rules that is a few entries instead of ~30 KB.
  for (std::uint32_t p : touched) hit[p] = 0;
  touched.clear();
  if (hit.size() < eng.patterns.size()) hit.resize(eng.patterns.size(), 0);
  candidates.clear();
  auto record = [&](std::uint32_t p, int f) {
    if (!hit[p]) touched.push_back(p);
    hit[p] |= static_cast<std::uint8_t>(1 << f);
    candidates.push_back(eng.patterns[p].rule);
  };
  for (int f = 0; f < kFieldCount; ++f) {
    const RE2::Set* set = eng.sets[f].get();
    std::string_view text = texts.v[f];
    if (!set || text.empty()) continue;
    idx.clear();
    RE2::Set::ErrorInfo info{};
    re2::StringPiece sp(text.data(), text.size());
    if (set->Match(sp, &idx, &info)) {
      for (int i : idx) record(eng.set_patterns[f][static_cast<std::size_t>(i)], f);
    } else if (info.kind != RE2::Set::kNoError) {
      // The Set's DFA ran out of memory: never read that as "no match";
      // test this field's triggers one by one instead.
      for (std::uint32_t p : eng.set_patterns[f]) {
        if (RE2::PartialMatch(sp, *eng.patterns[p].re)) record(p, f);
      }
    }
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  // Fields (as a mask) in which pattern k matches: from the Set for
  // triggers, tried directly for the others.
  auto fields_of = [&](std::size_t k, FieldMask rule_fields) -> FieldMask {
    const PatternInfo& p = eng.patterns[k];
    if (p.trigger) return hit[k];
    FieldMask m = 0;
    for (int f = 0; f < kFieldCount; ++f) {
      if (!(rule_fields & (1 << f)) || texts.v[f].empty()) continue;
      if (RE2::PartialMatch(re2::StringPiece(texts.v[f].data(), texts.v[f].size()), *p.re)) {
        m |= static_cast<FieldMask>(1 << f);
      }
    }
    return m;
  };
  for (std::uint32_t r : candidates) {
    const RuleSpec& rule = rules_[r];
    auto probe = [&](std::size_t k, Highlight*) { return fields_of(k, rule.fields); };
    if (EvaluateRule(rule, eng.patterns.data(), eng.rule_first[r], eng.rule_first[r + 1], entry,
                     ctx, texts, probe, nullptr)) {
      out.push_back(r);
    }
  }
  return out;
}

Explanation Matcher::Explain(const Entry& entry, const MatchContext& ctx, std::size_t r) const {
  Explanation ex;
  const RuleSpec& rule = rules_[r];
  const Engine& eng = *engine_;
  std::array<textnorm::NormalizedText, kFieldCount> norm;
  FieldTexts texts(entry, ctx, rule.fields, norm, true);
  // Pattern by pattern, no Set: every field where pattern k matches, or,
  // given `h`, only the first (in field order) with its span.
  auto probe = [&](std::size_t k, Highlight* h) {
    FieldMask m = 0;
    for (int f = 0; f < kFieldCount; ++f) {
      if (!(rule.fields & (1 << f)) || texts.v[f].empty()) continue;
      re2::StringPiece input(texts.v[f].data(), texts.v[f].size()), found;
      if (!eng.patterns[k].re->Match(input, 0, input.size(), RE2::UNANCHORED, &found, 1)) continue;
      m |= static_cast<FieldMask>(1 << f);
      if (h) {
        // any/all/none ask only whether, and where first: the other fields
        // need not be searched (this runs for every alert the daemon raises).
        std::size_t b = static_cast<std::size_t>(found.data() - input.data());
        *h = texts.Span(f, eng.patterns[k].spec->source, b, b + found.size());
        break;
      }
    }
    return m;
  };
  EvaluateRule(rule, eng.patterns.data(), eng.rule_first[r], eng.rule_first[r + 1], entry, ctx,
               texts, probe, &ex);
  return ex;
}

}  // namespace feedwatch
