// The entries archive in a real SQLite file: written with the seen rows,
// read back whole, searched, pruned.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "feedwatch/router.h"
#include "feedwatch/search_query.h"
#include "feedwatch/store.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using testing::TempDir;

PolledEntry Archived(const std::string& key, const std::string& title,
                     const std::string& summary = "", std::vector<std::string> alert_rules = {}) {
  auto e = std::make_shared<Entry>();
  e->key = key;
  e->id = "guid-" + key;
  e->title = title;
  e->link = "https://news.example/" + key;
  e->summary = summary;
  e->content = summary;
  e->authors = {"A. Writer", "B. Editor"};
  e->categories = {"Trade"};
  e->published = 1764500000;
  PolledEntry pe;
  pe.key = key;
  pe.entry = e;
  for (const auto& r : alert_rules) {
    pe.alerts.push_back(NewAlert{
        deliver::AlertId(r, "https://f/", key, "hook"), "hook", r, "{}", {r}, StoryMode::kAll});
    pe.matched_rules.push_back(r);
  }
  return pe;
}

std::vector<ArchivedEntry> All(Store& s, ArchiveFilter f = {}) {
  std::vector<ArchivedEntry> out;
  Status st = s.ForEachArchived(f, [&](ArchivedEntry&& a) {
    out.push_back(std::move(a));
    return true;
  });
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

std::vector<std::string> Keys(const std::vector<ArchivedEntry>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.entry.key);
  return out;
}

std::vector<std::string> HitKeys(Store& s, const std::string& q) {
  SearchQuery sq;
  sq.query = q;
  sq.now_ms = 2000;
  auto hits = s.Search(sq);
  EXPECT_TRUE(hits.ok()) << hits.status().message();
  std::vector<std::string> out;
  if (hits.ok())
    for (const auto& h : *hits) out.push_back(h.entry_key);
  return out;
}

TEST(Archive, EachNewEntryIsArchivedOnceWithWhatTheMatcherReads) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::vector<PolledEntry> first = {
      Archived("a", "Export controls widen", "Chips <b>and</b> tools", {"export"}),
      Archived("b", "Bakery wins award")};
  PollRecord rec{"https://f/", false, first, {}, "Policy Wire"};
  auto out = (*store)->polls().RecordPolls({rec}, 1000);
  ASSERT_TRUE(out[0].ok()) << out[0].status().message();
  EXPECT_EQ(out[0]->new_entries, 2);
  // The same entries again, and one new: only the new one is added.
  rec.entries.push_back(Archived("c", "Gallium curbs"));
  ASSERT_TRUE((*store)->polls().RecordPolls({rec}, 2000)[0].ok());
  auto rows = All(**store);
  ASSERT_EQ(Keys(rows), (std::vector<std::string>{"a", "b", "c"}));
  const ArchivedEntry& a = rows[0];
  EXPECT_EQ(a.feed_url, "https://f/");
  EXPECT_EQ(a.feed_title, "Policy Wire");
  EXPECT_EQ(a.first_seen_ms, 1000);
  EXPECT_EQ(a.entry.id, "guid-a");
  EXPECT_EQ(a.entry.title, "Export controls widen");
  EXPECT_EQ(a.entry.link, "https://news.example/a");
  EXPECT_EQ(a.entry.summary, "Chips <b>and</b> tools");
  EXPECT_EQ(a.entry.content, a.entry.summary) << "content stored once when it equals the summary";
  EXPECT_EQ(a.entry.authors, (std::vector<std::string>{"A. Writer", "B. Editor"}));
  EXPECT_EQ(a.entry.categories, (std::vector<std::string>{"Trade"}));
  EXPECT_EQ(a.entry.published, 1764500000);
  EXPECT_FALSE(a.entry.updated);
  EXPECT_EQ(a.rules, (std::vector<std::string>{"export"}));
  EXPECT_EQ(rows[2].first_seen_ms, 2000);
  auto stats = (*store)->ArchiveStatsFor();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->entries, 3);
  EXPECT_EQ(stats->oldest_ms, 1000);
  EXPECT_EQ(stats->newest_ms, 2000);
}

