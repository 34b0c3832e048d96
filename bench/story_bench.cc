// Story grouping benchmark: what placing alerting entries in stories costs,
// each figure against a reference measured in the same run:
//   - on the workers, story::KeysFor (canonical link, title, MinHash) per
//     alerting entry vs BuildAlertPayload for the same entry, which the
//     worker already does for it;
//   - in the invariant transaction, Store::RecordPolls with a 48h story
//     window vs the same polls with grouping off, per alerting entry;
//   - the state file's growth per alerting entry, and the process's peak
//     memory, with and without stories.
// The entries model 10,000 feeds: every alerting entry of a busy window,
// a third of them copies (same link, same headline or a reprint of the
// text) of a smaller set of stories.
//
//   story_bench [--smoke] [--feeds N] [--entries N]
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.h"
#include "feedwatch/payload.h"
#include "feedwatch/router.h"
#include "feedwatch/store.h"
#include "feedwatch/story.h"
#include "feedwatch/util.h"

namespace fs = std::filesystem;
using namespace feedwatch;
using feedwatch::bench::Seconds;
using BenchClock = std::chrono::steady_clock;

namespace {

// News-like text: 4,000 distinct words drawn with a Zipf-like skew (a few
// words, "the" and "of" among them, are in every text), so unrelated texts
// share common word pairs as real ones do.
std::string Word(std::uint64_t r) {
  static const char* const kCommon[] = {"the", "of",    "to",   "and",  "in",     "a",
                                        "on",  "for",   "said", "with", "export", "china",
                                        "us",  "chips", "new",  "by",   "rules",  "that"};
  constexpr std::uint64_t kCommonN = sizeof kCommon / sizeof kCommon[0];
  if (r % 3 == 0) return kCommon[(r / 3) % kCommonN];
  // The rest: rank k of 4,000 chosen with probability ~ 1/k.
  double u = static_cast<double>((r >> 8) % 1000000) / 1000000.0;
  auto rank = static_cast<std::uint64_t>(std::pow(4000.0, u));
  return "w" + std::to_string(rank);
}

std::string Words(std::uint64_t seed, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    if (i) out.push_back(' ');
    out += Word(Avalanche(seed * 131 + static_cast<std::uint64_t>(i)));
  }
  return out;
}

struct Item {
  std::string feed_url;
  Entry entry;
};

// Entry i of feed (i % feeds). One in three is a copy of one of the first
// `stories` entries: by link (with tracking), by headline, or a reprint.
std::vector<Item> MakeItems(int feeds, int entries) {
  int stories = std::max(1, entries / 10);
  std::vector<Item> out;
  for (int i = 0; i < entries; ++i) {
    Item it;
    it.feed_url = "https://outlet" + std::to_string(i % feeds) + ".example/feed.xml";
    Entry& e = it.entry;
    e.key = "k" + std::to_string(i);
    int base = i;
    int kind = (i >= stories && i % 3 == 0) ? 1 + (i / 3) % 3 : 0;
    if (kind) base = static_cast<int>(Avalanche(static_cast<std::uint64_t>(i)) % stories);
    e.title = "US " + Words(base * 7 + 1, 9);
    e.link = "https://outlet" + std::to_string(i % feeds) + ".example/story/" + std::to_string(i);
    e.summary = Words(base * 7 + 2, 60);
    if (kind == 1)
      e.link = "https://www.outlet" + std::to_string(base % feeds) + ".example/story/" +
               std::to_string(base) + "?utm_source=rss";
    if (kind == 2) e.summary = Words(i * 7 + 3, 60);  // same headline, own text
    if (kind == 3) {                                  // a reprint: new headline, same text
      e.title = "Regional " + Words(i * 7 + 4, 8);
      e.summary = "WASHINGTON (Wire) - " + e.summary + " Reporting by staff.";
    }
    out.push_back(std::move(it));
  }
  return out;
}

RuleSpec Rule() {
  RuleSpec r;
  r.id = "ai-chip-export-controls";
  r.title = "US export controls on AI chips";
  r.severity = "high";
  return r;
}

