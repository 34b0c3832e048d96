// The daemon as wiring: it owns the rooms and connects them in pipeline order.
//   fetch::Scheduler --body--> service::PollPipeline: RunPollJob on a worker
//    (timers, slots,            (parse, skip known, match, deliver::Route),
//     backoff, 304s)            then PollRecorder (store thread: the invariant
//                               transaction) --Kick--> deliver::Dispatcher
//
// Reload, the admin side, the state file's guard, the vitals and systemd
// supervision are rooms of their own (reload.cc, admin/admin_host.cc,
// state_guard.cc, vitals.cc, supervisor.cc); this file decides only who owns
// what, the order of start and stop, and which counters 304s and failures move.
#include "feedwatch/daemon.h"

#include <spdlog/spdlog.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <map>
#include <thread>

#include "feedwatch/admin_host.h"
#include "feedwatch/deliver.h"
#include "feedwatch/http_client.h"
#include "feedwatch/notify.h"
#include "feedwatch/poll_pipeline.h"
#include "feedwatch/poll_recorder.h"
#include "feedwatch/reload.h"
#include "feedwatch/scheduler.h"
#include "feedwatch/state_guard.h"
#include "feedwatch/store_thread.h"
#include "feedwatch/story_followups.h"
#include "feedwatch/supervisor.h"
#include "feedwatch/util.h"
#include "feedwatch/vitals.h"

namespace feedwatch {

using fetch::PolledFeed;

class Daemon::Impl {
 public:
  Impl(std::shared_ptr<const LoadedConfig> gen, DaemonStats& stats, std::unique_ptr<Store> store,
       const Clock& clock)
      : gen_(std::move(gen)),
        stats_(stats),
        clock_(clock),
        http_(io_),
        store_(std::move(store)),
        workers_(std::max(1u, std::thread::hardware_concurrency())),
        dispatcher_(io_, store_.As<OutboxQueue>(), http_, ConfigOf(gen_), clock_),
        scheduler_(io_, http_, clock_, metrics_, SchedulerHooks()),
        recorder_(io_, store_, clock_, metrics_),
        reloader_(io_, workers_, ReloadHooks()),
        supervisor_(io_, SupervisorHooks()) {
    scheduler_.SetSettings(SettingsOf(gen_));
    dispatcher_.SetRuleBudgets(gen_->matcher->rules());
  }

  ~Impl() {
    admin_.Stop();    // archive queries still running stop at their next step
    workers_.join();  // a poll job ends with its parse
  }

  Status Run(const RunOptions& opt, bool beside_a_daemon) {
    once_ = opt.once;
    beside_ = beside_a_daemon;  // once mode while a daemon runs on the same state
    scheduler_.SetOnce(once_);
    pipeline_.SetOnce(once_);
    metrics_.start_time_seconds = static_cast<double>(clock_.WallSeconds());
    vitals_.Started(clock_.WallMs());
    if (opt.handle_signals) supervisor_.HandleSignals(/*reload_on_hup=*/!once_);
    if (!once_) {
      if (Status st = admin_.Start(cfg()); !st.ok()) return st;
    }
    spdlog::info("feedwatch started: {} feeds, {} rules, {} sinks, state in {}", cfg().feeds.size(),
                 gen_->matcher->rules().size(), cfg().sinks.size(), cfg().daemon.state_dir);
    // Resume what the state file remembers: validators, failures, next due.
    auto known = recorder_.LoadStoredFeeds();
    recorder_.RefreshOutboxGauges();
    for (const auto& spec : cfg().feeds) {
      auto it = known.find(spec.url);
      scheduler_.Add(spec, gen_, it == known.end() ? nullptr : &it->second);
    }
    if (once_ && scheduler_.busy() == 0) FinishCycle();
    if (!once_) {
      dispatcher_.Kick();  // alerts left from a previous run
      supervisor_.StartTimers();
      recorder_.StartOutboxRetention([this] { return cfg().daemon.delivered_retention; });
      recorder_.StartArchiveRetention([this] {
        return service::PollRecorder::ArchiveLimits{cfg().daemon.archive_retention,
                                                    cfg().daemon.archive_max_size};
      });
      follow_ups_.Start(opt.story_tick);
      state_.Start();
      notify::Ready(vitals_.StatusLine());
      if (opt.on_ready) opt.on_ready(admin_.port());
    }
    io_.run();
    // The loop has stopped: blocking calls to the store thread are fine now.
    recorder_.FlushAtExit()
        .IgnoreError();  // logged by the recorder; the 304s are a poll older next time
    recorder_.RefreshOutboxGauges();
    for (const auto& [sink, o] : dispatcher_.counters().by_sink) metrics_.alerts_by_sink[sink] = o;
    stats_ = SummaryOf(metrics_);
    if (!once_) spdlog::info("stopped; {} alerts pending in the outbox", stats_.alerts_pending);
    state_.RestoreIfDeleted();  // last, with every write done
    return exit_status_;
  }

