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
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "feedwatch/admin.h"
#include "feedwatch/deliver.h"
#include "feedwatch/metrics.h"
#include "feedwatch/notify.h"
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
  std::shared_ptr<std::vector<std::uint64_t>> keys;  // KeyHash of every key of the document, sorted
  std::vector<std::string> warnings;
  std::vector<PolledEntry> polled;
};

struct FeedRuntime {
  std::shared_ptr<const LoadedConfig> gen;  // keeps *spec alive
  const FeedSpec* spec = nullptr;
  bool removed = false;       // dropped by a reload; erased when no longer busy
  std::int64_t next_prune_ms = 0;  // retention pass for this feed's seen rows
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
  // Keys of the last recorded document (kept in the state file too, for a
  // restart): all in the seen table, so they need no matching (they could
  // never alert again) and their text no converting.
  std::shared_ptr<const std::vector<std::uint64_t>> known;  // sorted KeyHash()es
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

// Items that arrive close together, handed on in one go: as soon as `limit`
// have gathered, or `delay` after the first of them. Loop thread only.
template <typename T>
class Batcher {
 public:
  using Flush = std::function<void(std::vector<T>)>;
  Batcher(asio::io_context& io, std::size_t limit, std::chrono::milliseconds delay, Flush flush)
      : timer_(io), limit_(limit), delay_(delay), flush_(std::move(flush)) {}

  void Add(T item) {
    items_.push_back(std::move(item));
    if (items_.size() >= limit_) return FlushNow();
    if (armed_) return;
    armed_ = true;
    timer_.expires_after(delay_);
    timer_.async_wait([this](const asio::error_code&) {
      armed_ = false;
      FlushNow();
    });
  }
  void FlushNow() {
    if (!items_.empty()) flush_(Take());
  }
  // What has not been handed on yet (at shutdown, once the loop has stopped).
  std::vector<T> Take() {
    std::vector<T> out;
    out.swap(items_);
    return out;
  }

 private:
  asio::steady_timer timer_;
  std::size_t limit_;
  std::chrono::milliseconds delay_;
  Flush flush_;
  std::vector<T> items_;
  bool armed_ = false;
};

}  // namespace

class Daemon::Impl {
 public:
  Impl(std::shared_ptr<const LoadedConfig> gen, DaemonStats& stats, std::unique_ptr<Store> store)
      : gen_(std::move(gen)),
        stats_(stats),
        http_(io_),
        store_(std::move(store)),
        workers_(std::max(1u, std::thread::hardware_concurrency())),
        dispatcher_(io_, store_, http_, ConfigOf(gen_)),
        signals_(io_) {}

  ~Impl() { workers_.join(); }

  static std::shared_ptr<const Config> ConfigOf(const std::shared_ptr<const LoadedConfig>& g) {
    return std::shared_ptr<const Config>(g, &g->config);
  }

  Status Run(const RunOptions& opt) {
    once_ = opt.once;
    metrics_.start_time_seconds = static_cast<double>(UnixNow());
    if (opt.handle_signals) {
      signals_.add(SIGINT);
      signals_.add(SIGTERM);
      if (!once_) signals_.add(SIGHUP);
      WaitSignal();
    }
    if (!once_ && !cfg().admin_listen.empty()) {
      auto admin = AdminServer::Start(io_, cfg().admin_listen,
                                      [this](const AdminRequest& r, AdminServer::Reply reply) { Admin(r, std::move(reply)); });
      if (!admin.ok()) return admin.status();
      admin_ = std::move(*admin);
      spdlog::info("admin endpoint on {}", cfg().admin_listen);
    }
    spdlog::info("feedwatch started: {} feeds, {} rules, {} sinks, state in {}", cfg().feeds.size(),
                 gen_->matcher->rules().size(), cfg().sinks.size(), cfg().daemon.state_dir);
    // Resume what the state file remembers: validators, failures, next due.
    // The loop is not running yet, so waiting for the store thread is fine.
    std::map<std::string, FeedStatus> known;
    if (auto st = store_.RunSync([](Store& s) { return s.FeedStatuses(); }); st.ok()) {
      for (auto& fs : *st) known[fs.url] = fs;
    }
    if (auto c = store_.RunSync([](Store& s) { return s.CountOutbox(); }); c.ok()) {
      metrics_.outbox_pending = c->pending;
      metrics_.outbox_dead = c->dead;
    }
    for (const auto& spec : cfg().feeds) AddFeed(spec, known);
    if (once_ && feeds_.empty()) FinishCycle();
    if (!once_) {
      dispatcher_.Kick();  // alerts left from a previous run
      StartTimers();
      notify::Ready(StatusLine());
      if (opt.on_ready) opt.on_ready(admin_ ? admin_->port() : 0);
    }
    io_.run();
    // The loop has stopped: blocking calls to the store thread are fine now.
    if (auto batch = not_modified_.Take(); !batch.empty()) {
      store_.RunSync([&](Store& s) { return s.RecordNotModifiedBatch(batch, UnixNowMs()); });
    }
    auto counts = store_.RunSync([](Store& s) { return s.CountOutbox(); });
    if (counts.ok()) stats_.alerts_pending = counts->pending;
    return Status::Ok();
  }

