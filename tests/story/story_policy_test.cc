// Story policy without a database: where an entry goes given what its keys
// find, and what each sink gets. The lookups are in-memory maps here; the
// stories table answers them in the daemon.
#include "feedwatch/story_policy.h"

#include <gtest/gtest.h>

#include <map>

namespace feedwatch::story {
namespace {

Entry MakeEntry(const std::string& link, const std::string& title, const std::string& summary) {
  Entry e;
  e.key = link;
  e.link = link;
  e.title = title;
  e.summary = summary;
  return e;
}

const char* kSummary =
    "The Commerce Department added more Chinese chipmakers to the Entity List on Tuesday, "
    "tightening export controls on advanced AI accelerators and the tools used to make them.";

KeyHit Hit(std::int64_t member, const std::string& story, const std::string& blob = "") {
  KeyHit h;
  h.member_id = member;
  h.story_id = story;
  h.signature_blob = blob;
  return h;
}

// A store in memory: which copies each lookup key finds, and which stories
// already have a copy from the entry's feed. Counts what the policy asked.
struct Memory {
  std::map<std::int64_t, std::vector<KeyHit>> by_key;
  std::set<std::string> stories_with_copy_here;
  int finds = 0, copy_checks = 0;
  PlacementLookups Lookups() {
    return {.find = [this](std::int64_t key) -> Result<std::vector<KeyHit>> {
              ++finds;
              auto it = by_key.find(key);
              return it == by_key.end() ? std::vector<KeyHit>{} : it->second;
            },
            .has_copy_from_feed = [this](const std::string& id) -> Result<bool> {
              ++copy_checks;
              return stories_with_copy_here.count(id) > 0;
            }};
  }
};

std::int64_t KeyOf(const StoryKeys& keys, KeyKind kind) {
  for (std::int64_t k : keys.Lookups())
    if (KindOf(k) == kind) return k;
  return 0;
}

TEST(StoryPolicy, NothingFoundFoundsANewStoryAfterAskingEveryKey) {
  StoryKeys keys = KeysFor(MakeEntry("https://a.example/chips",
                                     "US adds Chinese chipmakers "
                                     "to the Entity List in new export curbs",
                                     kSummary));
  Memory m;
  auto p = PlaceEntry(keys, keys.Lookups(), m.Lookups());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->story_id, "");
  EXPECT_EQ(p->how, "first");
  EXPECT_EQ(m.finds, static_cast<int>(keys.Lookups().size()));
}

TEST(StoryPolicy, TheSameLinkJoinsAtOnceEvenFromTheSameFeed) {
  StoryKeys keys = KeysFor(MakeEntry("https://a.example/chips",
                                     "US adds Chinese chipmakers "
                                     "to the Entity List in new export curbs",
                                     kSummary));
  Memory m;
  m.by_key[KeyOf(keys, KeyKind::kLink)] = {Hit(7, "fws_link")};
  m.stories_with_copy_here.insert("fws_link");
  auto p = PlaceEntry(keys, keys.Lookups(), m.Lookups());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->story_id, "fws_link");
  EXPECT_EQ(p->how, "link");
  EXPECT_EQ(m.finds, 1);  // decided by the first key
  EXPECT_EQ(m.copy_checks, 0);
}

TEST(StoryPolicy, ATitleSharedWithAStoryThisFeedCarriedIsAnotherStory) {
  StoryKeys keys = KeysFor(MakeEntry("https://a.example/chips-2",
                                     "Additions to the Entity "
                                     "List announced by the Commerce Department",
                                     kSummary));
  ASSERT_NE(KeyOf(keys, KeyKind::kTitle), 0);
  Memory m;
  m.by_key[KeyOf(keys, KeyKind::kTitle)] = {Hit(3, "fws_yesterday")};
  m.stories_with_copy_here.insert("fws_yesterday");
  auto p = PlaceEntry(keys, keys.Lookups(), m.Lookups());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->story_id, "");  // not joined: this feed had that story already
  EXPECT_EQ(m.copy_checks, 1);

  m.stories_with_copy_here.clear();  // from another feed it is the same story
  p = PlaceEntry(keys, keys.Lookups(), m.Lookups());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->story_id, "fws_yesterday");
  EXPECT_EQ(p->how, "title");
}

