// `feedwatch run` and `feedwatch check`: the daemon, and the config checked as the
// daemon would load it, with lint warnings.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "feedwatch/cli.h"
#include "feedwatch/commands.h"

#include <set>

#include "feedwatch/daemon.h"
#include "feedwatch/util.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

int CmdRun(const RunCommand& cmd, std::ostream& out, std::ostream& err) {
  auto loaded = LoadAll(cmd.config_path);
  if (!loaded.ok()) {
    err << loaded.status().message() << "\n";
    return kExitBadSetup;
  }
  std::size_t configured = loaded->config.feeds.size();
  Daemon daemon(std::move(*loaded));
  RunOptions opt;
  opt.once = cmd.once;
  Status st = daemon.Run(opt);
  if (!st.ok()) {  // it could not start: the state file, the admin endpoint
    err << st.message() << "\n";
    return kExitBadSetup;
  }
  if (cmd.once && cmd.json) {
    const DaemonStats& s = daemon.stats();
    out << nlohmann::ordered_json{{"feeds", configured},
                                  {"feeds_polled", s.feeds_polled},
                                  {"feeds_primed", s.feeds_primed},
                                  {"feeds_failed", s.feeds_failed},
                                  {"entries", s.entries},
                                  {"new_entries", s.new_entries},
                                  {"matches", s.matches},
                                  {"alerts_queued", s.alerts_queued},
                                  {"alerts_delivered", s.alerts_delivered},
                                  {"alerts_pending", s.alerts_pending}}
               .dump()
        << "\n";
  } else if (cmd.once) {
    const DaemonStats& s = daemon.stats();
    out << "feeds:            " << configured << " configured: " << s.feeds_polled << " polled ("
        << s.feeds_primed << " of them primed on first sight), " << s.feeds_failed << " failed\n"
        << "entries:          " << s.entries << " (" << s.new_entries << " new)\n"
        << "matches:          " << s.matches << "\n"
        << "alerts queued:    " << s.alerts_queued << " (one per new match and sink)\n"
        << "alerts delivered: " << s.alerts_delivered << "\n"
        << "alerts pending:   " << s.alerts_pending << " (retried later)\n";
    if (s.feeds_primed > 0 && s.alerts_queued == 0) {
      // The first run of a new install: nothing was sent, on purpose.
      out << "\nThe " << s.feeds_primed
          << " primed feeds' entries were recorded as seen without alerting (prime = true):\n"
          << "alerts begin with the next new entry that matches. Meanwhile:\n"
          << "  feedwatch backtest --since 7d             what your rules would have sent\n"
          << "  feedwatch backtest --send SINK --last 3   send the 3 latest of those, once\n"
          << "  feedwatch sink test SINK                  check that a sink works\n";
    }
  }
  return kExitOk;
}

int CmdCheck(const std::string& config_path, std::ostream& out, std::ostream& err, bool json) {
  auto loaded = LoadAll(config_path);
  if (!loaded.ok()) {
    if (json) {
      out << nlohmann::ordered_json{{"config", config_path},
                                    {"ok", false},
                                    {"errors", SplitLines(loaded.status().message())}}
                 .dump()
          << "\n";
    } else {
      err << loaded.status().message() << "\n";
    }
    return kExitBadSetup;
  }
  const Config& c = loaded->config;
  std::set<std::string> feed_names;
  for (const auto& f : c.feeds) feed_names.insert(f.name);
  std::vector<std::string> warnings = LintRules(loaded->matcher->rules());
  for (const auto& r : loaded->matcher->rules()) {
    for (const auto* list : {&r.feeds, &r.exclude_feeds}) {
      for (const auto& name : *list) {
        if (!feed_names.count(name)) {
          warnings.push_back(r.file + ":" + std::to_string(r.line) + ": rule '" + r.id +
                             "': feed '" + name + "' is not configured in " + config_path);
        }
      }
    }
  }
  for (const auto& f : c.feeds) {
    if (UrlHasSecrets(f.url))
      warnings.push_back(config_path + ":" + std::to_string(f.line) + ": feed '" + f.name +
                         "': its url carries a credential (" + DisplayUrl(f.url) +
                         "); logs and pages hide it, but it stays in this file and in the state "
                         "file: prefer username + password_file, or bearer_token_file");
  }
  if (json) {
    out << nlohmann::ordered_json{{"config", config_path},
                                  {"ok", true},
                                  {"feeds", c.feeds.size()},
                                  {"rules", loaded->matcher->rules().size()},
                                  {"rule_files", c.rule_files.size()},
                                  {"sinks", c.sinks.size()},
                                  {"warnings", warnings},
                                  {"errors", nlohmann::ordered_json::array()}}
               .dump()
        << "\n";
    return kExitOk;
  }
  for (const auto& w : warnings) err << "warning: " << w << "\n";
  out << config_path << ": ok: " << c.feeds.size() << " feeds, " << loaded->matcher->rules().size()
      << " rules from " << c.rule_files.size() << " files, " << c.sinks.size() << " sinks"
      << (warnings.empty() ? "" : ", " + std::to_string(warnings.size()) + " warnings") << "\n";
  return kExitOk;
}

void RegisterRunCommand(CLI::App& app, CliContext& ctx) {
  auto run = std::make_shared<RunCommand>();
  auto* run_cmd =
      app.add_subcommand("run", "run the daemon in the foreground until SIGINT/SIGTERM");
  AddConfigOption(run_cmd, run->config_path, ctx);
  auto* once = run_cmd->add_flag(
      "--once", run->once, "poll every feed once, deliver what is due, print a summary and exit");
  run_cmd->add_flag("--json", run->json, "with --once: the summary as one JSON object")
      ->needs(once);

  run_cmd->callback(
      [&ctx, run] { ctx.Choose([=] { return CmdRun(*run, std::cout, std::cerr); }); });
}

void RegisterCheckCommand(CLI::App& app, CliContext& ctx) {
  auto check_config = std::make_shared<std::string>();
  auto check_json = std::make_shared<bool>(false);
  auto* check_cmd =
      app.add_subcommand("check", "validate the config and its rule files; non-zero on errors");
  AddConfigOption(check_cmd, *check_config, ctx);
  check_cmd->add_flag("--json", *check_json, "one JSON object: counts, warnings, errors");

  check_cmd->callback([&ctx, check_config, check_json] {
    ctx.Choose([=] { return CmdCheck(*check_config, std::cout, std::cerr, *check_json); });
  });
}

}  // namespace feedwatch
