// `feedwatch search`: full-text search over the entries archive.
#include <map>
#include <ostream>

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "feedwatch/backtest.h"
#include "feedwatch/cli.h"
#include "feedwatch/commands.h"
#include "feedwatch/util.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

int CmdSearch(const SearchCommand& cmd, std::ostream& out, std::ostream& err) {
  auto args = ArchiveArgsOr(cmd.config_path, cmd.format, cmd.since, cmd.feeds, {}, err);
  if (!args) return kExitBadSetup;
  const Config* cfg = &args->config;
  auto store = OpenArchiveOr(*cfg, err);
  if (!store) return kExitBadSetup;
  SearchQuery q;
  q.query = cmd.query;
  q.since_ms = args->since_ms;
  q.feed_urls = args->feed_urls;
  q.limit = cmd.limit;
  q.now_ms = args->now_ms;
  if (cmd.color) {
    q.mark_open = "\x1b[1m";
    q.mark_close = "\x1b[0m";
  }
  auto hits = store->Search(q);
  if (!hits.ok()) {
    err << hits.status().message() << "\n";
    return hits.status().kind() == Status::Kind::kInvalidArgument ? kExitBadSetup : kExitFailed;
  }
  std::map<std::string, std::string> names;
  for (const FeedSpec& f : cfg->feeds) names[f.url] = f.name;
  for (const SearchHit& h : *hits) {
    auto it = names.find(h.feed_url);
    const std::string feed = it != names.end() ? it->second : DisplayUrl(h.feed_url);
    if (cmd.format == "jsonl") {
      out << service::SearchHitJson(h, feed).dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace)
          << "\n";
      continue;
    }
    out << FormatUtcMinute(DatedMs(h.published, h.first_seen_ms) / 1000) << "  " << feed << "  "
        << h.title_marked << "\n";
    if (!h.link.empty()) out << "    " << h.link << "\n";
    if (!h.snippet.empty()) out << "    " << h.snippet << "\n";
  }
  err << hits->size() << (hits->size() == 1 ? " entry" : " entries") << " found"
      << (hits->size() == cmd.limit ? " (the limit: --limit N for more)" : "") << "\n";
  return kExitOk;
}

void RegisterSearchCommand(CLI::App& app, CliContext& ctx) {
  auto search = std::make_shared<SearchCommand>();
  auto* search_cmd =
      app.add_subcommand("search", "full-text search over the archived entries (read-only)");
  AddConfigOption(search_cmd, search->config_path, ctx);
  search_cmd
      ->add_option("query", search->query,
                   "FTS5 query: words, \"a phrase\", OR, NOT, NEAR(a b, 10), prefix*")
      ->required();
  search_cmd->add_option("--since", search->since, "how far back: 7d, 36h, 2w (default: all)");
  search_cmd->add_option("--feed", search->feeds, "only this feed (repeatable)")
      ->allow_extra_args(false);
  search_cmd->add_option("-n,--limit", search->limit, "at most this many")->capture_default_str();
  search_cmd->add_option("--format", search->format, "text or jsonl")
      ->check(CLI::IsMember({"text", "jsonl"}))
      ->capture_default_str();
  AddJsonSwitch(search_cmd, search->format, "jsonl");

  search_cmd->callback([&ctx, search] {
    ctx.Choose([=] {
      search->color = isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;
      return CmdSearch(*search, std::cout, std::cerr);
    });
  });
}

}  // namespace feedwatch
