#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "feedwatch/feed.h"
#include "feedwatch/util.h"
#include "test_util.h"

namespace feedwatch {
namespace {

constexpr const char* kRss = R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>Example &amp; Co</title>
    <link>https://news.example/</link>
    <item>
      <title>US widens &lt;b&gt;chip&lt;/b&gt; curbs &amp;amp; more</title>
      <link>/articles/1</link>
      <guid isPermaLink="false">tag:news.example,2026:1</guid>
      <pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate>
      <dc:creator>Jane Doe</dc:creator>
      <category>Policy</category>
      <description><![CDATA[<p>First&nbsp;paragraph.</p><script>alert(1)</script><p>Second &hellip;</p>]]></description>
      <content:encoded><![CDATA[<div>Full <i>text</i> here</div>]]></content:encoded>
      <enclosure url="https://cdn.example/a.mp3" type="audio/mpeg" length="1234"/>
    </item>
    <item>
      <title>No guid here</title>
      <link>https://news.example/articles/2</link>
      <pubDate>not a date</pubDate>
    </item>
    <item>
      <title>Neither guid nor link</title>
      <description>Only text</description>
    </item>
  </channel>
</rss>)";

TEST(ParseRss, ReadsItemFieldsAsPlainText) {
  auto feed = ParseFeed(kRss, "application/rss+xml", "https://news.example/feed.xml");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  EXPECT_EQ(feed->format, FeedFormat::kRss20);
  EXPECT_EQ(feed->title, "Example & Co");
  ASSERT_EQ(feed->entries.size(), 3u);
  const Entry& e = feed->entries[0];
  EXPECT_EQ(e.title, "US widens chip curbs & more");
  EXPECT_EQ(e.link, "https://news.example/articles/1");
  EXPECT_EQ(e.id, "tag:news.example,2026:1");
  EXPECT_EQ(e.key, "tag:news.example,2026:1");
  ASSERT_TRUE(e.published.has_value());
  EXPECT_EQ(*e.published, 1055217600);
  EXPECT_EQ(e.summary, "First paragraph. Second \xe2\x80\xa6");
  EXPECT_EQ(e.content, "Full text here");
  EXPECT_EQ(e.authors, std::vector<std::string>{"Jane Doe"});
  EXPECT_EQ(e.categories, std::vector<std::string>{"Policy"});
  ASSERT_EQ(e.enclosures.size(), 1u);
  EXPECT_EQ(e.enclosures[0].url, "https://cdn.example/a.mp3");
  EXPECT_EQ(e.enclosures[0].length, 1234);
}

TEST(ParseRss, EntryKeyFallsBackToLinkThenContentHash) {
  auto feed = ParseFeed(kRss, "", "https://news.example/feed.xml");
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->entries[1].key, "https://news.example/articles/2");
  EXPECT_EQ(feed->entries[2].key.rfind("sha256:", 0), 0u);
  // Stable across parses.
  auto again = ParseFeed(kRss, "", "https://news.example/feed.xml");
  EXPECT_EQ(again->entries[2].key, feed->entries[2].key);
}

TEST(ParseRss, UnparseableDateIsAbsentWithAWarning) {
  auto feed = ParseFeed(kRss, "", "https://news.example/feed.xml");
  ASSERT_TRUE(feed.ok());
  EXPECT_FALSE(feed->entries[1].published.has_value());
  bool warned = false;
  for (const auto& w : feed->warnings) warned = warned || w.find("not a date") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(ParseRss, DuplicateGuidsStayDistinctEntries) {
  auto feed = ParseFeed(R"(<rss version="2.0"><channel>
    <item><title>A</title><guid>same</guid><link>https://x/a</link></item>
    <item><title>B</title><guid>same</guid><link>https://x/b</link></item>
    <item><title>C</title><guid>same</guid><link>https://x/b</link></item>
  </channel></rss>)",
                        "", "https://x/feed");
  ASSERT_TRUE(feed.ok());
  ASSERT_EQ(feed->entries.size(), 3u);
  EXPECT_NE(feed->entries[0].key, feed->entries[1].key);
  EXPECT_NE(feed->entries[1].key, feed->entries[2].key);
  EXPECT_NE(feed->entries[0].key, feed->entries[2].key);
}

