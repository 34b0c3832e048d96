// `feedwatch test`: every rule's embedded examples.
#include "feedwatch/commands.h"

#include <algorithm>

#include "feedwatch/match.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

int CmdTest(const std::vector<std::string>& rule_paths, const std::string& config_path,
            std::ostream& out, std::ostream& err) {
  auto matcher = LoadMatcher(rule_paths, config_path);
  if (!matcher.ok()) {
    err << matcher.status().message() << "\n";
    return kExitBadSetup;
  }
  const Matcher& m = **matcher;
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
      for (const auto& h : why.held) out << "    held:    " << h << "\n";
      for (const auto& f : why.failed) out << "    failed:  " << f << "\n";
      if (why.matched != got)
        out << "    internal: the RE2::Set and per-pattern evaluation disagree\n";
    }
  }
  out << passed << " passed, " << failed << " failed\n";
  return failed ? kExitFailed : kExitOk;
}

}  // namespace feedwatch
