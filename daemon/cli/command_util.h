// Helpers shared by the command-line subcommands (internal to daemon/service).
#pragma once

#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/config.h"
#include "feedwatch/http_client.h"
#include "feedwatch/match.h"
#include "feedwatch/state_view.h"
#include "feedwatch/status.h"

namespace feedwatch::cmdutil {

// One exit-code policy for every subcommand.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed =
      1,  // it ran and found a problem: a failed fetch, a failing example, a bad input file
  kExitBadSetup = 2,  // it could not start: the config, the rules, the state file or the arguments
};

// Columns aligned for a terminal: a header, rows, and notes (a line of its own
// under the row before, e.g. an error). Cells are untrusted text: control
// characters are shown as spaces.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back({std::move(header), ""}); }
  void Add(std::vector<std::string> cells) { rows_.push_back({std::move(cells), ""}); }
  void Note(std::string note) {
    rows_.back().second += (rows_.back().second.empty() ? "" : "\n") + note;
  }
  // Nothing when no row was added.
  void Print(std::ostream& out) const;

 private:
  std::vector<std::pair<std::vector<std::string>, std::string>> rows_;
};

// The whole file; errors name the path.
Result<std::string> ReadFile(const std::string& path);

// The config, or nullopt after printing its errors (file:line) to `err`.
// One request, waited for (commands only: `fetch`, `feeds discover`).
HttpResponse FetchOnce(const HttpRequest& req);
std::optional<Config> LoadConfigOr(const std::string& path, std::ostream& err);
// The state file for changes, or null after printing why to `err` (also when
// there is none yet: it is never created here).
std::unique_ptr<StateEditor> OpenStoreOr(const std::string& state_dir, std::ostream& err);

// Rules from explicit paths (files, directories, globs) and/or a config's
// rule list, compiled.
Result<std::shared_ptr<const Matcher>> LoadMatcher(const std::vector<std::string>& rule_paths,
                                                   const std::string& config_path);

// Highlights as `scan --explain` prints them.
nlohmann::ordered_json HighlightsJson(const std::vector<Highlight>& hs);

// `scan`'s JSON line for one match: rule, feed, entry_id, title, link,
// published, then `extra` (already JSON: `,"k":"v"`), appended to `out`.
void AppendMatchLine(std::string& out, std::string_view rule, std::string_view feed, const Entry& e,
                     std::string_view extra = "");

// The URLs of the config's feeds with these names or tags (empty when both
// lists are empty: every feed); nullopt after naming an unknown one on `err`.
std::optional<std::vector<std::string>> FeedUrlsOr(const Config& cfg,
                                                   const std::vector<std::string>& names,
                                                   const std::vector<std::string>& tags,
                                                   std::ostream& err);

// The archive for reading, or null after saying why on `err` (archive off,
// no state yet).
std::unique_ptr<StateView> OpenArchiveOr(const Config& cfg, std::ostream& err);

// --since: "7d", "36h"… before `now_ms`; "" or "all": 0 (the whole archive).
// nullopt after saying what is wrong on `err`.
std::optional<std::int64_t> SinceMsOr(const std::string& since, std::int64_t now_ms,
                                      std::ostream& err);

// What `backtest` and `search` start from: --format checked, the config
// loaded, --since and the feed selection resolved. nullopt after saying
// what is wrong on `err`.
struct ArchiveArgs {
  Config config;
  std::int64_t now_ms = 0;
  std::int64_t since_ms = 0;
  std::vector<std::string> feed_urls;
};
std::optional<ArchiveArgs> ArchiveArgsOr(const std::string& config_path, const std::string& format,
                                         const std::string& since,
                                         const std::vector<std::string>& feeds,
                                         const std::vector<std::string>& tags, std::ostream& err);

// A JSON string literal (invalid UTF-8 replaced).
std::string Quoted(const std::string& s);

}  // namespace feedwatch::cmdutil
