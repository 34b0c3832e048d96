// The command line's usage errors: exit status 2, CLI11's message, and a
// "did you mean" for a mistyped subcommand or option.
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "../util/toml_util.h"
#include "feedwatch/cli.h"

namespace feedwatch {

namespace {

// Options a word at this point may name: the command's own and, through
// fallthrough, its parents'.
std::vector<const CLI::Option*> OptionsInScope(const CLI::App* app) {
  std::vector<const CLI::Option*> out;
  for (; app; app = app->get_parent())
    for (const CLI::Option* o : app->get_options()) out.push_back(o);
  return out;
}

const CLI::Option* FindOption(const std::vector<const CLI::Option*>& opts, std::string_view word) {
  for (const CLI::Option* o : opts) {
    if (o->check_name(std::string(word))) return o;
  }
  return nullptr;
}

std::vector<std::string> CommandNames(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* s : app.get_subcommands({})) names.push_back(s->get_name());
  return names;
}

std::string Joined(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return list;
}

// "feedwatch", "feedwatch outbox".
std::string Path(const CLI::App& root, const CLI::App& at) {
  return &at == &root ? "feedwatch" : Path(root, *at.get_parent()) + " " + at.get_name();
}

// Walks the words as the parser would (subcommands, options and their
// values) and says what does not fit: an unknown command or option, with the
// nearest known one.
std::string Hint(CLI::App& app, const std::vector<std::string>& words) {
  CLI::App* at = &app;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--") break;
    auto opts = OptionsInScope(at);
    if (w.size() > 1 && w[0] == '-') {
      std::string name = w.substr(0, w.find('='));
      const CLI::Option* o = FindOption(opts, name);
      if (!o) {
        std::vector<std::string> names;
        for (const CLI::Option* known : opts)
          for (const auto& l : known->get_lnames()) names.push_back("--" + l);
        std::vector<std::string_view> views(names.begin(), names.end());
        std::string near = tomlutil::DidYouMean(name, views);
        return "unknown option '" + name + "'" +
               (near.empty() ? "" : "; did you mean '" + near + "'?");
      }
      if (name.size() == w.size() && o->get_items_expected_min() > 0) ++i;  // its value
      continue;
    }
    CLI::App* sub = nullptr;
    try {
      sub = at->get_subcommand(w);
    } catch (const CLI::OptionNotFound&) {
    }
    if (sub) {
      at = sub;
      continue;
    }
    auto names = CommandNames(*at);
    if (names.empty()) continue;  // a positional argument
    std::vector<std::string_view> views(names.begin(), names.end());
    std::string near = tomlutil::DidYouMean(w, views);
    return "unknown command '" + w + "' for " + Path(app, *at) +
           (near.empty() ? "" : "; did you mean '" + near + "'?") + "\ncommands: " + Joined(names);
  }
  // Every word fitted: a command that takes commands was given none.
  auto names = CommandNames(*at);
  if (!names.empty()) return "'" + Path(app, *at) + "' needs a command: " + Joined(names);
  return "";
}

}  // namespace

std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::vector<std::string> words(argv + 1, argv + argc);
    std::string hint = Hint(app, words);
    std::cerr << "feedwatch: " << (hint.empty() ? e.what() : hint) << "\n"
              << "Run 'feedwatch --help' (or 'feedwatch COMMAND --help') for usage.\n";
    return kUsageError;
  }
}

}  // namespace feedwatch
