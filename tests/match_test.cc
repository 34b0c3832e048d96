#include <gtest/gtest.h>

#include "feedwatch/match.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using testing::TempDir;

Entry Headline(std::string title, std::string summary = "") {
  Entry e;
  e.title = std::move(title);
  e.summary = std::move(summary);
  return e;
}

std::vector<std::string> MatchedIds(const Matcher& m, const Entry& e) {
  std::vector<std::string> ids;
  for (std::size_t i : m.Match(e)) ids.push_back(m.rules()[i].id);
  return ids;
}

std::shared_ptr<const Matcher> Build(const TempDir& dir, const std::string& toml) {
  auto rules = LoadRuleFile(dir.Write("rules.toml", toml));
  EXPECT_TRUE(rules.ok()) << rules.status().message();
  if (!rules.ok()) return nullptr;
  auto m = Matcher::Build(std::move(*rules));
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? *m : nullptr;
}

TEST(Rules, AnyAllNoneSemantics) {
  TempDir dir;
  auto m = Build(dir, R"(
[[rule]]
id = "chips"
any = ['\bexport controls?\b', '\bentity list\b']
all = ['\bchips?\b']
none = ['\bpotato\b']
)");
  ASSERT_TRUE(m);
  EXPECT_EQ(MatchedIds(*m, Headline("New export controls on chips")), std::vector<std::string>{"chips"});
  EXPECT_EQ(MatchedIds(*m, Headline("Entity List grows", "AI chip makers added")), std::vector<std::string>{"chips"});
  EXPECT_TRUE(MatchedIds(*m, Headline("New export controls on steel")).empty());          // 'all' fails
  EXPECT_TRUE(MatchedIds(*m, Headline("Chips are tasty")).empty());                       // 'any' fails
  EXPECT_TRUE(MatchedIds(*m, Headline("Export controls on potato chips")).empty());       // 'none' hits
}

TEST(Rules, CaseInsensitiveByDefaultAndUnicodeAware) {
  TempDir dir;
  auto m = Build(dir, R"(
[[rule]]
id = "ci"
any = ['café']
[[rule]]
id = "cs"
case_sensitive = true
any = ['\bBIS\b']
)");
  ASSERT_TRUE(m);
  EXPECT_EQ(MatchedIds(*m, Headline("CAFÉ opens")), std::vector<std::string>{"ci"});
  EXPECT_EQ(MatchedIds(*m, Headline("BIS rule")), std::vector<std::string>{"cs"});
  EXPECT_TRUE(MatchedIds(*m, Headline("a bis repetita")).empty());
}

TEST(Rules, MatchesOnlyAllPatternsAcrossFields) {
  TempDir dir;
  auto m = Build(dir, R"(
[[rule]]
id = "both"
all = ['DeepSeek', 'distill']
)");
  ASSERT_TRUE(m);
  EXPECT_EQ(MatchedIds(*m, Headline("DeepSeek news", "accused to distill")), std::vector<std::string>{"both"});
  Entry content_only = Headline("DeepSeek");
  content_only.content = "model distillation";
  EXPECT_EQ(MatchedIds(*m, content_only), std::vector<std::string>{"both"});
}

TEST(Rules, InvalidRegexNamesFileLineRuleAndRe2Message) {
  TempDir dir;
  std::string path = dir.Write("bad.toml", R"([[rule]]
id = "ok"
any = ['fine']

[[rule]]
id = "broken"
any = [
  'good',
  '(unclosed',
]
)");
  auto r = LoadRuleFile(path);
  ASSERT_FALSE(r.ok());
  const std::string& msg = r.status().message();
  EXPECT_NE(msg.find(path + ":9:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rule 'broken'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing )"), std::string::npos) << msg;
}

TEST(Rules, PcreOnlyFeaturesGetAHint) {
  TempDir dir;
  auto r = LoadRuleFile(dir.Write("la.toml", "[[rule]]\nid = \"x\"\nany = ['foo(?=bar)']\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("lookaround"), std::string::npos) << r.status().message();
}

TEST(Rules, StructuralErrorsAreReportedTogether) {
  TempDir dir;
  std::string path = dir.Write("s.toml", R"([[rule]]
id = "a"
any = ['x']
colour = "blue"

[[rule]]
id = "a"
any = ['y']

[[rule]]
id = "only-none"
none = ['z']
)");
  auto r = LoadRuleFile(path);
  ASSERT_FALSE(r.ok());
  const std::string& msg = r.status().message();
  EXPECT_NE(msg.find(path + ":4: unknown key 'colour'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("duplicate rule id 'a'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rule 'only-none': needs 'any' or 'all'"), std::string::npos) << msg;
}

TEST(Rules, TomlSyntaxErrorNamesTheLine) {
  TempDir dir;
  std::string path = dir.Write("syntax.toml", "[[rule]]\nid = \"a\"\nany = ['x'\n");
  auto r = LoadRuleFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind(path + ":", 0), 0u) << r.status().message();
}

TEST(Rules, DuplicateIdsAcrossFiles) {
  TempDir dir;
  auto a = dir.Write("a.toml", "[[rule]]\nid = \"same\"\nany = ['x']\n");
  auto b = dir.Write("b.toml", "[[rule]]\nid = \"same\"\nany = ['y']\n");
  auto r = LoadRuleFiles({a, b});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("first defined at " + a + ":1"), std::string::npos) << r.status().message();
}

// The packs we ship: they load, and they tell real headlines from near misses.
class ShippedPacks : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = std::string(FEEDWATCH_SOURCE_DIR) + "/rules/";
    auto rules = LoadRuleFiles({dir + "ai-export-controls.toml", dir + "ai-model-distillation.toml"});
    ASSERT_TRUE(rules.ok()) << rules.status().message();
    auto m = Matcher::Build(std::move(*rules));
    ASSERT_TRUE(m.ok()) << m.status().message();
    matcher_ = *m;
  }
  bool Any(const std::string& title, const std::string& summary = "") {
    return !matcher_->Match(Headline(title, summary)).empty();
  }
  std::shared_ptr<const Matcher> matcher_;
};

TEST_F(ShippedPacks, MatchStoriesOnTopic) {
  EXPECT_TRUE(Any("US tightens export controls on Nvidia H20 chips bound for China"));
  EXPECT_TRUE(Any("Commerce adds 12 Chinese firms to Entity List"));
  EXPECT_TRUE(Any("Three charged with smuggling Nvidia GPUs to China"));
  EXPECT_TRUE(Any("Dutch government widens export restrictions on ASML lithography tools"));
  EXPECT_TRUE(Any("OpenAI says DeepSeek distilled its models"));
  EXPECT_TRUE(Any("Anthropic accuses MiniMax of unauthorized use of Claude outputs"));
  EXPECT_TRUE(Any("State Department cable warns of distillation by foreign labs"));
}

TEST_F(ShippedPacks, IgnoreNearMisses) {
  EXPECT_FALSE(Any("Football club's export of young talent hits record", "Export restrictions on players?"));
  EXPECT_FALSE(Any("Distilled spirits exports hit a record year", "Whiskey makers cheer"));
  EXPECT_FALSE(Any("BIS annual report warns central banks about stablecoins"));
  EXPECT_FALSE(Any("How to build an entity list view in Django"));
  EXPECT_FALSE(Any("MiniMax releases a new video generation model"));
  EXPECT_FALSE(Any("Wheat exports to China rise"));
}

}  // namespace
}  // namespace feedwatch
