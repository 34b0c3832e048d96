// `feedwatch feeds import | export | discover` as a person runs them: a
// reader's OPML into a config (skipping what is configured, names kept
// unique, the result loading), export and import back to the same feeds,
// and discovery over real HTTP from a loopback server, SSRF guard included.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <tuple>

#include "feed_builders.h"
#include "feedwatch/commands.h"
#include "feedwatch/config.h"
#include "fixture_server.h"
#include "test_util.h"

// Commands are written as designated initialisers naming only what a person
// would type; the rest keep their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace feedwatch {
namespace {

using testing::FixtureServer;
using testing::RssDocument;
using testing::TempDir;

const std::string kHead =
    "[daemon]\nrules = [\"r.toml\"]\nstate_dir = \"state\"\n\n"
    "[[feed]]\nname = \"Distrowatch mirror\"\nurl = \"https://mirror.example/dw.rss\"\n\n"
    "[[feed]]\nname = \"Mine\"\nurl = \"https://EXAMPLE.com/feed.xml/\"\n";

struct Outcome {
  int code;
  std::string out, err;
};

Outcome Feeds(const FeedsCommand& cmd) {
  std::ostringstream out, err;
  int code = CmdFeeds(cmd, out, err);
  return {code, out.str(), err.str()};
}

std::string Opml(const std::string& name) {
  return std::string(FEEDWATCH_SOURCE_DIR) + "/tests/data/opml/" + name;
}

std::set<std::tuple<std::string, std::string, std::vector<std::string>>> FeedSet(const Config& c) {
  std::set<std::tuple<std::string, std::string, std::vector<std::string>>> s;
  for (const auto& f : c.feeds) s.insert({f.url, f.name, f.tags});
  return s;
}

TEST(FeedsImport, PrintsBlocksForNewFeedsWithUniqueNamesAndTags) {
  TempDir dir;
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  std::string config = dir.Write("feedwatch.toml", kHead);
  FeedsCommand cmd{
      .action = "import", .config_path = config, .file = Opml("newsboat/example.opml")};
  cmd.tags = {"From Reader"};
  Outcome r = Feeds(cmd);
  ASSERT_EQ(r.code, 0) << r.err;
  // The configured one (same URL but for host case and a trailing slash) is skipped.
  EXPECT_NE(r.err.find("example.opml:8: https://example.com/feed.xml is configured already (as "
                       "'Mine')"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("6 feed(s) to add, 1 configured already, 0 outline(s) not usable"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("name = \"Distrowatch mirror (2)\"\nurl = "
                       "\"https://example.com/mirrors/distrowatch.rss\"\ntags = [\"from-reader\"]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("name = \"Notes by Mike\"\nurl = \"https://blogs.example.com/~mike/.rss\"\n"
                       "tags = [\"blogs\", \"friends\", \"from-reader\"]"),
            std::string::npos)
      << r.out;
  // What it prints loads, appended to the config.
  std::string merged = dir.Write("merged.toml", kHead + r.out);
  auto loaded = LoadConfig(merged);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->feeds.size(), 8u);
}

TEST(FeedsImport, WriteAppendsAfterABackupAndASecondImportAddsNothing) {
  TempDir dir;
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  std::string config = dir.Write("feedwatch.toml", kHead);
  FeedsCommand cmd{.action = "import", .file = Opml("messy-export.opml"), .write = config};
  Outcome r = Feeds(cmd);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(testing::ReadFile(config + ".bak"), kHead);
  auto loaded = LoadConfig(config);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->feeds.size(), 8u);
  std::map<std::string, const FeedSpec*> by_url;
  for (const auto& f : loaded->feeds) by_url[f.url] = &f;
  ASSERT_TRUE(by_url.count("http://semis.example/rss.xml"));
  EXPECT_EQ(by_url["http://semis.example/rss.xml"]->tags,
            (std::vector<std::string>{"tech", "chips"}));
  EXPECT_EQ(by_url["https://cafe.example/feed/"]->name, "Café Policy Notes");
  EXPECT_EQ(by_url["https://cafe.example/feed/"]->tags, std::vector<std::string>{"policy-&-trade"});
  // Unusable outlines are named with their line.
  EXPECT_NE(r.err.find("messy-export.opml:30: 'Not a web address'"), std::string::npos) << r.err;
  std::string after = testing::ReadFile(config);
  Outcome again = Feeds(cmd);
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.err.find("0 feed(s) to add, 6 configured already"), std::string::npos)
      << again.err;
  EXPECT_EQ(testing::ReadFile(config), after);
}

