// Writes N generated feeds (bench/corpus_gen.h, fixed seed) into a directory:
//   gen_feeds DIR N [SHIFT] -> DIR/f00000.xml … ; prints the total bytes
// SHIFT 1 writes the same feeds one story later (a new entry on top).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "corpus_gen.h"

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::cerr << "usage: gen_feeds DIR N [SHIFT]\n";
    return 2;
  }
  std::filesystem::create_directories(argv[1]);
  int n = std::atoi(argv[2]);
  feedwatch::bench::FeedGenerator gen(7);
  if (argc == 4) gen.shift = std::atoi(argv[3]);
  std::size_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/f%05d.xml", i);
    std::string feed = gen.Feed(i);
    std::ofstream(std::string(argv[1]) + name, std::ios::binary) << feed;
    bytes += feed.size();
  }
  std::cout << bytes << "\n";
  return 0;
}
