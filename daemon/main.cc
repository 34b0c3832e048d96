// feedwatch: watches news feeds and raises alerts. This file only parses the
// command line; everything else lives in the modules under daemon/.

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "feedwatch/cli.h"
#include "feedwatch/logging.h"
#include "feedwatch/version.h"

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

  // Options go anywhere after their command: `outbox list -c FILE`,
  // `run --log-format json` (an option a subcommand does not know is its
  // parent's). Set before the subcommands, which inherit it.
  app.fallthrough();
  feedwatch::CliContext ctx;
  feedwatch::RegisterCommands(app, ctx);

  if (auto code = feedwatch::ParseCommandLine(app, argc, argv)) return *code;

  // A file size limit (RLIMIT_FSIZE) or a full disk must be an error SQLite
  // reports, not a signal that kills the daemon mid-transaction.
  std::signal(SIGXFSZ, SIG_IGN);
  if (auto st = feedwatch::ConfigureLogging(log_level, log_format); !st.ok()) {
    std::cerr << st.message() << "\n";
    return 2;
  }

  return ctx.chosen ? ctx.chosen() : 2;
}