  void BeginStop() {
    if (stopping_) return;
    stopping_ = true;
    notify::Stopping();
    for (auto& f : feeds_) f->timer->cancel();
    // Feeds waiting for a fetch slot are not started any more.
    for (FeedRuntime* f : ready_) {
      f->busy = false;
      --busy_;
    }
    ready_.clear();
    for (auto* t : {&status_timer_, &watchdog_timer_, &prune_timer_}) t->cancel();
    if (admin_) admin_->Close();
    // Deliveries in flight finish and their results are recorded: a receiver
    // that already has the alert is not sent it again after a restart.
    dispatcher_.Stop([this] { MaybeFinish(); });
    signals_.cancel();
    // Work already in the pipeline (fetched bodies being parsed or committed)
    // is allowed to finish: it is at most one poll per feed.
    auto limit = cfg().daemon.stop_timeout;
    drain_timer_ = std::make_unique<asio::steady_timer>(io_, limit);
    drain_timer_->async_wait([this, limit](const asio::error_code& ec) {
      if (!ec) {
        spdlog::warn("shutdown: {} poll(s) and {} delivery(ies) still in progress after {}; stopping anyway", busy_,
                     dispatcher_.in_flight(), FormatDuration(limit));
        Finish();
      }
    });
    MaybeFinish();
  }

