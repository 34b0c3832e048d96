// Status page benchmark: what rendering each page costs on the admin
// endpoint's worker at a large installation, against a reference measured
// in the same run: the /status JSON document (every feed's stored state,
// FeedStatuses + RenderStatusJson), which the endpoint already serves.
//
// The state file models N feeds (default 10,000) polled over 14 days, each
// poll finding new entries, 1% of them alerting on one of 50 rules, each
// alert queued for two sinks; the archive off (as by default).
//
//   status_page_bench [--smoke] [--feeds N]
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "feedwatch/admin_routes.h"
#include "feedwatch/match.h"
#include "feedwatch/scheduler.h"
#include "feedwatch/status_page.h"
#include "feedwatch/store.h"
#include "feedwatch/util.h"

using namespace feedwatch;
using feedwatch::bench::Seconds;
using BenchClock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int kRules = 50;

std::string Payload(int rule, const std::string& title) {
  std::string id = "rule-" + std::to_string(rule);
  return R"({"version":1,"rule":{"id":")" + id + R"("},"rules":[{"id":")" + id +
         R"(","highlights":[{"field":"title","text":"export","begin":3,"end":9}]}],"entry":{"title":")" +
         title + R"(","link":"https://news.example/a"}})";
}

// Median seconds of `runs` calls of `f`.
template <typename F>
double Median(int runs, F f) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    auto t0 = BenchClock::now();
    f();
    t.push_back(Seconds(t0));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  bool smoke = false;
  int feeds = 10000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--smoke")) smoke = true;
    if (!std::strcmp(argv[i], "--feeds") && i + 1 < argc) feeds = std::atoi(argv[++i]);
  }
  if (smoke) feeds = 50;
  const int days = 14, per_poll = 7;
  std::printf("status_page_bench: %d feeds, %d days, %d new entries per feed per day; %s\n", feeds,
              days, per_poll, bench::Machine().c_str());
  bench::TempDir dir("fw-page-bench");
  std::string rules_file = dir.path + "/rules.toml";
  {
    std::ofstream r(rules_file);
    for (int i = 0; i < kRules; ++i)
      r << "[[rule]]\nid = \"rule-" << i << "\"\ntitle = \"Rule " << i << "\"\nany = ['\\bword" << i
        << "\\b']\n\n";
  }
  auto rules = LoadRuleFiles({rules_file});
  if (!rules.ok()) return std::fprintf(stderr, "%s\n", rules.status().message().c_str()), 2;
  auto matcher = Matcher::Build(std::move(*rules));
  if (!matcher.ok()) return std::fprintf(stderr, "%s\n", matcher.status().message().c_str()), 2;
  LoadedConfig gen;
  gen.matcher = *matcher;
  gen.config.daemon.state_dir = dir.path;
  for (int f = 0; f < feeds; ++f) {
    FeedSpec s;
    s.name = "feed-" + std::to_string(f);
    s.url = "https://outlet" + std::to_string(f) + ".example/feed.xml";
    s.interval = std::chrono::minutes(10);
    gen.config.feeds.push_back(s);
  }

  // The state: 14 days of polls, 32 to a transaction as the recorder batches them.
  auto t_fill = BenchClock::now();
  {
    auto store = Store::Open(dir.path);
    if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().message().c_str()), 2;
    std::int64_t start = UnixNowMs() - (days - 1) * kDayMs;
    std::uint64_t n = 0;
    for (int d = 0; d < days; ++d) {
      std::vector<PollRecord> batch;
      for (int f = 0; f < feeds; ++f) {
        PollRecord rec;
        rec.feed_url = gen.config.feeds[static_cast<std::size_t>(f)].url;
        rec.prime = false;
        rec.fetch.next_due_ms = start + d * kDayMs + 600000;
        for (int e = 0; e < per_poll; ++e, ++n) {
          PolledEntry pe;
          pe.key = "k" + std::to_string(n);
          if (Avalanche(n) % 100 == 0) {
            int rule = static_cast<int>(Avalanche(n + 7) % kRules);
            for (const char* sink : {"team", "log"}) {
              NewAlert a;
              a.alert_id = "fw_" + std::to_string(n) + sink;
              a.sink = sink;
              a.rule_id = "rule-" + std::to_string(rule);
              a.rules = {a.rule_id};
              a.payload = Payload(rule, "US export controls story " + std::to_string(n));
              pe.alerts.push_back(std::move(a));
            }
          }
          rec.entries.push_back(std::move(pe));
        }
        batch.push_back(std::move(rec));
        if (batch.size() == 32 || f == feeds - 1) {
          for (auto& r : (*store)->polls().RecordPolls(batch, start + d * kDayMs))
            if (!r.ok()) return std::fprintf(stderr, "%s\n", r.status().message().c_str()), 2;
          batch.clear();
        }
      }
    }
  }
  std::printf("  state: %d polls recorded in %.1f s\n", feeds * days, Seconds(t_fill));

  auto store = Store::OpenReadOnly(dir.path);
  if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().message().c_str()), 2;
  service::LiveView live;
  live.now_ms = UnixNowMs();
  live.started_ms = live.now_ms - 3600000;
  live.generation = 1;
  live.csrf = RandomHex(24);
  for (const FeedSpec& f : gen.config.feeds)
    live.feeds.push_back({.name = f.name,
                          .url = f.url,
                          .tags = {},
                          .failures = 0,
                          .next_due_ms = live.now_ms + 600000,
                          .interval_ms = 600000,
                          .interval_why = "configured",
                          .configured_ms = 600000});

  // The reference: /status as the endpoint builds it.
  std::size_t json_bytes = 0;
  int runs = smoke ? 1 : 5;
  double reference = Median(runs, [&] {
    auto states = (*store)->FeedStatuses();
    auto counts = (*store)->CountOutbox();
    json_bytes = service::RenderStatusJson(live, states, counts).size();
  });
  std::printf("  reference: GET /status (FeedStatuses + JSON): %.1f ms, %zu KiB\n",
              reference * 1000, json_bytes / 1024);
  for (std::string path : {"/", "/feeds", "/feed", "/rules", "/alerts"}) {
    AdminRequest req;
    req.method = "GET";
    req.path = path;
    if (path == "/feed") req.query = "name=feed-7";
    std::size_t bytes = 0;
    int status = 0;
    double t = Median(runs, [&] {
      AdminResponse resp = service::RenderStatusPage(req, live, gen, **store);
      bytes = resp.body.size();
      status = resp.status;
    });
    if (status != 200) return std::fprintf(stderr, "%s answered %d\n", path.c_str(), status), 1;
    std::printf("  page %-7s %8.1f ms  %6.2fx the reference  %6zu KiB\n", path.c_str(), t * 1000,
                t / reference, bytes / 1024);
  }
  return 0;
}
