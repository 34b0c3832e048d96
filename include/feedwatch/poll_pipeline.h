// The poll pipeline (service module): what happens to a fetched body between
// the scheduler and the dispatcher. The body goes to a worker with the config
// generation of this moment (RunPollJob), the result comes back to the loop,
// the scheduler learns what the document said, the recorder writes the
// invariant transaction, and the dispatcher is woken when alerts were queued.
//
// Loop thread only (the job itself runs on `workers`). Everything passed in
// must outlive it.
#pragma once

#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <functional>
#include <memory>

#include "feedwatch/clock.h"
#include "feedwatch/daemon.h"
#include "feedwatch/http_client.h"
#include "feedwatch/metrics.h"
#include "feedwatch/poll_job.h"
#include "feedwatch/poll_recorder.h"
#include "feedwatch/scheduler.h"

namespace feedwatch::service {

class PollPipeline {
 public:
  struct Rooms {
    asio::io_context& io;
    asio::thread_pool& workers;
    fetch::Scheduler& scheduler;
    PollRecorder& recorder;
    const Clock& clock;
    Metrics& metrics;
    DaemonStats& stats;
  };
  // `generation()`: the config and rules in force; `alerts_queued()`: wake
  // the dispatcher.
  PollPipeline(Rooms rooms, std::function<std::shared_ptr<const LoadedConfig>()> generation,
               std::function<void()> alerts_queued);

  // Once mode: no retention passes.
  void SetOnce(bool once) { once_ = once; }

  // The scheduler's body hook: a 2xx response for `f`.
  void Start(fetch::PolledFeed& f, HttpResponse resp);

 private:
  // `release_slot`: the fetch slot is still held, to be released once the
  // poll is recorded.
  void OnJobDone(fetch::PolledFeed& f, PollJobResult p, const std::string& etag,
                 const std::string& last_modified, bool release_slot);
  void Count(const fetch::PolledFeed& f, const PollOutcome& out, std::size_t entries,
             std::size_t matches);

  Rooms r_;
  std::function<std::shared_ptr<const LoadedConfig>()> generation_;
  std::function<void()> alerts_queued_;
  bool once_ = false;
};

}  // namespace feedwatch::service