  // Re-reads the config file and every rule file off the loop; applies them
  // only if all are valid. `done` (may be empty) gets the outcome.
  void Reload(std::function<void(Status)> done) {
    if (stopping_ || once_) {
      if (done) done(Status::Invalid("not reloading: the daemon is stopping"));
      return;
    }
    if (done) reload_waiters_.push_back(std::move(done));
    if (reloading_) {
      reload_again_ = true;  // a second request while loading: load once more after
      return;
    }
    reloading_ = true;
    reload_again_ = false;
    notify::Reloading();
    spdlog::info("reloading {}", cfg().path);
    asio::post(workers_, [this, path = cfg().path] {
      auto loaded = std::make_shared<Result<LoadedConfig>>(LoadAll(path));
      asio::post(io_, [this, loaded] { OnReloaded(std::move(*loaded)); });
    });
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
    for (auto it = ready_.begin(); it != ready_.end() && fetching_ < cfg().daemon.max_concurrent_fetches;) {
      FeedRuntime& f = **it;
      if (per_host_[f.host] >= cfg().daemon.max_per_host) {
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
    req.user_agent = cfg().daemon.user_agent;
    req.timeout = cfg().daemon.fetch_timeout;
    req.connect_timeout = cfg().daemon.connect_timeout;
    req.max_body_bytes = cfg().daemon.max_body_bytes;
    req.max_redirects = cfg().daemon.max_redirects;
    req.allow_private = f.spec->allow_private_addresses;
    req.allow_networks = cfg().daemon.allow_networks;
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
    if (!resp.ok) {
      ++metrics_.fetch_error;
      return Failed(f, resp.error, 0, ""), false;
    }
    metrics_.fetch_seconds.Observe(resp.total_seconds);
    metrics_.fetch_bytes += resp.body.size();
    if (f.removed) return PollDone(f, std::chrono::milliseconds(0)), false;
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
    if (resp.status == 304) {
      ++metrics_.fetch_not_modified;
      return NotModified(f, resp), false;
    }
    if (resp.status < 200 || resp.status >= 300) {
      ++metrics_.fetch_error;
      return Failed(f, "HTTP " + std::to_string(resp.status), resp.status, resp.retry_after), false;
    }
    // The rules and sinks of this moment, and this feed's spec, held by the
    // job: a reload swaps them for the next polls without disturbing this one.
    ++metrics_.fetch_ok;
    auto gen = gen_;
    auto feed_gen = f.gen;
    const FeedSpec* spec = f.spec;
    // A priming poll alerts nothing: only the keys are needed, not matching.
    bool priming = f.spec->prime && !f.primed;
    asio::post(workers_, [this, &f, gen, feed_gen, spec, priming, known = f.known, resp = std::move(resp)]() mutable {
      static thread_local bool named = (SetThreadName("fw-parse"), true);
      (void)named;
      Processed p = Process(*spec, *gen, resp, priming, known.get());
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
      std::int64_t hint = std::min<std::int64_t>(std::max(f.ttl_ms, f.max_age_ms), cfg().daemon.max_interval.count());
      base = std::max(base, milliseconds(hint));
    }
    milliseconds cap = std::max(cfg().daemon.max_interval, base);
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
    std::int64_t lo = cfg().daemon.adaptive_min.count(), hi = cfg().daemon.adaptive_max.count();
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
    FetchState fs{resp.etag, resp.last_modified, UnixNowMs() + delay.count(), 304, f.adaptive_ms, 0, nullptr};
    // 304s are recorded in batches: losing one in a crash only means its
    // validators and next due time are a poll older.
    not_modified_.Add({f.spec->url, fs});
    PollDone(f, delay);
  }

  void RecordNotModified(std::vector<std::pair<std::string, FetchState>> batch) {
    store_.Run(
        io_, [batch = std::move(batch)](Store& s) { return s.RecordNotModifiedBatch(batch, UnixNowMs()); },
        [](Status st) {
          if (!st.ok()) spdlog::error("recording 304s: {}", st.message());
        });
  }

  // Runs on a worker thread: pure CPU work, no shared mutable state.
  static Processed Process(const FeedSpec& spec, const LoadedConfig& gen, const HttpResponse& resp, bool priming,
                           const std::vector<std::uint64_t>* known) {
    const Matcher& matcher = *gen.matcher;
    Processed p;
    ParseOptions popt;
    popt.keys_only = priming;
    // Entries of the last recorded document are skipped below: their text is
    // not worth converting (most of a changed feed's entries are old ones).
    if (!priming) popt.known_keys = known;
    auto parsed = ParseFeed(resp.body, resp.content_type, resp.final_url.empty() ? spec.url : resp.final_url, popt);
    if (!parsed.ok()) {
      p.status = parsed.status();
      return p;
    }
    p.feed_title = parsed->title;
    p.entries = parsed->entries.size();
    p.update_hint_seconds = parsed->update_hint_seconds;
    // One hash per key: its FNV-1a goes into keys_hash (an XOR: order-
    // independent, persisted), its KeyHash into the set of this document's keys.
    std::vector<std::uint64_t> hashes;
    hashes.reserve(parsed->entries.size());
    for (const Entry& e : parsed->entries) {
      std::uint64_t fnv = Fnv1a64(e.key);
      p.keys_hash ^= fnv;
      hashes.push_back(Avalanche(fnv));
    }
    p.keys = std::make_shared<std::vector<std::uint64_t>>(hashes);
    std::sort(p.keys->begin(), p.keys->end());
    p.warnings = std::move(parsed->warnings);
    std::int64_t now = UnixNow();
    MatchContext ctx{spec.name, p.feed_title, &spec.tags, now};
    p.polled.reserve(parsed->entries.size());
    for (std::size_t i = 0; i < parsed->entries.size(); ++i) {
      const Entry& e = parsed->entries[i];
      // Seen in the last recorded poll: already in the seen table, so it can
      // neither be new nor alert; skip matching and the store.
      if (known && std::binary_search(known->begin(), known->end(), hashes[i])) continue;
      PolledEntry pe;
      pe.key = e.key;
      pe.key_hash = hashes[i];
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
          for (const auto& s : gen.config.sinks) add_sink(s.name);
        } else {
          for (const auto& s : rule.sinks) add_sink(s);
        }
      }
      p.polled.push_back(std::move(pe));
    }
    return p;
  }

  void OnProcessed(FeedRuntime& f, Processed p) {
    if (!p.status.ok()) {
      ++metrics_.parse_error;
      // The parser names the URL; the log line below does already.
      std::string msg = p.status.message();
      if (msg.rfind(f.spec->url + ": ", 0) == 0) msg.erase(0, f.spec->url.size() + 2);
      return Failed(f, msg);
    }
    metrics_.entries_parsed += p.entries;
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
    FetchState fs{p.etag, p.last_modified, UnixNowMs() + delay.count(), 200, f.adaptive_ms, f.keys_hash, keys};
    records_.Add(
        {PollRecord{f.spec->url, f.spec->prime, std::move(p.polled), fs},
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
            metrics_.entries_new += static_cast<std::uint64_t>(out->new_entries);
            metrics_.alerts_queued += static_cast<std::uint64_t>(out->alerts_queued);
            for (const auto& rule : out->matched_rules) ++metrics_.matches_by_rule[rule];
            MaybePrune(f);
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
        }});
  }

