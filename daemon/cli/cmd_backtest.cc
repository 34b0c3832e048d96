// `feedwatch backtest`: rules over the entries archive, as if they had been in
// force when each entry arrived.
#include <map>
#include <ostream>

#include <iostream>
#include <memory>

#include "feedwatch/backtest.h"
#include "feedwatch/cli.h"
#include "feedwatch/commands.h"
#include "feedwatch/router.h"
#include "feedwatch/util.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

int CmdBacktest(const BacktestCommand& cmd, std::ostream& out, std::ostream& err) {
  auto args = ArchiveArgsOr(cmd.config_path, cmd.format, cmd.since, cmd.feeds, cmd.tags, err);
  if (!args) return kExitBadSetup;
  const Config* cfg = &args->config;
  std::int64_t now_ms = args->now_ms;
  auto in_force = LoadMatcher({}, cmd.config_path);
  if (!in_force.ok()) {
    err << in_force.status().message() << "\n";
    return kExitBadSetup;
  }
  std::shared_ptr<const Matcher> tested = *in_force;
  if (!cmd.rule_paths.empty()) {
    auto given = LoadMatcher(cmd.rule_paths, "");
    if (!given.ok()) {
      err << given.status().message() << "\n";
      return kExitBadSetup;
    }
    tested = *given;
  }
  const SinkSpec* send_to = nullptr;
  if (!cmd.send_sink.empty()) {
    if (cmd.rule_paths.empty()) {
      err << "--send queues what new or changed rules would add: give them with --rules\n";
      return kExitBadSetup;
    }
    for (const SinkSpec& s : cfg->sinks)
      if (s.name == cmd.send_sink) send_to = &s;
    if (!send_to) {
      err << cfg->path << ": no sink named '" << cmd.send_sink << "'\n";
      return kExitBadSetup;
    }
  }
  auto store = OpenArchiveOr(*cfg, err);
  if (!store) return kExitBadSetup;

  service::BacktestSpec spec{.config = *cfg, .rules = *tested};
  if (!cmd.rule_paths.empty()) spec.in_force = in_force->get();
  spec.since_ms = args->since_ms;
  spec.feed_urls = args->feed_urls;
  spec.examples = cmd.examples;
  std::map<std::string, std::vector<NewAlert>> to_send;  // per feed URL
  std::string lines;
  auto on_hit = [&](const service::BacktestHit& hit) {
    const Entry& e = hit.archived.entry;
    if (cmd.format == "jsonl") {
      std::string extra;
      if (spec.in_force) extra = ",\"change\":\"" + std::string(ChangeName(hit.change)) + "\"";
      AppendMatchLine(lines, hit.rule.id, hit.feed.name, e, extra);
      if (lines.size() > (1 << 16)) {
        out << lines;
        lines.clear();
      }
    }
    if (send_to && hit.change == service::Change::kAdded) {
      MatchContext ctx{hit.feed.name, hit.archived.feed_title, &hit.feed.tags,
                       hit.archived.first_seen_ms / 1000};
      std::vector<Highlight> highlights = tested->Explain(e, ctx, hit.rule_index).highlights;
      to_send[hit.archived.feed_url].push_back(deliver::AlertFor(
          {hit.rule, hit.feed, hit.archived.feed_title, e, highlights, now_ms / 1000},
          send_to->name));
    }
  };
  auto report = service::RunBacktest(*store, spec, on_hit);
  out << lines;
  if (!report.ok()) {
    err << report.status().message() << "\n";
    return kExitFailed;
  }
  if (cmd.format == "text") out << service::RenderBacktestText(*report, now_ms);
  if (send_to) {
    auto writer = OpenStoreOr(cfg->daemon.state_dir, err);
    if (!writer) return kExitBadSetup;
    int queued = 0, would = 0;
    for (const auto& [feed_url, alerts] : to_send) {
      auto n = writer->QueueAlerts(feed_url, alerts, UnixNowMs());
      if (!n.ok()) {
        err << n.status().message() << "\n";
        return kExitFailed;
      }
      queued += *n;
      would += static_cast<int>(alerts.size());
    }
    err << "queued " << queued << " alerts to sink " << send_to->name << " (" << (would - queued)
        << " were queued before); the daemon sends them within seconds\n";
  }
  return kExitOk;
}

void RegisterBacktestCommand(CLI::App& app, CliContext& ctx) {
  auto backtest = std::make_shared<BacktestCommand>();
  auto* backtest_cmd = app.add_subcommand(
      "backtest", "what rules would have caught over the archived entries (read-only)");
  AddConfigOption(backtest_cmd, backtest->config_path, ctx);
  backtest_cmd
      ->add_option("-r,--rules", backtest->rule_paths,
                   "new or changed rule file, directory or glob (repeatable); compared with the "
                   "rules in force")
      ->allow_extra_args(false);
  backtest_cmd->add_option("--since", backtest->since, "how far back: 7d, 36h, 2w or all")
      ->capture_default_str();
  backtest_cmd->add_option("--feed", backtest->feeds, "only this feed (repeatable)")
      ->allow_extra_args(false);
  backtest_cmd->add_option("--tag", backtest->tags, "only feeds with this tag (repeatable)")
      ->allow_extra_args(false);
  backtest_cmd->add_option("--format", backtest->format, "text or jsonl (scan's lines)")
      ->check(CLI::IsMember({"text", "jsonl"}))
      ->capture_default_str();
  backtest_cmd->add_option("--examples", backtest->examples, "recent matches shown per rule")
      ->capture_default_str();
  backtest_cmd->add_option("--send", backtest->send_sink,
                           "queue the alerts --rules would add to this sink (sent once)");

  backtest_cmd->callback([&ctx, backtest] {
    ctx.Choose([=] { return CmdBacktest(*backtest, std::cout, std::cerr); });
  });
}

}  // namespace feedwatch
