// Match() (RE2::Set per field, then the rule's conditions) and Explain()
// (pattern by pattern, with spans) are two evaluators of one semantics. As
// RE2's tester cross-checks its engines, this checks they agree on every
// shipped pack over every labelled headline, and on generated rules; and that
// every rule Explain() says matched has highlights to show.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>

#include "feedwatch/evaluate.h"
#include "feedwatch/match.h"
#include "match_util.h"

namespace feedwatch {
namespace {

std::vector<Entry> Headlines() {
  std::vector<Entry> out;
  for (const char* file : {"dev_headlines.tsv", "heldout_headlines.tsv"}) {
    auto items = ReadLabels(std::string(FEEDWATCH_SOURCE_DIR) + "/tests/data/rules-eval/" + file);
    EXPECT_TRUE(items.ok()) << items.status().message();
    if (!items.ok()) continue;
    for (auto& item : *items) out.push_back(std::move(item.entry));
  }
  return out;
}

// Returns how many (entry, rule) pairs matched, so a caller can tell the
// check was not vacuous.
std::size_t ExpectAgreement(const Matcher& m, const std::vector<Entry>& entries) {
  std::size_t matched = 0;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    MatchContext ctx;
    std::vector<std::size_t> fast = m.Match(entries[e], ctx);
    std::set<std::size_t> hits(fast.begin(), fast.end());
    for (std::size_t r = 0; r < m.rules().size(); ++r) {
      Explanation ex = m.Explain(entries[e], ctx, r);
      EXPECT_EQ(hits.count(r) == 1, ex.matched)
          << "rule " << m.rules()[r].id << " (" << m.rules()[r].file << ":" << m.rules()[r].line
          << ") on \"" << entries[e].title << "\": Match says " << (hits.count(r) ? "yes" : "no")
          << ", Explain says " << (ex.matched ? "yes" : "no");
      if (ex.matched) {
        ++matched;
        EXPECT_FALSE(ex.highlights.empty()) << "rule " << m.rules()[r].id << " matched \""
                                            << entries[e].title << "\" with nothing to highlight";
      }
    }
  }
  return matched;
}

TEST(MatchExplain, AgreeOnEveryShippedPackOverRealHeadlines) {
  std::vector<std::string> packs;
  for (const auto& f :
       std::filesystem::directory_iterator(std::string(FEEDWATCH_SOURCE_DIR) + "/rules")) {
    if (f.path().extension() == ".toml") packs.push_back(f.path().string());
  }
  ASSERT_GE(packs.size(), 4u);
  auto rules = LoadRuleFiles(packs);
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  auto m = Matcher::Build(std::move(*rules));
  ASSERT_TRUE(m.ok()) << m.status().message();
  std::vector<Entry> entries = Headlines();
  ASSERT_GT(entries.size(), 300u);
  EXPECT_GT(ExpectAgreement(**m, entries), 300u)
      << "the packs should match many of these headlines";
}

// Random rules over the headlines' own vocabulary: any / all / none / near in
// combinations nobody would write by hand, in both cases and with word forms.
TEST(MatchExplain, AgreeOnGeneratedRules) {
  const std::vector<std::string> words = {
      "export",       "controls", "chips",  "Nvidia",  "China",    "AI",    "model",
      "distillation", "DeepSeek", "ban",    "curbs",   "Commerce", "H20",   "芯片",
      "出口",         "半導体",   "반도체", "license", "rule",     "Huawei"};
  std::mt19937 rng(20261201);
  auto pick = [&](int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
      std::string w = words[rng() % words.size()];
      if (rng() % 4 == 0 && (w[0] & 0x80) == 0) w += "~";
      out += (i ? ", '" : "'") + w + "'";
    }
    return out;
  };
  std::string toml;
  for (int r = 0; r < 120; ++r) {
    toml += "[[rule]]\nid = \"g" + std::to_string(r) + "\"\n";
    int shape = static_cast<int>(rng() % 5);
    if (shape != 3) toml += "any = [" + pick(1 + static_cast<int>(rng() % 3)) + "]\n";
    if (shape == 1 || shape == 3) toml += "all = [" + pick(1 + static_cast<int>(rng() % 2)) + "]\n";
    if (shape == 2) toml += "none = [" + pick(1) + "]\n";
    if (shape == 4) {
      toml += "[rule.near]\nterms = [" + pick(2) + "]\nwithin = " + std::to_string(1 + rng() % 8) +
              "\n";
    }
    if (rng() % 3 == 0 && shape != 4) toml += "fields = [\"title\"]\n";
  }
  testing::TempDir dir;
  auto m = testing::BuildMatcher(dir, toml);
  ASSERT_TRUE(m) << toml;
  EXPECT_GT(ExpectAgreement(*m, Headlines()), 50u);
}

}  // namespace
}  // namespace feedwatch
