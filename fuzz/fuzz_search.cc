// libFuzzer target for the archive's search query language: arbitrary bytes
// as a query. The cost read from the text must be bounded by its size; a
// query the check lets through runs against a fixed archive under a time
// budget and may end only as results, a bad-query error (Invalid) or a
// stopped query (Unavailable): never a crash, never an I/O error.
//   FUZZ_TARGET=search scripts/fuzz [SECONDS]
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "feedwatch/search_query.h"
#include "feedwatch/store.h"
#include "temp_store.h"

namespace {

feedwatch::Store* TheArchive() {
  static std::unique_ptr<feedwatch::Store> store = [] {
    auto s = OpenTempStore("search");
    const char* titles[] = {"US tightens export controls on AI chips",
                            "Commerce adds Chinese firms to the Entity List",
                            "美国扩大对华芯片出口管制",
                            "Nvidia H20 licence rules",
                            "Lab accused of distilling a rival's model",
                            "半導体製造装置の輸出規制を強化",
                            "Weather: a mild week ahead"};
    std::vector<feedwatch::PolledEntry> entries;
    for (int i = 0; i < 400; ++i) {
      auto e = std::make_shared<feedwatch::Entry>();
      e->key = "k" + std::to_string(i);
      e->title = titles[i % 7];
      e->summary = std::string(titles[(i + 3) % 7]) + " " + std::to_string(i);
      e->content = e->summary;
      feedwatch::PolledEntry pe;
      pe.key = e->key;
      pe.entry = e;
      entries.push_back(std::move(pe));
    }
    if (!s->polls().RecordPoll("https://fuzz.example/", false, entries, 1).ok()) __builtin_trap();
    return s;
  }();
  return store.get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view query(reinterpret_cast<const char*>(data), size);
  feedwatch::SearchQueryCost cost = feedwatch::MeasureSearchQuery(query);
  if (cost.bytes != size || cost.terms > size || cost.prefixes > size) __builtin_trap();
  feedwatch::Store* store = TheArchive();
  store->SetBudget({.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2),
                    .limit = std::chrono::seconds(2)});
  feedwatch::SearchQuery q;
  q.query = std::string(query);
  q.limit = 5;
  auto hits = store->Search(q);
  if (!hits.ok() && hits.status().kind() != feedwatch::Status::Kind::kInvalidArgument &&
      hits.status().kind() != feedwatch::Status::Kind::kUnavailable)
    __builtin_trap();
  // Whatever the check refused, it refused before SQLite saw it.
  if (!feedwatch::CheckSearchQuery(query).ok() && hits.ok()) __builtin_trap();
  return 0;
}
