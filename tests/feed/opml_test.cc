// OPML as readers write it (Newsboat's test files, MIT, and an export in the
// shapes other readers produce), a page's advertised feeds, and OPML written
// by feedwatch read back the same.
#include "feedwatch/opml.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.h"

namespace feedwatch {
namespace {

std::string Data(const std::string& name) {
  return testing::ReadFile(std::string(FEEDWATCH_SOURCE_DIR) + "/tests/data/opml/" + name);
}

const OpmlFeed* Find(const OpmlDocument& d, const std::string& url) {
  for (const auto& f : d.feeds)
    if (f.url == url) return &f;
  return nullptr;
}

using Strings = std::vector<std::string>;

TEST(Opml, NewsboatNestedFoldersBecomeCategories) {
  auto d = ParseOpml(Data("newsboat/example.opml"));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->title, "Example OPML file for Newsboat tests");
  ASSERT_EQ(d->feeds.size(), 7u);
  EXPECT_TRUE(d->skipped.empty());
  const OpmlFeed* mike = Find(*d, "https://blogs.example.com/~mike/.rss");
  ASSERT_NE(mike, nullptr);
  EXPECT_EQ(mike->title, "Notes by Mike");
  EXPECT_EQ(mike->categories, (Strings{"Blogs", "friends"}));
  EXPECT_EQ(mike->line, 15);
  EXPECT_EQ(Find(*d, "https://example.com/feed.xml")->categories, Strings{});
  EXPECT_EQ(Find(*d, "https://fred.example.com/writing/index.php?type=rss")->categories,
            Strings{"eloquent"});
}

TEST(Opml, NewsboatCategoryListsUrlAttributeAndSchemes) {
  auto cat = ParseOpml(Data("newsboat/category.opml"));
  ASSERT_TRUE(cat.ok());
  ASSERT_EQ(cat->feeds.size(), 1u);
  EXPECT_EQ(cat->feeds[0].title, "");
  EXPECT_EQ(cat->feeds[0].categories, (Strings{"tag one", "tag_two", "tag", "three"}));

  auto url = ParseOpml(Data("newsboat/xmlurl-missing-but-url-exists.opml"));
  ASSERT_TRUE(url.ok());
  ASSERT_EQ(url->feeds.size(), 1u);
  EXPECT_EQ(url->feeds[0].url, "https://example.com/feed.xml");

  auto schemes = ParseOpml(Data("newsboat/with_unsupported_schemas.opml"));
  ASSERT_TRUE(schemes.ok());
  ASSERT_EQ(schemes->feeds.size(), 1u);
  ASSERT_EQ(schemes->skipped.size(), 2u);
  EXPECT_EQ(schemes->skipped[0],
            "line 8: 'An FTP feed': \"ftp://example.com/~user/news.rss\" is not an http(s) URL");
  EXPECT_NE(schemes->skipped[1].find("line 10:"), std::string::npos);

  auto nobody = ParseOpml(Data("newsboat/body-element-missing.opml"));
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.status().message(), "not an OPML file: no <body>");
  auto broken = ParseOpml("<opml><body><outline text='a'></body></opml>");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("line 1: not well-formed XML"), std::string::npos);
}

