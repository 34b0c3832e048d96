// Measuring rule packs on labelled examples (`feedwatch eval`, docs/rules.md).
//
// A labels file is TSV with a header row. `label` and `title` are required;
// `summary`, `content`, `link` and `published` are used when present; other
// columns are ignored. A row's label names its topics joined by '+', or
// `neither`. A topic is scored by one rule pack (its rules' file stem): a row
// is caught for a topic when any rule of that pack matches it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "feedwatch/match.h"
#include "feedwatch/status.h"

namespace feedwatch {

struct LabeledItem {
  int line = 0;                     // 1-based line in the labels file; 0: no row (a stream item)
  std::vector<std::string> labels;  // topics; empty for `neither`
  Entry entry;
  // A stream's item that no labels row names: counted as `neither`, listed
  // by `eval --unlabelled` so that it can be read and labelled next.
  bool unlabelled = false;
  std::string source;  // the feed file a stream item came from
};

// Reads a labels file. Errors name the file and line: a missing required
// column, a row whose field count differs from the header's, an empty label
// or title, an empty file.
Result<std::vector<LabeledItem>> ReadLabels(const std::string& path);

enum class EvalFields { kAll, kTitle };

struct EvalOptions {
  // topic label -> pack (file stem); a topic without an entry is scored by
  // the pack of the same name.
  std::map<std::string, std::string> topic_packs;
  EvalFields fields = EvalFields::kAll;
};

struct TopicScore {
  std::string topic, pack;
  int tp = 0, fp = 0, fn = 0, tn = 0;
  // False alarms per 10,000 items scored: what a person receiving everything
  // a stream carries gets, whatever the base rate.
  double false_alarms_per_10k() const {
    int n = tp + fp + fn + tn;
    return n == 0 ? 0.0 : fp * 10000.0 / n;
  }
  double precision() const { return tp + fp == 0 ? 1.0 : double(tp) / (tp + fp); }
  double recall() const { return tp + fn == 0 ? 1.0 : double(tp) / (tp + fn); }
  double f1() const {
    double p = precision(), r = recall();
    return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
  }
};

struct RuleScore {
  std::string rule, topic;
  int hits = 0;          // rows it matches
  int only = 0;          // positives of its topic that no other rule of the pack catches
  int false_alarms = 0;  // rows it matches that are not labelled with its topic
};

struct EvalMiss {
  std::string topic;
  const LabeledItem* item = nullptr;
};

struct EvalFalseAlarm {
  std::string topic;
  const LabeledItem* item = nullptr;
  std::vector<std::string> rules;     // the pack's rules that fired
  std::vector<Highlight> highlights;  // their spans, as `scan --explain` shows them
};

// An item a topic's pack fired on, right or wrong.
struct EvalAlert {
  std::string topic;
  const LabeledItem* item = nullptr;
  bool positive = false;  // labelled with the topic
  std::vector<std::string> rules;
};

struct EvalReport {
  std::vector<TopicScore> topics;  // in order of first appearance in the file
  std::vector<EvalAlert> alerts;   // every item each topic fired on, in item order
  std::vector<RuleScore> rules;    // rules of the scored packs, in load order
  std::vector<EvalMiss> misses;
  std::vector<EvalFalseAlarm> false_alarms;
  std::vector<std::string> unscored_packs;  // loaded packs no topic maps to
};

// The pack a rule belongs to: its file's stem ("rules/ai-export-controls.toml"
// -> "ai-export-controls").
std::string PackOf(const RuleSpec& rule);

// Scores `items` against `matcher`. Errors: a topic without a pack, a
// --topic mapping naming an unknown pack or a topic absent from the file.
// The report points into `items`, which must outlive it.
Result<EvalReport> Evaluate(const Matcher& matcher, const std::vector<LabeledItem>& items,
                            const EvalOptions& options);

}  // namespace feedwatch