TEST(ParseRss, Rss10ItemsBesideTheChannel) {
  auto feed = ParseFeed(R"(<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://x/"><title>RDF feed</title><link>https://x/</link></channel>
  <item rdf:about="https://x/1"><title>One</title><link>https://x/1</link><dc:date>2024-05-01T10:00:00+02:00</dc:date></item>
</rdf:RDF>)",
                        "", "https://x/rdf");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  EXPECT_EQ(feed->format, FeedFormat::kRss10);
  ASSERT_EQ(feed->entries.size(), 1u);
  EXPECT_EQ(feed->entries[0].title, "One");
  EXPECT_EQ(*feed->entries[0].published, 1714550400);
}

constexpr const char* kAtom = R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example/base/">
  <title type="text">Atom &amp; Eve</title>
  <link rel="self" href="https://blog.example/atom.xml"/>
  <link href="https://blog.example/"/>
  <entry>
    <id>urn:uuid:1</id>
    <title type="html">Export &lt;em&gt;controls&lt;/em&gt;</title>
    <link rel="alternate" href="posts/1"/>
    <published>2024-01-02T03:04:05Z</published>
    <updated>2024-01-03T00:00:00-05:00</updated>
    <author><name>Ann</name></author>
    <category term="chips"/>
    <summary type="html">&lt;p&gt;Summary&lt;/p&gt;</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Para <b>one</b></p><p>Para two</p></div></content>
  </entry>
</feed>)";

TEST(ParseAtom, TextConstructsAndRelativeLinks) {
  auto feed = ParseFeed(kAtom, "application/atom+xml", "https://blog.example/atom.xml");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  EXPECT_EQ(feed->format, FeedFormat::kAtom10);
  EXPECT_EQ(feed->title, "Atom & Eve");
  EXPECT_EQ(feed->link, "https://blog.example/");
  ASSERT_EQ(feed->entries.size(), 1u);
  const Entry& e = feed->entries[0];
  EXPECT_EQ(e.key, "urn:uuid:1");
  EXPECT_EQ(e.title, "Export controls");
  EXPECT_EQ(e.link, "https://blog.example/base/posts/1");
  EXPECT_EQ(*e.published, 1704164645);
  EXPECT_EQ(*e.updated, 1704258000);
  EXPECT_EQ(e.summary, "Summary");
  EXPECT_EQ(e.content, "Para one Para two");
  EXPECT_EQ(e.authors, std::vector<std::string>{"Ann"});
  EXPECT_EQ(e.categories, std::vector<std::string>{"chips"});
}

TEST(ParseFeed, KeysOnlyGivesTheSameKeys) {
  ParseOptions keys_only;
  keys_only.keys_only = true;
  for (const char* doc : {kRss, kAtom}) {
    auto full = ParseFeed(doc, "", "https://news.example/feed.xml");
    auto keys = ParseFeed(doc, "", "https://news.example/feed.xml", keys_only);
    ASSERT_TRUE(full.ok() && keys.ok());
    ASSERT_EQ(full->entries.size(), keys->entries.size());
    for (std::size_t i = 0; i < full->entries.size(); ++i)
      EXPECT_EQ(full->entries[i].key, keys->entries[i].key);
  }
  // Entries keyed by their id skip the text; one without id or link keeps it for its hash.
  auto keys = ParseFeed(kRss, "", "https://news.example/feed.xml", keys_only);
  EXPECT_TRUE(keys->entries[0].content.empty());
  EXPECT_EQ(keys->entries[2].summary, "Only text");
}

// A changed feed's poll: the daemon passes the keys of the last document, and
// only the entries that are not among them get their text converted.
TEST(ParseFeed, KnownKeysSkipTheTextOfEntriesAlreadySeen) {
  auto full = ParseFeed(kRss, "", "https://news.example/feed.xml");
  ASSERT_TRUE(full.ok());
  std::vector<std::uint64_t> known = {KeyHash(full->entries[0].key), KeyHash(full->entries[2].key)};
  std::sort(known.begin(), known.end());
  ParseOptions opt;
  opt.known_keys = &known;
  auto polled = ParseFeed(kRss, "", "https://news.example/feed.xml", opt);
  ASSERT_TRUE(polled.ok());
  ASSERT_EQ(polled->entries.size(), full->entries.size());
  for (std::size_t i = 0; i < full->entries.size(); ++i)
    EXPECT_EQ(polled->entries[i].key, full->entries[i].key);
  // Known and keyed by its guid: key, id and link only.
  EXPECT_EQ(polled->entries[0].id, "tag:news.example,2026:1");
  EXPECT_EQ(polled->entries[0].link, "https://news.example/articles/1");
  EXPECT_TRUE(polled->entries[0].title.empty());
  EXPECT_TRUE(polled->entries[0].summary.empty());
  // New: read whole, warnings included.
  EXPECT_EQ(polled->entries[1].title, "No guid here");
  EXPECT_FALSE(polled->entries[1].published.has_value());
  // Known, but keyed by a hash of its text: the text is needed for the key.
  EXPECT_EQ(polled->entries[2].summary, "Only text");
}

