#include "feedwatch/daemon.h"

#include <spdlog/spdlog.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <random>
#include <unordered_set>
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
  std::string etag, last_modified;
  std::optional<std::int64_t> update_hint_seconds;
  std::uint64_t keys_hash = 0;
  std::string feed_title;
  std::size_t entries = 0;
  std::size_t matches = 0;
  std::size_t matched_entries = 0;  // entries that went through the matcher
  std::shared_ptr<std::unordered_set<std::string>> keys;  // every key of the document
  std::vector<std::string> warnings;
  std::vector<PolledEntry> polled;
};

struct FeedRuntime {
  const FeedSpec* spec = nullptr;
  std::unique_ptr<asio::steady_timer> timer;
  std::string host;           // for the per-host limit
  bool busy = false;          // queued, fetching, parsing or being recorded
  std::string etag, last_modified;  // validators for conditional GET
  int failures = 0;           // consecutive, for backoff
  int permanent_redirects = 0;  // consecutive polls answered with 301/308
  std::int64_t ttl_ms = 0;      // publisher hint from the document (<ttl>, sy:*)
  std::int64_t max_age_ms = 0;  // publisher hint from Cache-Control: max-age
  std::int64_t adaptive_ms = 0; // learnt interval (adaptive feeds)
  std::uint64_t keys_hash = 0;  // the entry keys of the last document, to see change
  bool primed = false;          // a first poll has been recorded (from the state file)
  // Keys of the last document this process recorded: all in the seen table,
  // so they need no matching (they could never alert again).
  std::shared_ptr<const std::unordered_set<std::string>> known;
};

// Cache-Control: max-age=N, in milliseconds; 0 when absent or no-store/no-cache.
std::int64_t MaxAgeMs(const std::string& cache_control) {
  std::string cc = cache_control;
  for (char& c : cc) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (cc.find("no-store") != std::string::npos || cc.find("no-cache") != std::string::npos) return 0;
  auto p = cc.find("max-age=");
  if (p == std::string::npos) return 0;
  long long secs = std::strtoll(cc.c_str() + p + 8, nullptr, 10);
  return secs > 0 && secs < 365LL * 86400 ? secs * 1000 : 0;
}

