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

// `-c,--config FILE`, defaulting to the packaged config's path.
inline CLI::Option* AddConfigOption(CLI::App* sub, std::string& path, const CliContext& ctx) {
  path = ctx.default_config;
  return sub->add_option("-c,--config", path, "config file")->capture_default_str();
}

// Adds every subcommand to `app`.
void RegisterCommands(CLI::App& app, CliContext& ctx);

}  // namespace feedwatch