  void BeginStop() {
    if (stopping_) return;
    stopping_ = true;
    notify::Stopping();
    scheduler_.Stop();
    recorder_.Stop();
    follow_ups_.Stop();
    reloader_.Stop();
    supervisor_.Stop();
    state_.Stop();
    admin_.Stop();
    // Deliveries in flight finish and their results are recorded: a receiver
    // that already has the alert is not sent it again after a restart.
    dispatcher_.Stop([this] { MaybeFinish(); });
    // Work already in the pipeline (fetched bodies being parsed or committed)
    // is allowed to finish: it is at most one poll per feed.
    auto limit = cfg().daemon.stop_timeout;
    drain_timer_ = std::make_unique<asio::steady_timer>(io_, limit);
    drain_timer_->async_wait([this, limit](const asio::error_code& ec) {
      if (!ec) {
        spdlog::warn(
            "shutdown: {} poll(s) and {} delivery(ies) still in progress after {}; stopping anyway",
            scheduler_.busy(), dispatcher_.in_flight(), FormatDuration(limit));
        Finish();
      }
    });
    MaybeFinish();
  }

  // What Daemon::Reload posts, and the admin endpoint's /reload.
  void Reload(std::function<void(Status)> done) {
    if (stopping_ || once_) {
      if (done) done(Status::Invalid("not reloading: the daemon is stopping"));
      return;
    }
    reloader_.Request(cfg().path, std::move(done));
  }
  asio::io_context& io() { return io_; }

 private:
  static std::shared_ptr<const Config> ConfigOf(const std::shared_ptr<const LoadedConfig>& g) {
    return std::shared_ptr<const Config>(g, &g->config);
  }
  static std::shared_ptr<const DaemonSettings> SettingsOf(
      const std::shared_ptr<const LoadedConfig>& g) {
    return std::shared_ptr<const DaemonSettings>(g, &g->config.daemon);
  }
  const Config& cfg() const { return gen_->config; }

  fetch::Scheduler::Hooks SchedulerHooks() {
    return {
        .body =
            [this](PolledFeed& f, HttpResponse resp) {
              pipeline_.Start(service::ScheduledPoll(scheduler_, f), std::move(resp));
            },
        .not_modified =
            [this](PolledFeed& f, const FeedState& state) {
              ++metrics_.polls_not_modified;
              recorder_.RecordNotModified(f.spec->url, state);
            },
        .failed =
            [this](PolledFeed& f, const std::string& reason, const FeedState& state,
                   std::function<void()> done) {
              ++metrics_.polls_failed;
              if (beside_) return done();  // beside a daemon: its feeds' backoff is its own
              recorder_.RecordFailure(f.spec->url, reason, state, std::move(done));
            },
        .poll_ended =
            [this] {
              vitals_.PollEnded(clock_.WallMs());
              if (stopping_) return MaybeFinish();
              if (once_ && scheduler_.busy() == 0) FinishCycle();
            },
    };
  }

  service::Reloader::Hooks ReloadHooks() {
    return {
        .apply =
            [this](std::shared_ptr<const LoadedConfig> next, std::function<void(Status)> done) {
              ApplyGeneration(std::move(next), std::move(done));
            },
        .failed =
            [this](const Status& st, const std::string&) {
              ++metrics_.reloads_failed;
              admin_.Reloaded(cfg(), clock_.WallMs(), st.message());
              notify::Ready(vitals_.StatusLine());
            },
    };
  }

  service::Supervisor::Hooks SupervisorHooks() {
    return {
        .stop = [this] { BeginStop(); },
        .reload = [this] { Reload(nullptr); },
        .refresh_status =
            [this](std::function<void(const std::string&)> report) {
              recorder_.RefreshOutboxGauges([this, report] {
                if (!stopping_) report(vitals_.StatusLine());
              });
            },
    };
  }

  // A validated generation: checks what takes a restart, reads the stored
  // state of feeds new to this process, then swaps in one step on the loop,
  // so every poll sees either the old rules or the new ones.
  void ApplyGeneration(std::shared_ptr<const LoadedConfig> next, std::function<void(Status)> done) {
    if (next->config.daemon.state_dir != cfg().daemon.state_dir) {
      spdlog::warn("reload: state_dir changed to {}; this takes a restart (still using {})",
                   next->config.daemon.state_dir, cfg().daemon.state_dir);
    }
    if (next->config.admin_listen != cfg().admin_listen) {
      spdlog::warn("reload: [admin] listen changed; this takes a restart");
    }
    recorder_.LoadStoredFeeds([this, next, done](service::PollRecorder::StoredFeeds known) {
      gen_ = next;
      ++metrics_.ruleset_generation;
      ++metrics_.reloads_ok;
      admin_.Reloaded(cfg(), clock_.WallMs(), "");
      dispatcher_.Reconfigure(ConfigOf(gen_));
      dispatcher_.SetRuleBudgets(gen_->matcher->rules());
      scheduler_.SetSettings(SettingsOf(gen_));
      auto c = scheduler_.Apply(cfg().feeds, gen_, known);
      spdlog::info(
          "reloaded {}: {} feeds ({} added, {} removed, {} with a new interval), {} rules, {} "
          "sinks; generation {}",
          cfg().path, cfg().feeds.size(), c.added, c.removed, c.interval_changed,
          gen_->matcher->rules().size(), cfg().sinks.size(), metrics_.ruleset_generation);
      notify::Ready(vitals_.StatusLine());
      done(Status::Ok());
    });
  }

