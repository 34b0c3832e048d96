// Backtests and search answers (service module): rules over the entries archive, as if they had
// been in force when each entry arrived. `feedwatch backtest` and the admin
// endpoint's /rules/<id>/backtest use it; both read through their own
// read-only store connection, off the daemon's store thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "feedwatch/config.h"
#include "feedwatch/match.h"
#include "feedwatch/state_view.h"

namespace feedwatch::service {

struct BacktestSpec {
  const Config& config;               // feed names and tags (rule scopes), sinks
  const Matcher& rules;               // the rules under test
  const Matcher* in_force = nullptr;  // set: the difference against these is reported
  std::int64_t since_ms = 0;
  std::vector<std::string> feed_urls = {};   // empty: every feed
  std::vector<std::string> only_rules = {};  // empty: every rule of `rules`
  std::size_t examples = 3;                  // most recent matches kept per rule
};

enum class Change { kSame, kAdded, kRemoved };
std::string_view ChangeName(Change c);  // "same", "added", "removed"

// One would-be match, handed to the caller as the archive is read.
struct BacktestHit {
  const ArchivedEntry& archived;
  const RuleSpec& rule;
  std::size_t rule_index;  // in the matcher the rule comes from
  const FeedSpec& feed;    // the configured feed, or a stand-in named by its URL
  Change change;           // kSame when there is nothing to compare against
};

struct BacktestExample {
  ArchivedEntry archived;
  std::string feed_name;
  std::vector<Highlight> highlights;
};

struct RuleBacktest {
  std::string id, title;
  std::int64_t matches = 0;                      // under the rules tested
  std::int64_t added = 0, removed = 0;           // against the rules in force
  std::map<std::int64_t, std::int64_t> per_day;  // UTC day (Unix seconds at 00:00) -> matches
  std::vector<BacktestExample> recent;           // newest first
  std::vector<BacktestExample> added_examples, removed_examples;  // newest first
};

struct BacktestReport {
  ArchiveStats coverage;  // of the feeds asked for, whatever `since`
  std::int64_t since_ms = 0;
  std::int64_t entries = 0;         // archived entries read
  bool compared = false;            // in_force was given
  std::vector<RuleBacktest> rules;  // in the rules' order
};

Result<BacktestReport> RunBacktest(StateView& store, const BacktestSpec& spec,
                                   const std::function<void(const BacktestHit&)>& on_hit = {});

// The text report: coverage, then per rule a per-day histogram, the recent
// examples with what matched, and the difference when compared.
std::string RenderBacktestText(const BacktestReport& report, std::int64_t now_ms);
nlohmann::ordered_json BacktestJson(const BacktestReport& report);

// One search hit as `search --format jsonl` and GET /search give it:
// first_seen, feed, entry_id, title, link, published, title_marked, snippet, score.
nlohmann::ordered_json SearchHitJson(const SearchHit& h, const std::string& feed_name);

}  // namespace feedwatch::service
