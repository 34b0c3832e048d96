// feedwatch: watches news feeds and raises alerts. This file only parses the
// command line; everything else lives in the modules under daemon/.

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "feedwatch/commands.h"
#include "feedwatch/logging.h"

int main(int argc, char** argv) {
  CLI::App app{"feedwatch: watches news feeds and raises alerts when entries match your rules"};
  app.set_version_flag("--version", std::string("feedwatch ") + feedwatch::kVersion);
  app.require_subcommand(1);
  std::string log_level = "info", log_format = "text";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  app.add_option(
         "--log-format", log_format,
         "text (journald-aware: syslog priority prefixes, no timestamps under systemd) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  std::string default_config = "/etc/feedwatch/feedwatch.toml";
  feedwatch::RunCommand run;
  run.config_path = default_config;
  auto* run_cmd =
      app.add_subcommand("run", "run the daemon in the foreground until SIGINT/SIGTERM");
  run_cmd->add_option("-c,--config", run.config_path, "config file")->capture_default_str();
  run_cmd->add_flag("--once", run.once,
                    "poll every feed once, deliver what is due, print a summary and exit");

  std::string check_config = default_config;
  auto* check_cmd =
      app.add_subcommand("check", "validate the config and its rule files; non-zero on errors");
  check_cmd->add_option("-c,--config", check_config, "config file")->capture_default_str();

  feedwatch::ScanCommand scan;
  auto* scan_cmd =
      app.add_subcommand("scan", "match saved feed files offline; one JSON line per match");
  // One value per --rules, so that `scan --rules rules/ a.xml b.xml` reads the feeds as inputs.
  scan_cmd->add_option("-r,--rules", scan.rule_paths, "rule file, directory or glob (repeatable)")
      ->allow_extra_args(false);
  scan_cmd->add_option("-c,--config", scan.config_path, "take the rule files from this config");
  scan_cmd->add_option("inputs", scan.inputs, "feed files or directories")->required();
  scan_cmd->add_flag("--explain", scan.explain,
                     "add the conditions that held and the matched spans");
  scan_cmd->add_option("-j,--jobs", scan.jobs, "threads (default: one per core)");

  feedwatch::ParseCommand parse;
  std::string parse_format = "json";
  auto* parse_cmd = app.add_subcommand("parse", "print a feed file as the parser reads it (JSON)");
  parse_cmd->add_option("input", parse.input, "feed file, or - for standard input")->required();
  parse_cmd->add_option("--url", parse.url, "the feed's URL: base for relative links");
  parse_cmd->add_option("--content-type", parse.content_type,
                        "as the server sent it, e.g. \"text/xml; charset=koi8-r\"");
  parse_cmd->add_option("--format", parse_format, "output format")
      ->check(CLI::IsMember({"json"}))
      ->capture_default_str();

  feedwatch::FeedsCommand feeds;
  auto* feeds_cmd =
      app.add_subcommand("feeds", "import feeds from OPML, export them, discover a site's feeds");
  feeds_cmd->require_subcommand(1);
  auto* feeds_import = feeds_cmd->add_subcommand(
      "import", "print [[feed]] blocks for an OPML file's feeds not yet configured");
  feeds_import->add_option("file", feeds.file, "OPML file (from a feed reader)")->required();
  feeds_import->add_option("-c,--config", feeds.config_path,
                           "skip feeds this config has; names stay unique against it");
  feeds_import->add_option("--tag", feeds.tags, "add this tag to every feed (repeatable)");
  feeds_import->add_option("--write", feeds.write,
                           "append to this config file (a backup is kept) instead of printing");
  auto* feeds_export =
      feeds_cmd->add_subcommand("export", "write the configured feeds as OPML 2.0");
  std::string export_config = default_config;
  feeds_export->add_option("-c,--config", export_config, "config file")->capture_default_str();
  feeds_export->add_option("-o,--output", feeds.output, "write here instead of stdout");
  auto* feeds_discover = feeds_cmd->add_subcommand(
      "discover", "list the feeds a web page advertises, each fetched and parsed");
  feeds_discover->add_option("url", feeds.url, "a site or page address")->required();
  feeds_discover->add_option("-c,--config", feeds.config_path,
                             "take the HTTP policy from this config");
  feeds_discover->add_flag("--allow-private", feeds.allow_private,
                           "allow loopback/private addresses");

  feedwatch::FetchCommand fetch;
  auto* fetch_cmd =
      app.add_subcommand("fetch", "fetch one URL with the daemon's HTTP policy and report");
  fetch_cmd->add_option("url", fetch.url, "feed URL")->required();
  fetch_cmd->add_option("-c,--config", fetch.config_path, "take the HTTP policy from this config");
  fetch_cmd->add_flag("--allow-private", fetch.allow_private,
                      "allow loopback/private addresses for this fetch");

  std::string status_config = default_config;
  auto* status_cmd =
      app.add_subcommand("status", "list feeds with their last result and next due time");
  status_cmd->add_option("-c,--config", status_config, "config file")->capture_default_str();

  std::string reload_config = default_config;
  auto* reload_cmd = app.add_subcommand("reload",
                                        "ask the running daemon to reload its config and rules "
                                        "(through [admin] listen; or: systemctl reload feedwatch)");
  reload_cmd->add_option("-c,--config", reload_config, "config file")->capture_default_str();

  feedwatch::OutboxCommand outbox;
  outbox.config_path = default_config;
  auto* outbox_cmd =
      app.add_subcommand("outbox", "inspect and replay queued, delivered and dead alerts");
  outbox_cmd->require_subcommand(1);
  outbox_cmd->add_option("-c,--config", outbox.config_path, "config file")->capture_default_str();
  auto* outbox_list = outbox_cmd->add_subcommand("list", "newest alerts first");
  outbox_list->add_option("--state", outbox.state, "only this state")
      ->check(CLI::IsMember({"pending", "delivered", "dead"}));
  outbox_list->add_option("-n,--limit", outbox.limit, "at most this many")->capture_default_str();
  outbox_list->add_flag("--json", outbox.json, "one JSON object per line");
  auto* outbox_retry =
      outbox_cmd->add_subcommand("retry", "send a delivered or dead alert again, now");
  outbox_retry->add_option("id", outbox.ref, "alert id (fw_…) or row id");
  outbox_retry->add_flag("--dead", outbox.dead, "every dead alert");
  auto* outbox_drop =
      outbox_cmd->add_subcommand("drop", "delete an alert from the outbox (it is not sent)");
  outbox_drop->add_option("id", outbox.ref, "alert id (fw_…) or row id")->required();

  std::vector<std::string> test_rules;
  std::string test_config;
  auto* test_cmd = app.add_subcommand("test", "run the rules' embedded examples ([[rule.test]])");
  test_cmd->add_option("rules", test_rules, "rule files or directories");
  test_cmd->add_option("-c,--config", test_config, "take the rule files from this config");

  feedwatch::EvalCommand eval;
  auto* eval_cmd =
      app.add_subcommand("eval",
                         "measure rule packs on labelled examples (TSV): precision, recall, "
                         "misses and false alarms");
  eval_cmd
      ->add_option("labels", eval.labels,
                   "TSV file with a header row; columns label and title required")
      ->required();
  eval_cmd->add_option("-r,--rules", eval.rule_paths, "rule file, directory or glob (repeatable)")
      ->allow_extra_args(false);
  eval_cmd->add_option("-c,--config", eval.config_path, "take the rule files from this config");
  eval_cmd
      ->add_option("--topic", eval.topics,
                   "LABEL=PACK: score topic LABEL with the pack PACK (file stem); "
                   "default: the pack named like the label")
      ->allow_extra_args(false);
  eval_cmd
      ->add_option("--fields", eval.fields,
                   "title (titles alone) or all (title, summary, content, link)")
      ->check(CLI::IsMember({"title", "all"}))
      ->capture_default_str();
  eval_cmd
      ->add_option("--min-precision", eval.min_precision,
                   "exit 1 when a topic's precision is below this")
      ->check(CLI::Range(0.0, 1.0));
  eval_cmd
      ->add_option("--min-recall", eval.min_recall, "exit 1 when a topic's recall is below this")
      ->check(CLI::Range(0.0, 1.0));
  eval_cmd->add_option("--format", eval.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  eval_cmd
      ->add_option("--feeds", eval.feeds_dir,
                   "score a stream: every feed file in this folder, labelled by link from LABELS")
      ->check(CLI::ExistingDirectory);
  eval_cmd
      ->add_option("--archive", eval.archive_dir,
                   "score what a daemon read: the entries archived in this state directory")
      ->check(CLI::ExistingDirectory);
  eval_cmd->add_flag("--unlabelled", eval.unlabelled,
                     "with --feeds: list alerts on items no row labels (to read and label next)");
  eval_cmd
      ->add_option("--max-false-alarms-per-10k", eval.max_false_alarms_per_10k,
                   "exit 1 when a topic raises more false alarms per 10,000 items")
      ->check(CLI::Range(0.0, 10000.0));

  feedwatch::BacktestCommand backtest;
  backtest.config_path = default_config;
  auto* backtest_cmd = app.add_subcommand(
      "backtest", "what rules would have caught over the archived entries (read-only)");
  backtest_cmd->add_option("-c,--config", backtest.config_path, "config file")
      ->capture_default_str();
  backtest_cmd
      ->add_option("-r,--rules", backtest.rule_paths,
                   "new or changed rule file, directory or glob (repeatable); compared with the "
                   "rules in force")
      ->allow_extra_args(false);
  backtest_cmd->add_option("--since", backtest.since, "how far back: 7d, 36h, 2w or all")
      ->capture_default_str();
  backtest_cmd->add_option("--feed", backtest.feeds, "only this feed (repeatable)")
      ->allow_extra_args(false);
  backtest_cmd->add_option("--tag", backtest.tags, "only feeds with this tag (repeatable)")
      ->allow_extra_args(false);
  backtest_cmd->add_option("--format", backtest.format, "text or jsonl (scan's lines)")
      ->check(CLI::IsMember({"text", "jsonl"}))
      ->capture_default_str();
  backtest_cmd->add_option("--examples", backtest.examples, "recent matches shown per rule")
      ->capture_default_str();
  backtest_cmd->add_option("--send", backtest.send_sink,
                           "queue the alerts --rules would add to this sink (sent once)");

  feedwatch::SearchCommand search;
  search.config_path = default_config;
  auto* search_cmd =
      app.add_subcommand("search", "full-text search over the archived entries (read-only)");
  search_cmd->add_option("-c,--config", search.config_path, "config file")->capture_default_str();
  search_cmd
      ->add_option("query", search.query,
                   "FTS5 query: words, \"a phrase\", OR, NOT, NEAR(a b, 10), prefix*")
      ->required();
  search_cmd->add_option("--since", search.since, "how far back: 7d, 36h, 2w (default: all)");
  search_cmd->add_option("--feed", search.feeds, "only this feed (repeatable)")
      ->allow_extra_args(false);
  search_cmd->add_option("-n,--limit", search.limit, "at most this many")->capture_default_str();
  search_cmd->add_option("--format", search.format, "text or jsonl")
      ->check(CLI::IsMember({"text", "jsonl"}))
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  // A file size limit (RLIMIT_FSIZE) or a full disk must be an error SQLite
  // reports, not a signal that kills the daemon mid-transaction.
  std::signal(SIGXFSZ, SIG_IGN);
  if (auto st = feedwatch::ConfigureLogging(log_level, log_format); !st.ok()) {
    std::cerr << st.message() << "\n";
    return 2;
  }

  if (*run_cmd) return feedwatch::CmdRun(run, std::cout, std::cerr);
  if (*check_cmd) return feedwatch::CmdCheck(check_config, std::cout, std::cerr);
  if (*scan_cmd) return feedwatch::CmdScan(scan, std::cout, std::cerr);
  if (*fetch_cmd) return feedwatch::CmdFetch(fetch, std::cout, std::cerr);
  if (*feeds_cmd) {
    feeds.action = *feeds_import ? "import" : *feeds_export ? "export" : "discover";
    if (*feeds_export) feeds.config_path = export_config;
    return feedwatch::CmdFeeds(feeds, std::cout, std::cerr);
  }
  if (*status_cmd) return feedwatch::CmdStatus(status_config, std::cout, std::cerr);
  if (*parse_cmd) return feedwatch::CmdParse(parse, std::cout, std::cerr);
  if (*reload_cmd) return feedwatch::CmdReload(reload_config, std::cout, std::cerr);
  if (*outbox_cmd) {
    outbox.action = *outbox_list ? "list" : *outbox_retry ? "retry" : "drop";
    return feedwatch::CmdOutbox(outbox, std::cout, std::cerr);
  }
  if (*eval_cmd) return feedwatch::CmdEval(eval, std::cout, std::cerr);
  if (*test_cmd) return feedwatch::CmdTest(test_rules, test_config, std::cout, std::cerr);
  if (*backtest_cmd) return feedwatch::CmdBacktest(backtest, std::cout, std::cerr);
  if (*search_cmd) {
    search.color = isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
    return feedwatch::CmdSearch(search, std::cout, std::cerr);
  }
  return 2;
}