std::vector<PollRecord> Records(const std::vector<Item>& items, bool stories,
                                std::int64_t window_ms) {
  RuleSpec rule = Rule();
  std::vector<PollRecord> out;
  for (const Item& it : items) {
    FeedSpec feed;
    feed.name = it.feed_url;
    feed.url = it.feed_url;
    PollRecord r;
    r.feed_url = it.feed_url;
    r.prime = false;
    r.story_window_ms = window_ms;
    PolledEntry p;
    p.key = it.entry.key;
    std::string id = deliver::AlertId(rule.id, feed.url, it.entry.key, "hook");
    NewAlert a;
    a.alert_id = id;
    a.sink = "hook";
    a.rule_id = rule.id;
    a.payload = BuildAlertPayload(rule, feed, "Outlet", it.entry, id, 1764000000);
    a.rules = {rule.id};
    a.mode = StoryMode::kFirst;
    p.alerts.push_back(std::move(a));
    if (stories) {
      auto c = std::make_shared<StoryCandidate>();
      c->keys = story::KeysFor(it.entry);
      c->title = it.entry.title;
      c->link = it.entry.link;
      p.story = std::move(c);
    }
    r.entries.push_back(std::move(p));
    out.push_back(std::move(r));
  }
  return out;
}

struct Recorded {
  double seconds = 0;
  std::int64_t queued = 0, grouped = 0, bytes = 0;
};

// Polls recorded 32 to a transaction, as the recorder batches them.
Recorded Record(const std::vector<PollRecord>& records) {
  bench::TempDir dir("fw-story-bench");
  auto store = Store::Open(dir.path);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    std::exit(2);
  }
  Recorded r;
  std::int64_t now = 1764000000000;
  auto t0 = BenchClock::now();
  for (std::size_t i = 0; i < records.size(); i += 32) {
    std::vector<PollRecord> batch(
        records.begin() + static_cast<std::ptrdiff_t>(i),
        records.begin() + static_cast<std::ptrdiff_t>(std::min(records.size(), i + 32)));
    for (auto& out : (*store)->polls().RecordPolls(batch, now)) {
      if (!out.ok()) {
        std::fprintf(stderr, "%s\n", out.status().message().c_str());
        std::exit(2);
      }
      r.queued += out->alerts_queued;
      r.grouped += out->alerts_grouped;
    }
    now += 1000;
  }
  r.seconds = Seconds(t0);
  store->reset();
  for (const auto& f : fs::directory_iterator(dir.path))
    r.bytes += static_cast<std::int64_t>(fs::file_size(f.path()));
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  bool smoke = false;
  int feeds = 10000, entries = 20000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--smoke")) smoke = true;
    if (!std::strcmp(argv[i], "--feeds") && i + 1 < argc) feeds = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--entries") && i + 1 < argc) entries = std::atoi(argv[++i]);
  }
  if (smoke) feeds = 50, entries = 300;
  std::printf("story_bench: %d feeds, %d alerting entries; %s\n", feeds, entries,
              bench::Machine().c_str());
  std::vector<Item> items = MakeItems(feeds, entries);

  // Workers: identity keys vs the payload the worker builds anyway.
  RuleSpec rule = Rule();
  FeedSpec feed;
  feed.name = "outlet";
  feed.url = "https://outlet.example/feed.xml";
  std::size_t sink = 0;
  auto t0 = BenchClock::now();
  for (const Item& it : items)
    sink += BuildAlertPayload(rule, feed, "Outlet", it.entry, "fw_x", 1764000000).size();
  double payload_s = Seconds(t0);
  t0 = BenchClock::now();
  for (const Item& it : items) sink += story::KeysFor(it.entry).Lookups().size();
  double keys_s = Seconds(t0);
  double per = 1e6 / entries;
  std::printf("worker   KeysFor %.1f us/entry, BuildAlertPayload %.1f us/entry: %.2fx (%zu)\n",
              keys_s * per, payload_s * per, keys_s / payload_s, sink % 10);

  // The invariant transaction, with and without stories.
  double peak_before = bench::PeakRssMiB();
  Recorded off = Record(Records(items, false, 0));
  double peak_off = bench::PeakRssMiB();
  Recorded on = Record(Records(items, true, 48LL * 3600 * 1000));
  double peak_on = bench::PeakRssMiB();
  std::printf("store    stories on %.1f us/entry, off %.1f us/entry: %.2fx\n", on.seconds * per,
              off.seconds * per, on.seconds / off.seconds);
  std::printf("outbox   %lld alerts queued with stories (%lld held back as copies), %lld without\n",
              static_cast<long long>(on.queued), static_cast<long long>(on.grouped),
              static_cast<long long>(off.queued));
  std::printf("file     %.0f bytes/entry with stories, %.0f without (+%.0f)\n",
              static_cast<double>(on.bytes) / entries, static_cast<double>(off.bytes) / entries,
              static_cast<double>(on.bytes - off.bytes) / entries);
  std::printf("memory   peak RSS %.1f MiB before, %.1f after recording without, %.1f with\n",
              peak_before, peak_off, peak_on);
  if (on.queued + on.grouped != off.queued || on.grouped == 0) {
    std::fprintf(stderr, "story_bench: every alert must be queued or held back as a copy\n");
    return 1;
  }
  return 0;
}
