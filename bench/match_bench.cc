// Rule matching throughput: feedwatch's Matcher against a naive loop (one
// RE2::PartialMatch per pattern per rule) and against a bare RE2::Set over
// the same patterns and text, with 100, 1,000 and 10,000 generated rules.
//
//   match_bench [--smoke] [--sizes 100,1000,10000] [--entries N]
//
// Prints a Markdown table. Exits 1 if the Matcher and the naive loop disagree
// on any entry (the figures would then be meaningless).
#include <re2/re2.h>
#include <re2/set.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "feedwatch/match.h"

using namespace feedwatch;
using BenchClock = std::chrono::steady_clock;

namespace {

const char* kFiller[] = {
    "the",        "government", "said",     "on",        "Tuesday",   "that",   "new",
    "rules",      "would",      "apply",    "to",        "companies", "in",     "markets",
    "analysts",   "expect",     "further",  "measures",  "after",     "talks",  "with",
    "officials",  "from",       "several",  "countries", "about",     "trade",  "and",
    "technology", "policy",     "reported", "sources",   "familiar",  "matter", "according",
    "statement",  "week"};
const char* kTopics[] = {"export",     "controls",      "chips",       "sanctions",    "tariffs",
                         "licence",    "semiconductor", "model",       "distillation", "smuggling",
                         "investment", "subsidy",       "lithography", "cluster",      "data"};

std::string EntityName(int i) {
  // Distinct, pronounceable, never a filler word: "Zorvex17".
  static const char* kSyl[] = {"zor",  "vex", "tal", "mir", "qua",
                               "dron", "bel", "kas", "nix", "pol"};
  std::string s = kSyl[i % 10];
  s += kSyl[(i / 10) % 10];
  s[0] = static_cast<char>(std::toupper(s[0]));
  return s + std::to_string(i);
}

struct Corpus {
  std::vector<Entry> entries;
  std::size_t bytes = 0;
};

Corpus MakeCorpus(int n, int rules, std::mt19937& rng) {
  Corpus c;
  std::uniform_int_distribution<int> filler(0, std::size(kFiller) - 1),
      topic(0, std::size(kTopics) - 1), rule(0, rules - 1), pct(0, 99);
  auto words = [&](int count, bool mention) {
    std::string s;
    int at = mention ? std::uniform_int_distribution<int>(0, count - 1)(rng) : -1;
    for (int w = 0; w < count; ++w) {
      if (!s.empty()) s += ' ';
      if (w == at)
        s += EntityName(rule(rng));
      else if (pct(rng) < 12)
        s += kTopics[topic(rng)];
      else
        s += kFiller[filler(rng)];
    }
    return s;
  };
  for (int i = 0; i < n; ++i) {
    Entry e;
    bool mention = pct(rng) < 30;  // about 30% of entries name some rule's entity
    e.title = words(std::uniform_int_distribution<int>(8, 14)(rng), mention && pct(rng) < 50);
    e.summary = words(std::uniform_int_distribution<int>(40, 80)(rng), mention);
    c.bytes += e.title.size() + e.summary.size();
    c.entries.push_back(std::move(e));
  }
  return c;
}

std::vector<RuleSpec> MakeRules(int n, std::mt19937& rng) {
  std::vector<RuleSpec> rules;
  std::uniform_int_distribution<int> topic(0, std::size(kTopics) - 1), pct(0, 99);
  for (int i = 0; i < n; ++i) {
    RuleSpec r;
    r.id = "r" + std::to_string(i);
    r.fields = (1 << int(Field::kTitle)) | (1 << int(Field::kSummary));
    r.any.push_back({"\\b" + EntityName(i) + "\\b", EntityName(i), 1});
    r.any.push_back({"\\b" + EntityName(i) + " (Labs|Group)\\b", "", 1});
    if (pct(rng) < 50) {
      std::string a = kTopics[topic(rng)], b = kTopics[topic(rng)];
      r.all.push_back({"\\b(" + a + "|" + b + ")\\b", "", 1});
    }
    if (pct(rng) < 20)
      r.none.push_back({"\\b" + std::string(kTopics[topic(rng)]) + "s? ban\\b", "", 1});
    rules.push_back(std::move(r));
  }
  return rules;
}

// The loop a user would write: every rule, every pattern, one at a time.
struct Naive {
  struct R {
    std::vector<std::unique_ptr<RE2>> any, all, none;
  };
  std::vector<R> rules;
  explicit Naive(const std::vector<RuleSpec>& specs) {
    RE2::Options o;
    o.set_case_sensitive(false);
    o.set_log_errors(false);
    for (const auto& s : specs) {
      R r;
      for (const auto& p : s.any) r.any.push_back(std::make_unique<RE2>(p.regex, o));
      for (const auto& p : s.all) r.all.push_back(std::make_unique<RE2>(p.regex, o));
      for (const auto& p : s.none) r.none.push_back(std::make_unique<RE2>(p.regex, o));
      rules.push_back(std::move(r));
    }
  }
  static bool Hit(const RE2& re, const Entry& e) {
    return RE2::PartialMatch(e.title, re) || RE2::PartialMatch(e.summary, re);
  }
  std::vector<std::size_t> Match(const Entry& e) const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const R& r = rules[i];
      bool any = r.any.empty();
      for (const auto& re : r.any) {
        if (Hit(*re, e)) {
          any = true;
          break;
        }
      }
      if (!any) continue;
      bool ok = true;
      for (const auto& re : r.all) ok = ok && Hit(*re, e);
      for (const auto& re : r.none) ok = ok && !Hit(*re, e);
      if (ok) out.push_back(i);
    }
    return out;
  }
};