TEST(ParseFeed, ClearErrorsForWhatIsNotAFeed) {
  auto empty = ParseFeed("", "", "https://x/empty");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("https://x/empty"), std::string::npos);
  auto html = ParseFeed("<html><body>Oops</body></html>", "", "https://x/h");
  ASSERT_FALSE(html.ok());
  EXPECT_NE(html.status().message().find("not a feed"), std::string::npos);
  // An HTML5 page is not XML at all: said as what it is, not where XML broke.
  auto page = ParseFeed("\n<!DOCTYPE html><html><head><meta charset=utf-8><br></head></html>",
                        "text/html", "https://x/p");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().message(), "https://x/p: not a feed (an HTML page)");
  auto junk = ParseFeed("<rss><channel><title>x</title></chan", "", "https://x/j");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("not well-formed XML"), std::string::npos);
}

TEST(ParseFeed, TruncatedDocumentKeepsOnlyCompleteEntries) {
  auto feed = ParseFeed(R"(<rss version="2.0"><channel>
    <item><title>One</title><guid>1</guid></item>
    <item><title>Two</title><guid>2</guid></item>
    <item><title>Thr)",
                        "", "https://x/cut");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  ASSERT_EQ(feed->entries.size(), 2u);
  EXPECT_EQ(feed->entries[1].title, "Two");
  ASSERT_FALSE(feed->warnings.empty());
  EXPECT_NE(feed->warnings.back().find("kept the 2 complete entries"), std::string::npos)
      << feed->warnings.back();
}

TEST(ParseFeed, ControlCharactersDoNotLoseTheFeed) {
  std::string body =
      "<rss version=\"2.0\"><channel><item><title>a\x01"
      "b\x0c"
      "c</title><guid>1</guid></item></channel></rss>";
  body.insert(body.find("b"), 1, '\0');
  auto feed = ParseFeed(body, "", "https://x/ctl");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  ASSERT_EQ(feed->entries.size(), 1u);
  EXPECT_EQ(feed->entries[0].title, "a b c");
  EXPECT_FALSE(feed->warnings.empty());
}

// The probe's D7: `before&#0;after` read as `before` (pugixml writes the
// NUL into the text), so a publisher could hide words from every rule.
TEST(ParseFeed, AReferenceToNulNeverCutsTheText) {
  const std::string fffd = "\xEF\xBF\xBD";
  std::string rss =
      "<rss version=\"2.0\"><channel><item><title>before&#0;after the NUL reference</title>"
      "<description>one&#x0000;two &amp;#0; three &#00;</description><guid>n</guid></item>"
      "</channel></rss>";
  auto feed = ParseFeed(rss, "", "https://x/nul");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  ASSERT_EQ(feed->entries.size(), 1u);
  EXPECT_EQ(feed->entries[0].title, "before" + fffd + "after the NUL reference");
  EXPECT_EQ(feed->entries[0].summary, "one" + fffd + "two " + fffd + " three " + fffd);
  bool warned = false;
  for (const auto& w : feed->warnings) warned = warned || w.find("&#0;") != std::string::npos;
  EXPECT_TRUE(warned);
  std::string atom =
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>1</id><title>x&#x0;export "
      "controls</title></entry></feed>";
  auto a = ParseFeed(atom, "", "https://x/nul-atom");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->entries.size(), 1u);
  EXPECT_EQ(a->entries[0].title, "x" + fffd + "export controls");
  // Other references and text that merely looks like one are left alone.
  auto plain = ParseFeed(
      "<rss version=\"2.0\"><channel><item><title>&#65;&#x42; &amp;#x10; "
      "&#10;</title><guid>p</guid>"
      "</item></channel></rss>",
      "", "https://x/refs");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->entries[0].title.substr(0, 2), "AB");
}