TEST(Archive, PrimingPollOfManyEntriesArchivesEachOnce) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  // More than one multi-row chunk, with a key that occurs twice and one the
  // seen table has already (from before the archive was on).
  ASSERT_TRUE((*store)->polls().RecordPoll("https://f/", false, {Archived("k7", "old")}, 500).ok());
  PollRecord rec{"https://f/", true, {}, {}, ""};
  for (int i = 0; i < 70; ++i) rec.entries.push_back(Archived("k" + std::to_string(i), "t"));
  rec.entries.push_back(Archived("k3", "t again"));
  PollRecord other{"https://g/", true, {}, {}, ""};
  for (int i = 0; i < 40; ++i) other.entries.push_back(Archived("k" + std::to_string(i), "g"));
  auto out = (*store)->polls().RecordPolls({rec, other}, 1000);
  ASSERT_TRUE(out[0].ok() && out[1].ok());
  EXPECT_EQ(out[0]->new_entries, 69);
  EXPECT_EQ(out[1]->new_entries, 40);
  EXPECT_EQ(All(**store).size(), 1u + 69u + 40u);
  EXPECT_EQ(All(**store, {0, {"https://g/"}, 0}).size(), 40u);
  // Newest first with a limit.
  auto newest = All(**store, {0, {"https://g/"}, 2});
  ASSERT_EQ(Keys(newest), (std::vector<std::string>{"k39", "k38"}));
}

TEST(Archive, SearchRanksTitlesFirstMarksTermsAndExplainsBadSyntax) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  std::vector<PolledEntry> entries = {
      Archived("body", "Markets close higher", "Analysts see new export controls on chips"),
      Archived("title", "US tightens export controls on AI chips", "Rules take effect in May"),
      Archived("other", "Export figures rise", "Car makers sold more abroad"),
      Archived("cn", "美国加强对华芯片出口管制", "商务部周二公布新规"),
      Archived("ko", "미국, 반도체 수출 통제 강화", "상무부가 발표했다"),
      Archived("deep", "Metals weekly", "Prices were mixed")};
  auto deep = std::make_shared<Entry>(*entries.back().entry);
  deep->content = "Prices were mixed. Later: new gallium licences from Beijing.";
  entries.back().entry = deep;
  ASSERT_TRUE((*store)->polls().RecordPoll("https://f/", false, entries, 1000).ok());
  EXPECT_EQ(HitKeys(**store, "\"export controls\""), (std::vector<std::string>{"title", "body"}));
  EXPECT_EQ(HitKeys(**store, "export NOT controls"), (std::vector<std::string>{"other"}));
  EXPECT_EQ(HitKeys(**store, "NEAR(export chips, 3)"), (std::vector<std::string>{"title", "body"}));
  auto prefix = HitKeys(**store, "expo*");
  ASSERT_EQ(prefix.size(), 3u);
  EXPECT_EQ(prefix.back(), "body") << "title hits rank above summary hits";
  // Words inside text written without spaces.
  EXPECT_EQ(HitKeys(**store, "出口管制"), (std::vector<std::string>{"cn"}));
  EXPECT_EQ(HitKeys(**store, "芯片"), (std::vector<std::string>{"cn"}));
  EXPECT_EQ(HitKeys(**store, "반도체"), (std::vector<std::string>{"ko"}));
  EXPECT_TRUE(HitKeys(**store, "管制出口").empty()) << "characters must stand together";

  SearchQuery sq;
  sq.query = "chips";
  sq.mark_open = "<<";
  sq.mark_close = ">>";
  auto hits = (*store)->Search(sq);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].title_marked, "US tightens export controls on AI <<chips>>");
  EXPECT_EQ((*hits)[0].title, "US tightens export controls on AI chips");
  EXPECT_NE((*hits)[1].snippet.find("<<chips>>"), std::string::npos) << (*hits)[1].snippet;
  EXPECT_EQ((*hits)[0].link, "https://news.example/title");
  sq.query = "gallium";
  hits = (*store)->Search(sq);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_NE((*hits)[0].snippet.find("<<gallium>>"), std::string::npos)
      << "the snippet comes from where the terms are: " << (*hits)[0].snippet;

  for (const char* bad : {"export AND", "\"unterminated", "US-China", "(chips", "NEAR(a b, x)",
                          "nosuchfield: chips"}) {
    sq.query = bad;
    auto r = (*store)->Search(sq);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().kind(), Status::Kind::kInvalidArgument) << r.status().message();
    EXPECT_NE(r.status().message().find("bad search query"), std::string::npos)
        << r.status().message();
  }
}

