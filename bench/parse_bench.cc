// Parse throughput: feedwatch's ParseFeed (charset check, pugixml, entry
// extraction, HTML to text, dates, keys) against bare pugixml load_buffer on
// the same bytes, single-threaded.
//   parse_bench [--smoke] [--feeds N]
#include <pugixml.hpp>

#include <cstring>
#include <iostream>

#include "bench_util.h"
#include "corpus_gen.h"
#include "feedwatch/feed.h"

using namespace feedwatch;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int feeds = 300;
  double min_seconds = 2.0;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--smoke")) {
      feeds = 12;
      min_seconds = 0.05;
    } else if (!std::strcmp(argv[i], "--feeds") && i + 1 < argc) {
      feeds = std::atoi(argv[++i]);
    } else {
      std::cerr << "usage: parse_bench [--smoke] [--feeds N]\n";
      return 2;
    }
  }
  bench::FeedGenerator gen(7);
  std::vector<std::string> corpus;
  std::size_t bytes = 0;
  for (int i = 0; i < feeds; ++i) {
    corpus.push_back(gen.Feed(i));
    bytes += corpus.back().size();
  }
  std::size_t entries = 0;
  for (const auto& f : corpus) {
    auto p = ParseFeed(f, "", "https://bench.example/feed");
    if (!p.ok() || p->entries.empty()) {
      std::cerr << "generated feed failed to parse: " << (p.ok() ? "no entries" : p.status().message()) << "\n";
      return 1;
    }
    entries += p->entries.size();
  }
  auto run = [&](auto fn) {
    auto start = Clock::now();
    int passes = 0;
    do {
      for (const auto& f : corpus) fn(f);
      ++passes;
    } while (bench::Seconds(start) < min_seconds);
    return bench::Seconds(start) / passes;  // seconds per pass over the corpus
  };
  double bare = run([](const std::string& f) {
    pugi::xml_document doc;
    doc.load_buffer(f.data(), f.size(), pugi::parse_default, pugi::encoding_utf8);
  });
  double ours = run([](const std::string& f) { ParseFeed(f, "", "https://bench.example/feed"); });
  double mb = static_cast<double>(bytes) / (1 << 20);
  std::cout << "## Feed parsing (" << feeds << " generated feeds, " << entries << " entries, "
            << static_cast<int>(mb) << " MiB; RSS 2.0, Atom 1.0, RSS 1.0)\n\n"
            << "Machine: " << bench::Machine() << ". Single thread.\n\n"
            << "| parser | MB/s | entries/s | ratio to bare pugixml |\n|---|---:|---:|---:|\n";
  auto row = [&](const char* name, double secs) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "| %s | %.0f | %.0f | %.2fx |\n", name, mb / secs, entries / secs, bare / secs);
    std::cout << buf;
  };
  row("bare pugixml load_buffer (DOM only)", bare);
  row("feedwatch ParseFeed (DOM + entries + HTML to text + dates)", ours);
  return 0;
}