  using PendingRecord = std::pair<PollRecord, std::function<void(Result<PollOutcome>)>>;

  // Polls that finish close together are recorded in one transaction: a cold
  // cycle over thousands of feeds would otherwise pay a commit per feed. Each
  // feed's outcome is handed back on its own.
  void RecordPolls(std::vector<PendingRecord> pending) {
    std::vector<PollRecord> batch;
    std::vector<std::function<void(Result<PollOutcome>)>> done;
    for (auto& [rec, cb] : pending) {
      batch.push_back(std::move(rec));
      done.push_back(std::move(cb));
    }
    store_.Run(
        io_, [batch = std::move(batch)](Store& s) { return s.RecordPolls(batch, UnixNowMs()); },
        [done = std::move(done)](std::vector<Result<PollOutcome>> results) {
          for (std::size_t i = 0; i < done.size(); ++i) done[i](std::move(results[i]));
        });
  }

  void Failed(FeedRuntime& f, const std::string& reason, long status = 0, const std::string& retry_after = "") {
    ++stats_.feeds_failed;
    ++f.failures;
    auto delay = NextDelay(f, status, retry_after);
    spdlog::warn("feed {} ({}): {}; next try in {}", f.spec->name, f.spec->url, reason, FormatDuration(delay));
    FetchState fs{"", "", UnixNowMs() + delay.count(), static_cast<int>(status), f.adaptive_ms, 0, nullptr};
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
    if (f.removed) return EraseFeed(f);
    if (stopping_) return MaybeFinish();
    if (once_) {
      if (busy_ == 0) FinishCycle();
      return;
    }
    Schedule(f, delay + RandomUpTo(cfg().daemon.jitter));
  }

