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
  if (cmd.last > 0 && cmd.send_sink.empty()) {
    err << "--last chooses what --send queues: give --send SINK\n";
    return kExitBadSetup;
  }
  if (!cmd.send_sink.empty()) {
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
  struct ToSend {
    std::int64_t when_ms;  // published, else first seen
    std::string feed_url;
    NewAlert alert;
  };
  std::vector<ToSend> to_send;
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
    // With --rules, what they add; without, what the rules in force raise.
    if (send_to && (cmd.rule_paths.empty() || hit.change == service::Change::kAdded)) {
      MatchContext ctx{hit.feed.name, hit.archived.feed_title, &hit.feed.tags,
                       hit.archived.first_seen_ms / 1000};
      std::vector<Highlight> highlights = tested->Explain(e, ctx, hit.rule_index).highlights;
      to_send.push_back({DatedMs(e.published, hit.archived.first_seen_ms), hit.archived.feed_url,
                         deliver::AlertFor({hit.rule, hit.feed, hit.archived.feed_title, e,
                                            highlights, now_ms / 1000},
                                           send_to->name)});
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
    if (cmd.last > 0 && to_send.size() > cmd.last) {
      std::stable_sort(to_send.begin(), to_send.end(),
                       [](const ToSend& a, const ToSend& b) { return a.when_ms > b.when_ms; });
      to_send.resize(cmd.last);
    }
    std::map<std::string, std::vector<NewAlert>> by_feed;
    for (ToSend& t : to_send) by_feed[t.feed_url].push_back(std::move(t.alert));
    int queued = 0, would = 0;
    for (const auto& [feed_url, alerts] : by_feed) {
      auto n = writer->QueueAlerts(feed_url, alerts, UnixNowMs());
      if (!n.ok()) {
        err << n.status().message() << "\n";
        return kExitFailed;
      }
      queued += *n;
      would += static_cast<int>(alerts.size());
    }
    err << "queued " << queued << " alerts to sink " << send_to->name << " (" << (would - queued)
        << " were queued before); "
        << (StateLockHolder(cfg->daemon.state_dir) != 0
                ? "the running daemon sends them within seconds\n"
                : "no daemon runs on this state: `feedwatch run` (or run --once) sends them\n");
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
  AddJsonSwitch(backtest_cmd, backtest->format, "jsonl");
  backtest_cmd->add_option("--examples", backtest->examples, "recent matches shown per rule")
      ->capture_default_str();
  backtest_cmd->add_option("--send", backtest->send_sink,
                           "queue to this sink the alerts --rules would add, or without --rules "
                           "those the rules in force raise (each sent once)");
  backtest_cmd->add_option("--last", backtest->last,
                           "with --send: only the N latest (by publication date)");

  backtest_cmd->callback([&ctx, backtest] {
    ctx.Choose([=] { return CmdBacktest(*backtest, std::cout, std::cerr); });
  });
}

}  // namespace feedwatch