std::string HostOf(const std::string& url) {
  std::size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  std::size_t end = url.find_first_of("/?#", start);
  std::string host = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

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
    // Resume what the state file remembers: validators, failures, next due.
    // The loop is not running yet, so waiting for the store thread is fine.
    std::map<std::string, FeedStatus> known;
    if (auto st = store_.RunSync([](Store& s) { return s.FeedStatuses(); }); st.ok()) {
      for (auto& fs : *st) known[fs.url] = fs;
    }
    feeds_.reserve(cfg_.feeds.size());
    std::int64_t now = UnixNowMs();
    for (const auto& spec : cfg_.feeds) {
      FeedRuntime f;
      f.spec = &spec;
      f.timer = std::make_unique<asio::steady_timer>(io_);
      f.host = HostOf(spec.url);
      auto it = known.find(spec.url);
      std::int64_t next_due = 0;
      if (it != known.end()) {
        f.etag = it->second.etag;
        f.last_modified = it->second.last_modified;
        f.failures = it->second.consecutive_failures;
        f.adaptive_ms = it->second.adaptive_interval_ms;
        f.keys_hash = it->second.keys_hash;
        f.primed = it->second.primed;
        next_due = it->second.next_due_ms;
      }
      feeds_.push_back(std::move(f));
      FeedRuntime& fr = feeds_.back();
      if (once_) {
        Enqueue(fr);
      } else if (next_due > now) {
        Schedule(fr, std::chrono::milliseconds(next_due - now));
      } else {
        // New or overdue: spread the first polls so a restart does not fire
        // every feed at once.
        Schedule(fr, RandomUpTo(std::min(cfg_.daemon.jitter, spec.interval)));
      }
    }
    if (once_ && feeds_.empty()) FinishCycle();
    if (!once_) dispatcher_.Kick();  // alerts left from a previous run
    io_.run();
    // The loop has stopped: blocking calls to the store thread are fine now.
    if (!not_modified_.empty()) {
      auto batch = std::move(not_modified_);
      store_.RunSync([&](Store& s) { return s.RecordNotModifiedBatch(batch, UnixNowMs()); });
    }
    auto counts = store_.RunSync([](Store& s) { return s.CountOutbox(); });
    if (counts.ok()) stats_.alerts_pending = counts->pending;
  }

  void BeginStop() {
    if (stopping_) return;
    stopping_ = true;
    for (auto& f : feeds_) f.timer->cancel();
    // Feeds waiting for a fetch slot are not started any more.
    for (FeedRuntime* f : ready_) {
      f->busy = false;
      --busy_;
    }
    ready_.clear();
    // Deliveries in flight finish and their results are recorded: a receiver
    // that already has the alert is not sent it again after a restart.
    dispatcher_.Stop([this] { MaybeFinish(); });
    signals_.cancel();
    // Work already in the pipeline (fetched bodies being parsed or committed)
    // is allowed to finish: it is at most one poll per feed.
    drain_timer_ = std::make_unique<asio::steady_timer>(io_, std::chrono::seconds(10));
    drain_timer_->async_wait([this](const asio::error_code& ec) {
      if (!ec) {
        spdlog::warn("shutdown: {} poll(s) and {} delivery(ies) still in progress after 10s; stopping anyway", busy_,
                     dispatcher_.in_flight());
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
      if (!ec && !stopping_) Enqueue(f);
    });
  }

  // Due feeds wait here for a free slot: at most max_concurrent_fetches
  // transfers at once, and max_per_host to any one host.
  void Enqueue(FeedRuntime& f) {
    if (f.busy) return;
    f.busy = true;
    ++busy_;
    ready_.push_back(&f);
    Pump();
  }

  void Pump() {
    for (auto it = ready_.begin(); it != ready_.end() && fetching_ < cfg_.daemon.max_concurrent_fetches;) {
      FeedRuntime& f = **it;
      if (per_host_[f.host] >= cfg_.daemon.max_per_host) {
        ++it;
        continue;
      }
      it = ready_.erase(it);
      Fetch(f);
    }
  }

  void Fetch(FeedRuntime& f) {
    ++fetching_;
    ++per_host_[f.host];
    HttpRequest req;
    req.url = f.spec->url;
    req.user_agent = cfg_.daemon.user_agent;
    req.timeout = cfg_.daemon.fetch_timeout;
    req.connect_timeout = cfg_.daemon.connect_timeout;
    req.max_body_bytes = cfg_.daemon.max_body_bytes;
    req.max_redirects = cfg_.daemon.max_redirects;
    req.allow_private = f.spec->allow_private_addresses;
    req.username = f.spec->username;
    req.password = f.spec->password;
    req.bearer_token = f.spec->bearer_token;
    req.headers = {"Accept: application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"};
    // Conditional GET: an unchanged feed costs a 304 and no parse.
    if (!f.etag.empty()) req.headers.push_back("If-None-Match: " + f.etag);
    if (!f.last_modified.empty()) req.headers.push_back("If-Modified-Since: " + f.last_modified);
    for (const auto& [k, v] : f.spec->headers) req.headers.push_back(k + ": " + v);
    http_.Start(std::move(req), [this, &f](HttpResponse resp) {
      if (--per_host_[f.host] == 0) per_host_.erase(f.host);
      // A body handed to the workers keeps its slot until it is parsed:
      // fetching is far faster than parsing, and without this backpressure
      // every fetched body of a large cycle would wait in memory at once.
      if (!OnFetched(f, std::move(resp))) --fetching_;
      Pump();
    });
  }

  // Returns true when the body went to the workers (its slot is released
  // when they are done with it).
  bool OnFetched(FeedRuntime& f, HttpResponse resp) {
    if (!resp.ok) return Failed(f, resp.error, 0, ""), false;
    if (resp.status == 304 || (resp.status >= 200 && resp.status < 300)) f.max_age_ms = MaxAgeMs(resp.cache_control);
    // A permanent redirect seen on three polls in a row: tell the operator.
    if ((resp.first_status == 301 || resp.first_status == 308) && !resp.final_url.empty()) {
      if (++f.permanent_redirects == 3) {
        spdlog::warn("feed {} ({}): permanently redirects to {} (3 polls in a row); update its url in the config",
                     f.spec->name, f.spec->url, resp.final_url);
      }
    } else {
      f.permanent_redirects = 0;
    }
    if (resp.status == 304) return NotModified(f, resp), false;
    if (resp.status < 200 || resp.status >= 300) {
      return Failed(f, "HTTP " + std::to_string(resp.status), resp.status, resp.retry_after), false;
    }
    auto matcher = matcher_;  // the rule set of this moment; a reload would not disturb it
    // A priming poll alerts nothing: only the keys are needed, not matching.
    bool priming = f.spec->prime && !f.primed;
    asio::post(workers_, [this, &f, matcher, priming, known = f.known, resp = std::move(resp)]() mutable {
      Processed p = Process(*f.spec, *matcher, resp, priming, known.get());
      p.etag = resp.etag;
      p.last_modified = resp.last_modified;
      resp.body = std::string();  // free the body on the worker, before the post back
      asio::post(io_, [this, &f, p = std::move(p)]() mutable {
        --fetching_;
        Pump();
        OnProcessed(f, std::move(p));
      });
    });
    return true;
  }

  // The wait before the next poll: the interval, or after failures an
  // exponential backoff (interval x 2^failures), or what Retry-After asks;
  // never beyond max_interval.
  std::chrono::milliseconds NextDelay(const FeedRuntime& f, long status, const std::string& retry_after) {
    using std::chrono::milliseconds;
    milliseconds base = f.spec->interval;
    if (f.spec->adaptive && f.adaptive_ms > 0) base = milliseconds(f.adaptive_ms);
    if (f.spec->publisher_hints) {
      // The publisher's hint is a floor, within max_interval.
      std::int64_t hint = std::min<std::int64_t>(std::max(f.ttl_ms, f.max_age_ms), cfg_.daemon.max_interval.count());
      base = std::max(base, milliseconds(hint));
    }
    milliseconds cap = std::max(cfg_.daemon.max_interval, base);
    milliseconds delay = base;
    if (f.failures > 0) {
      std::int64_t d = base.count();
      for (int i = 0; i < f.failures && d < cap.count(); ++i) d *= 2;
      delay = milliseconds(std::min(d, cap.count()));
    }
    if ((status == 429 || status == 503) && !retry_after.empty()) {
      if (auto secs = ParseRetryAfter(retry_after, UnixNow())) {
        delay = std::clamp(milliseconds(*secs), base, cap);
      }
    }
    return delay;
  }

  // Adaptive feeds: halve the interval when the document changed, grow it by
  // half when it did not, within [adaptive_min, adaptive_max].
  void Adapt(FeedRuntime& f, bool changed) {
    if (!f.spec->adaptive) return;
    std::int64_t lo = cfg_.daemon.adaptive_min.count(), hi = cfg_.daemon.adaptive_max.count();
    std::int64_t cur = f.adaptive_ms > 0 ? f.adaptive_ms : std::clamp<std::int64_t>(f.spec->interval.count(), lo, hi);
    f.adaptive_ms = std::clamp<std::int64_t>(changed ? cur / 2 : cur + cur / 2, lo, hi);
  }

  void NotModified(FeedRuntime& f, const HttpResponse& resp) {
    f.failures = 0;
    Adapt(f, false);
    if (!resp.etag.empty()) f.etag = resp.etag;
    if (!resp.last_modified.empty()) f.last_modified = resp.last_modified;
    ++stats_.feeds_polled;
    ++stats_.feeds_not_modified;
    spdlog::debug("feed {}: not modified", f.spec->name);
    auto delay = NextDelay(f, 304, "");
    FetchState fs{resp.etag, resp.last_modified, UnixNowMs() + delay.count(), 304, f.adaptive_ms};
    // 304s are recorded in batches: losing one in a crash only means its
    // validators and next due time are a poll older.
    not_modified_.emplace_back(f.spec->url, fs);
    if (not_modified_.size() >= kNotModifiedBatch) {
      FlushNotModified();
    } else if (!flush_armed_) {
      flush_armed_ = true;
      flush_timer_.expires_after(std::chrono::milliseconds(50));
      flush_timer_.async_wait([this](const asio::error_code&) {
        flush_armed_ = false;
        FlushNotModified();
      });
    }
    PollDone(f, delay);
  }

  void FlushNotModified() {
    if (not_modified_.empty()) return;
    store_.Run(
        io_,
        [batch = std::move(not_modified_)](Store& s) { return s.RecordNotModifiedBatch(batch, UnixNowMs()); },
        [](Status st) {
          if (!st.ok()) spdlog::error("recording 304s: {}", st.message());
        });
    not_modified_.clear();
  }

  // Runs on a worker thread: pure CPU work, no shared mutable state.
  Processed Process(const FeedSpec& spec, const Matcher& matcher, const HttpResponse& resp, bool priming,
                    const std::unordered_set<std::string>* known) {
    Processed p;
    ParseOptions popt;
    popt.keys_only = priming;
    auto parsed = ParseFeed(resp.body, resp.content_type, resp.final_url.empty() ? spec.url : resp.final_url, popt);
    if (!parsed.ok()) {
      p.status = parsed.status();
      return p;
    }
    p.feed_title = parsed->title;
    p.entries = parsed->entries.size();
    p.update_hint_seconds = parsed->update_hint_seconds;
    // Order-independent and stable across runs (persisted): XOR of FNV-1a.
    for (const Entry& e : parsed->entries) {
      std::uint64_t h = 1469598103934665603ULL;
      for (unsigned char c : e.key) h = (h ^ c) * 1099511628211ULL;
      p.keys_hash ^= h;
    }
    p.warnings = std::move(parsed->warnings);
    std::int64_t now = UnixNow();
    MatchContext ctx{spec.name, p.feed_title, &spec.tags, now};
    p.polled.reserve(parsed->entries.size());
    p.keys = std::make_shared<std::unordered_set<std::string>>();
    p.keys->reserve(parsed->entries.size());
    for (const Entry& e : parsed->entries) {
      p.keys->insert(e.key);
      // Seen in the last recorded poll: already in the seen table, so it can
      // neither be new nor alert; skip matching and the store.
      if (known && known->count(e.key)) continue;
      PolledEntry pe;
      pe.key = e.key;
      if (priming) {
        p.polled.push_back(std::move(pe));
        continue;
      }
      ++p.matched_entries;
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
    if (!p.status.ok()) return Failed(f, p.status.message());  // a parse error
    for (const auto& w : p.warnings) spdlog::warn("feed {}: {}", f.spec->url, w);
    stats_.entries += static_cast<std::int64_t>(p.entries);
    std::size_t entries = p.entries;
    std::size_t matches = p.matches;
    stats_.matched_entries += static_cast<std::int64_t>(p.matched_entries);
    auto keys = std::move(p.keys);
    f.failures = 0;
    f.etag = p.etag;
    f.last_modified = p.last_modified;
    f.ttl_ms = p.update_hint_seconds ? *p.update_hint_seconds * 1000 : 0;
    if (f.keys_hash != 0) Adapt(f, p.keys_hash != f.keys_hash);
    f.keys_hash = p.keys_hash;
    auto delay = NextDelay(f, 200, "");
    FetchState fs{p.etag, p.last_modified, UnixNowMs() + delay.count(), 200, f.adaptive_ms, f.keys_hash};
    store_.Run(
        io_,
        [url = f.spec->url, prime = f.spec->prime, polled = std::move(p.polled), fs](Store& s) {
          return s.RecordPoll(url, prime, polled, UnixNowMs(), fs);
        },
        [this, &f, entries, matches, delay, keys = std::move(keys)](Result<PollOutcome> out) mutable {
          if (!out.ok()) {
            // Nothing was recorded: the same entries are new again next poll.
            spdlog::error("feed {}: could not record poll: {}", f.spec->url, out.status().message());
            ++stats_.feeds_failed;
          } else {
            ++stats_.feeds_polled;
            f.primed = true;
            f.known = std::move(keys);
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
          PollDone(f, delay);
        });
  }

  void Failed(FeedRuntime& f, const std::string& reason, long status = 0, const std::string& retry_after = "") {
    ++stats_.feeds_failed;
    ++f.failures;
    auto delay = NextDelay(f, status, retry_after);
    spdlog::warn("feed {} ({}): {}; next try in {}", f.spec->name, f.spec->url, reason, FormatDuration(delay));
    FetchState fs{"", "", UnixNowMs() + delay.count(), static_cast<int>(status), f.adaptive_ms};
    store_.Run(
        io_, [url = f.spec->url, reason, fs](Store& s) { return s.RecordFetchError(url, reason, UnixNowMs(), fs); },
        [this, &f, delay](Status st) {
          if (!st.ok()) spdlog::error("feed {}: {}", f.spec->url, st.message());
          PollDone(f, delay);
        });
  }

  void PollDone(FeedRuntime& f, std::chrono::milliseconds delay) {
    f.busy = false;
    --busy_;
    if (stopping_) return MaybeFinish();
    if (once_) {
      if (busy_ == 0) FinishCycle();
      return;
    }
    Schedule(f, delay + RandomUpTo(cfg_.daemon.jitter));
  }

  void FinishCycle() {
    dispatcher_.Flush([this] { BeginStop(); });
  }

  void MaybeFinish() {
    if (busy_ == 0 && dispatcher_.in_flight() == 0) Finish();
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
  std::deque<FeedRuntime*> ready_;  // due, waiting for a fetch slot
  static constexpr std::size_t kNotModifiedBatch = 256;
  std::vector<std::pair<std::string, FetchState>> not_modified_;  // 304s not yet recorded
  asio::steady_timer flush_timer_{io_};
  bool flush_armed_ = false;
  std::map<std::string, int> per_host_;
  int fetching_ = 0;
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
