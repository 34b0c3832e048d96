// Every subcommand, in the order `feedwatch --help` lists them. Adding one: a
// file in this folder with its Cmd function and Register function, its line
// here, and the file in CMakeLists.txt (and a section in docs/feedwatch.1).
#include "feedwatch/cli.h"

#define FEEDWATCH_COMMANDS(X) \
  X(Run)                      \
  X(Check)                    \
  X(Scan)                     \
  X(Parse)                    \
  X(Feeds)                    \
  X(Fetch)                    \
  X(Status)                   \
  X(Reload)                   \
  X(Outbox)                   \
  X(Sink)                     \
  X(Test)                     \
  X(Eval)                     \
  X(Backtest)                 \
  X(Search)

namespace feedwatch {

#define FEEDWATCH_DECLARE_COMMAND(Name) void Register##Name##Command(CLI::App&, CliContext&);
FEEDWATCH_COMMANDS(FEEDWATCH_DECLARE_COMMAND)
#undef FEEDWATCH_DECLARE_COMMAND

void RegisterCommands(CLI::App& app, CliContext& ctx) {
#define FEEDWATCH_REGISTER_COMMAND(Name) Register##Name##Command(app, ctx);
  FEEDWATCH_COMMANDS(FEEDWATCH_REGISTER_COMMAND)
#undef FEEDWATCH_REGISTER_COMMAND
}

}  // namespace feedwatch
