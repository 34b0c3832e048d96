// The daemon as wiring: it owns the rooms and connects them in pipeline order.
//
//   fetch::Scheduler --body--> service::PollPipeline: RunPollJob on a worker
//    (timers, slots,            (parse, skip known, match, deliver::Route),
//     backoff, 304s)            then PollRecorder (store thread: the invariant
//                               transaction) --Kick--> deliver::Dispatcher
//
// Reload, admin routes and systemd supervision are rooms of their own
// (reload.cc, admin_routes.cc, supervisor.cc); this file decides only who owns
// what, the order of start and stop, and which counters 304s and failures move.
#include "feedwatch/daemon.h"

#include <spdlog/spdlog.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "feedwatch/admin.h"
#include "feedwatch/admin_routes.h"
#include "feedwatch/deliver.h"
#include "feedwatch/http_client.h"
#include "feedwatch/metrics.h"
#include "feedwatch/notify.h"
#include "feedwatch/poll_pipeline.h"
#include "feedwatch/poll_recorder.h"
#include "feedwatch/reload.h"
#include "feedwatch/scheduler.h"
#include "feedwatch/state_file.h"
#include "feedwatch/store_thread.h"
#include "feedwatch/story_followups.h"
#include "feedwatch/supervisor.h"
#include "feedwatch/util.h"

namespace feedwatch {

using fetch::PolledFeed;

class Daemon::Impl final : public service::AdminState {
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

  ~Impl() override {
    // Archive queries still running stop at their next step; a poll job ends
    // with its parse.
    cancel_queries_ = true;
    queries_.join();
    workers_.join();
  }

  Status Run(const RunOptions& opt) {
    once_ = opt.once;
    scheduler_.SetOnce(once_);
    pipeline_.SetOnce(once_);
    metrics_.start_time_seconds = static_cast<double>(clock_.WallSeconds());
    started_ms_ = clock_.WallMs();
    if (opt.handle_signals) supervisor_.HandleSignals(/*reload_on_hup=*/!once_);
    if (!once_ && !cfg().admin_listen.empty()) {
      AdminServer::Options options{
          .listen = cfg().admin_listen, .auth = AdminAuthOf(cfg()), .hosts = cfg().admin_hosts};
      auto admin =
          AdminServer::Start(io_, options, [this](const AdminRequest& r, AdminServer::Reply reply) {
            service::HandleAdminRequest(r, std::move(reply), *this);
          });
      if (!admin.ok()) return admin.status();
      admin_ = std::move(*admin);
      spdlog::info("admin endpoint on {}{}", cfg().admin_listen,
                   cfg().admin_token.empty() ? "" : " (bearer token required)");
    }
    spdlog::info("feedwatch started: {} feeds, {} rules, {} sinks, state in {}", cfg().feeds.size(),
                 gen_->matcher->rules().size(), cfg().sinks.size(), cfg().daemon.state_dir);
    // Resume what the state file remembers: validators, failures, next due.
    // The loop is not running yet, so waiting for the store thread is fine.
    std::map<std::string, FeedStatus> known;
    if (auto st = store_.RunSync([](Store& s) { return s.FeedStatuses(); }); st.ok()) {
      for (auto& fs : *st) known[fs.url] = fs;
    } else {
      spdlog::error(
          "reading the feed states: {}; every feed starts as if new (validators and schedules "
          "lost)",
          st.status().message());
    }
    if (auto c = store_.RunSync([](Store& s) { return s.CountOutbox(); }); c.ok()) {
      metrics_.outbox_pending = c->pending;
      metrics_.outbox_dead = c->dead;
    }
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
      WatchStateFile();
      notify::Ready(StatusLine());
      if (opt.on_ready) opt.on_ready(admin_ ? admin_->port() : 0);
    }
    io_.run();
    // The loop has stopped: blocking calls to the store thread are fine now.
    recorder_.FlushAtExit()
        .IgnoreError();  // logged by the recorder; the 304s are a poll older next time
    auto counts = store_.RunSync([](Store& s) { return s.CountOutbox(); });
    if (counts.ok()) stats_.alerts_pending = counts->pending;
    if (restore_state_file_) {
      // Last, with every write done: the copy is the state as it ends.
      Status st =
          store_.RunSync([path = watch_.path()](Store&) { return RestoreDeletedStateFile(path); });
      if (st.ok())
        spdlog::critical("state: {} was put back from the open copy; a restart resumes from it",
                         watch_.path());
      else
        spdlog::critical("state: could not put {} back: {}", watch_.path(), st.message());
    }
    return exit_status_;
  }

