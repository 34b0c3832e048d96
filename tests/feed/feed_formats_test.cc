// Formats, encodings, broken XML and hostile inputs (issue 3's fixtures).
#include <gtest/gtest.h>

#include <string>

#include "feedwatch/feed.h"
#include "feedwatch/match.h"
#include "test_util.h"

namespace feedwatch {
namespace {

std::string RssWithTitle(const std::string& title_bytes, const std::string& decl_encoding = "") {
  std::string decl = decl_encoding.empty()
                         ? "<?xml version=\"1.0\"?>"
                         : "<?xml version=\"1.0\" encoding=\"" + decl_encoding + "\"?>";
  return decl + "<rss version=\"2.0\"><channel><title>T</title><item><title>" + title_bytes +
         "</title><guid>1</guid></item></channel></rss>";
}

std::string TitleOf(const std::string& body, const std::string& content_type = "") {
  auto feed = ParseFeed(body, content_type, "https://x/feed");
  EXPECT_TRUE(feed.ok()) << feed.status().message();
  if (!feed.ok() || feed->entries.empty()) return "<none>";
  return feed->entries[0].title;
}

TEST(Encodings, DeclaredCharsetsConvertToUtf8) {
  EXPECT_EQ(TitleOf(RssWithTitle("caf\xe9 \x93quoted\x94", "windows-1252")),
            "caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d");
  // ISO-8859-1 is read as windows-1252, as browsers do: 0x93/0x94 are quotes.
  EXPECT_EQ(TitleOf(RssWithTitle("caf\xe9 \x93q\x94", "ISO-8859-1")),
            "caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d");
  EXPECT_EQ(TitleOf(RssWithTitle("\xf0\xd2\xc9\xd7\xc5\xd4", "KOI8-R")),
            "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
  EXPECT_EQ(TitleOf(RssWithTitle("\x93\xfa\x96\x7b", "Shift_JIS")), "\xe6\x97\xa5\xe6\x9c\xac");
  EXPECT_EQ(TitleOf(RssWithTitle("\xc6\xfc\xcb\xdc", "EUC-JP")), "\xe6\x97\xa5\xe6\x9c\xac");
  EXPECT_EQ(TitleOf(RssWithTitle("\xd6\xd0\xce\xc4", "GB2312")), "\xe4\xb8\xad\xe6\x96\x87");
  EXPECT_EQ(TitleOf(RssWithTitle("\xd6\xd0\xce\xc4", "GB18030")), "\xe4\xb8\xad\xe6\x96\x87");
  EXPECT_EQ(TitleOf(RssWithTitle("\xa4\xa4\xa4\xe5", "Big5")), "\xe4\xb8\xad\xe6\x96\x87");
  EXPECT_EQ(TitleOf(RssWithTitle("\xe8\xf3\xf4", "ISO-8859-2")), "\xc4\x8d\xc3\xb3\xc3\xb4");
}

TEST(Encodings, HttpCharsetBeatsTheXmlDeclarationAndBomBeatsBoth) {
  std::string koi8 = RssWithTitle("\xf0\xd2\xc9\xd7\xc5\xd4", "windows-1252");
  EXPECT_EQ(TitleOf(koi8, "text/xml; charset=\"KOI8-R\""),
            "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
  std::string bom = "\xEF\xBB\xBF" + RssWithTitle("caf\xc3\xa9", "windows-1252");
  EXPECT_EQ(TitleOf(bom, "text/xml; charset=koi8-r"), "caf\xc3\xa9");
}

TEST(Encodings, SameFeedInFiveEncodingsGivesTheSameTitleAndMatches) {
  const std::string expected = "Export controls on caf\xc3\xa9 chips";
  std::vector<std::pair<std::string, std::string>> variants = {
      {RssWithTitle("Export controls on caf\xc3\xa9 chips"), ""},
      {RssWithTitle("Export controls on caf\xe9 chips", "windows-1252"), ""},
      {RssWithTitle("Export controls on caf\xe9 chips", "ISO-8859-1"), ""},
      {RssWithTitle("Export controls on caf\xe9 chips"), "text/xml; charset=iso-8859-1"},
      {"", ""},  // UTF-16LE with a BOM, filled in below
      {RssWithTitle("Export controls on caf\xc3\xa9 chips", "KOI8-R"),
       "application/rss+xml; charset=utf-8"},
  };
  // UTF-16: rebuild from the UTF-8 title's code points (é is U+00E9).
  std::string u16 = "\xFF\xFE";
  for (unsigned char c : RssWithTitle("Export controls on caf\xe9 chips")) {
    u16.push_back(static_cast<char>(c));
    u16.push_back('\0');
  }
  variants[4].first = u16;
  testing::TempDir dir;
  auto rules =
      LoadRuleFile(dir.Write("r.toml", "[[rule]]\nid = \"c\"\nall = ['caf\xc3\xa9', 'chips']\n"));
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  auto m = Matcher::Build(std::move(*rules));
  ASSERT_TRUE(m.ok());
  for (const auto& [body, ct] : variants) {
    auto feed = ParseFeed(body, ct, "https://x/feed");
    ASSERT_TRUE(feed.ok()) << feed.status().message();
    ASSERT_EQ(feed->entries.size(), 1u);
    EXPECT_EQ(feed->entries[0].title, expected) << ct;
    EXPECT_EQ((*m)->Match(feed->entries[0]).size(), 1u) << ct;
  }
}

TEST(Encodings, Latin1ServedAsUtf8IsRecoveredAndInvalidUtf8IsReplaced) {
  // No multi-byte sequence at all, invalid bytes: this is Latin-1 in disguise.
  auto latin =
      ParseFeed(RssWithTitle("caf\xe9 cr\xe8me"), "text/xml; charset=utf-8", "https://x/l");
  ASSERT_TRUE(latin.ok());
  EXPECT_EQ(latin->entries[0].title, "caf\xc3\xa9 cr\xc3\xa8me");
  EXPECT_FALSE(latin->warnings.empty());
  // Mostly valid UTF-8 with one bad byte: replaced, never fatal.
  auto mixed = ParseFeed(RssWithTitle("caf\xc3\xa9 \xff ok"), "", "https://x/m");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->entries[0].title, "caf\xc3\xa9 \xef\xbf\xbd ok");
  // An unknown label: read as UTF-8 with a warning.
  auto unknown = ParseFeed(RssWithTitle("plain", "x-klingon"), "", "https://x/u");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->entries[0].title, "plain");
  ASSERT_FALSE(unknown->warnings.empty());
  EXPECT_NE(unknown->warnings[0].find("x-klingon"), std::string::npos);
}

TEST(JsonFeed, Version11ItemsAuthorsAttachments) {
  auto feed = ParseFeed(R"({
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JF", "home_page_url": "https://jf.example/",
    "authors": [{"name": "Feed Author"}],
    "items": [
      {"id": 42, "url": "/posts/1", "title": "Chips &amp; rules", "content_html": "<p>Export <b>controls</b></p>",
       "summary": "Short", "date_published": "2024-03-01T10:00:00+01:00", "tags": ["policy"],
       "attachments": [{"url": "https://cdn/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 99}]},
      {"id": "b", "content_text": "Only text", "authors": [{"name": "Item Author"}]}
    ]})",
                        "application/feed+json", "https://jf.example/feed.json");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  EXPECT_EQ(feed->format, FeedFormat::kJsonFeed);
  EXPECT_EQ(feed->title, "JF");
  ASSERT_EQ(feed->entries.size(), 2u);
  const Entry& a = feed->entries[0];
  EXPECT_EQ(a.id, "42");
  EXPECT_EQ(a.link, "https://jf.example/posts/1");
  EXPECT_EQ(a.title, "Chips & rules");
  EXPECT_EQ(a.content, "Export controls");
  EXPECT_EQ(a.summary, "Short");
  EXPECT_EQ(*a.published, 1709283600);
  EXPECT_EQ(a.authors, std::vector<std::string>{"Feed Author"});
  EXPECT_EQ(a.categories, std::vector<std::string>{"policy"});
  ASSERT_EQ(a.enclosures.size(), 1u);
  EXPECT_EQ(a.enclosures[0].length, 99);
  EXPECT_EQ(feed->entries[1].content, "Only text");
  EXPECT_EQ(feed->entries[1].authors, std::vector<std::string>{"Item Author"});
  EXPECT_FALSE(ParseFeed(R"({"hello": "world"})", "", "https://x/j").ok());
  EXPECT_FALSE(ParseFeed(R"({"version": )", "", "https://x/j").ok());
}

TEST(Namespaces, MediaRssAndPrefixedAtom) {
  auto media =
      ParseFeed(R"(<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><item>
      <guid>1</guid>
      <media:title>Video title</media:title>
      <media:description>About &lt;b&gt;chips&lt;/b&gt;</media:description>
      <media:content url="https://cdn/v.mp4" type="video/mp4" fileSize="1000"/>
      <media:thumbnail url="https://cdn/t.jpg"/>
    </item></channel></rss>)",
                "", "https://x/m");
  ASSERT_TRUE(media.ok()) << media.status().message();
  const Entry& e = media->entries[0];
  EXPECT_EQ(e.title, "Video title");
  EXPECT_EQ(e.summary, "About chips");
  ASSERT_EQ(e.enclosures.size(), 2u);
  EXPECT_EQ(e.enclosures[0].url, "https://cdn/v.mp4");
  EXPECT_EQ(e.enclosures[0].length, 1000);
  EXPECT_EQ(e.enclosures[1].type, "image");

  auto atom = ParseFeed(R"(<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>Prefixed</a:title>
      <a:entry><a:id>x1</a:id><a:title>Entry</a:title><a:link href="https://x/1"/>
      <a:updated>2024-01-01T00:00:00Z</a:updated></a:entry></a:feed>)",
                        "", "https://x/a");
  ASSERT_TRUE(atom.ok()) << atom.status().message();
  EXPECT_EQ(atom->format, FeedFormat::kAtom10);
  EXPECT_EQ(atom->title, "Prefixed");
  ASSERT_EQ(atom->entries.size(), 1u);
  EXPECT_EQ(atom->entries[0].link, "https://x/1");
  EXPECT_EQ(*atom->entries[0].published, 1704067200);
}

TEST(Namespaces, Atom03AndRss091) {
  auto atom03 = ParseFeed(R"(<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old</title>
      <entry><id>o1</id><title mode="escaped" type="text/html">&lt;b&gt;Bold&lt;/b&gt;</title>
      <issued>2004-01-01T00:00:00Z</issued><modified>2004-01-02T00:00:00Z</modified></entry></feed>)",
                          "", "https://x/03");
  ASSERT_TRUE(atom03.ok()) << atom03.status().message();
  EXPECT_EQ(atom03->format, FeedFormat::kAtom03);
  EXPECT_EQ(atom03->entries[0].title, "Bold");
  EXPECT_EQ(*atom03->entries[0].published, 1072915200);
  EXPECT_EQ(*atom03->entries[0].updated, 1073001600);
  auto rss091 = ParseFeed(R"(<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>N</title><item><title>Old item</title><link>https://x/o</link></item></channel></rss>)",
                          "", "https://x/091");
  ASSERT_TRUE(rss091.ok()) << rss091.status().message();
  EXPECT_EQ(rss091->format, FeedFormat::kRss09x);
  EXPECT_EQ(rss091->entries[0].key, "https://x/o");
}