TEST(ParseFeed, EntitiesDeclaredInADtdAreNeverExpanded) {
  std::string laughs = R"(<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&lol2;</title><description>&xxe;</description><guid>1</guid></item></channel></rss>)";
  auto feed = ParseFeed(laughs, "", "https://x/laughs");
  ASSERT_TRUE(feed.ok()) << feed.status().message();
  ASSERT_EQ(feed->entries.size(), 1u);
  EXPECT_EQ(feed->entries[0].title.find("lollol"), std::string::npos);
  EXPECT_EQ(feed->entries[0].summary.find("root:"), std::string::npos);
}

TEST(ParseFeed, DeepUnclosedNestingIsRecoveredWithoutQuadraticWork) {
  // 100,000 unclosed elements inside an entry: the repair pass used to scan
  // the document once per level (26 s in a release build).
  std::string doc =
      "<rss version=\"2.0\"><channel><title>H</title><item><guid>d1</guid><title>deep</title>"
      "<description>";
  for (int i = 0; i < 100000; ++i) doc += "<a>";
  doc += "</description></item><item><guid>d2</guid><title>after</title></item></channel></rss>";
  auto f = ParseFeed(doc, "", "https://h.example/feed");
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_FALSE(f->warnings.empty());
  EXPECT_NE(f->warnings[0].find("not well-formed XML"), std::string::npos);
  ASSERT_GE(f->entries.size(), 1u);
  EXPECT_EQ(f->entries[0].title, "deep");
}

TEST(ParseFeed, EntryCapTruncatesWithAWarning) {
  std::string body = "<rss version=\"2.0\"><channel>";
  for (int i = 0; i < 50; ++i) body += "<item><guid>" + std::to_string(i) + "</guid></item>";
  body += "</channel></rss>";
  ParseOptions opt;
  opt.max_entries = 10;
  auto feed = ParseFeed(body, "", "https://x/many", opt);
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->entries.size(), 10u);
  EXPECT_FALSE(feed->warnings.empty());
}

struct DateCase {
  const char* text;
  std::int64_t expected;
};

TEST(ParseDate, Rfc822AndRfc3339Variants) {
  const DateCase cases[] = {
      {"Tue, 10 Jun 2003 04:00:00 GMT", 1055217600},
      {"10 Jun 2003 04:00:00 GMT", 1055217600},
      {"Tue, 10 Jun 2003 04:00 GMT", 1055217600},
      {"Tue, 10 june 2003 04:00:00 gmt", 1055217600},
      {"Tue, 10 Jun 03 04:00:00 GMT", 1055217600},
      {"Tue, 10 Jun 2003 00:00:00 -0400", 1055217600},
      {"Tue, 10 Jun 2003 00:00:00 EDT", 1055217600},
      {"Tue, 10 Jun 2003 06:00:00 GMT+2", 1055217600},
      {"Tue, 10 Jun 2003 06:00:00 +02:00", 1055217600},
      {"2003-06-10T04:00:00Z", 1055217600},
      {"2003-06-10T06:00:00+02:00", 1055217600},
      {"2003-06-10T04:00:00.123Z", 1055217600},
      {"2003-06-10T04:00:00", 1055217600},
      {"2003-06-10", 1055203200},
  };
  for (const auto& c : cases) {
    auto t = ParseDate(c.text);
    ASSERT_TRUE(t.has_value()) << c.text;
    EXPECT_EQ(*t, c.expected) << c.text;
  }
  for (const char* bad : {"", "yesterday", "31 Feb 2024 10:00:00 GMT", "2024-13-01T00:00:00Z",
                          "Tue, 10 Jun 2003 25:61:00 GMT"}) {
    EXPECT_FALSE(ParseDate(bad).has_value()) << bad;
  }
}

