// The command-line subcommands. Each returns the process exit code and
// writes only to the streams it is given (results to `out`, messages to `err`).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "feedwatch/version.h"

namespace feedwatch {

struct RunCommand {
  std::string config_path;
  bool once = false;
  bool json = false;  // with once: the summary as one JSON object
};
int CmdRun(const RunCommand& cmd, std::ostream& out, std::ostream& err);

// `json`: one object on `out` (config, ok, counts, warnings, errors) instead
// of text; the exit status is the same.
int CmdCheck(const std::string& config_path, std::ostream& out, std::ostream& err,
             bool json = false);

struct ScanCommand {
  std::vector<std::string> rule_paths;  // files, directories, globs
  std::string config_path;              // alternative source of rule paths
  std::vector<std::string> inputs;      // feed files or directories
  bool explain = false;                 // add the conditions that held and the matched spans
  int jobs = 0;                         // threads; 0 = one per core
};
// One JSON line per match on `out`; a summary on `err`. Exit 0 when every
// input parsed, 1 when some did not, 2 when the rules could not be loaded.
int CmdScan(const ScanCommand& cmd, std::ostream& out, std::ostream& err);

struct ParseCommand {
  std::string input;         // a file, or "-" for standard input
  std::string url;           // base for relative links; also names the input in messages
  std::string content_type;  // as an HTTP server would send it (charset!)
};
// Prints the parsed feed as one JSON document (docs/parsing.md). Exit 0, or
// 1 when the input is not a feed (the message goes to `err`).
int CmdParse(const ParseCommand& cmd, std::ostream& out, std::ostream& err);

struct FetchCommand {
  std::string url;
  std::string config_path;     // optional: take the daemon's HTTP policy from it
  bool allow_private = false;  // lift the SSRF guard for this one fetch
};
// One fetch with the daemon's policy; prints status, timing, the headers that
// matter, the body size and the parsed entry count. Exit 0 on 2xx/304.
int CmdFetch(const FetchCommand& cmd, std::ostream& out, std::ostream& err);

struct FeedsCommand {
  std::string action;             // "import", "export", "discover"
  std::string config_path;        // import: skip feeds it has (optional); export: required
  std::string file;               // import: the OPML file
  std::string url;                // discover: the page
  std::vector<std::string> tags;  // import: added to every feed
  std::string write;              // import: append to this config (after a backup)
  std::string output;             // export: write here instead of stdout
  bool allow_private = false;     // discover: lift the SSRF guard
};
// `feeds import`: [[feed]] blocks for an OPML file's feeds not yet
// configured; `feeds export`: the config's feeds as OPML 2.0; `feeds
// discover`: the feeds a page advertises (or common paths serve), each
// fetched and parsed. Exit 0 when something usable came out.
int CmdFeeds(const FeedsCommand& cmd, std::ostream& out, std::ostream& err);

// POSTs /reload to the running daemon's admin endpoint ([admin] listen) and
// prints the outcome; 0 when the new config is running.
int CmdReload(const std::string& config_path, std::ostream& out, std::ostream& err);

struct OutboxCommand {
  std::string config_path;
  std::string action;  // "list", "retry", "drop"
  std::string ref;     // row id or alert id (retry, drop)
  bool dead = false;   // retry --dead: every dead alert
  std::string state;   // list --state
  std::size_t limit = 50;
  bool json = false;  // list --json: one JSON object per line
};
// Inspects and replays the outbox of the state directory the config names;
// safe while the daemon runs (it picks retried alerts up within seconds).
int CmdOutbox(const OutboxCommand& cmd, std::ostream& out, std::ostream& err);

struct BacktestCommand {
  std::string config_path;
  std::vector<std::string> rule_paths;   // new or changed rules; empty: the configured ones
  std::string since = "7d";              // "" or "all": the whole archive
  std::vector<std::string> feeds, tags;  // only these feeds (by name) / tags
  std::string format = "text";           // "text" or "jsonl"
  std::string send_sink;                 // queue the alerts to this sink
  std::size_t last = 0;                  // with send_sink: only the N latest; 0: all
  std::size_t examples = 3;
};
// Evaluates rules over the entries archive (read-only, safe while the daemon
// runs). Text: per rule a per-day histogram, recent examples, and with
// --rules the difference against the rules in force. jsonl: one line per
// would-be match in `scan`'s shape (plus "change" with --rules). --send
// queues to one sink the alerts --rules would add, or without --rules those
// the rules in force would have raised (--last N: the N latest), under the
// alert ids the daemon would have used (running it twice queues nothing twice).
int CmdBacktest(const BacktestCommand& cmd, std::ostream& out, std::ostream& err);

struct SearchCommand {
  std::string config_path;
  std::string query;  // FTS5 syntax
  std::string since;  // "" = the whole archive
  std::vector<std::string> feeds;
  std::size_t limit = 20;
  std::string format = "text";  // "text" or "jsonl"
  bool color = false;           // mark terms with bold (a terminal) rather than [ ]
};
// Full-text search over the archive, ranked by relevance and recency.
// Exit 0 (also with no hits), 2 on a bad query or setup.
int CmdSearch(const SearchCommand& cmd, std::ostream& out, std::ostream& err);

struct StatusCommand {
  std::string config_path;
  bool json = false;          // one JSON object
  bool failing_only = false;  // only failing feeds and sinks
};
// A health check from the state file (never created; a missing one exits 2):
// whether a daemon runs on it, the feeds (failing first), each sink's
// deliveries, the outbox, the archive, recent stories. Exit 1 when a feed or
// a sink is failing.
int CmdStatus(const StatusCommand& cmd, std::ostream& out, std::ostream& err);

// Runs every rule's embedded examples ([[rule.test]]). Prints each failure
// with the rule, the example and the conditions that decided it; ends with
// "N passed, N failed". Exit 0 when all pass, 1 when some fail, 2 when the
// rules could not be loaded.
int CmdTest(const std::vector<std::string>& rule_paths, const std::string& config_path,
            std::ostream& out, std::ostream& err);

struct EvalCommand {
  std::string labels;                   // the TSV file
  std::vector<std::string> rule_paths;  // files, directories, globs
  std::string config_path;              // alternative source of rule paths
  std::vector<std::string> topics;      // "LABEL=PACK"
  std::string fields = "all";           // "all" (title, summary, content, link) or "title"
  double min_precision = 0, min_recall = 0;
  double max_false_alarms_per_10k = -1;  // < 0: no limit
  std::string format = "text";           // "text" or "json"
  // A stream: every feed file in this folder is parsed, each entry is an
  // item, and `labels` rows (with a `link` column) label them by link;
  // entries no row names count as neither.
  std::string feeds_dir;
  // Or a daemon's state directory: the entries its archive kept are the items.
  std::string archive_dir;
  bool unlabelled = false;  // list the stream's alerts on items no row labels
};
// Scores rule packs on a labelled TSV file (docs/rules.md, "Measuring a
// pack"). Exit 0; 1 when a topic is below --min-precision or --min-recall;
// 2 when the labels or the rules could not be read.
int CmdEval(const EvalCommand& cmd, std::ostream& out, std::ostream& err);

}  // namespace feedwatch