TEST(PublisherHints, TtlAndSyndicationModule) {
  auto ttl = ParseFeed(
      "<rss version=\"2.0\"><channel><ttl>90</ttl><item><guid>1</guid></item></channel></rss>", "",
      "https://x/ttl");
  ASSERT_TRUE(ttl.ok());
  EXPECT_EQ(ttl->update_hint_seconds, 90 * 60);
  auto sy = ParseFeed(
      R"(<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
      xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel rdf:about="x"><title>S</title>
      <sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency></channel>
      <item rdf:about="https://x/1"><title>a</title></item></rdf:RDF>)",
      "", "https://x/sy");
  ASSERT_TRUE(sy.ok()) << sy.status().message();
  EXPECT_EQ(sy->update_hint_seconds, 1800);
  auto none = ParseFeed(
      "<rss version=\"2.0\"><channel><ttl>-5</ttl><item><guid>1</guid></item></channel></rss>", "",
      "https://x/bad");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->update_hint_seconds.has_value());
}

TEST(BrokenXml, RepairsWhatFeedsReallyServe) {
  // Unescaped HTML with void elements, a bare '&', an HTML entity undeclared
  // in XML, a '<' that starts nothing, and a typo in a closing tag.
  auto feed = ParseFeed(R"(<rss version="2.0"><channel><title>Fish & Chips</title>
    <item><guid>1</guid><title>Caf&eacute; &nbsp;news</title><description>a<br>b <img src="x.png"> 1 < 2</description></item>
    <item><guid>2</guid><title>Second</titel></item>
  </channel></rss>)",
                        "", "https://x/broken");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  EXPECT_EQ(feed->title, "Fish & Chips");
  ASSERT_EQ(feed->entries.size(), 2u);
  EXPECT_EQ(feed->entries[0].title, "Caf\xc3\xa9 news");
  EXPECT_EQ(feed->entries[0].summary, "a b 1 < 2");
  EXPECT_EQ(feed->entries[1].title, "Second");
  bool repaired = false;
  for (const auto& w : feed->warnings)
    repaired = repaired || w.find("repaired") != std::string::npos;
  EXPECT_TRUE(repaired);
}

