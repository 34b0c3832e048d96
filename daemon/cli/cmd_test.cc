// `feedwatch test`: every rule's embedded examples.
#include <iostream>
#include <memory>

#include "feedwatch/cli.h"
#include "feedwatch/commands.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "feedwatch/match.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

namespace {

// Text for a terminal: a control character (a backspace from "\b" in a
// double-quoted TOML string) is shown as \xNN, never sent as is.
std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

int CmdTest(const std::vector<std::string>& rule_paths, const std::string& config_path,
            std::ostream& out, std::ostream& err) {
  auto matcher = LoadMatcher(rule_paths, config_path);
  if (!matcher.ok()) {
    err << matcher.status().message() << "\n";
    return kExitBadSetup;
  }
  const Matcher& m = **matcher;
  // The same checks as `feedwatch check`, and packs that test nothing.
  for (const auto& w : LintRules(m.rules())) err << "warning: " << Printable(w) << "\n";
  std::map<std::string, int> examples_per_file;
  for (const RuleSpec& rule : m.rules())
    examples_per_file[rule.file] += static_cast<int>(rule.examples.size());
  for (const auto& [file, n] : examples_per_file) {
    if (n == 0)
      err << "warning: " << file
          << ": no [[rule.test]] examples, so nothing in it was tested (add real headlines that "
             "should and should not match)\n";
  }
  int passed = 0, failed = 0;
  for (std::size_t r = 0; r < m.rules().size(); ++r) {
    const RuleSpec& rule = m.rules()[r];
    for (const RuleExample& ex : rule.examples) {
      MatchContext ctx;
      ctx.feed_title = ex.feed_title;
      ctx.ignore_scope = true;
      auto matched = m.Match(ex.entry, ctx);
      bool got = std::find(matched.begin(), matched.end(), r) != matched.end();
      Explanation why = m.Explain(ex.entry, ctx, r);
      if (got == ex.expect && why.matched == got) {
        ++passed;
        continue;
      }
      ++failed;
      out << "FAIL " << rule.file << ":" << ex.line << ": rule '" << rule.id << "': expected "
          << (ex.expect ? "a match" : "no match") << ", got " << (got ? "a match" : "none") << "\n";
      if (!ex.entry.title.empty()) out << "    title:   " << Quoted(ex.entry.title) << "\n";
      if (!ex.entry.summary.empty()) out << "    summary: " << Quoted(ex.entry.summary) << "\n";
      if (!ex.entry.content.empty()) out << "    content: " << Quoted(ex.entry.content) << "\n";
      for (const auto& h : why.held) out << "    held:    " << Printable(h) << "\n";
      for (const auto& f : why.failed) out << "    failed:  " << Printable(f) << "\n";
      if (why.matched != got)
        out << "    internal: the RE2::Set and per-pattern evaluation disagree\n";
    }
  }
  out << passed << " passed, " << failed << " failed\n";
  return failed ? kExitFailed : kExitOk;
}

void RegisterTestCommand(CLI::App& app, CliContext& ctx) {
  auto test_rules = std::make_shared<std::vector<std::string>>();
  auto test_config = std::make_shared<std::string>();
  auto* test_cmd = app.add_subcommand("test", "run the rules' embedded examples ([[rule.test]])");
  test_cmd->add_option("rules", *test_rules, "rule files or directories");
  test_cmd->add_option("-c,--config", *test_config, "take the rule files from this config");

  test_cmd->callback([&ctx, test_rules, test_config] {
    ctx.Choose([=] { return CmdTest(*test_rules, *test_config, std::cout, std::cerr); });
  });
}

}  // namespace feedwatch
