#include "feedwatch/story_followups.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "feedwatch/payload.h"
#include "feedwatch/router.h"
#include "feedwatch/util.h"

namespace feedwatch::service {

namespace {
constexpr int kStoryPruneChunk = 1000;
// Stories are kept at least this long after their last copy, for `status`
// and the admin endpoint, and at least twice the window.
constexpr std::int64_t kStoryKeepMs = 7LL * 24 * 3600 * 1000;
}  // namespace

StoryFollowUps::StoryFollowUps(asio::io_context& io, StoreThread& store, const Clock& clock,
                               Metrics& metrics,
                               std::function<std::shared_ptr<const LoadedConfig>()> generation,
                               std::function<void()> queued)
    : io_(io),
      store_(store),
      clock_(clock),
      metrics_(metrics),
      generation_(std::move(generation)),
      queued_(std::move(queued)),
      timer_(io) {}

void StoryFollowUps::Start(std::chrono::milliseconds tick) {
  tick_ = tick;
  next_prune_ = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  Later();
}

void StoryFollowUps::Stop() {
  stopped_ = true;
  timer_.cancel();
}

void StoryFollowUps::Later() {
  if (stopped_) return;
  timer_.expires_after(tick_);
  timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) Pass();
  });
}

// A pass is over (whatever it found): counted, so an operator (and a test)
// can tell the follow-ups are being looked for, then the next one.
void StoryFollowUps::Finished() {
  ++metrics_.story_checks;
  Later();
}

void StoryFollowUps::Pass() {
  if (std::chrono::steady_clock::now() >= next_prune_) {
    next_prune_ = std::chrono::steady_clock::now() + std::chrono::hours(1);
    Prune();
  }
  auto gen = generation_();
  std::map<std::string, std::int64_t> every;
  for (const SinkSpec& s : gen->config.sinks)
    if (s.stories == StoryMode::kUpdates) every[s.name] = s.story_update_every.count();
  if (every.empty()) return Finished();
  std::int64_t now = clock_.WallMs();
  store_.Run(
      io_, [every = std::move(every), now](Store& s) { return s.stories().DueUpdates(every, now); },
      [this, gen, now](Result<std::vector<StoryUpdate>> due) {
        if (!due.ok()) {
          spdlog::error("story follow-ups: {}", due.status().message());
          return Finished();
        }
        if (due->empty()) return Finished();
        std::map<std::string, std::string> names;
        for (const FeedSpec& f : gen->config.feeds) names[f.url] = f.name;
        std::vector<std::pair<StoryUpdate, NewAlert>> batch;
        for (StoryUpdate& u : *due) {
          NewAlert a;
          a.alert_id = deliver::StoryUpdateId(u);
          a.sink = u.sink;
          a.payload =
              BuildStoryUpdatePayload(u, a.alert_id, names, gen->matcher->rules(), now / 1000);
          for (const StoryMember& m : u.story.members)
            for (const auto& r : m.rules) AppendUnique(a.rules, r);
          a.rule_id = a.rules.empty() ? "" : a.rules.front();
          a.mode = StoryMode::kUpdates;
          batch.emplace_back(std::move(u), std::move(a));
        }
        std::size_t n = batch.size();
        store_.Run(
            io_,
            [batch = std::move(batch), now](Store& s) {
              return s.stories().QueueUpdates(batch, now);
            },
            [this, n](Status st) {
              if (!st.ok()) {
                spdlog::error("story follow-ups: {}", st.message());
              } else {
                metrics_.story_updates += n;
                spdlog::info("stories: {} follow-up(s) queued", n);
                queued_();
              }
              Finished();
            });
      });
}

void StoryFollowUps::Prune() {
  auto gen = generation_();
  std::int64_t keep = std::max(kStoryKeepMs, 2 * gen->config.daemon.story_window.count());
  std::int64_t cutoff = clock_.WallMs() - keep;
  store_.Run(
      io_, [cutoff](Store& s) { return s.stories().Prune(cutoff, kStoryPruneChunk); },
      [this](Result<int> n) {
        if (!n.ok()) {
          spdlog::error("story retention: {}", n.status().message());
        } else if (*n > 0) {
          metrics_.stories_pruned += static_cast<std::uint64_t>(*n);
          spdlog::debug("retention: {} old stories forgotten", *n);
          // More than a chunk: the next pass goes on.
          if (*n == kStoryPruneChunk) next_prune_ = std::chrono::steady_clock::now();
        }
      });
}

}  // namespace feedwatch::service