TEST(Opml, WhatOtherReadersExport) {
  auto d = ParseOpml(Data("messy-export.opml"));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->title, "Subscriptions & more");
  Strings urls;
  for (const auto& f : d->feeds) urls.push_back(f.url);
  EXPECT_EQ(urls,
            (Strings{"https://www.federalregister.gov/api/v1/"
                     "documents.rss?conditions%5Bagencies%5D%5B%5D=industry-and-security-bureau",
                     "https://cafe.example/feed/", "http://semis.example/rss.xml",
                     "https://spaced.example/atom.xml", "https://pod.example/feed",
                     "https://nameless.example/index.xml"}));
  const OpmlFeed* cafe = Find(*d, "https://cafe.example/feed/");
  EXPECT_EQ(cafe->title, "Café Policy Notes") << "entities decoded, spaces collapsed";
  EXPECT_EQ(cafe->categories, Strings{"Policy & Trade"});
  EXPECT_EQ(Find(*d, "https://spaced.example/atom.xml")->title, "Spaced title");
  EXPECT_EQ(Find(*d, "http://semis.example/rss.xml")->categories, (Strings{"Tech", "Chips"}));
  EXPECT_EQ(Find(*d, "https://pod.example/feed")->categories, (Strings{"Audio", "Talk", "weekly"}));
  EXPECT_EQ(Find(*d, "https://nameless.example/index.xml")->title, "Nameless");
  std::string skipped;
  for (const auto& s : d->skipped) skipped += s + "\n";
  EXPECT_NE(skipped.find("line 15: https://www.federalregister.gov/"), std::string::npos)
      << skipped;
  EXPECT_NE(skipped.find("is listed twice"), std::string::npos);
  EXPECT_NE(skipped.find("'A bookmark, not a feed' has no feed address"), std::string::npos);
  EXPECT_NE(skipped.find("includes another OPML file (https://lists.example/shared.opml)"),
            std::string::npos);
  EXPECT_NE(skipped.find("\"javascript:alert(1)\" is not an http(s) URL"), std::string::npos);
}

TEST(Opml, WrittenThenReadIsTheSame) {
  std::vector<OpmlFeed> feeds = {
      {"https://a.example/feed?x=1&y=2", "A & B <news>", "", {"policy", "us"}, 0},
      {"https://b.example/rss", "Bé", "https://b.example/", {"policy"}, 0},
      {"https://c.example/atom", "C", "", {}, 0},
  };
  std::string xml = WriteOpml("mine", feeds, 1'796'000'000);
  // One declaration, at the very start (a second one is fatal to strict
  // parsers such as expat; tests/cli/feeds.sh parses the export with it).
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0u) << xml;
  EXPECT_EQ(xml.find("<?xml", 1), std::string::npos) << xml;
  EXPECT_NE(xml.find("<opml version=\"2.0\">"), std::string::npos);
  EXPECT_NE(xml.find("<dateCreated>"), std::string::npos);
  auto back = ParseOpml(xml);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->feeds.size(), 3u);
  for (std::size_t i = 0; i < feeds.size(); ++i) {
    const OpmlFeed* f = Find(*back, feeds[i].url);
    ASSERT_NE(f, nullptr) << feeds[i].url;
    EXPECT_EQ(f->title, feeds[i].title);
    EXPECT_EQ(f->categories, feeds[i].categories);
    EXPECT_EQ(f->html_url, feeds[i].html_url);
  }
  EXPECT_TRUE(back->skipped.empty());
}

TEST(AdvertisedFeeds, LinkAlternateOfFeedTypesResolved) {
  const std::string html = R"html(<!doctype html><html><head>
<base href="https://news.example/world/">
<link rel="stylesheet" href="/s.css">
<LINK REL="alternate" TYPE="application/rss+xml" TITLE="World &amp; Politics" HREF="rss.xml">
<link rel='alternate' type='application/atom+xml; charset=utf-8' href='/atom.xml' title='Atom'>
<link rel=alternate type=application/feed+json href=https://news.example/feed.json>
<link rel="alternate nofollow" type="application/rss+xml" href="/rss.xml?a=1&amp;b=2">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" type="application/rss+xml" href="rss.xml">
<link rel="alternate" type="application/rss+xml" title="a > b" href="/gt.xml">
</head><body><a href="/feed">feed</a></body></html>)html";
  auto feeds = AdvertisedFeeds(html, "https://news.example/world/index.html");
  Strings urls;
  for (const auto& f : feeds) urls.push_back(f.url);
  EXPECT_EQ(urls, (Strings{"https://news.example/world/rss.xml", "https://news.example/atom.xml",
                           "https://news.example/feed.json", "https://news.example/rss.xml?a=1&b=2",
                           "https://news.example/gt.xml"}));
  ASSERT_FALSE(feeds.empty());
  EXPECT_EQ(feeds[0].title, "World & Politics");
  EXPECT_EQ(feeds[1].type, "application/atom+xml");
  EXPECT_TRUE(AdvertisedFeeds("<link rel=alternate", "https://x.example/").empty());
}

}  // namespace
}  // namespace feedwatch