  // A feed starts polling: state from the file (validators, failures, next
  // due), then its first poll, spread by the jitter unless it is due later.
  void AddFeed(const FeedSpec& spec, const std::map<std::string, FeedStatus>& known) {
    auto fp = std::make_unique<FeedRuntime>();
    FeedRuntime& f = *fp;
    f.gen = gen_;
    f.spec = &spec;
    f.timer = std::make_unique<asio::steady_timer>(io_);
    f.host = HostOf(spec.url);
    std::int64_t now = UnixNowMs();
    // Retention passes spread over a day, so a restart does not run them all at once.
    f.next_prune_ms = now + RandomUpTo(std::chrono::hours(24)).count();
    auto it = known.find(spec.url);
    std::int64_t next_due = 0;
    if (it != known.end()) {
      f.etag = it->second.etag;
      f.last_modified = it->second.last_modified;
      f.failures = it->second.consecutive_failures;
      f.adaptive_ms = it->second.adaptive_interval_ms;
      f.keys_hash = it->second.keys_hash;
      f.known = it->second.last_keys;
      f.primed = it->second.primed;
      next_due = it->second.next_due_ms;
    }
    feeds_.push_back(std::move(fp));
    // A due time further away than any wait this feed can have means the
    // wall clock went back since it was stored: never wait longer than that.
    std::int64_t longest = std::max(spec.interval, cfg().daemon.max_interval).count() + cfg().daemon.jitter.count();
    if (next_due > now + longest) {
      spdlog::warn("feed {}: stored next poll is {} away, more than it can be (did the clock go back?); polling "
                   "within {}", spec.name, FormatDuration(std::chrono::milliseconds(next_due - now)),
                   FormatDuration(std::chrono::milliseconds(longest)));
      next_due = now + longest;
    }
    if (once_) {
      Enqueue(f);
    } else if (next_due > now) {
      Schedule(f, std::chrono::milliseconds(next_due - now));
    } else {
      // New or overdue: spread the first polls so a restart does not fire
      // every feed at once (a feed added by a reload starts within the jitter).
      Schedule(f, RandomUpTo(std::min(cfg().daemon.jitter, spec.interval)));
    }
  }

  void EraseFeed(FeedRuntime& f) {
    spdlog::info("feed {} ({}): removed from the config, no longer polled", f.spec->name, f.spec->url);
    feeds_.erase(std::remove_if(feeds_.begin(), feeds_.end(), [&](const auto& p) { return p.get() == &f; }),
                 feeds_.end());
    if (stopping_) MaybeFinish();
  }

  void WaitSignal() {
    signals_.async_wait([this](const asio::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        spdlog::info("received SIGHUP");
        Reload(nullptr);
        WaitSignal();
        return;
      }
      spdlog::info("received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      BeginStop();
    });
  }

  // "polling 812 feeds, 3 failing, 14 alerts queued"
  std::string StatusLine() {
    std::int64_t failing = 0;
    for (const auto& f : feeds_) failing += f->failures > 0;
    metrics_.feeds = static_cast<std::int64_t>(feeds_.size());
    metrics_.feeds_failing = failing;
    std::string line = "polling " + std::to_string(feeds_.size()) + " feeds, " + std::to_string(failing) +
                       " failing, " + std::to_string(metrics_.outbox_pending) + " alerts queued";
    if (metrics_.outbox_dead > 0) line += ", " + std::to_string(metrics_.outbox_dead) + " dead";
    if (!reload_error_.empty()) line += "; last reload failed: " + reload_error_ + " (previous config running)";
    return line;
  }

  void StartTimers() {
    StartStatusTimerOnly();
    if (auto wd = notify::WatchdogInterval()) {
      // Pinged from the loop itself: a wedged loop stops the pings and
      // systemd restarts the service.
      watchdog_every_ = std::chrono::duration_cast<std::chrono::milliseconds>(*wd) / 3;
      PingWatchdog();
    }
    prune_timer_.expires_after(std::chrono::minutes(1));
    prune_timer_.async_wait([this](const asio::error_code& ec) {
      if (!ec && !stopping_) PruneOutbox();
    });
  }
  // STATUS= and the outbox gauges, refreshed from the store.
  void StartStatusTimerOnly() {
    status_timer_.expires_after(std::chrono::seconds(15));
    status_timer_.async_wait([this](const asio::error_code& ec) {
      if (ec || stopping_) return;
      store_.Run(io_, [](Store& s) { return s.CountOutbox(); }, [this](Result<OutboxCounts> c) {
        if (c.ok()) {
          metrics_.outbox_pending = c->pending;
          metrics_.outbox_dead = c->dead;
        }
        if (!stopping_) notify::Status(StatusLine());
      });
      StartStatusTimerOnly();
    });
  }
  void PingWatchdog() {
    notify::Watchdog();
    watchdog_timer_.expires_after(std::max(watchdog_every_, std::chrono::milliseconds(100)));
    watchdog_timer_.async_wait([this](const asio::error_code& ec) {
      if (!ec && !stopping_) PingWatchdog();
    });
  }