TEST(StoryPolicy, SimilarTextJoinsTheClosestStoryAndUnrelatedTextNone) {
  StoryKeys keys = KeysFor(MakeEntry("https://a.example/x",
                                     "Washington widens chip export "
                                     "curbs on China",
                                     kSummary));
  ASSERT_FALSE(keys.signature.empty);
  // The same story retold: the summary's first half.
  std::string near =
      TextSignature("Washington widens chip export curbs on China",
                    "The Commerce Department added more Chinese chipmakers to the Entity List "
                    "on Tuesday, tightening export controls on advanced AI accelerators.")
          .ToBlob();
  std::string closer =
      TextSignature("Washington widens chip export curbs on China", kSummary).ToBlob();
  std::string unrelated =
      TextSignature("Local bakery wins a prize",
                    "A family bakery in the old town won the regional bread prize this year.")
          .ToBlob();
  double near_sim = Similarity(keys.signature, Signature::FromBlob(near));
  ASSERT_GE(near_sim, kNearDuplicate);
  ASSERT_LT(near_sim, Similarity(keys.signature, Signature::FromBlob(closer)));
  Memory m;
  std::int64_t band = KeyOf(keys, KeyKind::kBand);
  m.by_key[band] = {Hit(1, "fws_unrelated", unrelated), Hit(2, "fws_near", near),
                    Hit(3, "fws_closer", closer)};
  auto p = PlaceEntry(keys, keys.Lookups(), m.Lookups());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->story_id, "fws_closer");
  EXPECT_EQ(p->how, "text");

  m.by_key[band] = {Hit(1, "fws_unrelated", unrelated)};
  p = PlaceEntry(keys, keys.Lookups(), m.Lookups());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->story_id, "");
  EXPECT_EQ(m.copy_checks, 2);  // only the candidates above the threshold were checked
}

TEST(StoryPolicy, ALookupErrorIsTheAnswer) {
  StoryKeys keys = KeysFor(MakeEntry("https://a.example/chips",
                                     "US adds Chinese chipmakers "
                                     "to the Entity List in new export curbs",
                                     kSummary));
  PlacementLookups failing{
      .find = [](std::int64_t) -> Result<std::vector<KeyHit>> {
        return Status::Io("looking up stories: disk I/O error");
      },
      .has_copy_from_feed = [](const std::string&) -> Result<bool> { return false; }};
  auto p = PlaceEntry(keys, keys.Lookups(), failing);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("disk I/O error"), std::string::npos);
}

TEST(StoryPolicy, EachSinkGetsWhatItsStoriesSettingSays) {
  // Not in a story, or a sink that takes every copy: always sent.
  EXPECT_EQ(VerdictFor(StoryMode::kFirst, false, false), SinkVerdict::kSend);
  EXPECT_EQ(VerdictFor(StoryMode::kAll, true, true), SinkVerdict::kSend);
  EXPECT_FALSE(NeedsSinkHistory(StoryMode::kAll, true));
  EXPECT_FALSE(NeedsSinkHistory(StoryMode::kUpdates, false));
  // A story the sink has not had yet: sent, and remembered.
  EXPECT_EQ(VerdictFor(StoryMode::kFirst, true, false), SinkVerdict::kSendFirst);
  EXPECT_EQ(VerdictFor(StoryMode::kUpdates, true, false), SinkVerdict::kSendFirst);
  // A story the sink has: a follow-up later, or nothing.
  EXPECT_EQ(VerdictFor(StoryMode::kUpdates, true, true), SinkVerdict::kSaveForUpdate);
  EXPECT_EQ(VerdictFor(StoryMode::kFirst, true, true), SinkVerdict::kRecordOnly);
}

}  // namespace
}  // namespace feedwatch::story