  void BeginStop() {
    if (stopping_) return;
    stopping_ = true;
    notify::Stopping();
    scheduler_.Stop();
    recorder_.Stop();
    cancel_queries_ = true;  // searches and pages in progress stop within milliseconds
    follow_ups_.Stop();
    reloader_.Stop();
    supervisor_.Stop();
    state_timer_.cancel();
    if (admin_) admin_->Close();
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

  // AdminState, and what Daemon::Reload posts.
  void Reload(std::function<void(Status)> done) override {
    if (stopping_ || once_) {
      if (done) done(Status::Invalid("not reloading: the daemon is stopping"));
      return;
    }
    reloader_.Request(cfg().path, std::move(done));
  }
  bool stopping() const override { return stopping_; }
  service::Health health() override {
    service::HealthInputs in;
    in.now_ms = clock_.WallMs();
    in.started_ms = started_ms_;
    in.last_poll_end_ms = last_poll_end_ms_;
    for (const auto& f : scheduler_.feeds()) {
      if (f->removed || f->state.next_due_ms <= 0) continue;
      if (in.oldest_due_ms == 0 || f->state.next_due_ms < in.oldest_due_ms)
        in.oldest_due_ms = f->state.next_due_ms;
    }
    in.store_failures = recorder_.write_failures();
    in.store_error = recorder_.last_write_error();
    in.store_lost = store_lost_;
    service::Health h = service::JudgeHealth(in);
    metrics_.healthy = h.ok;
    return h;
  }
  std::uint64_t generation() const override { return metrics_.ruleset_generation; }
  std::string PrometheusText() override {
    RefreshGauges();
    health();  // refreshes feedwatch_healthy
    for (const auto& [sink, o] : dispatcher_.counters().by_sink) metrics_.alerts_by_sink[sink] = o;
    return RenderPrometheus(metrics_);
  }
  void ArchiveQuery(ArchiveJob job, AdminServer::Reply reply) override {
    if (archive_query_running_) return reply(Busy("another archive query is running"));
    archive_query_running_ = true;
    OnReadOnlyStore(std::move(job), [this, reply](AdminResponse resp) {
      archive_query_running_ = false;
      reply(std::move(resp));
    });
  }

  void PageQuery(ArchiveJob job, AdminServer::Reply reply) override {
    if (page_queries_ >= 2) return reply(Busy("two pages are being rendered"));
    ++page_queries_;
    OnReadOnlyStore(std::move(job), [this, reply](AdminResponse resp) {
      --page_queries_;
      reply(std::move(resp));
    });
  }

  service::LiveView Live() override {
    service::LiveView v;
    v.now_ms = clock_.WallMs();
    v.started_ms = started_ms_;
    v.generation = generation();
    v.last_reload_ms = last_reload_.at_ms;
    v.last_reload_error = last_reload_.error;
    v.actions = cfg().admin_actions;
    v.csrf = csrf_;
    v.status_line = StatusLine();
    const DaemonSettings& settings = cfg().daemon;
    for (const auto& fp : scheduler_.feeds()) {
      const PolledFeed& f = *fp;
      if (f.removed) continue;
      long like = f.state.consecutive_failures > 0 ? 500 : 200;
      v.feeds.push_back(
          {.name = f.spec->name,
           .url = f.spec->url,
           .tags = f.spec->tags,
           .failures = f.state.consecutive_failures,
           .next_due_ms = f.state.next_due_ms,
           .interval_ms = fetch::NextDelay(f, settings, like, "", v.now_ms / 1000).count(),
           .interval_why = fetch::DelayReason(f, settings),
           .configured_ms = f.spec->interval.count()});
    }
    return v;
  }

  void OutboxAction(std::function<Result<int>(StateEditor&)> job,
                    std::function<void(Result<int>)> done) override {
    store_.Run(io_, std::move(job), [this, done = std::move(done)](Result<int> n) {
      if (n.ok() && *n > 0) dispatcher_.Kick();
      done(std::move(n));
    });
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
  static AdminResponse Busy(const std::string& why) {
    AdminResponse busy{503, "text/plain; charset=utf-8", "busy: " + why + "; try again shortly\n"};
    busy.headers.emplace_back("Retry-After", "2");
    return busy;
  }
  // Runs `job` on the query pool (never a poll worker: a slow query cannot
  // delay a poll) with its own read-only connection, bounded by
  // [admin] query_timeout and stopped by shutdown, and the generation in
  // force; `done` gets the answer on the loop.
  void OnReadOnlyStore(ArchiveJob job, std::function<void(AdminResponse)> done) {
    asio::post(queries_,
               [this, gen = gen_, job = std::move(job), done = std::move(done)]() mutable {
                 AdminResponse resp;
                 auto store = Store::OpenReadOnly(gen->config.daemon.state_dir);
                 if (store.ok()) {
                   auto limit = gen->config.admin_query_timeout;
                   (*store)->SetBudget({.deadline = std::chrono::steady_clock::now() + limit,
                                        .limit = limit,
                                        .cancel = &cancel_queries_});
                   resp = job(**store, *gen);
                 } else {
                   resp = {503, "text/plain; charset=utf-8", store.status().message() + "\n"};
                 }
                 asio::post(io_, [done = std::move(done), resp = std::move(resp)]() mutable {
                   done(std::move(resp));
                 });
               });
  }
  static AdminAuth AdminAuthOf(const Config& c) {
    return {.token = c.admin_token, .metrics_public = c.admin_metrics_public};
  }

  fetch::Scheduler::Hooks SchedulerHooks() {
    return {
        .body =
            [this](PolledFeed& f, HttpResponse resp) {
              pipeline_.Start(service::ScheduledPoll(scheduler_, f), std::move(resp));
            },
        .not_modified =
            [this](PolledFeed& f, const FeedState& state) {
              ++stats_.feeds_polled;
              ++stats_.feeds_not_modified;
              recorder_.RecordNotModified(f.spec->url, state);
            },
        .failed =
            [this](PolledFeed& f, const std::string& reason, const FeedState& state,
                   std::function<void()> done) {
              ++stats_.feeds_failed;
              recorder_.RecordFailure(f.spec->url, reason, state, std::move(done));
            },
        .poll_ended =
            [this] {
              last_poll_end_ms_ = clock_.WallMs();
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
              last_reload_ = {clock_.WallMs(), st.message()};
              notify::Ready(StatusLine());
            },
    };
  }

  service::Supervisor::Hooks SupervisorHooks() {
    return {
        .stop = [this] { BeginStop(); },
        .reload = [this] { Reload(nullptr); },
        .refresh_status =
            [this](std::function<void(const std::string&)> report) {
              store_.Run(
                  io_, [](Store& s) { return s.CountOutbox(); },
                  [this, report](Result<OutboxCounts> c) {
                    if (c.ok()) {
                      metrics_.outbox_pending = c->pending;
                      metrics_.outbox_dead = c->dead;
                    }
                    if (!stopping_) report(StatusLine());
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
    store_.Run(
        io_, [](Store& s) { return s.FeedStatuses(); },
        [this, next, done](Result<std::vector<FeedStatus>> states) {
          if (stopping_) return done(Status::Invalid("stopping"));
          std::map<std::string, FeedStatus> known;
          if (states.ok()) {
            for (auto& fs : *states) known[fs.url] = fs;
          }
          gen_ = next;
          ++metrics_.ruleset_generation;
          ++metrics_.reloads_ok;
          if (admin_) {
            admin_->SetAuth(AdminAuthOf(cfg()));
            admin_->SetHosts(cfg().admin_hosts);
          }
          last_reload_ = {clock_.WallMs(), ""};
          dispatcher_.Reconfigure(ConfigOf(gen_));
          dispatcher_.SetRuleBudgets(gen_->matcher->rules());
          scheduler_.SetSettings(SettingsOf(gen_));
          auto c = scheduler_.Apply(cfg().feeds, gen_, known);
          spdlog::info(
              "reloaded {}: {} feeds ({} added, {} removed, {} with a new interval), {} rules, {} "
              "sinks; generation {}",
              cfg().path, cfg().feeds.size(), c.added, c.removed, c.interval_changed,
              gen_->matcher->rules().size(), cfg().sinks.size(), metrics_.ruleset_generation);
          notify::Ready(StatusLine());
          done(Status::Ok());
        });
  }

  void RefreshGauges() {
    metrics_.sinks_gone = dispatcher_.gone_sinks();
    metrics_.feeds = static_cast<std::int64_t>(scheduler_.size());
    metrics_.feeds_failing = scheduler_.failing();
  }

  // "polling 812 feeds, 3 failing, 14 alerts queued"
  std::string StatusLine() {
    RefreshGauges();
    std::string line = "polling " + std::to_string(metrics_.feeds) + " feeds, " +
                       std::to_string(metrics_.feeds_failing) + " failing, " +
                       std::to_string(metrics_.outbox_pending) + " alerts queued";
    if (metrics_.outbox_dead > 0) line += ", " + std::to_string(metrics_.outbox_dead) + " dead";
    for (const auto& sink : metrics_.sinks_gone)
      line += "; sink " + sink + " answered 410 Gone (reload once its URL is fixed)";
    if (service::Health h = health(); !h.ok) line += "; UNHEALTHY: " + h.reason;
    if (!reloader_.last_error().empty()) {
      line += "; last reload failed: " + reloader_.last_error() + " (previous config running)";
    }
    return line;
  }

  // Every few seconds, on the store thread: is the state file still the one
  // being written? Deleted or replaced, what the daemon records would be lost
  // at the next start (deleted: queued alerts too). It says so, goes
  // unhealthy, stops with an error, and puts a deleted file back first.
  void WatchStateFile() {
    state_timer_.expires_after(kStateFileCheck);
    state_timer_.async_wait([this](const asio::error_code& ec) {
      if (ec || stopping_) return;
      store_.Run(
          io_, [this](Store&) { return watch_.Check(); },
          [this](std::string what) {
            if (stopping_) return;
            if (what.empty()) return WatchStateFile();
            store_lost_ = "state file " + watch_.path() + " was " + what +
                          " while the daemon ran; stopping so that nothing more is recorded "
                          "into a file no restart would read";
            spdlog::critical("{}", store_lost_);
            restore_state_file_ = what == "deleted";
            exit_status_ = Status::Io(store_lost_);
            notify::Ready(StatusLine());
            BeginStop();
          });
    });
  }

  void FinishCycle() {
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
    stats_.alerts_delivered = static_cast<std::int64_t>(dispatcher_.counters().delivered);
    stats_.alerts_failed =
        static_cast<std::int64_t>(dispatcher_.counters().retried + dispatcher_.counters().dead);
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
  // The admin endpoint's archive queries and pages run here, apart from the
  // poll workers; the flag stops them (SQLite's progress handler reads it).
  asio::thread_pool queries_{2};
  std::atomic<bool> cancel_queries_{false};
  bool archive_query_running_ = false;  // loop thread only
  int page_queries_ = 0;                // loop thread only
  std::int64_t started_ms_ = 0;
  std::int64_t last_poll_end_ms_ = 0;  // loop thread only
  std::string store_lost_;             // why the state file can no longer be trusted
  static constexpr std::chrono::seconds kStateFileCheck{2};
  StateFileWatch watch_{
      (std::filesystem::path(gen_->config.daemon.state_dir) / "feedwatch.db").string()};
  asio::steady_timer state_timer_{io_};
  bool restore_state_file_ = false;
  Status exit_status_;
  struct {
    std::int64_t at_ms = 0;  // 0: no reload since start
    std::string error;       // "": it succeeded
  } last_reload_;
  // The token the pages' action forms carry: random per process, so a page
  // from another site cannot know it.
  std::string csrf_ = RandomHex(24);
  Dispatcher dispatcher_;
  fetch::Scheduler scheduler_;
  service::PollRecorder recorder_;
  service::PollPipeline pipeline_{{io_, workers_, recorder_, clock_, metrics_, stats_},
                                  [this] { return gen_; },
                                  [this] { dispatcher_.Kick(); }};
  service::StoryFollowUps follow_ups_{
      io_, store_, clock_, metrics_, [this] { return gen_; }, [this] { dispatcher_.Kick(); }};
  service::Reloader reloader_;
  service::Supervisor supervisor_;
  std::unique_ptr<AdminServer> admin_;
  std::unique_ptr<asio::steady_timer> drain_timer_;
  bool once_ = false, stopping_ = false, finished_ = false;
};

Daemon::Daemon(LoadedConfig loaded) : loaded_(std::move(loaded)) {}
Daemon::~Daemon() = default;

Status Daemon::Run(const RunOptions& options) {
  std::error_code ec;
  bool existed = std::filesystem::exists(
      std::filesystem::path(loaded_.config.daemon.state_dir) / "feedwatch.db", ec);
  auto store = Store::Open(loaded_.config.daemon.state_dir);
  if (!store.ok()) return store.status();
  // A damaged file would fail every poll while looking healthy: refuse it.
  if (Status st = VerifyStateFile((*store)->path()); !st.ok()) return st;
  if (existed) {
    spdlog::info("state: {}", (*store)->path());
  } else {
    spdlog::warn(
        "state: {} is new: each feed's first poll records what it already shows without "
        "alerting. If a state file was here before, what it held (seen entries, queued alerts) "
        "is not in this one",
        (*store)->path());
  }
  const Clock& clock = options.clock ? *options.clock : SystemClock::Get();
  Impl impl(std::make_shared<const LoadedConfig>(loaded_), stats_, std::move(*store), clock);
  {
    std::lock_guard<std::mutex> lock(mu_);
    impl_ = &impl;
    if (stop_requested_) asio::post(impl.io(), [&impl] { impl.BeginStop(); });
  }
  Status st = impl.Run(options);
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