  // Delivered outbox rows older than delivered_retention, in chunks, hourly.
  void PruneOutbox() {
    std::int64_t cutoff = UnixNowMs() - cfg().daemon.delivered_retention.count();
    store_.Run(io_, [cutoff](Store& s) { return s.PruneDelivered(cutoff, 5000); }, [this](Result<int> n) {
      if (!n.ok()) spdlog::error("retention: {}", n.status().message());
      else if (*n > 0) {
        metrics_.outbox_pruned += static_cast<std::uint64_t>(*n);
        spdlog::info("retention: {} delivered alerts older than {} removed from the outbox", *n,
                     FormatDuration(cfg().daemon.delivered_retention));
      }
      if (stopping_) return;
      bool more = n.ok() && *n == 5000;
      prune_timer_.expires_after(more ? std::chrono::seconds(1) : std::chrono::seconds(3600));
      prune_timer_.async_wait([this](const asio::error_code& ec) {
        if (!ec && !stopping_) PruneOutbox();
      });
    });
  }

  // Seen rows of entries that left the feed, after a successful non-empty
  // poll, at most daily per feed.
  void MaybePrune(FeedRuntime& f) {
    std::int64_t now = UnixNowMs();
    if (once_ || !f.known || f.known->empty() || now < f.next_prune_ms) return;
    f.next_prune_ms = now + 24LL * 3600 * 1000;
    store_.Run(
        io_,
        [url = f.spec->url, keys = f.known, now, keep = cfg().daemon.seen_retention.count()](Store& s) {
          return s.PruneSeen(url, *keys, now, keep);
        },
        [this, name = f.spec->name](Result<int> n) {
          if (!n.ok()) spdlog::error("retention for feed {}: {}", name, n.status().message());
          else if (*n > 0) {
            metrics_.seen_pruned += static_cast<std::uint64_t>(*n);
            spdlog::debug("retention: feed {}: {} old entries forgotten", name, *n);
          }
        });
  }

  void OnReloaded(Result<LoadedConfig> loaded) {
    auto finish = [this](Status st) {
      reloading_ = false;
      auto waiters = std::move(reload_waiters_);
      reload_waiters_.clear();
      for (auto& w : waiters) w(st);
      if (reload_again_ && !stopping_) Reload(nullptr);
    };
    if (stopping_) return finish(Status::Invalid("stopping"));
    if (!loaded.ok()) {
      ++metrics_.reloads_failed;
      const std::string& msg = loaded.status().message();
      int errors = 0;
      std::size_t start = 0;
      while (start < msg.size()) {
        std::size_t nl = msg.find('\n', start);
        spdlog::error("reload: {}", msg.substr(start, nl - start));
        ++errors;
        start = nl == std::string::npos ? msg.size() : nl + 1;
      }
      reload_error_ = std::to_string(errors) + " error(s), first: " + msg.substr(0, msg.find('\n'));
      spdlog::error("reload failed ({} error(s)); still running the previous config and rules", errors);
      notify::Ready(StatusLine());
      return finish(loaded.status());
    }
    auto next = std::make_shared<const LoadedConfig>(std::move(*loaded));
    if (next->config.daemon.state_dir != cfg().daemon.state_dir) {
      spdlog::warn("reload: state_dir changed to {}; this takes a restart (still using {})",
                   next->config.daemon.state_dir, cfg().daemon.state_dir);
    }
    if (next->config.admin_listen != cfg().admin_listen) {
      spdlog::warn("reload: [admin] listen changed; this takes a restart");
    }
    // Feeds new to this process may be known to the state file (re-added):
    // read their state before they are polled.
    store_.Run(io_, [](Store& s) { return s.FeedStatuses(); },
               [this, next, finish](Result<std::vector<FeedStatus>> states) {
                 if (stopping_) return finish(Status::Invalid("stopping"));
                 std::map<std::string, FeedStatus> known;
                 if (states.ok()) {
                   for (auto& fs : *states) known[fs.url] = fs;
                 }
                 Apply(next, known);
                 finish(Status::Ok());
               });
  }

