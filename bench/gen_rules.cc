// Writes N topic rules for the scan comparison, in two forms with the same
// patterns: a feedwatch rule file and one regex per line for the reference
// programs (bench/floor.cc, bench/feedparser_bench.py).
//   gen_rules N RULES.toml PATTERNS.txt
// The first rules watch the corpus's topics (bench/corpus_gen.h), so a share
// of entries really match; the rest watch made-up names, as most rules of a
// large deployment match nothing on most days.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "corpus_gen.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: gen_rules N RULES.toml PATTERNS.txt\n";
    return 2;
  }
  int n = std::atoi(argv[1]);
  std::ofstream toml(argv[2]), pats(argv[3]);
  feedwatch::bench::FeedGenerator gen(7);
  for (int i = 0; i < n; ++i) {
    std::string term = i < static_cast<int>(gen.topics.size())
                           ? gen.topics[i]
                           : "Zorvex" + std::to_string(i) + " Dynamics";
    std::string re = "\\b" + term + "\\b";
    for (std::size_t p = 0; (p = re.find(' ', p)) != std::string::npos; p += 3)
      re.replace(p, 1, "\\s+");
    toml << "[[rule]]\nid = \"r" << i << "\"\nfields = [\"title\", \"summary\"]\nany = ['" << re
         << "']\n\n";
    pats << re << "\n";
  }
  return 0;
}