TEST(FeedsImport, BrokenFilesSayWhy) {
  TempDir dir;
  Outcome missing = Feeds({.action = "import", .file = dir.File("nope.opml")});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos);
  Outcome nobody = Feeds({.action = "import", .file = Opml("newsboat/body-element-missing.opml")});
  EXPECT_EQ(nobody.code, 1);
  EXPECT_NE(nobody.err.find("body-element-missing.opml: not an OPML file: no <body>"),
            std::string::npos)
      << nobody.err;
}

TEST(FeedsExport, ThenImportGivesTheSameFeeds) {
  TempDir dir;
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  std::string config =
      dir.Write("feedwatch.toml",
                kHead +
                    "\n[[feed]]\nname = \"BIS <press> & \\\"releases\\\"\"\nurl = "
                    "\"https://www.bis.gov/rss.xml?a=1&b=2\"\ntags = [\"policy\", \"us\"]\n");
  auto original = LoadConfig(config);
  ASSERT_TRUE(original.ok()) << original.status().message();
  std::string opml = dir.File("out.opml");
  Outcome ex = Feeds({.action = "export", .config_path = config, .output = opml});
  ASSERT_EQ(ex.code, 0) << ex.err;
  EXPECT_NE(testing::ReadFile(opml).find("<opml version=\"2.0\">"), std::string::npos);
  Outcome im = Feeds({.action = "import", .file = opml});
  ASSERT_EQ(im.code, 0) << im.err;
  std::string back = dir.Write("back.toml", "[daemon]\nrules = [\"r.toml\"]\n" + im.out);
  auto reread = LoadConfig(back);
  ASSERT_TRUE(reread.ok()) << reread.status().message() << "\n" << im.out;
  EXPECT_EQ(FeedSet(*reread), FeedSet(*original));
}

TEST(FeedsDiscover, AdvertisedFeedsThenCommonPathsEachParsed) {
  FixtureServer server;
  server.SetFeed("/site/",
                 "<html><head><title>Site</title>"
                 "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"news.xml\">"
                 "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/site/broken.xml\">"
                 "</head><body>hi</body></html>",
                 200, "text/html; charset=utf-8");
  server.SetFeed("/site/news.xml",
                 RssDocument("Site News", {{"1", "One", "https://s.example/1", "x"},
                                           {"2", "Two", "https://s.example/2", "y"}}));
  server.SetFeed("/site/broken.xml", "<html>not a feed</html>", 200, "text/html");
  Outcome r = Feeds({.action = "discover", .url = server.Url("/site/"), .allow_private = true});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("advertises 2 feed(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(server.Url("/site/news.xml") + ": rss2.0, 2 entries, \"Site News\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(server.Url("/site/broken.xml") + ": not a feed"), std::string::npos);
  EXPECT_NE(r.out.find("[[feed]]\nname = \"Site News\"\nurl = \"" + server.Url("/site/news.xml")),
            std::string::npos);

  // No advertised feed: the common paths at the root.
  FixtureServer plain;
  plain.SetFeed("/", "<html><body>no links</body></html>", 200, "text/html");
  plain.SetFeed("/rss.xml", RssDocument("Root", {{"1", "One", "https://r.example/1", "x"}}));
  Outcome common = Feeds({.action = "discover", .url = plain.Url("/"), .allow_private = true});
  ASSERT_EQ(common.code, 0) << common.err << common.out;
  EXPECT_NE(common.out.find(plain.Url("/rss.xml") + ": rss2.0, 1 entries"), std::string::npos)
      << common.out;

  // A feed's own address is reported as one.
  Outcome direct =
      Feeds({.action = "discover", .url = server.Url("/site/news.xml"), .allow_private = true});
  EXPECT_EQ(direct.code, 0);
  EXPECT_NE(direct.out.find("is a feed"), std::string::npos);

  // The SSRF guard holds unless lifted.
  Outcome guarded = Feeds({.action = "discover", .url = server.Url("/site/")});
  EXPECT_EQ(guarded.code, 1);
  EXPECT_NE(guarded.err.find(server.Url("/site/")), std::string::npos) << guarded.err;
  EXPECT_EQ(server.FeedRequests("/site/news.xml"), 2u) << "nothing fetched past the guard";

  Outcome nothing =
      Feeds({.action = "discover", .url = server.Url("/site/broken.xml"), .allow_private = true});
  EXPECT_EQ(nothing.code, 1);
  EXPECT_NE(nothing.err.find("no feed found"), std::string::npos);
}

}  // namespace
}  // namespace feedwatch