TEST(HtmlToText, StripsMarkupDecodesReferencesCollapsesSpace) {
  EXPECT_EQ(HtmlToText("<p>One</p><p>Two</p>"), "One Two");
  EXPECT_EQ(HtmlToText("a<br>b"), "a b");
  EXPECT_EQ(HtmlToText("<style>p{}</style>x<script>var a = '<p>';</script>y"), "x y");
  EXPECT_EQ(HtmlToText("AT&amp;T &#8212; &#x2014; &eacute;&copy"),
            "AT&T \xe2\x80\x94 \xe2\x80\x94 \xc3\xa9\xc2\xa9");
  EXPECT_EQ(HtmlToText("1 < 2 and 3 > 2"), "1 < 2 and 3 > 2");
  EXPECT_EQ(HtmlToText("ex\xc2\xad"
                       "port con\xe2\x80\x8btrols"),
            "export controls");
  EXPECT_EQ(HtmlToText("<a href=\"x>y\">link</a> text"), "link text");
  EXPECT_EQ(HtmlToText("<!-- hidden -->shown"), "shown");
  EXPECT_EQ(HtmlToText("&#150;"), "\xe2\x80\x93");  // windows-1252 remap
}

TEST(HtmlToText, SpacesCollapseWhereverTheScanSplitsThem) {
  // The plain-run scanner reads eight bytes at a time: put doubled spaces at
  // every offset around a word boundary, and single spaces before markup.
  for (int pad = 0; pad < 12; ++pad) {
    std::string lead(static_cast<std::size_t>(pad), 'x');
    EXPECT_EQ(CollapseWhitespace(lead + "  y   z"), lead.empty() ? "y z" : lead + " y z") << pad;
    EXPECT_EQ(HtmlToText(lead + "a  b <b>c</b>  d &amp; e  "), lead + "a b c d & e") << pad;
  }
  EXPECT_EQ(HtmlToText("one two three four five six seven"), "one two three four five six seven");
  EXPECT_EQ(HtmlToText("end with space <br>next"), "end with space next");
}

TEST(ResolveUrl, RelativeReferences) {
  EXPECT_EQ(ResolveUrl("https://a.example/b/c", "d"), "https://a.example/b/d");
  EXPECT_EQ(ResolveUrl("https://a.example/b/c", "/d"), "https://a.example/d");
  EXPECT_EQ(ResolveUrl("https://a.example/b/c", "../d"), "https://a.example/d");
  EXPECT_EQ(ResolveUrl("https://a.example/b/c", "//cdn.example/x"), "https://cdn.example/x");
  EXPECT_EQ(ResolveUrl("https://a.example/b/c", "http://other/x"), "http://other/x");
  EXPECT_EQ(ResolveUrl("https://a.example/b/c?q=1", "#frag"), "https://a.example/b/c?q=1#frag");
  EXPECT_EQ(ResolveUrl("https://a.example", "x"), "https://a.example/x");
}

// Robustness sweep over the vendored public corpora (tests/data/corpora): every
// file parses or fails with a message naming it; nothing crashes (ASan build).
TEST(ParseCorpora, EveryFileParsesOrFailsCleanly) {
  std::filesystem::path root =
      std::filesystem::path(FEEDWATCH_SOURCE_DIR) / "tests" / "data" / "corpora";
  ASSERT_TRUE(std::filesystem::exists(root)) << "no corpora at " << root;
  int files = 0, parsed = 0;
  for (const auto& de : std::filesystem::recursive_directory_iterator(root)) {
    if (!de.is_regular_file()) continue;
    auto ext = de.path().extension();
    std::string name = de.path().filename().string();
    bool expected_output = name.size() > 14 && name.substr(name.size() - 14) == "_expected.json";
    if (ext == ".json") {
      // gofeed's expected outputs sit beside its .xml inputs; JSON inputs live
      // under json/ folders and universal/.
      auto parent = de.path().parent_path().filename().string();
      if (expected_output || (parent != "json" && parent != "universal" && parent != "invalid"))
        continue;
    } else if (ext != ".xml" && ext != ".atom" && ext != ".rss") {
      continue;
    }
    ++files;
    std::string body = testing::ReadFile(de.path().string());
    auto feed = ParseFeed(body, "", "file://" + de.path().string());
    if (feed.ok()) {
      ++parsed;
      for (const auto& e : feed->entries) EXPECT_FALSE(e.key.empty()) << de.path();
    } else {
      EXPECT_NE(feed.status().message().find(de.path().filename().string()), std::string::npos);
    }
  }
  EXPECT_GT(files, 0);
  EXPECT_GT(parsed, files * 9 / 10) << parsed << " of " << files << " parsed";
}

}  // namespace
}  // namespace feedwatch
