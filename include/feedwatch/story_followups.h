// Story follow-ups (service module): for sinks with `stories = "updates"`,
// at most one message per story per `story_update_every` naming the outlets
// that carried it since the sink was last told (docs/stories.md); and story
// retention. The store says what is due (the copies each sink has not been
// told of are rows, written with the copy in the invariant transaction), the
// payload is built here, and queueing it marks those copies reported in one
// transaction: a crash in between sends nothing twice and loses nothing.
//
// Thread-safety: loop thread only. Holds the loop, the store thread, the
// clock and the metrics by reference: all must outlive it.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "feedwatch/clock.h"
#include "feedwatch/loaded_config.h"
#include "feedwatch/metrics.h"
#include "feedwatch/store_thread.h"

namespace feedwatch::service {

class StoryFollowUps {
 public:
  // `generation()`: the config and rules in force; `queued()`: wake the dispatcher.
  StoryFollowUps(asio::io_context& io, StoreThread& store, const Clock& clock, Metrics& metrics,
                 std::function<std::shared_ptr<const LoadedConfig>()> generation,
                 std::function<void()> queued);
  StoryFollowUps(const StoryFollowUps&) = delete;
  StoryFollowUps& operator=(const StoryFollowUps&) = delete;

  // Looks for due follow-ups every `tick`, and prunes old stories hourly.
  void Start(std::chrono::milliseconds tick);
  void Stop();

 private:
  void Pass();
  void Later();
  void Finished();
  void Prune();

  asio::io_context& io_;
  StoreThread& store_;
  const Clock& clock_;
  Metrics& metrics_;
  std::function<std::shared_ptr<const LoadedConfig>()> generation_;
  std::function<void()> queued_;
  std::chrono::milliseconds tick_{30000};
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point next_prune_{};
  bool stopped_ = false;
};

}  // namespace feedwatch::service
