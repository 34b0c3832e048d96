// libFuzzer target for the entries archive: arbitrary bytes as an entry's
// text (through the "fw" tokenizer into the FTS5 index) and as a search
// query (through FTS5's query parser and our error mapping).
//   FUZZ_TARGET=archive scripts/fuzz [SECONDS]
// Input: TEXT \0 QUERY (no \0: the whole input is both). A search may fail
// only as an Invalid (bad syntax) status; the index must always agree with
// the rows, including after deletions (the tokenizer must give the same
// tokens at delete time as at insert time).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "feedwatch/store.h"
#include "temp_store.h"

namespace {

feedwatch::Store* TheStore() {
  static std::unique_ptr<feedwatch::Store> store = OpenTempStore("archive");
  return store.get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::int64_t n = 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t nul = in.find('\0');
  std::string_view text = in.substr(0, nul);
  std::string_view query = nul == std::string_view::npos ? in : in.substr(nul + 1);
  feedwatch::Store* store = TheStore();

  auto e = std::make_shared<feedwatch::Entry>();
  e->key = "k" + std::to_string(++n);
  e->title = std::string(text.substr(0, text.size() / 2));
  e->summary = std::string(text.substr(text.size() / 2));
  e->content = e->summary + " " + e->title;
  feedwatch::PolledEntry pe;
  pe.key = e->key;
  pe.entry = e;
  if (!store->polls().RecordPoll("https://fuzz.example/", false, {pe}, n).ok()) __builtin_trap();

  feedwatch::SearchQuery q;
  q.query = std::string(query);
  q.limit = 5;
  auto hits = store->Search(q);
  if (!hits.ok() && hits.status().kind() != feedwatch::Status::Kind::kInvalidArgument)
    __builtin_trap();

  if (n % 64 == 0) {
    if (!store->archive().PruneOldest(48).ok()) __builtin_trap();
    if (!store->archive().Check().ok()) __builtin_trap();
  }
  return 0;
}