namespace feedwatch {
namespace {

// The starter list ships twice: etc/starter-feeds.opml and commented blocks
// in etc/feedwatch.toml. Both are read here (never fetched): the OPML
// imports cleanly, the blocks load once uncommented, and they list the same
// feeds with the same tags.
TEST(StarterFeeds, TheOpmlAndTheExampleConfigAgree) {
  const std::string root = FEEDWATCH_SOURCE_DIR;
  Outcome im = Feeds({.action = "import", .file = root + "/etc/starter-feeds.opml"});
  ASSERT_EQ(im.code, 0) << im.err;
  EXPECT_NE(im.err.find(" 0 outline(s) not usable"), std::string::npos) << im.err;
  TempDir dir;
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  auto from_opml = LoadConfig(dir.Write("a.toml", "[daemon]\nrules = [\"r.toml\"]\n" + im.out));
  ASSERT_TRUE(from_opml.ok()) << from_opml.status().message();

  std::string example = testing::ReadFile(root + "/etc/feedwatch.toml");
  std::size_t begin = example.find("# ---- starter feeds");
  std::size_t end = example.find("# ---- end of starter feeds");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::istringstream section(example.substr(begin, end - begin));
  std::string toml = "[daemon]\nrules = [\"r.toml\"]\n";
  for (std::string line; std::getline(section, line);)
    if (line.rfind("# ", 0) == 0 && line.rfind("# ----", 0) != 0) toml += line.substr(2) + "\n";
  auto from_example = LoadConfig(dir.Write("b.toml", toml));
  ASSERT_TRUE(from_example.ok()) << from_example.status().message();

  ASSERT_GE(from_opml->feeds.size(), 12u);
  std::map<std::string, std::vector<std::string>> a, b;
  for (const auto& f : from_opml->feeds) {
    EXPECT_EQ(f.url.rfind("https://", 0), 0u) << f.url;
    a[f.url] = f.tags;
  }
  for (const auto& f : from_example->feeds) b[f.url] = f.tags;
  // The OPML's folders become a first tag; the rest must agree.
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [url, tags] : b) {
    ASSERT_TRUE(a.count(url)) << url;
    for (const auto& t : tags)
      EXPECT_NE(std::find(a[url].begin(), a[url].end(), t), a[url].end()) << url << " " << t;
  }
  EXPECT_TRUE(b.count(
      "https://www.federalregister.gov/api/v1/"
      "documents.rss?conditions%5Bagencies%5D%5B%5D=industry-and-security-bureau&order=newest"));
}

}  // namespace
}  // namespace feedwatch
