// The command line (cli module): each subcommand registers its options and
// its action in its own file (cli/cmd_*.cc); registry.cc lists them. main()
// parses, then runs the one chosen.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
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

// `--json`, the one JSON switch of every command: for a command that also
// has `--format`, the same as `--format <json_format>` ("json" or "jsonl").
inline CLI::Option* AddJsonSwitch(CLI::App* sub, std::string& format, std::string json_format) {
  return sub->add_flag_callback(
      "--json", [&format, json_format] { format = json_format; },
      "JSON (" + json_format + ") instead of text; same as --format " + json_format);
}

// Adds every subcommand to `app`.
void RegisterCommands(CLI::App& app, CliContext& ctx);

// Wrong usage (feedwatch(1), EXIT STATUS).
constexpr int kUsageError = 2;

// Parses the arguments. nullopt: run the chosen subcommand. Otherwise the
// exit status: 0 after --help or --version; kUsageError after printing what
// was wrong (an unknown command or option names the nearest known one).
std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv);

}  // namespace feedwatch