TEST(Archive, RecentEntriesRankAboveOlderOnesOfEqualRelevance) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  const std::int64_t day = 24LL * 3600 * 1000;
  ASSERT_TRUE((*store)
                  ->polls()
                  .RecordPoll("https://f/", false, {Archived("old", "Gallium export curbs")}, day)
                  .ok());
  ASSERT_TRUE(
      (*store)
          ->polls()
          .RecordPoll("https://f/", false, {Archived("new", "Gallium export curbs")}, 20 * day)
          .ok());
  SearchQuery sq;
  sq.query = "gallium";
  sq.now_ms = 21 * day;
  auto hits = (*store)->Search(sq);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].entry_key, "new");
  sq.since_ms = 10 * day;
  EXPECT_EQ((*store)->Search(sq)->size(), 1u);
}

TEST(Archive, PruningRemovesRowsAndTheirIndexTerms) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE((*store)
                    ->polls()
                    .RecordPoll("https://f/", false,
                                {Archived("k" + std::to_string(i), "Entity List additions")},
                                1000 * (i + 1))
                    .ok());
  }
  auto n = (*store)->archive().Prune(3000, 1);  // a chunk of one
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  n = (*store)->archive().Prune(3000, 100);
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(Keys(All(**store)), (std::vector<std::string>{"k2", "k3", "k4"}));
  EXPECT_EQ(HitKeys(**store, "entity").size(), 3u);
  auto bytes = (*store)->ArchiveBytes();
  ASSERT_TRUE(bytes.ok());
  EXPECT_GT(*bytes, 0);
  n = (*store)->archive().PruneOldest(2);
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(HitKeys(**store, "entity"), (std::vector<std::string>{"k4"}));
  // The index and the table agree (FTS5's own check).
  Status check = (*store)->archive().Check();
  EXPECT_TRUE(check.ok()) << check.message();
}

TEST(Archive, ReadOnlyConnectionReadsWhileTheWriterWrites) {
  TempDir dir;
  auto writer = Store::Open(dir.path());
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(
      (*writer)->polls().RecordPoll("https://f/", false, {Archived("a", "Chip curbs")}, 1000).ok());
  auto reader = Store::OpenReadOnly(dir.path());
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ(All(**reader).size(), 1u);
  ASSERT_TRUE((*writer)
                  ->polls()
                  .RecordPoll("https://f/", false, {Archived("b", "Chip curbs 2")}, 2000)
                  .ok());
  EXPECT_EQ(All(**reader).size(), 2u);
  EXPECT_EQ(HitKeys(**reader, "curbs").size(), 2u);
  EXPECT_FALSE((*reader)->archive().Prune(5000, 10).ok()) << "a read-only connection cannot write";
  TempDir empty;
  auto none = Store::OpenReadOnly(empty.path());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no state yet"), std::string::npos);
}

TEST(Archive, QueuedAlertsAreIdempotent) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  std::vector<NewAlert> alerts = {{"fw_1", "hook", "r", "{}", {"r"}, StoryMode::kAll},
                                  {"fw_2", "hook", "r", "{}", {"r"}, StoryMode::kAll}};
  auto n = (*store)->QueueAlerts("https://f/", alerts, 1000);
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 2);
  EXPECT_EQ(*(*store)->QueueAlerts("https://f/", alerts, 2000), 0);
  EXPECT_EQ((*store)->CountOutbox()->pending, 2);
}

// The probe's query: 320 one-letter prefixes ORed (3.2 KB) held the archive
// for 72 s on 50,000 entries. Its cost is read from the text, before SQLite
// sees it, so it is refused in microseconds whatever the archive holds.
std::string OredPrefixes(int n, int letters) {
  std::string q;
  for (int i = 0; i < n; ++i) {
    if (i) q += " OR ";
    for (int k = 0; k < letters; ++k) q += static_cast<char>('a' + (i * 7 + k * 3) % 26);
    q += '*';
  }
  return q;
}