  // Swaps in a validated config: one step on the loop thread, so every poll
  // sees either the old rules or the new ones.
  void Apply(std::shared_ptr<const LoadedConfig> next, const std::map<std::string, FeedStatus>& known) {
    gen_ = std::move(next);
    ++metrics_.ruleset_generation;
    ++metrics_.reloads_ok;
    reload_error_.clear();
    dispatcher_.Reconfigure(ConfigOf(gen_));
    std::map<std::string, FeedRuntime*> by_url;
    for (auto& f : feeds_) {
      if (!f->removed) by_url[f->spec->url] = f.get();
    }
    int added = 0, removed = 0, changed = 0;
    std::set<std::string> wanted;
    for (const FeedSpec& spec : cfg().feeds) {
      wanted.insert(spec.url);
      auto it = by_url.find(spec.url);
      if (it == by_url.end()) {
        AddFeed(spec, known);
        ++added;
        continue;
      }
      FeedRuntime& f = *it->second;
      bool interval_changed = f.spec->interval != spec.interval;
      f.gen = gen_;
      f.spec = &spec;
      if (interval_changed) {
        ++changed;
        // A shorter interval applies now; a longer one from the next poll.
        auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(f.timer->expiry() -
                                                                               std::chrono::steady_clock::now());
        if (!f.busy && remaining > spec.interval) Schedule(f, spec.interval);
      }
    }
    for (auto& fp : feeds_) {
      FeedRuntime& f = *fp;
      if (f.removed || wanted.count(f.spec->url)) continue;
      f.removed = true;
      ++removed;
      f.timer->cancel();
      auto r = std::find(ready_.begin(), ready_.end(), &f);
      if (r != ready_.end()) {
        ready_.erase(r);
        f.busy = false;
        --busy_;
      }
    }
    // Erase the idle removed feeds now (busy ones go when their poll ends).
    std::vector<FeedRuntime*> idle;
    for (auto& fp : feeds_) {
      if (fp->removed && !fp->busy) idle.push_back(fp.get());
    }
    for (FeedRuntime* f : idle) EraseFeed(*f);
    spdlog::info("reloaded {}: {} feeds ({} added, {} removed, {} with a new interval), {} rules, {} sinks; "
                 "generation {}",
                 cfg().path, cfg().feeds.size(), added, removed, changed, gen_->matcher->rules().size(),
                 cfg().sinks.size(), metrics_.ruleset_generation);
    notify::Ready(StatusLine());
    Pump();
  }

  void Admin(const AdminRequest& req, AdminServer::Reply reply) {
    if (req.path == "/healthz") {
      // Answered by the event loop itself: an answer means the loop turns.
      reply(stopping_ ? AdminResponse{503, "text/plain; charset=utf-8", "stopping\n"}
                      : AdminResponse{200, "text/plain; charset=utf-8", "ok\n"});
    } else if (req.path == "/metrics" && req.method == "GET") {
      StatusLine();  // refreshes the feed gauges
      for (const auto& [sink, o] : dispatcher_.counters().by_sink) metrics_.alerts_by_sink[sink] = o;
      reply({200, "text/plain; version=0.0.4; charset=utf-8", RenderPrometheus(metrics_)});
    } else if (req.path == "/status" && req.method == "GET") {
      store_.Run(
          io_, [](Store& s) { return std::make_pair(s.FeedStatuses(), s.CountOutbox()); },
          [this, reply](std::pair<Result<std::vector<FeedStatus>>, Result<OutboxCounts>> r) {
            reply({200, "application/json", StatusJson(r.first, r.second)});
          });
    } else if (req.path == "/reload" && req.method == "POST") {
      Reload([this, reply](Status st) {
        if (st.ok()) {
          reply({200, "application/json",
                 nlohmann::json{{"result", "reloaded"}, {"generation", metrics_.ruleset_generation}}.dump() + "\n"});
        } else {
          reply({422, "application/json",
                 nlohmann::json{{"result", "failed"}, {"errors", st.message()}}.dump(-1, ' ', false,
                                                                                     nlohmann::json::error_handler_t::replace) +
                     "\n"});
        }
      });
    } else if (req.path == "/reload" || req.path == "/metrics" || req.path == "/status") {
      reply({405, "text/plain; charset=utf-8", "method not allowed\n"});
    } else {
      reply({404, "text/plain; charset=utf-8", "not found: try /healthz, /metrics, /status, POST /reload\n"});
    }
  }

