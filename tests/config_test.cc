#include <gtest/gtest.h>

#include "feedwatch/config.h"
#include "feedwatch/daemon.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using testing::TempDir;

TEST(Config, LoadsFeedsSinksAndResolvesRelativePaths) {
  TempDir dir;
  dir.Write("rules/a.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  dir.Write("rules/b.toml", "[[rule]]\nid = \"b\"\nany = ['y']\n");
  std::string path = dir.Write("feedwatch.toml", R"(
[daemon]
state_dir = "state"
rules = ["rules"]
interval = "5m"

[[feed]]
name = "one"
url = "https://one.example/feed"
tags = ["policy"]

[[feed]]
url = "https://two.example/feed"
interval = "30m"
prime = false

[[sink]]
name = "hook"
type = "webhook"
url = "https://hooks.example/x"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
headers = { "X-Team" = "policy" }
)");
  auto cfg = LoadConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->daemon.state_dir, dir.File("state"));
  ASSERT_EQ(cfg->rule_files.size(), 2u);
  EXPECT_EQ(cfg->rule_files[0], dir.File("rules/a.toml"));
  ASSERT_EQ(cfg->feeds.size(), 2u);
  EXPECT_EQ(cfg->feeds[0].interval, std::chrono::minutes(5));
  EXPECT_TRUE(cfg->feeds[0].prime);
  EXPECT_EQ(cfg->feeds[1].name, "https://two.example/feed");
  EXPECT_EQ(cfg->feeds[1].interval, std::chrono::minutes(30));
  EXPECT_FALSE(cfg->feeds[1].prime);
  ASSERT_EQ(cfg->sinks.size(), 1u);
  EXPECT_EQ(cfg->sinks[0].headers.at("X-Team"), "policy");
}

TEST(Config, EveryErrorNamesFileAndLine) {
  TempDir dir;
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  std::string path = dir.Write("bad.toml", R"([daemon]
rules = ["r.toml"]
interval = "often"
colour = "blue"

[[feed]]
url = "file:///etc/passwd"

[[feed]]
name = "dup"
url = "https://a.example/"

[[feed]]
name = "dup"
url = "https://b.example/"
)");
  auto cfg = LoadConfig(path);
  ASSERT_FALSE(cfg.ok());
  const std::string& msg = cfg.status().message();
  EXPECT_NE(msg.find(path + ":3: 'interval'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path + ":4: unknown key 'colour'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path + ":7: feed url \"file:///etc/passwd\" must start with http"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path + ":13: duplicate feed name 'dup'"), std::string::npos) << msg;
}

TEST(Config, MissingRuleFileIsAnError) {
  TempDir dir;
  std::string path = dir.Write("c.toml", "[daemon]\nrules = [\"nope.toml\"]\n");
  auto cfg = LoadConfig(path);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("nope.toml does not exist"), std::string::npos) << cfg.status().message();
}

TEST(LoadAll, RuleNamingAnUnknownSinkIsAnError) {
  TempDir dir;
  std::string rules = dir.Write("r.toml", "[[rule]]\nid = \"a\"\nsinks = [\"slack\"]\nany = ['x']\n");
  std::string path = dir.Write("c.toml", "[daemon]\nrules = [\"r.toml\"]\n");
  auto loaded = LoadAll(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(rules + ":1: rule 'a': unknown sink 'slack'"), std::string::npos)
      << loaded.status().message();
}

}  // namespace
}  // namespace feedwatch
