// Conformance against the public corpora vendored in tests/data/corpora:
// gofeed's translator fixtures give, for each input, the values a
// mature reader extracts; we compare feed title, entry count and each entry's
// title, link, id and published instant.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "feedwatch/feed.h"
#include "test_util.h"

namespace feedwatch {
namespace {

namespace fs = std::filesystem;

// Vendored in the repository (tests/data/corpora, MIT, licences beside the
// files): a fresh clone runs every case; nothing skips.
fs::path Corpora() { return fs::path(FEEDWATCH_SOURCE_DIR) / "tests" / "data" / "corpora"; }

// Differences from gofeed that are intended, each with the reason.
const std::map<std::string, std::string> kIntendedDifferences = {
    // An RSS item with two <link>text</link> and one <link href="…"/>: gofeed
    // takes the href; we take the first RSS link, which is what RSS defines.
    {"feed_item_links_-_rss_channel_item_links.xml", "first RSS <link> wins"},
};

std::string S(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

struct Case {
  fs::path input, expected;
};

std::vector<Case> TranslatorCases() {
  std::vector<Case> cases;
  fs::path root = Corpora() / "gofeed" / "translator";
  for (const char* kind : {"rss", "atom", "json"}) {
    if (!fs::exists(root / kind)) continue;
    for (const auto& de : fs::directory_iterator(root / kind)) {
      fs::path p = de.path();
      std::string name = p.filename().string();
      if (name.size() > 14 && name.substr(name.size() - 14) == "_expected.json") continue;
      fs::path expected = std::string(kind) == std::string("json")
                              ? p.parent_path() / (p.stem().string() + "_expected.json")
                              : p.parent_path() / (p.stem().string() + ".json");
      if (p.extension() == ".xml" || (std::string(kind) == "json" && p.extension() == ".json")) {
        if (fs::exists(expected)) cases.push_back({p, expected});
      }
    }
  }
  std::sort(cases.begin(), cases.end(),
            [](const Case& a, const Case& b) { return a.input < b.input; });
  return cases;
}

TEST(Conformance, GofeedTranslatorFixtures) {
  auto cases = TranslatorCases();
  ASSERT_FALSE(cases.empty()) << "no corpora at " << Corpora();
  int compared = 0, differences = 0;
  std::string report;
  for (const Case& c : cases) {
    std::string name = c.input.filename().string();
    auto expected = nlohmann::json::parse(testing::ReadFile(c.expected.string()), nullptr, false);
    ASSERT_FALSE(expected.is_discarded()) << c.expected;
    auto feed = ParseFeed(testing::ReadFile(c.input.string()), "", "");
    if (!feed.ok()) {
      report += name + ": " + feed.status().message() + "\n";
      ++differences;
      continue;
    }
    ++compared;
    std::vector<std::string> diffs;
    auto check = [&](const std::string& what, const std::string& want, const std::string& got) {
      if (want != got) diffs.push_back(what + ": want \"" + want + "\", got \"" + got + "\"");
    };
    if (expected.contains("title")) check("feed title", S(expected, "title"), feed->title);
    if (expected.contains("items")) {
      const auto& items = expected["items"];
      if (items.size() != feed->entries.size()) {
        diffs.push_back("entries: want " + std::to_string(items.size()) + ", got " +
                        std::to_string(feed->entries.size()));
      } else {
        for (std::size_t i = 0; i < items.size(); ++i) {
          const Entry& e = feed->entries[i];
          if (items[i].contains("title")) check("title", S(items[i], "title"), e.title);
          if (items[i].contains("link")) check("link", S(items[i], "link"), e.link);
          if (items[i].contains("guid")) check("id", S(items[i], "guid"), e.id);
          if (items[i].contains("published")) {
            auto want = ParseDate(S(items[i], "published"));
            if (want != e.published) diffs.push_back("published: want " + S(items[i], "published"));
          }
        }
      }
    }
    if (!diffs.empty() && !kIntendedDifferences.count(name)) {
      ++differences;
      for (const auto& d : diffs) report += name + ": " + d + "\n";
    }
  }
  std::cout << "compared " << compared << " of " << cases.size() << " gofeed translator fixtures\n";
  EXPECT_GT(compared, 80);
  EXPECT_EQ(differences, 0) << report;
}

TEST(Conformance, FormatDetectionOnGofeedUniversal) {
  fs::path dir = Corpora() / "gofeed" / "parser" / "universal";
  ASSERT_TRUE(fs::exists(dir)) << "no corpora at " << dir;
  const std::map<std::string, std::string> kExpected = {
      {"atom03_feed.xml", "atom0.3"},   {"atom10_feed.xml", "atom1.0"},
      {"rss_feed.xml", "rss2.0"},       {"rdf_feed.xml", "rss1.0"},
      {"json10_feed.json", "jsonfeed"}, {"json11_feed.json", "jsonfeed"},
      {"rss_feed_bom.xml", "rss2.0"},   {"rss_feed_leading_spaces.xml", "rss2.0"},
      {"sample.json", "jsonfeed"}};
  int seen = 0;
  for (const auto& de : fs::directory_iterator(dir)) {
    std::string name = de.path().filename().string();
    auto feed = ParseFeed(testing::ReadFile(de.path().string()), "", name);
    auto it = kExpected.find(name);
    if (it != kExpected.end()) {
      ++seen;
      ASSERT_TRUE(feed.ok()) << name << ": " << feed.status().message();
      EXPECT_EQ(FormatName(feed->format), it->second) << name;
    } else {
      // empty, invalid JSON, a well-formed XML note: clear errors naming the input.
      ASSERT_FALSE(feed.ok()) << name << " parsed as " << FormatName(feed->format);
      EXPECT_NE(feed.status().message().find(name), std::string::npos) << feed.status().message();
    }
  }
  EXPECT_EQ(seen, static_cast<int>(kExpected.size()));
}

}  // namespace
}  // namespace feedwatch
