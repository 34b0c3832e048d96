// The command line (cli module): each subcommand registers its options and
// its action in its own file (cli/cmd_*.cc); registry.cc lists them. main()
// parses, then runs the one chosen.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <utility>

namespace feedwatch {

struct CliContext {
  std::string default_config = "/etc/feedwatch/feedwatch.toml";
  std::function<int()> chosen;  // set by the subcommand the arguments named
  void Choose(std::function<int()> run) { chosen = std::move(run); }
};

// Adds every subcommand to `app`.
void RegisterCommands(CLI::App& app, CliContext& ctx);

}  // namespace feedwatch
