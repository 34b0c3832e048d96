// The bare native floor for the scan comparison, single-threaded: pugixml
// load_buffer, each item's/entry's title and summary text as pugixml gives it
// (no charset work, no HTML to text, no dates), one RE2::Set over every
// pattern per field, then RE2 on each hit. Prints per-rule match counts, so
// its matches can be compared with feedwatch scan's.
//   floor PATTERNS.txt FILE… [--counts OUT]
//   floor --memchr FILE…      one memchr pass over the bytes: the memory floor
#include <re2/re2.h>
#include <re2/set.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <pugixml.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string Slurp(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Text of an element: its own text and its descendants' (CDATA included).
void Text(const pugi::xml_node& n, std::string& out) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata)
      out += c.value();
    else if (c.type() == pugi::node_element)
      Text(c, out);
  }
}

const char* Local(const char* name) {
  const char* colon = std::strchr(name, ':');
  return colon ? colon + 1 : name;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--memchr") {
    std::size_t bytes = 0, lines = 0;
    std::vector<std::string> files;
    for (int i = 2; i < argc; ++i) files.push_back(Slurp(argv[i]));
    auto t0 = std::chrono::steady_clock::now();
    for (const auto& f : files) {
      bytes += f.size();
      for (const char* p = f.data();
           (p = static_cast<const char*>(std::memchr(p, '\n', f.data() + f.size() - p)));) {
        ++lines;
        ++p;
      }
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("FLOOR memchr bytes=%zu lines=%zu seconds=%.6f\n", bytes, lines, s);
    return 0;
  }
  if (argc < 3) {
    std::cerr << "usage: floor PATTERNS.txt FILE… [--counts OUT] | floor --memchr FILE…\n";
    return 2;
  }
  std::vector<std::string> patterns;
  {
    std::ifstream in(argv[1]);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) patterns.push_back(line);
    }
  }
  std::vector<const char*> files;
  std::string counts_path;
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--counts" && i + 1 < argc)
      counts_path = argv[++i];
    else
      files.push_back(argv[i]);
  }
  auto t0 = std::chrono::steady_clock::now();
  RE2::Options opt;
  opt.set_case_sensitive(false);
  opt.set_log_errors(false);
  opt.set_max_mem(1LL << 30);
  RE2::Set set(opt, RE2::UNANCHORED);
  std::vector<std::unique_ptr<RE2>> each;
  for (const auto& p : patterns) {
    set.Add(p, nullptr);
    each.push_back(std::make_unique<RE2>(p, opt));
  }
  if (!set.Compile()) {
    std::cerr << "floor: RE2::Set does not compile\n";
    return 1;
  }
  double compile_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<long> per_rule(patterns.size(), 0);
  long entries = 0, matches = 0;
  std::size_t bytes = 0;
  std::vector<int> hits;
  std::string title, summary;
  for (const char* path : files) {
    std::string buf = Slurp(path);
    bytes += buf.size();
    pugi::xml_document doc;
    if (!doc.load_buffer_inplace(buf.data(), buf.size())) continue;
    pugi::xml_node root = doc.document_element();
    std::vector<pugi::xml_node> items;
    for (pugi::xml_node n = root.first_child(); n; n = n.next_sibling()) {
      const char* name = Local(n.name());
      if (!std::strcmp(name, "entry") || !std::strcmp(name, "item")) items.push_back(n);
      if (!std::strcmp(name, "channel")) {
        for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
          if (!std::strcmp(Local(c.name()), "item")) items.push_back(c);
        }
      }
    }
    for (const pugi::xml_node& it : items) {
      ++entries;
      title.clear();
      summary.clear();
      for (pugi::xml_node c = it.first_child(); c; c = c.next_sibling()) {
        const char* name = c.name();
        if (!std::strcmp(name, "title"))
          Text(c, title);
        else if (!std::strcmp(name, "description") || !std::strcmp(name, "summary"))
          Text(c, summary);
      }
      std::vector<bool> matched(patterns.size(), false);
      for (const std::string* field : {&title, &summary}) {
        hits.clear();
        if (!set.Match(*field, &hits)) continue;
        for (int h : hits) {
          if (!matched[h] && RE2::PartialMatch(*field, *each[h])) matched[h] = true;
        }
      }
      for (std::size_t r = 0; r < matched.size(); ++r) {
        if (matched[r]) ++per_rule[r], ++matches;
      }
    }
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!counts_path.empty()) {
    std::ofstream out(counts_path);
    for (std::size_t r = 0; r < per_rule.size(); ++r) out << "r" << r << " " << per_rule[r] << "\n";
  }
  std::printf("FLOOR entries=%ld matches=%ld bytes=%zu seconds=%.6f compile_seconds=%.6f\n",
              entries, matches, bytes, s, compile_s);
  return 0;
}
