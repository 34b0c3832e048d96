// `feedwatch status`: the config's feeds with their last result and next poll, and
// the outbox counts, read from the state file (safe while the daemon runs).
#include <iostream>
#include <memory>

#include "feedwatch/cli.h"
#include "feedwatch/commands.h"

#include <algorithm>
#include <map>

#include "feedwatch/config.h"
#include "feedwatch/state_view.h"
#include "feedwatch/util.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

int CmdStatus(const std::string& config_path, std::ostream& out, std::ostream& err) {
  auto cfg = LoadConfigOr(config_path, err);
  if (!cfg) return kExitBadSetup;
  auto store = OpenStoreOr(cfg->daemon.state_dir, err);
  if (!store) return kExitBadSetup;
  auto states = store->FeedStatuses();
  auto counts = store->CountOutbox();
  if (!states.ok() || !counts.ok()) {
    err << (states.ok() ? counts.status() : states.status()).message() << "\n";
    return kExitFailed;
  }
  std::map<std::string, const FeedStatus*> by_url;
  for (const auto& s : *states) by_url[s.url] = &s;
  std::int64_t now = UnixNowMs();
  auto ago = [&](std::int64_t ms) {
    if (ms <= 0) return std::string("never");
    return FormatDuration(std::chrono::milliseconds((now - ms) / 1000 * 1000)) + " ago";
  };
  int failing = 0;
  for (const auto& f : cfg->feeds) {
    auto it = by_url.find(f.url);
    if (it == by_url.end()) {
      out << f.name << "  " << DisplayUrl(f.url) << "\n    not polled yet\n";
      continue;
    }
    const FeedStatus& s = *it->second;
    failing += s.consecutive_failures > 0;
    out << f.name << "  " << DisplayUrl(f.url) << "\n    last poll " << ago(s.last_poll_ms) << ": "
        << s.last_status;
    if (s.last_http_status) out << " (HTTP " << s.last_http_status << ")";
    if (s.consecutive_failures)
      out << ", " << s.consecutive_failures << " consecutive failures: " << s.last_error;
    out << "\n    next due "
        << (s.next_due_ms > now
                ? "in " +
                      FormatDuration(std::chrono::milliseconds((s.next_due_ms - now) / 1000 * 1000))
                : std::string("now"))
        << ", " << s.seen_entries << " entries seen\n";
  }
  out << cfg->feeds.size() << " feeds, " << failing << " failing; outbox: " << counts->pending
      << " pending, " << counts->delivered << " delivered, " << counts->dead << " dead";
  if (auto archive = store->ArchiveStatsFor(); archive.ok() && archive->entries > 0) {
    out << "; archive: " << archive->entries << " entries, the oldest first seen "
        << ago(archive->oldest_ms);
  } else if (!cfg->daemon.archive) {
    out << "; archive off";
  }
  out << "\n";
  // Stories of the last window: how many, how many copies were grouped into
  // them, and the most widely carried.
  if (auto window = cfg->daemon.story_window.count(); window > 0) {
    auto counts_s = store->CountStories(now - window);
    auto recent = store->RecentStories(now - window, 200);
    if (counts_s.ok() && recent.ok()) {
      out << "stories (last " << FormatDuration(cfg->daemon.story_window)
          << "): " << counts_s->stories << ", " << counts_s->copies
          << " later copies grouped into them\n";
      std::stable_sort(
          recent->begin(), recent->end(),
          [](const StorySummary& a, const StorySummary& b) { return a.sources > b.sources; });
      for (std::size_t i = 0; i < recent->size() && i < 5 && (*recent)[i].sources > 1; ++i) {
        const StorySummary& st = (*recent)[i];
        out << "    " << st.sources << " feeds: " << st.title << "  (first seen "
            << ago(st.first_seen_ms) << ")\n";
      }
    }
  }
  return kExitOk;
}

void RegisterStatusCommand(CLI::App& app, CliContext& ctx) {
  auto status_config = std::make_shared<std::string>();
  auto* status_cmd =
      app.add_subcommand("status", "list feeds with their last result and next due time");
  AddConfigOption(status_cmd, *status_config, ctx);

  status_cmd->callback([&ctx, status_config] {
    ctx.Choose([=] { return CmdStatus(*status_config, std::cout, std::cerr); });
  });
}

}  // namespace feedwatch
