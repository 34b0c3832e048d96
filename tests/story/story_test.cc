// Story identity: canonical links, titles, near-duplicate signatures.
#include "feedwatch/story.h"

#include <gtest/gtest.h>

#include "feedwatch/util.h"

namespace feedwatch::story {
namespace {

TEST(CanonicalLink, NormalisesWhatOutletsVary) {
  std::string want = "https://example.com/world/us-tightens-chip-curbs";
  for (const char* url : {
           "https://www.example.com/world/us-tightens-chip-curbs",
           "http://example.com/world/us-tightens-chip-curbs/",
           "HTTPS://WWW.Example.COM/world/us-tightens-chip-curbs#comments",
           "https://m.example.com/world/us-tightens-chip-curbs?utm_source=rss&utm_medium=feed",
           "https://example.com/world/us-tightens-chip-curbs?fbclid=abc&gclid=x&mc_cid=1",
           "https://amp.example.com/world/us-tightens-chip-curbs/amp",
           "https://example.com/amp/world/us-tightens-chip-curbs",
           "https://example.com:443/world/us-tightens-chip-curbs",
       }) {
    EXPECT_EQ(CanonicalLink(url), want) << url;
  }
  EXPECT_EQ(CanonicalLink("https://example.com/a/story.amp.html"),
            "https://example.com/a/story.html");
}

TEST(CanonicalLink, KeepsWhatNamesThePage) {
  // A query that selects the article stays, in a fixed order.
  EXPECT_EQ(CanonicalLink("https://example.com/article.php?id=42&utm_campaign=x&lang=en"),
            "https://example.com/article.php?id=42&lang=en");
  EXPECT_EQ(CanonicalLink("https://example.com/article.php?lang=en&id=42"),
            "https://example.com/article.php?id=42&lang=en");
  EXPECT_NE(CanonicalLink("https://example.com/article.php?id=42"),
            CanonicalLink("https://example.com/article.php?id=43"));
  EXPECT_NE(CanonicalLink("https://example.com/a"), CanonicalLink("https://other.example.com/a"));
  // Not a web link: no identity from it.
  EXPECT_EQ(CanonicalLink("javascript:alert(1)"), "");
  EXPECT_EQ(CanonicalLink("urn:uuid:1234"), "");
  EXPECT_EQ(CanonicalLink(""), "");
}

TEST(CanonicalLink, UnwrapsRedirectors) {
  std::string want = "https://example.com/news/chips";
  EXPECT_EQ(CanonicalLink("https://www.google.com/url?rct=j&sa=t&url=https%3A%2F%2Fwww.example.com"
                          "%2Fnews%2Fchips%3Futm_source%3Dgoogle&ct=ga"),
            want);
  EXPECT_EQ(
      CanonicalLink("https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.com%2Fnews%2Fchips"),
      want);
  // Google News article ids of the older form carry the address itself.
  // "CBMi" + base64url of a small protobuf: 0x08 0x13 0x22 <len> <url> ...
  std::string inner = "https://www.example.com/news/chips";
  std::string proto = std::string("\x08\x13\x22", 3) + static_cast<char>(inner.size()) + inner +
                      std::string("\xd2\x01\x00", 3);
  std::string b64 = Base64(proto);
  for (char& c : b64) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  EXPECT_EQ(CanonicalLink("https://news.google.com/rss/articles/" + b64 + "?oc=5"), want);
  // A Google News id that does not decode to an address stays a link of its own.
  EXPECT_EQ(CanonicalLink("https://news.google.com/rss/articles/AU_yqLOpaque?oc=5"),
            "https://news.google.com/rss/articles/AU_yqLOpaque");
}

TEST(NormalizedTitle, IgnoresCaseMarksAndOutletDecorations) {
  std::string t = NormalizedTitle("US tightens export curbs on Nvidia's H20 chips to China");
  EXPECT_FALSE(t.empty());
  EXPECT_EQ(NormalizedTitle("U.S. Tightens Export Curbs on Nvidia’s H20 Chips to China - Reuters"),
            NormalizedTitle("US tightens export curbs on Nvidia's H20 chips to China | The Star"));
  EXPECT_EQ(NormalizedTitle("UPDATE 2-US tightens export curbs on Nvidia's H20 chips to China"),
            NormalizedTitle("US tightens export curbs on Nvidia's H20 chips to China"));
  EXPECT_EQ(NormalizedTitle("EXCLUSIVE-US tightens export curbs on Nvidia's H20 chips to China"),
            NormalizedTitle("US tightens export curbs on Nvidia's H20 chips to China"));
  // Full-width forms are the same words.
  EXPECT_EQ(NormalizedTitle("ＤｅｅｐＳｅｅｋ accused of distilling OpenAI models, memo says"),
            NormalizedTitle("DeepSeek accused of distilling OpenAI models, memo says"));
}

TEST(NormalizedTitle, TooShortToNameAStory) {
  EXPECT_EQ(NormalizedTitle("Live updates"), "");
  EXPECT_EQ(NormalizedTitle("Morning briefing"), "");
  EXPECT_EQ(NormalizedTitle("Tech news today"), "");
  EXPECT_EQ(NormalizedTitle("芯片出口"), "");
  EXPECT_NE(NormalizedTitle("美国商务部收紧对华AI芯片出口管制"), "");
}

TEST(NormalizedTitle, DifferentStoriesDiffer) {
  EXPECT_NE(NormalizedTitle("US tightens export curbs on Nvidia H20 chips to China"),
            NormalizedTitle("US eases export curbs on Nvidia H20 chips to China"));
}

TEST(Words, SplitsCjkIntoCharacters) {
  auto w = Words("美国AI芯片 Export-Controls");
  std::vector<std::string> want = {"美", "国", "ai", "芯", "片", "export", "controls"};
  EXPECT_EQ(w, want);
  EXPECT_EQ(Words("U.S. don't 1,000"), (std::vector<std::string>{"us", "dont", "1000"}));
}

constexpr const char* kWire =
    "The U.S. Commerce Department on Tuesday unveiled new rules restricting exports of "
    "advanced artificial intelligence chips to China, closing loopholes that allowed Nvidia "
    "to sell modified processors, officials said. The rules also add dozens of Chinese "
    "companies to the entity list.";

TEST(Signature, WireCopyRewritesAreNearDuplicates) {
  Signature a = TextSignature("US unveils new curbs on AI chip exports to China", kWire);
  // A regional paper's copy: its own headline, the wire text trimmed at the end.
  std::string trimmed(kWire);
  trimmed = trimmed.substr(0, trimmed.find(" The rules also"));
  Signature b = TextSignature("Commerce Department restricts AI chip sales to China", trimmed);
  EXPECT_GE(Similarity(a, b), kNearDuplicate);
  // The same copy with a dateline and a closing line added.
  Signature c = TextSignature("US unveils new curbs on AI chip exports to China",
                              std::string("WASHINGTON (Reuters) - ") + kWire +
                                  " Reporting by Karen Freifeld; Editing by Chris Reese");
  EXPECT_GE(Similarity(a, c), kNearDuplicate);
}

TEST(Signature, StoriesOnTheSameTopicAreNot) {
  Signature a = TextSignature("US unveils new curbs on AI chip exports to China", kWire);
  Signature b = TextSignature(
      "China bans exports of gallium and germanium to the United States",
      "China's commerce ministry on Tuesday banned exports of gallium, germanium and antimony "
      "to the United States, escalating its response to Washington's latest restrictions on "
      "Chinese chipmakers.");
  EXPECT_LT(Similarity(a, b), kNearDuplicate);
  Signature c = TextSignature(
      "US eases curbs on AI chip exports to the Gulf",
      "The U.S. Commerce Department on Thursday approved licences for exports of advanced "
      "artificial intelligence chips to the United Arab Emirates, officials said.");
  EXPECT_LT(Similarity(a, c), kNearDuplicate);
}

TEST(Signature, TooLittleTextHasNone) {
  EXPECT_TRUE(TextSignature("Chips", "").empty);
  EXPECT_EQ(Similarity(TextSignature("Chips", ""), TextSignature("Chips", "")), 0);
  Signature s = TextSignature("US unveils new curbs on AI chip exports to China", kWire);
  EXPECT_EQ(Signature::FromBlob(s.ToBlob()).h, s.h);
  EXPECT_TRUE(Signature::FromBlob("short").empty);
}

TEST(StoryKeys, LookupsCarryTheirKind) {
  Entry e;
  e.title = "US unveils new curbs on AI chip exports to China";
  e.link = "https://www.example.com/chips?utm_source=x";
  e.summary = kWire;
  StoryKeys k = KeysFor(e);
  auto lookups = k.Lookups();
  ASSERT_EQ(lookups.size(), 2u + kBands);
  EXPECT_EQ(KindOf(lookups[0]), KeyKind::kLink);
  EXPECT_EQ(KindOf(lookups[1]), KeyKind::kTitle);
  for (std::size_t i = 2; i < lookups.size(); ++i) EXPECT_EQ(KindOf(lookups[i]), KeyKind::kBand);
  // The same entry from another outlet's copy shares its link key.
  Entry copy = e;
  copy.link = "https://example.com/chips/";
  EXPECT_EQ(KeysFor(copy).Lookups()[0], lookups[0]);
}

TEST(StoryKeys, AFeedburnerProxyLinkIsTheArticlesOwn) {
  const char* rss = R"(<?xml version="1.0"?>
<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>
<title>Proxied</title>
<item><guid isPermaLink="false">p1</guid><title>US unveils new curbs on AI chip exports</title>
<link>http://feedproxy.google.com/~r/wire/~3/AbCdEf/</link>
<feedburner:origLink>https://www.wire.example/tech/us-curbs?utm_source=feedburner</feedburner:origLink>
</item></channel></rss>)";
  auto feed = ParseFeed(rss, "application/rss+xml", "https://feeds.example/wire");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  ASSERT_EQ(feed->entries.size(), 1u);
  const Entry& e = feed->entries[0];
  EXPECT_EQ(e.link, "http://feedproxy.google.com/~r/wire/~3/AbCdEf/");
  EXPECT_EQ(e.original_link, "https://www.wire.example/tech/us-curbs?utm_source=feedburner");
  Entry direct;
  direct.link = "https://wire.example/tech/us-curbs";
  EXPECT_EQ(KeysFor(e).link, KeysFor(direct).link);
}

TEST(StoryId, IsDeterministic) {
  EXPECT_EQ(StoryId("https://a/feed", "k1"), StoryId("https://a/feed", "k1"));
  EXPECT_NE(StoryId("https://a/feed", "k1"), StoryId("https://a/feed", "k2"));
  EXPECT_EQ(StoryId("https://a/feed", "k1").rfind("fws_", 0), 0u);
  EXPECT_EQ(StoryId("https://a/feed", "k1").size(), 4u + 24u);
}

}  // namespace
}  // namespace feedwatch::story
