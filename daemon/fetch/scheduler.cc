#include "feedwatch/scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "feedwatch/backoff.h"
#include "feedwatch/util.h"

namespace feedwatch::fetch {

using std::chrono::milliseconds;

std::int64_t MaxAgeMs(const std::string& cache_control) {
  std::string cc = cache_control;
  for (char& c : cc) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (cc.find("no-store") != std::string::npos || cc.find("no-cache") != std::string::npos)
    return 0;
  auto p = cc.find("max-age=");
  if (p == std::string::npos) return 0;
  long long secs = std::strtoll(cc.c_str() + p + 8, nullptr, 10);
  return secs > 0 && secs < 365LL * 86400 ? secs * 1000 : 0;
}

HttpRequest FeedRequest(const FeedSpec& spec, const DaemonSettings& settings,
                        const FeedState& state) {
  HttpRequest req;
  req.url = spec.url;
  req.user_agent = settings.user_agent;
  req.timeout = settings.fetch_timeout;
  req.connect_timeout = settings.connect_timeout;
  req.max_body_bytes = settings.max_body_bytes;
  req.max_redirects = settings.max_redirects;
  req.allow_private = spec.allow_private_addresses;
  req.allow_networks = settings.allow_networks;
  req.username = spec.username;
  req.password = spec.password;
  req.bearer_token = spec.bearer_token;
  req.headers = {
      "Accept: application/rss+xml, application/atom+xml, application/feed+json, "
      "application/xml;q=0.9, "
      "text/xml;q=0.9, */*;q=0.8"};
  // Conditional GET: an unchanged feed costs a 304 and no parse.
  if (!state.etag.empty()) req.headers.push_back("If-None-Match: " + state.etag);
  if (!state.last_modified.empty())
    req.headers.push_back("If-Modified-Since: " + state.last_modified);
  for (const auto& [k, v] : spec.headers) req.headers.push_back(k + ": " + v);
  return req;
}

milliseconds NextDelay(const PolledFeed& f, const DaemonSettings& settings, long status,
                       const std::string& retry_after, std::int64_t now_unix) {
  milliseconds base = f.spec->interval;
  if (f.spec->adaptive && f.state.adaptive_interval_ms > 0)
    base = milliseconds(f.state.adaptive_interval_ms);
  if (f.spec->publisher_hints) {
    // The publisher's hint is a floor, within max_interval.
    std::int64_t hint =
        std::min<std::int64_t>(std::max(f.ttl_ms, f.max_age_ms), settings.max_interval.count());
    base = std::max(base, milliseconds(hint));
  }
  milliseconds cap = std::max(settings.max_interval, base);
  // Feeds take the backoff's ceiling, not a draw below it: the configured
  // jitter already spreads them, and `status` can then say exactly when the
  // next try is.
  milliseconds delay = BackoffCeiling(base, cap, f.state.consecutive_failures);
  if ((status == 429 || status == 503) && !retry_after.empty()) {
    if (auto secs = ParseRetryAfter(retry_after, now_unix))
      delay = std::clamp(milliseconds(*secs), base, cap);
  }
  return delay;
}

std::string DelayReason(const PolledFeed& f, const DaemonSettings& settings) {
  int n = f.state.consecutive_failures;
  if (n > 0) return "backoff after " + std::to_string(n) + (n == 1 ? " failure" : " failures");
  milliseconds base = f.spec->interval;
  std::string why = "configured";
  if (f.spec->adaptive && f.state.adaptive_interval_ms > 0) {
    base = milliseconds(f.state.adaptive_interval_ms);
    why = "adaptive";
  }
  if (f.spec->publisher_hints &&
      std::min<std::int64_t>(std::max(f.ttl_ms, f.max_age_ms), settings.max_interval.count()) >
          base.count())
    why = f.ttl_ms >= f.max_age_ms ? "publisher hint (ttl)" : "publisher hint (Cache-Control)";
  return why;
}

void Adapt(PolledFeed& f, const DaemonSettings& settings, bool changed) {
  if (!f.spec->adaptive) return;
  std::int64_t lo = settings.adaptive_min.count(), hi = settings.adaptive_max.count();
  std::int64_t& learnt = f.state.adaptive_interval_ms;
  std::int64_t cur =
      learnt > 0 ? learnt : std::clamp<std::int64_t>(f.spec->interval.count(), lo, hi);
  learnt = std::clamp<std::int64_t>(changed ? cur / 2 : cur + cur / 2, lo, hi);
}

Scheduler::Scheduler(asio::io_context& io, HttpClient& http, const Clock& clock, Metrics& metrics,
                     Hooks hooks)
    : io_(io), http_(http), clock_(clock), metrics_(metrics), hooks_(std::move(hooks)) {}

milliseconds Scheduler::RandomUpTo(milliseconds max) {
  if (max.count() <= 0) return milliseconds(0);
  std::uniform_int_distribution<std::int64_t> d(0, max.count());
  return milliseconds(d(rng_));
}

int Scheduler::failing() const {
  int n = 0;
  for (const auto& f : feeds_) n += f->state.consecutive_failures > 0;
  return n;
}

void Scheduler::Add(const FeedSpec& spec, std::shared_ptr<const void> owner,
                    const FeedStatus* stored) {
  auto fp = std::make_unique<PolledFeed>();
  PolledFeed& f = *fp;
  f.owner = std::move(owner);
  f.spec = &spec;
  f.timer = std::make_unique<asio::steady_timer>(io_);
  f.host = HostOf(spec.url);
  if (stored) f.state = *stored;  // the FeedState part
  std::int64_t now = clock_.WallMs();
  std::int64_t next_due = f.state.next_due_ms;
  feeds_.push_back(std::move(fp));
  // A due time further away than any wait this feed can have means the
  // wall clock went back since it was stored: never wait longer than that.
  std::int64_t longest =
      std::max(spec.interval, settings().max_interval).count() + settings().jitter.count();
  if (next_due > now + longest) {
    spdlog::warn(
        "feed {}: stored next poll is {} away, more than it can be (did the clock go back?); "
        "polling "
        "within {}",
        spec.name, FormatDuration(milliseconds(next_due - now)),
        FormatDuration(milliseconds(longest)));
    next_due = now + longest;
  }
  if (once_) {
    Enqueue(f);
  } else if (next_due > now) {
    Schedule(f, milliseconds(next_due - now));
  } else {
    // New or overdue: spread the first polls so a restart does not fire
    // every feed at once (a feed added by a reload starts within the jitter).
    Schedule(f, RandomUpTo(std::min(settings().jitter, spec.interval)));
  }
}

Scheduler::Changes Scheduler::Apply(const std::vector<FeedSpec>& feeds,
                                    std::shared_ptr<const void> owner,
                                    const std::map<std::string, FeedStatus>& stored) {
  Changes c;
  std::map<std::string, PolledFeed*> by_url;
  for (auto& f : feeds_) {
    if (!f->removed) by_url[f->spec->url] = f.get();
  }
  std::set<std::string> wanted;
  for (const FeedSpec& spec : feeds) {
    wanted.insert(spec.url);
    auto it = by_url.find(spec.url);
    if (it == by_url.end()) {
      auto s = stored.find(spec.url);
      Add(spec, owner, s == stored.end() ? nullptr : &s->second);
      ++c.added;
      continue;
    }
    PolledFeed& f = *it->second;
    bool interval_changed = f.spec->interval != spec.interval;
    f.owner = owner;
    f.spec = &spec;
    if (interval_changed) {
      ++c.interval_changed;
      auto remaining = std::chrono::duration_cast<milliseconds>(f.timer->expiry() -
                                                                std::chrono::steady_clock::now());
      if (!f.busy && remaining > spec.interval) Schedule(f, spec.interval);
    }
  }
  for (auto& fp : feeds_) {
    PolledFeed& f = *fp;
    if (f.removed || wanted.count(f.spec->url)) continue;
    f.removed = true;
    ++c.removed;
    f.timer->cancel();
    auto r = std::find(ready_.begin(), ready_.end(), &f);
    if (r != ready_.end()) {
      ready_.erase(r);
      f.busy = false;
      --busy_;
    }
  }
  // Erase the idle removed feeds now (busy ones go when their poll ends).
  std::vector<PolledFeed*> idle;
  for (auto& fp : feeds_) {
    if (fp->removed && !fp->busy) idle.push_back(fp.get());
  }
  for (PolledFeed* f : idle) Erase(*f);
  Pump();
  return c;
}

void Scheduler::Schedule(PolledFeed& f, milliseconds delay) {
  f.timer_due_ms = clock_.WallMs() + delay.count();
  f.timer->expires_after(delay);
  f.timer->async_wait([this, &f](const asio::error_code& ec) {
    if (!ec && !stopping_) Enqueue(f);
  });
}

void Scheduler::Enqueue(PolledFeed& f) {
  if (f.busy) return;
  f.busy = true;
  ++busy_;
  ready_.push_back(&f);
  Pump();
}

void Scheduler::Pump() {
  for (auto it = ready_.begin();
       it != ready_.end() && fetching_ < settings().max_concurrent_fetches;) {
    PolledFeed& f = **it;
    if (per_host_[f.host] >= settings().max_per_host) {
      ++it;
      continue;
    }
    it = ready_.erase(it);
    Fetch(f);
  }
}

void Scheduler::Fetch(PolledFeed& f) {
  ++fetching_;
  ++per_host_[f.host];
  http_.Start(FeedRequest(*f.spec, settings(), f.state), [this, &f](HttpResponse resp) {
    if (--per_host_[f.host] == 0) per_host_.erase(f.host);
    // A body handed to the poll job keeps its slot until it is parsed:
    // fetching is far faster than parsing, and without this backpressure
    // every fetched body of a large cycle would wait in memory at once.
    if (!OnFetched(f, std::move(resp))) --fetching_;
    Pump();
  });
}

void Scheduler::ReleaseBodySlot() {
  --fetching_;
  Pump();
}

bool Scheduler::OnFetched(PolledFeed& f, HttpResponse resp) {
  if (!resp.ok) {
    ++metrics_.fetch_error;
    return Failed(f, resp.error), false;
  }
  metrics_.fetch_seconds.Observe(resp.total_seconds);
  metrics_.fetch_bytes += resp.body.size();
  if (f.removed) return Done(f, milliseconds(0)), false;
  if (resp.status == 304 || (resp.status >= 200 && resp.status < 300))
    f.max_age_ms = MaxAgeMs(resp.cache_control);
  // A permanent redirect seen on three polls in a row: tell the operator.
  if ((resp.first_status == 301 || resp.first_status == 308) && !resp.final_url.empty()) {
    if (++f.permanent_redirects == 3) {
      spdlog::warn(
          "feed {} ({}): permanently redirects to {} (3 polls in a row); update its url in the "
          "config",
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
  ++metrics_.fetch_ok;
  hooks_.body(f, std::move(resp));
  return true;
}

void Scheduler::NotModified(PolledFeed& f, const HttpResponse& resp) {
  f.state.consecutive_failures = 0;
  Adapt(f, settings(), false);
  if (!resp.etag.empty()) f.state.etag = resp.etag;
  if (!resp.last_modified.empty()) f.state.last_modified = resp.last_modified;
  spdlog::debug("feed {}: not modified", f.spec->name);
  auto delay = NextDelay(f, settings(), 304, "", clock_.WallSeconds());
  f.state.next_due_ms = clock_.WallMs() + delay.count();
  f.state.last_http_status = 304;
  FeedState persist = f.state;
  persist.last_keys = nullptr;  // unchanged
  hooks_.not_modified(f, persist);
  Done(f, delay);
}

milliseconds Scheduler::Parsed(PolledFeed& f, const std::string& etag,
                               const std::string& last_modified,
                               std::optional<std::int64_t> update_hint_seconds,
                               std::uint64_t keys_hash) {
  f.state.consecutive_failures = 0;
  f.state.etag = etag;
  f.state.last_modified = last_modified;
  f.ttl_ms = update_hint_seconds ? *update_hint_seconds * 1000 : 0;
  if (f.state.keys_hash != 0) Adapt(f, settings(), keys_hash != f.state.keys_hash);
  f.state.keys_hash = keys_hash;
  auto delay = NextDelay(f, settings(), 200, "", clock_.WallSeconds());
  f.state.next_due_ms = clock_.WallMs() + delay.count();
  f.state.last_http_status = 200;
  return delay;
}

void Scheduler::Failed(PolledFeed& f, const std::string& reason, long status,
                       const std::string& retry_after) {
  ++f.state.consecutive_failures;
  auto delay = NextDelay(f, settings(), status, retry_after, clock_.WallSeconds());
  spdlog::warn("feed {} ({}): {}; next try in {}", f.spec->name, DisplayUrl(f.spec->url), reason,
               FormatDuration(delay));
  f.state.next_due_ms = clock_.WallMs() + delay.count();
  f.state.last_http_status = static_cast<int>(status);
  hooks_.failed(f, reason, f.state, [this, &f, delay] { Done(f, delay); });
}

void Scheduler::Done(PolledFeed& f, milliseconds delay) {
  f.busy = false;
  --busy_;
  if (f.removed) {
    Erase(f);
    return hooks_.poll_ended();
  }
  if (stopping_ || once_) return hooks_.poll_ended();
  Schedule(f, delay + RandomUpTo(settings().jitter));
}

void Scheduler::Erase(PolledFeed& f) {
  spdlog::info("feed {} ({}): removed from the config, no longer polled", f.spec->name,
               f.spec->url);
  feeds_.erase(
      std::remove_if(feeds_.begin(), feeds_.end(), [&](const auto& p) { return p.get() == &f; }),
      feeds_.end());
}

void Scheduler::Stop() {
  stopping_ = true;
  for (auto& f : feeds_) f->timer->cancel();
  // Feeds waiting for a fetch slot are not started any more.
  for (PolledFeed* f : ready_) {
    f->busy = false;
    --busy_;
  }
  ready_.clear();
}

}  // namespace feedwatch::fetch