TEST(SearchQuery, CostIsReadFromTheTextAsFts5WouldParseIt) {
  auto c = MeasureSearchQuery("\"export controls\" NOT gallium");
  EXPECT_EQ(c.terms, 3u);
  EXPECT_EQ(c.prefixes, 0u);
  c = MeasureSearchQuery("title:nvidia AND NEAR(chip export, 10) OR semicond* OR \"ai accel\"*");
  EXPECT_EQ(c.terms, 6u) << "nvidia chip export semicond ai accel; not title, NEAR or 10";
  EXPECT_EQ(c.prefixes, 2u);
  EXPECT_EQ(c.shortest_prefix, 5u) << "'accel', the phrase's last word";
  c = MeasureSearchQuery("{title summary}: huawei");
  EXPECT_EQ(c.terms, 1u);
  c = MeasureSearchQuery("\"say \"\"hi\"\" now\" 芯片*");
  EXPECT_EQ(c.terms, 4u);
  EXPECT_EQ(c.shortest_prefix, 2u) << "code points, not bytes";

  EXPECT_TRUE(CheckSearchQuery("\"export controls\" NOT gallium").ok());
  EXPECT_TRUE(CheckSearchQuery(OredPrefixes(8, 2)).ok());
  for (const std::string& q : {OredPrefixes(320, 1), OredPrefixes(40, 3), std::string("a*"),
                               OredPrefixes(800, 1), std::string(2000, 'x')}) {
    Status st = CheckSearchQuery(q);
    EXPECT_EQ(st.kind(), Status::Kind::kInvalidArgument) << q.substr(0, 60);
    EXPECT_NE(st.message().find("too costly"), std::string::npos) << st.message();
  }
  std::string many_words;
  for (int i = 0; i < 33; ++i) many_words += "w" + std::to_string(i) + " ";
  EXPECT_NE(CheckSearchQuery(many_words).message().find("33 terms, at most 32"), std::string::npos);
  EXPECT_NE(CheckSearchQuery("x* OR a*").message().find("1 character(s) before '*'"),
            std::string::npos);
}

TEST(Archive, ACostlyQueryIsRefusedAndABudgetStopsASlowOne) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  std::vector<PolledEntry> many;
  for (int i = 0; i < 3000; ++i)
    many.push_back(Archived("k" + std::to_string(i), "Chip curbs widen, day " + std::to_string(i),
                            "Export controls on accelerators and tools " + std::to_string(i)));
  ASSERT_TRUE((*store)->polls().RecordPoll("https://f/", false, many, 1000).ok());
  auto reader = Store::OpenReadOnly(dir.path());
  ASSERT_TRUE(reader.ok());
  SearchQuery q;
  q.query = OredPrefixes(320, 1);
  auto costly = (*reader)->Search(q);
  ASSERT_FALSE(costly.ok());
  EXPECT_EQ(costly.status().kind(), Status::Kind::kInvalidArgument);

  // Within the bounds but out of time: stopped, and said so (503 upstream).
  q.query = "curbs OR export OR acc*";
  ASSERT_TRUE((*reader)->Search(q).ok());
  (*reader)->SetBudget({.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1),
                        .limit = std::chrono::milliseconds(2000)});
  auto late = (*reader)->Search(q);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().kind(), Status::Kind::kUnavailable);
  EXPECT_NE(late.status().message().find("took longer than 2s"), std::string::npos)
      << late.status().message();
  // Shutdown: the flag stops it at once, whatever the deadline.
  std::atomic<bool> cancel{true};
  (*reader)->SetBudget({.cancel = &cancel});
  auto stopped = (*reader)->Search(q);
  ASSERT_FALSE(stopped.ok());
  EXPECT_NE(stopped.status().message().find("the daemon is stopping"), std::string::npos);
  // Other reads on the connection are bounded too.
  Status read = (*reader)->ForEachArchived({}, [](ArchivedEntry&&) { return true; });
  EXPECT_EQ(read.kind(), Status::Kind::kUnavailable) << read.message();
  // A budget with time left changes nothing.
  cancel = false;
  (*reader)->SetBudget({.deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5),
                        .limit = std::chrono::minutes(5),
                        .cancel = &cancel});
  auto fine = (*reader)->Search(q);
  ASSERT_TRUE(fine.ok()) << fine.status().message();
  EXPECT_EQ(fine->size(), 20u);
}

}  // namespace
}  // namespace feedwatch