  std::string StatusJson(const Result<std::vector<FeedStatus>>& states, const Result<OutboxCounts>& counts) {
    using nlohmann::json;
    std::map<std::string, const FeedStatus*> by_url;
    if (states.ok()) {
      for (const auto& s : *states) by_url[s.url] = &s;
    }
    auto time_or_null = [](std::int64_t ms) { return ms > 0 ? json(FormatRfc3339(ms / 1000)) : json(nullptr); };
    json feeds = json::array();
    for (const auto& fp : feeds_) {
      const FeedRuntime& f = *fp;
      if (f.removed) continue;
      json j = {{"name", f.spec->name}, {"url", f.spec->url}, {"consecutive_failures", f.failures}};
      auto it = by_url.find(f.spec->url);
      if (it != by_url.end()) {
        const FeedStatus& s = *it->second;
        j["last_poll"] = time_or_null(s.last_poll_ms);
        j["last_status"] = s.last_status;
        j["last_http_status"] = s.last_http_status;
        j["last_error"] = s.last_error.empty() ? json(nullptr) : json(s.last_error);
        j["next_due"] = time_or_null(s.next_due_ms);
        j["seen_entries"] = s.seen_entries;
      } else {
        j["last_poll"] = nullptr;
        j["last_status"] = "not polled yet";
      }
      feeds.push_back(std::move(j));
    }
    json out = {{"status", StatusLine()},
                {"generation", metrics_.ruleset_generation},
                {"feeds", std::move(feeds)}};
    if (counts.ok()) out["outbox"] = {{"pending", counts->pending}, {"delivered", counts->delivered}, {"dead", counts->dead}};
    return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
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

  const Config& cfg() const { return gen_->config; }

  std::shared_ptr<const LoadedConfig> gen_;  // config + rules in force; swapped by a reload
  DaemonStats& stats_;
  Metrics metrics_;
  asio::io_context io_;
  // Keeps run() going while work is on the worker pool or the store thread,
  // whose results arrive as posted handlers.
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  HttpClient http_;
  StoreThread store_;
  asio::thread_pool workers_;
  Dispatcher dispatcher_;
  asio::signal_set signals_;
  std::vector<std::unique_ptr<FeedRuntime>> feeds_;  // stable addresses: callbacks hold FeedRuntime&
  std::unique_ptr<AdminServer> admin_;
  asio::steady_timer status_timer_{io_}, watchdog_timer_{io_}, prune_timer_{io_};
  bool reloading_ = false, reload_again_ = false;
  std::vector<std::function<void(Status)>> reload_waiters_;
  std::string reload_error_;  // the last failed reload, for STATUS= until a good one
  std::chrono::milliseconds watchdog_every_{0};
  std::deque<FeedRuntime*> ready_;  // due, waiting for a fetch slot
  // 304s are recorded in batches (256, or after 50 ms): losing one in a crash
  // only means its validators and next due time are a poll older.
  Batcher<std::pair<std::string, FetchState>> not_modified_{
      io_, 256, std::chrono::milliseconds(50), [this](auto batch) { RecordNotModified(std::move(batch)); }};
  // Polls with entries: up to 32 per transaction, or after 5 ms.
  Batcher<PendingRecord> records_{io_, 32, std::chrono::milliseconds(5),
                                  [this](auto batch) { RecordPolls(std::move(batch)); }};
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
  Impl impl(std::make_shared<const LoadedConfig>(loaded_), stats_, std::move(*store));
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
  asio::post(impl->io(), [impl, done = std::move(done)]() mutable { impl->Reload(std::move(done)); });
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