  void FinishCycle() {
    if (beside_) return BeginStop();  // the running daemon delivers
    dispatcher_.Flush([this] { BeginStop(); });
  }

  void MaybeFinish() {
    if (scheduler_.busy() == 0 && dispatcher_.in_flight() == 0) Finish();
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    if (drain_timer_) drain_timer_->cancel();
    http_.CancelAll();
    guard_.reset();
    io_.stop();
  }

  std::shared_ptr<const LoadedConfig> gen_;  // config + rules in force; swapped by a reload
  DaemonStats& stats_;
  const Clock& clock_;
  Metrics metrics_;
  asio::io_context io_;
  // Keeps run() going while work is on the worker pool or the store thread,
  // whose results arrive as posted handlers.
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  HttpClient http_;
  StoreThread store_;
  asio::thread_pool workers_;
  Status exit_status_;
  Dispatcher dispatcher_;
  fetch::Scheduler scheduler_;
  service::PollRecorder recorder_;
  service::PollPipeline pipeline_{{io_, workers_, recorder_, clock_, metrics_},
                                  [this] { return gen_; },
                                  [this] { dispatcher_.Kick(); }};
  service::StoryFollowUps follow_ups_{
      io_, store_, clock_, metrics_, [this] { return gen_; }, [this] { dispatcher_.Kick(); }};
  service::Reloader reloader_;
  service::Supervisor supervisor_;
  service::StateGuard state_{io_, store_, gen_->config.daemon.state_dir,
                             [this](const std::string& why) {
                               if (stopping_) return;
                               exit_status_ = Status::Io(why);
                               notify::Ready(vitals_.StatusLine());
                               BeginStop();
                             }};
  service::AdminHost admin_{io_,
                            store_.As<StateEditor>(),
                            scheduler_,
                            clock_,
                            {.generation = [this] { return gen_; },
                             .generation_number = [this] { return metrics_.ruleset_generation; },
                             .stopping = [this] { return stopping_; },
                             .health = [this] { return vitals_.health(); },
                             .status_line = [this] { return vitals_.StatusLine(); },
                             .prometheus = [this] { return vitals_.PrometheusText(); },
                             .reload = [this](auto done) { Reload(std::move(done)); },
                             .outbox_changed = [this] { dispatcher_.Kick(); }}};
  service::Vitals vitals_{
      {clock_, metrics_, scheduler_, recorder_, dispatcher_, state_, reloader_}};
  std::unique_ptr<asio::steady_timer> drain_timer_;
  bool once_ = false, stopping_ = false, finished_ = false, beside_ = false;
};

Daemon::Daemon(LoadedConfig loaded) : loaded_(std::move(loaded)) {}
Daemon::~Daemon() = default;

Status Daemon::Run(const RunOptions& options) {
  auto state = service::StateGuard::Open(loaded_.config.daemon.state_dir, options.once);
  if (!state.ok()) return state.status();
  const Clock& clock = options.clock ? *options.clock : SystemClock::Get();
  Impl impl(std::make_shared<const LoadedConfig>(loaded_), stats_, std::move(state->store), clock);
  {
    std::lock_guard<std::mutex> lock(mu_);
    impl_ = &impl;
    if (stop_requested_) asio::post(impl.io(), [&impl] { impl.BeginStop(); });
  }
  Status st = impl.Run(options, state->beside_a_daemon);
  std::lock_guard<std::mutex> lock(mu_);
  impl_ = nullptr;
  return st;
}

void Daemon::Reload(std::function<void(Status)> done) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!impl_) {
    if (done) done(Status::Invalid("the daemon is not running"));
    return;
  }
  Impl* impl = impl_;
  asio::post(impl->io(),
             [impl, done = std::move(done)]() mutable { impl->Reload(std::move(done)); });
}

void Daemon::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stop_requested_ = true;
  if (impl_) {
    Impl* impl = impl_;
    asio::post(impl->io(), [impl] { impl->BeginStop(); });
  }
}

}  // namespace feedwatch
