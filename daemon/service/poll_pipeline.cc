#include "feedwatch/poll_pipeline.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "feedwatch/util.h"

namespace feedwatch::service {

using fetch::PolledFeed;

PollPipeline::PollPipeline(Rooms rooms,
                           std::function<std::shared_ptr<const LoadedConfig>()> generation,
                           std::function<void()> alerts_queued)
    : r_(rooms), generation_(std::move(generation)), alerts_queued_(std::move(alerts_queued)) {}

// A 2xx body goes to the workers with the rules and sinks of this moment:
// a reload swaps them for the next polls without disturbing this one.
void PollPipeline::Start(PolledFeed& f, HttpResponse resp) {
  // A priming poll alerts nothing: only the keys are needed, not matching.
  bool priming = IsPrimingPoll(f.spec->prime, f.state);
  asio::post(r_.workers, [this, &f, gen = generation_(), feed_owner = f.owner, spec = f.spec,
                          priming, known = f.state.last_keys, resp = std::move(resp)]() mutable {
    static thread_local bool named = (SetThreadName("fw-parse"), true);
    (void)named;
    PollJobResult p = RunPollJob({*spec, *gen->matcher, gen->config.sinks, resp, priming,
                                  gen->config.daemon.archive, known.get(), r_.clock.WallSeconds(),
                                  gen->config.daemon.story_window.count() > 0});
    std::string etag = std::move(resp.etag), last_modified = std::move(resp.last_modified);
    resp = HttpResponse();  // free the body on the worker, before the post back
    // An archived priming poll carries every entry of its feed, text and
    // all, and is the slowest to record: it keeps its fetch slot until it is
    // recorded, so a first cycle's entries never all wait in memory at once
    // (3,000 generated feeds: peak RSS 77 MB instead of 430).
    bool hold = priming && gen->config.daemon.archive;
    asio::post(r_.io, [this, &f, p = std::move(p), etag = std::move(etag),
                       last_modified = std::move(last_modified), hold]() mutable {
      if (!hold || !p.status.ok()) r_.scheduler.ReleaseBodySlot();
      OnJobDone(f, std::move(p), etag, last_modified, hold && p.status.ok());
    });
  });
}

void PollPipeline::OnJobDone(PolledFeed& f, PollJobResult p, const std::string& etag,
                             const std::string& last_modified, bool release_slot) {
  if (!p.status.ok()) {
    ++r_.metrics.parse_error;
    // The parser names the URL; the scheduler's log line does already.
    std::string msg = p.status.message();
    if (msg.rfind(f.spec->url + ": ", 0) == 0) msg.erase(0, f.spec->url.size() + 2);
    return r_.scheduler.Failed(f, msg);
  }
  r_.metrics.entries_parsed += p.entries;
  for (const auto& w : p.warnings) spdlog::warn("feed {}: {}", DisplayUrl(f.spec->url), w);
  r_.stats.entries += static_cast<std::int64_t>(p.entries);
  r_.stats.matched_entries += static_cast<std::int64_t>(p.matched_entries);
  auto delay = r_.scheduler.Parsed(f, etag, last_modified, p.update_hint_seconds, p.keys_hash);
  std::shared_ptr<const std::vector<std::uint64_t>> keys = std::move(p.keys);
  FeedState persist = f.state;
  persist.last_keys = keys;
  PollRecord record{f.spec->url,
                    f.spec->prime,
                    std::move(p.polled),
                    std::move(persist),
                    std::move(p.feed_title),
                    generation_()->config.daemon.story_window.count()};
  r_.recorder.RecordPoll(std::move(record), [this, &f, entries = p.entries, matches = p.matches,
                                             delay, keys, release_slot](Result<PollOutcome> out) {
    if (release_slot) r_.scheduler.ReleaseBodySlot();
    if (!out.ok()) {
      // Nothing was recorded: the same entries are new again next poll.
      spdlog::error("feed {}: could not record poll: {}", DisplayUrl(f.spec->url),
                    out.status().message());
      ++r_.stats.feeds_failed;
    } else {
      f.state.primed = true;
      f.state.last_keys = keys;
      Count(f, *out, entries, matches);
      if (!once_)
        r_.recorder.PruneSeenIfDue(f.spec->url, f.spec->name, keys,
                                   generation_()->config.daemon.seen_retention);
      if (out->alerts_queued > 0) alerts_queued_();
    }
    r_.scheduler.Done(f, delay);
  });
}

void PollPipeline::Count(const PolledFeed& f, const PollOutcome& out, std::size_t entries,
                         std::size_t matches) {
  ++r_.stats.feeds_polled;
  r_.stats.new_entries += out.new_entries;
  r_.stats.alerts_queued += out.alerts_queued;
  r_.metrics.entries_new += static_cast<std::uint64_t>(out.new_entries);
  r_.metrics.alerts_queued += static_cast<std::uint64_t>(out.alerts_queued);
  for (const auto& rule : out.matched_rules) ++r_.metrics.matches_by_rule[rule];
  r_.metrics.stories_new += static_cast<std::uint64_t>(out.stories_new);
  r_.metrics.stories_joined += static_cast<std::uint64_t>(out.stories_joined);
  r_.metrics.alerts_grouped += static_cast<std::uint64_t>(out.alerts_grouped);
  if (out.primed_now) {
    ++r_.stats.feeds_primed;
    spdlog::info("feed {}: first poll, {} entries recorded as seen without alerting (prime = true)",
                 f.spec->name, out.new_entries);
    return;
  }
  if (out.new_entries > 0) r_.stats.matches += static_cast<std::int64_t>(matches);
  auto level = out.new_entries > 0 ? spdlog::level::info : spdlog::level::debug;
  if (out.alerts_grouped > 0) {
    spdlog::log(level,
                "feed {}: {} entries, {} new, {} alerts queued, {} held back (story sent already)",
                f.spec->name, entries, out.new_entries, out.alerts_queued, out.alerts_grouped);
  } else {
    spdlog::log(level, "feed {}: {} entries, {} new, {} alerts queued", f.spec->name, entries,
                out.new_entries, out.alerts_queued);
  }
}

}  // namespace feedwatch::service
