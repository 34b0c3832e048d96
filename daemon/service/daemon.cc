#include "feedwatch/daemon.h"

#include <spdlog/spdlog.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <random>
#include <set>
#include <thread>

#include "feedwatch/deliver.h"
#include "feedwatch/feed.h"
#include "feedwatch/http_client.h"
#include "feedwatch/store_thread.h"
#include "feedwatch/util.h"

namespace feedwatch {

Result<LoadedConfig> LoadAll(const std::string& config_path) {
  Config cfg;
  Status config_status = LoadConfigInto(config_path, cfg);
  std::string errors = config_status.message();
  if (!config_status.ok() && cfg.path.empty()) return config_status;  // unreadable or not TOML
  auto rules = LoadRuleFiles(cfg.rule_files);
  if (!rules.ok()) errors += (errors.empty() ? "" : "\n") + rules.status().message();
  if (!errors.empty()) return Status::Invalid(errors);
  std::set<std::string> sink_names;
  for (const auto& s : cfg.sinks) sink_names.insert(s.name);
  for (const auto& r : *rules) {
    for (const auto& s : r.sinks) {
      if (!sink_names.count(s)) {
        errors += (errors.empty() ? "" : "\n") + r.file + ":" + std::to_string(r.line) + ": rule '" + r.id +
                  "': unknown sink '" + s + "' (not declared in " + config_path + ")";
      }
    }
  }
  if (!errors.empty()) return Status::Invalid(errors);
  auto matcher = Matcher::Build(std::move(*rules));
  if (!matcher.ok()) return matcher.status();
  return LoadedConfig{std::move(cfg), std::move(*matcher)};
}

namespace {

// What a worker hands back after parsing and matching one fetched body.
struct Processed {
  Status status;
  std::string feed_title;
  std::size_t entries = 0;
  std::size_t matches = 0;
  std::vector<std::string> warnings;
  std::vector<PolledEntry> polled;
};

struct FeedRuntime {
  const FeedSpec* spec;
  std::unique_ptr<asio::steady_timer> timer;
  bool busy = false;
};

}  // namespace

class Daemon::Impl {
 public:
  Impl(const LoadedConfig& loaded, DaemonStats& stats, std::unique_ptr<Store> store)
      : cfg_(loaded.config),
        matcher_(loaded.matcher),
        stats_(stats),
        http_(io_),
        store_(std::move(store)),
        workers_(std::max(1u, std::thread::hardware_concurrency())),
        dispatcher_(io_, store_, http_, cfg_),
        signals_(io_) {}

  ~Impl() { workers_.join(); }

