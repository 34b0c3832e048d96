#include "feedwatch/poll_pipeline.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "feedwatch/util.h"

namespace feedwatch::service {

using fetch::PolledFeed;

namespace {

// The scheduler as a document source: one poll of one feed. It keeps the
// config generation the poll started with, so a reload that replaces the
// feed's spec meanwhile does not pull it from under the job.
class Scheduled final : public DocumentSource {
 public:
  Scheduled(fetch::Scheduler& scheduler, PolledFeed& f)
      : scheduler_(scheduler), f_(f), owner_(f.owner), spec_(f.spec) {}
  const FeedSpec& spec() const override { return *spec_; }
  const FeedState& state() const override { return f_.state; }
  void ReleaseBody() override { scheduler_.ReleaseBodySlot(); }
  void Failed(const std::string& reason) override { scheduler_.Failed(f_, reason); }
  std::chrono::milliseconds Parsed(const std::string& etag, const std::string& last_modified,
                                   std::optional<std::int64_t> update_hint_seconds,
                                   std::uint64_t keys_hash) override {
    return scheduler_.Parsed(f_, etag, last_modified, update_hint_seconds, keys_hash);
  }
  void Finished(bool recorded, std::shared_ptr<const std::vector<std::uint64_t>> keys,
                std::chrono::milliseconds next) override {
    if (recorded) {
      f_.state.primed = true;
      f_.state.last_keys = std::move(keys);
    }
    scheduler_.Done(f_, next);
  }

 private:
  fetch::Scheduler& scheduler_;
  PolledFeed& f_;
  std::shared_ptr<const void> owner_;
  const FeedSpec* spec_;
};

}  // namespace

std::shared_ptr<DocumentSource> ScheduledPoll(fetch::Scheduler& scheduler, PolledFeed& f) {
  return std::make_shared<Scheduled>(scheduler, f);
}

PollPipeline::PollPipeline(Rooms rooms,
                           std::function<std::shared_ptr<const LoadedConfig>()> generation,
                           std::function<void()> alerts_queued)
    : r_(rooms), generation_(std::move(generation)), alerts_queued_(std::move(alerts_queued)) {}

// A document goes to the workers with the rules and sinks of this moment:
// a reload swaps them for the next documents without disturbing this one.
void PollPipeline::Start(std::shared_ptr<DocumentSource> source, HttpResponse resp) {
  const FeedSpec& spec = source->spec();
  // A priming poll alerts nothing: only the keys are needed, not matching.
  bool priming = IsPrimingPoll(spec.prime, source->state());
  asio::post(r_.workers, [this, source, gen = generation_(), priming,
                          known = source->state().last_keys, resp = std::move(resp)]() mutable {
    static thread_local bool named = (SetThreadName("fw-parse"), true);
    (void)named;
    PollJobResult p = RunPollJob({source->spec(), *gen->matcher, gen->config.sinks, resp, priming,
                                  gen->config.daemon.archive, known.get(), r_.clock.WallSeconds(),
                                  gen->config.daemon.story_window.count() > 0});
    std::string etag = std::move(resp.etag), last_modified = std::move(resp.last_modified);
    resp = HttpResponse();  // free the body on the worker, before the post back
    // An archived priming poll carries every entry of its feed, text and
    // all, and is the slowest to record: it keeps its fetch slot until it is
    // recorded, so a first cycle's entries never all wait in memory at once
    // (3,000 generated feeds: peak RSS 77 MB instead of 430).
    bool hold = priming && gen->config.daemon.archive;
    asio::post(r_.io, [this, source, p = std::move(p), etag = std::move(etag),
                       last_modified = std::move(last_modified), hold]() mutable {
      if (!hold || !p.status.ok()) source->ReleaseBody();
      OnJobDone(source, std::move(p), etag, last_modified, hold && p.status.ok());
    });
  });
}

void PollPipeline::OnJobDone(std::shared_ptr<DocumentSource> source, PollJobResult p,
                             const std::string& etag, const std::string& last_modified,
                             bool release_body) {
  const FeedSpec& spec = source->spec();
  if (!p.status.ok()) {
    ++r_.metrics.parse_error;
    // The parser names the URL; the scheduler's log line does already.
    std::string msg = p.status.message();
    if (msg.rfind(spec.url + ": ", 0) == 0) msg.erase(0, spec.url.size() + 2);
    return source->Failed(msg);
  }
  r_.metrics.entries_parsed += p.entries;
  for (const auto& w : p.warnings) spdlog::warn("feed {}: {}", DisplayUrl(spec.url), w);
  r_.metrics.entries_matched += static_cast<std::uint64_t>(p.matched_entries);
  auto delay = source->Parsed(etag, last_modified, p.update_hint_seconds, p.keys_hash);
  std::shared_ptr<const std::vector<std::uint64_t>> keys = std::move(p.keys);
  FeedState persist = source->state();
  persist.last_keys = keys;
  PollRecord record{spec.url,
                    spec.prime,
                    std::move(p.polled),
                    std::move(persist),
                    std::move(p.feed_title),
                    generation_()->config.daemon.story_window.count()};
  r_.recorder.RecordPoll(std::move(record), [this, source, entries = p.entries, matches = p.matches,
                                             delay, keys, release_body](Result<PollOutcome> out) {
    if (release_body) source->ReleaseBody();
    const FeedSpec& fs = source->spec();
    if (!out.ok()) {
      // Nothing was recorded: the same entries are new again next time.
      spdlog::error("feed {}: could not record poll: {}", DisplayUrl(fs.url),
                    out.status().message());
      ++r_.metrics.polls_failed;
    } else {
      Count(fs, *out, entries, matches);
      if (!once_)
        r_.recorder.PruneSeenIfDue(fs.url, fs.name, keys,
                                   generation_()->config.daemon.seen_retention);
      if (out->alerts_queued > 0) alerts_queued_();
    }
    source->Finished(out.ok(), keys, delay);
  });
}

void PollPipeline::Count(const FeedSpec& spec, const PollOutcome& out, std::size_t entries,
                         std::size_t matches) {
  ++r_.metrics.polls_recorded;
  r_.metrics.entries_new += static_cast<std::uint64_t>(out.new_entries);
  r_.metrics.alerts_queued += static_cast<std::uint64_t>(out.alerts_queued);
  for (const auto& rule : out.matched_rules) ++r_.metrics.matches_by_rule[rule];
  r_.metrics.stories_new += static_cast<std::uint64_t>(out.stories_new);
  r_.metrics.stories_joined += static_cast<std::uint64_t>(out.stories_joined);
  r_.metrics.alerts_grouped += static_cast<std::uint64_t>(out.alerts_grouped);
  if (out.primed_now) {
    ++r_.metrics.feeds_primed;
    spdlog::info("feed {}: first poll, {} entries recorded as seen without alerting (prime = true)",
                 spec.name, out.new_entries);
    return;
  }
  if (out.new_entries > 0) r_.metrics.matches += static_cast<std::uint64_t>(matches);
  auto level = out.new_entries > 0 ? spdlog::level::info : spdlog::level::debug;
  if (out.alerts_grouped > 0) {
    spdlog::log(level,
                "feed {}: {} entries, {} new, {} alerts queued, {} held back (story sent already)",
                spec.name, entries, out.new_entries, out.alerts_queued, out.alerts_grouped);
  } else {
    spdlog::log(level, "feed {}: {} entries, {} new, {} alerts queued", spec.name, entries,
                out.new_entries, out.alerts_queued);
  }
}

}  // namespace feedwatch::service