// Runs fn over the entries until at least min_seconds passed; entries/s.
template <typename Fn>
double Throughput(const std::vector<Entry>& entries, double min_seconds, Fn fn) {
  auto start = BenchClock::now();
  std::size_t done = 0;
  std::size_t sink = 0;
  do {
    for (const Entry& e : entries) {
      sink += fn(e);
      ++done;
      if ((done & 63) == 0 && bench::Seconds(start) > min_seconds * 4) break;
    }
  } while (bench::Seconds(start) < min_seconds);
  if (sink == 0xFFFFFFFF) std::puts("");  // keep the work observable
  return static_cast<double>(done) / bench::Seconds(start);
}

std::string Fmt(double v, int prec = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  std::string s = buf;
  // Thousands separators for readability.
  auto dot = s.find('.');
  int int_len = static_cast<int>(dot == std::string::npos ? s.size() : dot);
  for (int i = int_len - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  bool smoke = false;
  bool profile_matcher = false;  // --profile-matcher: time only the Matcher (for perf)
  std::vector<int> sizes = {100, 1000, 10000};
  int n_entries = 5000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--smoke")
      smoke = true;
    else if (a == "--profile-matcher")
      profile_matcher = true;
    else if (a == "--entries" && i + 1 < argc)
      n_entries = std::atoi(argv[++i]);
    else if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      std::stringstream ss(argv[++i]);
      for (std::string t; std::getline(ss, t, ',');) sizes.push_back(std::stoi(t));
    } else {
      std::cerr << "usage: match_bench [--smoke] [--sizes 100,1000,10000] [--entries N]\n";
      return 2;
    }
  }
  double min_seconds = 1.0;
  if (smoke) {
    sizes = {50, 500};
    n_entries = 300;
    min_seconds = 0.05;
  }
  std::cout << "## Rule matching (title + summary, " << n_entries << " generated entries)\n\n"
            << "Machine: " << bench::Machine()
            << ". Single thread. Ratios are against the bare RE2::Set "
            << "and the naive loop measured in the same run.\n\n"
            << "| rules | compile s | RSS after compile MiB | feedwatch Matcher entries/s | bare "
               "RE2::Set entries/s | "
               "naive loop entries/s | Matcher / bare Set | Matcher / naive |\n"
            << "|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  int disagreements = 0;
  for (int n : sizes) {
    std::mt19937 rng(42);
    auto rules = MakeRules(n, rng);
    Corpus corpus = MakeCorpus(n_entries, n, rng);
    double rss0 = bench::RssMiB();
    auto t0 = BenchClock::now();
    auto built = Matcher::Build(rules);
    double compile_s = bench::Seconds(t0);
    if (!built.ok()) {
      std::cerr << built.status().message() << "\n";
      return 1;
    }
    const Matcher& m = **built;
    double rss = bench::RssMiB() - rss0;
    // One untimed pass first: both sides are measured with warm DFA caches.
    for (const Entry& e : corpus.entries) m.Match(e);
    double ours =
        Throughput(corpus.entries, min_seconds, [&](const Entry& e) { return m.Match(e).size(); });
    if (profile_matcher) continue;
    // Bare Set: the same patterns, case-folded, one Set, title and summary.
    RE2::Options so;
    so.set_log_errors(false);
    so.set_max_mem(256LL << 20);
    RE2::Set set(so, RE2::UNANCHORED);
    for (const auto& r : rules) {
      for (const auto* list : {&r.any, &r.all, &r.none}) {
        for (const auto& p : *list) set.Add("(?i:" + p.regex + ")", nullptr);
      }
    }
    set.Compile();
    std::vector<int> hits;
    for (const Entry& e : corpus.entries) set.Match(e.title, &hits), set.Match(e.summary, &hits);
    double bare = Throughput(corpus.entries, min_seconds, [&](const Entry& e) {
      hits.clear();
      set.Match(e.title, &hits);
      std::size_t k = hits.size();
      hits.clear();
      set.Match(e.summary, &hits);
      return k + hits.size();
    });
    Naive naive(rules);
    // The naive loop is slow with many rules: time it on a prefix.
    std::vector<Entry> sample(
        corpus.entries.begin(),
        corpus.entries.begin() +
            std::min<std::size_t>(corpus.entries.size(), n >= 10000 ? 300 : 2000));
    double slow =
        Throughput(sample, min_seconds, [&](const Entry& e) { return naive.Match(e).size(); });
    for (const Entry& e : sample) {
      if (m.Match(e) != naive.Match(e)) {
        if (++disagreements <= 5)
          std::cerr << "disagreement with " << n << " rules on: " << e.title << "\n";
      }
    }
    std::cout << "| " << Fmt(n) << " | " << Fmt(compile_s, 2) << " | " << Fmt(rss, 0) << " | "
              << Fmt(ours) << " | " << Fmt(bare) << " | " << Fmt(slow) << " | "
              << Fmt(ours / bare, 2) << "x | " << Fmt(ours / slow, 1) << "x |\n";
  }
  std::cout << "\nPeak RSS of the whole run: " << Fmt(bench::PeakRssMiB(), 0) << " MiB.\n";
  if (disagreements) {
    std::cerr << disagreements << " entries where the Matcher and the naive loop disagree\n";
    return 1;
  }
  return 0;
}