  void Run(const RunOptions& opt) {
    once_ = opt.once;
    if (opt.handle_signals) {
      signals_.add(SIGINT);
      signals_.add(SIGTERM);
      signals_.async_wait([this](const asio::error_code& ec, int sig) {
        if (ec) return;
        spdlog::info("received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        BeginStop();
      });
    }
    spdlog::info("feedwatch started: {} feeds, {} rules, {} sinks, state in {}", cfg_.feeds.size(),
                 matcher_->rules().size(), cfg_.sinks.size(), cfg_.daemon.state_dir);
    feeds_.reserve(cfg_.feeds.size());
    for (const auto& f : cfg_.feeds) {
      feeds_.push_back(FeedRuntime{&f, std::make_unique<asio::steady_timer>(io_), false});
    }
    for (auto& f : feeds_) {
      if (once_) {
        Poll(f);
      } else {
        // Spread the first polls so a restart does not fire every feed at once.
        auto spread = std::min(cfg_.daemon.jitter, f.spec->interval);
        Schedule(f, RandomUpTo(spread));
      }
    }
    if (once_ && feeds_.empty()) FinishCycle();
    if (!once_) dispatcher_.Kick();  // alerts left from a previous run
    io_.run();
    // The loop has stopped: a blocking call to the store thread is fine now.
    auto counts = store_.RunSync([](Store& s) { return s.CountOutbox(); });
    if (counts.ok()) stats_.alerts_pending = counts->pending;
  }

  void BeginStop() {
    if (stopping_) return;
    stopping_ = true;
    for (auto& f : feeds_) f.timer->cancel();
    dispatcher_.Stop();
    signals_.cancel();
    // Work already in the pipeline (fetched bodies being parsed or committed)
    // is allowed to finish: it is at most one poll per feed.
    drain_timer_ = std::make_unique<asio::steady_timer>(io_, std::chrono::seconds(10));
    drain_timer_->async_wait([this](const asio::error_code& ec) {
      if (!ec) {
        spdlog::warn("shutdown: {} poll(s) still in progress after 10s; stopping anyway", busy_);
        Finish();
      }
    });
    MaybeFinish();
  }

  asio::io_context& io() { return io_; }

 private:
  std::chrono::milliseconds RandomUpTo(std::chrono::milliseconds max) {
    if (max.count() <= 0) return std::chrono::milliseconds(0);
    std::uniform_int_distribution<std::int64_t> d(0, max.count());
    return std::chrono::milliseconds(d(rng_));
  }

  void Schedule(FeedRuntime& f, std::chrono::milliseconds delay) {
    f.timer->expires_after(delay);
    f.timer->async_wait([this, &f](const asio::error_code& ec) {
      if (!ec && !stopping_) Poll(f);
    });
  }

  void Poll(FeedRuntime& f) {
    if (f.busy) return;
    f.busy = true;
    ++busy_;
    HttpRequest req;
    req.url = f.spec->url;
    req.user_agent = cfg_.daemon.user_agent;
    req.timeout = cfg_.daemon.fetch_timeout;
    req.connect_timeout = cfg_.daemon.connect_timeout;
    req.max_body_bytes = cfg_.daemon.max_body_bytes;
    req.max_redirects = cfg_.daemon.max_redirects;
    req.headers = {"Accept: application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"};
    http_.Start(std::move(req), [this, &f](HttpResponse resp) { OnFetched(f, std::move(resp)); });
  }

  void OnFetched(FeedRuntime& f, HttpResponse resp) {
    if (!resp.ok) return Failed(f, resp.error);
    if (resp.status < 200 || resp.status >= 300) return Failed(f, "HTTP " + std::to_string(resp.status));
    auto matcher = matcher_;  // the rule set of this moment; a reload would not disturb it
    asio::post(workers_, [this, &f, matcher, resp = std::move(resp)]() mutable {
      Processed p = Process(*f.spec, *matcher, resp);
      asio::post(io_, [this, &f, p = std::move(p)]() mutable { OnProcessed(f, std::move(p)); });
    });
  }

  // Runs on a worker thread: pure CPU work, no shared mutable state.
  Processed Process(const FeedSpec& spec, const Matcher& matcher, const HttpResponse& resp) {
    Processed p;
    auto parsed = ParseFeed(resp.body, resp.content_type, resp.final_url.empty() ? spec.url : resp.final_url);
    if (!parsed.ok()) {
      p.status = parsed.status();
      return p;
    }
    p.feed_title = parsed->title;
    p.entries = parsed->entries.size();
    p.warnings = std::move(parsed->warnings);
    std::int64_t now = UnixNow();
    MatchContext ctx{spec.name, p.feed_title, &spec.tags, now};
    p.polled.reserve(parsed->entries.size());
    for (const Entry& e : parsed->entries) {
      PolledEntry pe;
      pe.key = e.key;
      for (std::size_t r : matcher.Match(e, ctx)) {
        const RuleSpec& rule = matcher.rules()[r];
        ++p.matches;
        std::vector<Highlight> highlights = matcher.Explain(e, ctx, r).highlights;
        auto add_sink = [&](const std::string& sink) {
          std::string id = AlertId(rule.id, spec.url, e.key, sink);
          pe.alerts.push_back(
              NewAlert{id, sink, rule.id, BuildAlertPayload(rule, spec, p.feed_title, e, id, now, highlights)});
        };
        if (rule.sinks.empty()) {
          for (const auto& s : cfg_.sinks) add_sink(s.name);
        } else {
          for (const auto& s : rule.sinks) add_sink(s);
        }
      }
      p.polled.push_back(std::move(pe));
    }
    return p;
  }

  void OnProcessed(FeedRuntime& f, Processed p) {
    if (!p.status.ok()) return Failed(f, p.status.message());
    for (const auto& w : p.warnings) spdlog::warn("feed {}: {}", f.spec->url, w);
    stats_.entries += static_cast<std::int64_t>(p.entries);
    std::size_t entries = p.entries;
    std::size_t matches = p.matches;
    store_.Run(
        io_,
        [url = f.spec->url, prime = f.spec->prime, polled = std::move(p.polled)](Store& s) {
          return s.RecordPoll(url, prime, polled, UnixNowMs());
        },
        [this, &f, entries, matches](Result<PollOutcome> out) {
          if (!out.ok()) {
            // Nothing was recorded: the same entries are new again next poll.
            spdlog::error("feed {}: could not record poll: {}", f.spec->url, out.status().message());
            ++stats_.feeds_failed;
          } else {
            ++stats_.feeds_polled;
            stats_.new_entries += out->new_entries;
            stats_.alerts_queued += out->alerts_queued;
            if (out->primed_now) {
              ++stats_.feeds_primed;
              spdlog::info("feed {}: first poll, {} entries recorded as seen without alerting (prime = true)",
                           f.spec->name, out->new_entries);
            } else {
              if (out->new_entries > 0) stats_.matches += static_cast<std::int64_t>(matches);
              auto level = out->new_entries > 0 ? spdlog::level::info : spdlog::level::debug;
              spdlog::log(level, "feed {}: {} entries, {} new, {} alerts queued", f.spec->name, entries,
                          out->new_entries, out->alerts_queued);
            }
            if (out->alerts_queued > 0) dispatcher_.Kick();
          }
          PollDone(f);
        });
  }

  void Failed(FeedRuntime& f, const std::string& reason) {
    ++stats_.feeds_failed;
    spdlog::warn("feed {} ({}): {}", f.spec->name, f.spec->url, reason);
    store_.Run(
        io_, [url = f.spec->url, reason](Store& s) { return s.RecordFetchError(url, reason, UnixNowMs()); },
        [this, &f](Status st) {
          if (!st.ok()) spdlog::error("feed {}: {}", f.spec->url, st.message());
          PollDone(f);
        });
  }

  void PollDone(FeedRuntime& f) {
    f.busy = false;
    --busy_;
    if (stopping_) return MaybeFinish();
    if (once_) {
      if (busy_ == 0) FinishCycle();
      return;
    }
    Schedule(f, f.spec->interval + RandomUpTo(cfg_.daemon.jitter));
  }

  void FinishCycle() {
    dispatcher_.Flush([this] { BeginStop(); });
  }

  void MaybeFinish() {
    if (busy_ == 0) Finish();
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    if (drain_timer_) drain_timer_->cancel();
    http_.CancelAll();
    stats_.alerts_delivered = static_cast<std::int64_t>(dispatcher_.counters().delivered);
    stats_.alerts_failed = static_cast<std::int64_t>(dispatcher_.counters().retried + dispatcher_.counters().dead);
    guard_.reset();
    io_.stop();
  }

  const Config& cfg_;
  std::shared_ptr<const Matcher> matcher_;
  DaemonStats& stats_;
  asio::io_context io_;
  // Keeps run() going while work is on the worker pool or the store thread,
  // whose results arrive as posted handlers.
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  HttpClient http_;
  StoreThread store_;
  asio::thread_pool workers_;
  Dispatcher dispatcher_;
  asio::signal_set signals_;
  std::vector<FeedRuntime> feeds_;
  std::unique_ptr<asio::steady_timer> drain_timer_;
  std::mt19937_64 rng_{std::random_device{}()};
  int busy_ = 0;
  bool once_ = false, stopping_ = false, finished_ = false;
};

Daemon::Daemon(LoadedConfig loaded) : loaded_(std::move(loaded)) {}
Daemon::~Daemon() = default;

Status Daemon::Run(const RunOptions& options) {
  auto store = Store::Open(loaded_.config.daemon.state_dir);
  if (!store.ok()) return store.status();
  spdlog::info("state: {}", (*store)->path());
  Impl impl(loaded_, stats_, std::move(*store));
  {
    std::lock_guard<std::mutex> lock(mu_);
    impl_ = &impl;
    if (stop_requested_) asio::post(impl.io(), [&impl] { impl.BeginStop(); });
  }
  impl.Run(options);
  std::lock_guard<std::mutex> lock(mu_);
  impl_ = nullptr;
  return Status::Ok();
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
