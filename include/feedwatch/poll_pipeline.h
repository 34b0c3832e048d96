// The poll pipeline (service module): what happens to a document between
// its source and the dispatcher. The body goes to a worker with the config
// generation of this moment (RunPollJob), the result comes back to the loop,
// the source learns what the document said, the recorder writes the
// invariant transaction, and the dispatcher is woken when alerts were queued.
// The source is the scheduler for a poll (ScheduledPoll); a push (WebSub) or
// a test is another DocumentSource: the pipeline knows no scheduler.
//
// Loop thread only (the job itself runs on `workers`). Everything passed in
// must outlive it.
#pragma once

#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "feedwatch/clock.h"
#include "feedwatch/http_client.h"
#include "feedwatch/loaded_config.h"
#include "feedwatch/metrics.h"
#include "feedwatch/poll_job.h"
#include "feedwatch/poll_record.h"
#include "feedwatch/scheduler.h"

namespace feedwatch::service {

// Where a document came from, and what learns how it went: twice, on the
// loop. ReleaseBody, then either Failed (the end) or Parsed and, once the
// invariant transaction is over, Finished (the end).
class DocumentSource {
 public:
  virtual ~DocumentSource() = default;
  // The feed the document belongs to, and what is known of it (the keys of
  // its last document; whether it was ever primed). Both stay valid until
  // Finished or Failed.
  virtual const FeedSpec& spec() const = 0;
  virtual const FeedState& state() const = 0;
  // The body was parsed: whatever it held (a fetch slot) is free.
  virtual void ReleaseBody() = 0;
  // The document could not be read: the end.
  virtual void Failed(const std::string& reason) = 0;
  // What the document said; returns when the next one is wanted. The state
  // to record is state() as it is after this call.
  virtual std::chrono::milliseconds Parsed(const std::string& etag,
                                           const std::string& last_modified,
                                           std::optional<std::int64_t> update_hint_seconds,
                                           std::uint64_t keys_hash) = 0;
  // The end. `recorded`: the invariant transaction committed (the entries
  // are seen now, `keys` the document's), or not (they are new again next
  // time). The next document is wanted after `next`.
  virtual void Finished(bool recorded, std::shared_ptr<const std::vector<std::uint64_t>> keys,
                        std::chrono::milliseconds next) = 0;
};

// A poll's document: the scheduler's feed, which it keeps until Done.
std::shared_ptr<DocumentSource> ScheduledPoll(fetch::Scheduler& scheduler, fetch::PolledFeed& f);

class PollPipeline {
 public:
  struct Rooms {
    asio::io_context& io;
    asio::thread_pool& workers;
    PollSink& recorder;
    const Clock& clock;
    Metrics& metrics;
  };
  // `generation()`: the config and rules in force; `alerts_queued()`: wake
  // the dispatcher.
  PollPipeline(Rooms rooms, std::function<std::shared_ptr<const LoadedConfig>()> generation,
               std::function<void()> alerts_queued);

  // Once mode: no retention passes.
  void SetOnce(bool once) { once_ = once; }

  // A document (a 2xx response: its body, content type, URL and validators)
  // from `source`, which the pipeline keeps until it is Finished or Failed.
  void Start(std::shared_ptr<DocumentSource> source, HttpResponse resp);

 private:
  // `release_body`: the body is still held, to be released once recorded.
  void OnJobDone(std::shared_ptr<DocumentSource> source, PollJobResult p, const std::string& etag,
                 const std::string& last_modified, bool release_body);
  void Count(const FeedSpec& spec, const PollOutcome& out, std::size_t entries,
             std::size_t matches);

  Rooms r_;
  std::function<std::shared_ptr<const LoadedConfig>()> generation_;
  std::function<void()> alerts_queued_;
  bool once_ = false;
};

}  // namespace feedwatch::service