TEST(BrokenXml, GarbageBeforeTheDeclarationAndDoubleEscaping) {
  auto feed = ParseFeed(
      "\n\n  junk<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><item><guid>1</guid>"
      "<title>AT&amp;amp;T &amp;#8217;s &amp;quot;deal&amp;quot;</title>"
      "<description>?page=1&amp;copy=2 &amp;copy; 2024</description></item></channel></rss>",
      "", "https://x/g");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  EXPECT_EQ(feed->entries[0].title, "AT&T \xe2\x80\x99s \"deal\"");
  EXPECT_EQ(feed->entries[0].summary, "?page=1&copy=2 \xc2\xa9 2024");
}

TEST(Hostile, ManyEntriesHugeFieldsDeepNesting) {
  std::string many = "<rss version=\"2.0\"><channel>";
  for (int i = 0; i < 100000; ++i) many += "<item><guid>" + std::to_string(i) + "</guid></item>";
  many += "</channel></rss>";
  auto feed = ParseFeed(many, "", "https://x/many");
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->entries.size(), ParseOptions{}.max_entries);

  std::string huge = "<rss version=\"2.0\"><channel><item><guid>1</guid><description>" +
                     std::string(20 << 20, 'x') + "</description></item></channel></rss>";
  auto big = ParseFeed(huge, "", "https://x/huge");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->entries[0].summary.size(), ParseOptions{}.max_field_bytes);

  std::string deep = "<rss version=\"2.0\"><channel><item><guid>1</guid><description>";
  for (int i = 0; i < 10000; ++i) deep += "<a>";
  deep += "core";
  for (int i = 0; i < 10000; ++i) deep += "</a>";
  deep += "</description></item></channel></rss>";
  auto nested = ParseFeed(deep, "", "https://x/deep");
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->entries.size(), 1u);

  std::string nul = RssWithTitle(std::string("a\0b", 3));
  auto with_nul = ParseFeed(nul, "", "https://x/nul");
  ASSERT_TRUE(with_nul.ok());
  EXPECT_EQ(with_nul->entries[0].title, "a b");
}

}  // namespace
}  // namespace feedwatch
