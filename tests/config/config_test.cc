#include <gtest/gtest.h>

#include "../daemon/config/config_parts.h"
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
  EXPECT_NE(msg.find(path + ":7: feed url \"file:///etc/passwd\" must start with http"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(path + ":13: duplicate feed name 'dup'"), std::string::npos) << msg;
}

TEST(Config, EverySinkTypeWithFlowControlAndSecretsFromFiles) {
  TempDir dir;
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  dir.Write("bot-token", "123:ABC\n");
  dir.Write("digest.mustache", "{{count}} alerts\n{{#alerts}}- {{entry.title}}\n{{/alerts}}");
  std::string path = dir.Write("c.toml", R"([daemon]
rules = ["r.toml"]
max_alert_age = "2d"

[[sink]]
name = "chat"
type = "slack"
url = "https://hooks.slack.com/services/T/B/x"
group_window = "2m"
group_max = 10
group_by = "rule"

[[sink]]
type = "discord"
url = "https://discord.com/api/webhooks/1/x"
rate_limit = "none"

[[sink]]
type = "teams"
url = "https://prod.example.logic.azure.com/workflows/x"

[[sink]]
type = "ntfy"
topic = "fw"
concurrency = 4
ordered = false

[[sink]]
type = "telegram"
token_file = "bot-token"
chat_id = "-100"
template_file = "digest.mustache"

[[sink]]
type = "email"
url = "smtp://127.0.0.1:25"
from = "fw@example.org"
to = ["a@example.org", "b@example.org"]
starttls = "off"
title_template = "{{entry.title}}"

[[sink]]
type = "jsonl"
path = "alerts.jsonl"
)");
  auto cfg = LoadConfig(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->sinks.size(), 7u);
  const SinkSpec& slack = cfg->sinks[0];
  EXPECT_EQ(slack.rate_per_second, 1.0);  // Slack's documented limit by default
  EXPECT_EQ(slack.group_window, std::chrono::minutes(2));
  EXPECT_EQ(slack.group_max, 10);
  EXPECT_EQ(slack.group_by, "rule");
  EXPECT_EQ(cfg->sinks[1].rate_per_second, 0.0);
  EXPECT_EQ(cfg->sinks[3].url, "https://ntfy.sh");
  EXPECT_EQ(cfg->sinks[3].concurrency, 4);
  EXPECT_FALSE(cfg->sinks[3].ordered);
  EXPECT_EQ(cfg->sinks[4].token, "123:ABC");
  EXPECT_EQ(cfg->sinks[4].url, "https://api.telegram.org");
  EXPECT_NE(cfg->sinks[4].template_text.find("{{count}}"), std::string::npos);
  EXPECT_EQ(cfg->sinks[5].to.size(), 2u);
  EXPECT_EQ(cfg->sinks[6].path, dir.path() + "/alerts.jsonl");
  EXPECT_EQ(cfg->daemon.max_alert_age, std::chrono::hours(48));
}

TEST(Config, SinkErrorsNameTheLine) {
  TempDir dir;
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  std::string path = dir.Write("c.toml", R"([daemon]
rules = ["r.toml"]

[[sink]]
type = "pager"

[[sink]]
type = "telegram"
token = "1:x"

[[sink]]
type = "email"
url = "smtp://127.0.0.1"
from = "a@b"
to = "not an address"

[[sink]]
type = "slack"
url = "https://hooks.slack.com/x"
rate_limit = "fast"

[[sink]]
type = "discord"
url = "https://discord.com/x"
template = """
{{#alerts}}
{{entry.title}
{{/alerts}}"""
)");
  auto cfg = LoadConfig(path);
  ASSERT_FALSE(cfg.ok());
  const std::string& msg = cfg.status().message();
  EXPECT_NE(msg.find(path + ":5: sink 'pager': type must be one of"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path + ":7: sink 'telegram': a telegram sink needs 'chat_id'"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(path + ":15: sink 'email': 'not an address' is not a bare address"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(path + ":20: sink 'slack': rate_limit must look like"), std::string::npos)
      << msg;
  EXPECT_NE(
      msg.find(path +
               ":25: sink 'discord': template: template line 2: '{{entry.title}' is not closed"),
      std::string::npos)
      << msg;
}

TEST(Config, EachSinkTypeTakesOnlyItsOwnSettings) {
  TempDir dir;
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  std::string path = dir.Write("c.toml", R"([daemon]
rules = ["r.toml"]

[[sink]]
type = "slack"
url = "https://hooks.slack.com/x"
chat_id = "42"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

[[sink]]
type = "webhook"
url = "https://example.com/hook"
secret = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "not-base64!"]
topc = "x"
)");
  auto cfg = LoadConfig(path);
  ASSERT_FALSE(cfg.ok());
  const std::string& msg = cfg.status().message();
  // Another type's settings are refused at their line, naming the type.
  EXPECT_NE(msg.find(path + ":7: unknown key 'chat_id' in a slack sink"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path + ":8: unknown key 'secret' in a slack sink"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path + ":14: unknown key 'topc' in a webhook sink"), std::string::npos) << msg;
  // A declared setting is read and checked by its type.
  EXPECT_NE(msg.find(path + ":13: sink 'webhook': signing secret is not whsec_<base64>"),
            std::string::npos)
      << msg;
}

TEST(Config, ADeclaredSettingWithoutAFieldIsKeptByName) {
  // A type may declare a setting SinkSpec has no field for: it is read by
  // its declaration into `extra`, a secret from its file like any other.
  TempDir dir;
  std::string token = dir.Write("token", "s3cret\n");
  auto table = toml::parse("region = \"eu\"\napi_key_file = \"" + token + "\"\n");
  tomlutil::Errors errors("c.toml");
  SinkSpec s;
  configimpl::ReadSinkSetting(table, {.name = "region"}, dir.path(), s, errors);
  configimpl::ReadSinkSetting(table, {.name = "api_key", .kind = SinkSetting::Kind::kSecret},
                              dir.path(), s, errors);
  EXPECT_TRUE(errors.empty()) << errors.ToStatus().message();
  EXPECT_EQ(s.extra["region"], "eu");
  EXPECT_EQ(s.extra["api_key"], "s3cret");
}

TEST(Config, StoriesAndBudgetsAreReadAndCheckedAtTheirLine) {
  TempDir dir;
  dir.Write("r.toml",
            "[[rule]]\nid = \"a\"\nany = ['x']\nmax_alerts = \"5/30m\"\n"
            "[[rule]]\nid = \"b\"\nany = ['y']\nmax_alerts = \"lots\"\n");
  dir.Write("good-r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\nmax_alerts = \"5/30m\"\n");
  std::string good = dir.Write("good.toml", R"([daemon]
rules = ["good-r.toml"]
story_window = "36h"

[[sink]]
type = "log"
stories = "updates"
story_update_every = "2h"
max_alerts = "10/1h"
)");
  auto cfg = LoadConfig(good);
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_EQ(cfg->daemon.story_window, std::chrono::hours(36));
  const SinkSpec& s = cfg->sinks[0];
  EXPECT_EQ(s.stories, StoryMode::kUpdates);
  EXPECT_EQ(s.story_update_every, std::chrono::hours(2));
  EXPECT_EQ(s.max_alerts, 10);
  EXPECT_EQ(s.max_alerts_window, std::chrono::hours(1));
  auto all = LoadAll(good);
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(all->matcher->rules()[0].max_alerts, 5);
  EXPECT_EQ(all->matcher->rules()[0].max_alerts_window, std::chrono::minutes(30));
  std::string bad = dir.Write("bad.toml", R"([daemon]
rules = ["r.toml"]
story_window = "30d"

[[sink]]
type = "log"
stories = "some"
story_update_every = "10s"
max_alerts = "10 per hour"
)");
  auto loaded = LoadAll(bad);
  ASSERT_FALSE(loaded.ok());
  const std::string& msg = loaded.status().message();
  EXPECT_NE(msg.find(bad + ":3: 'story_window' above 14d"), std::string::npos) << msg;
  EXPECT_NE(msg.find(bad + ":7: sink 'log': stories must be"), std::string::npos) << msg;
  EXPECT_NE(msg.find(bad + ":8: sink 'log': story_update_every must be at least 1m"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(bad + ":9: sink 'log': max_alerts must look like \"10/1h\""),
            std::string::npos)
      << msg;
  // Rule budgets are read with the rules; a bad one names the rule file's line.
  auto rules = LoadRuleFile(dir.File("r.toml"));
  ASSERT_FALSE(rules.ok());
  EXPECT_NE(rules.status().message().find("r.toml:8: rule 'b': max_alerts must look like"),
            std::string::npos)
      << rules.status().message();
}

TEST(Config, MissingRuleFileIsAnError) {
  TempDir dir;
  std::string path = dir.Write("c.toml", "[daemon]\nrules = [\"nope.toml\"]\n");
  auto cfg = LoadConfig(path);
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("nope.toml does not exist"), std::string::npos)
      << cfg.status().message();
}

TEST(LoadAll, RuleNamingAnUnknownSinkIsAnError) {
  TempDir dir;
  std::string rules =
      dir.Write("r.toml", "[[rule]]\nid = \"a\"\nsinks = [\"slack\"]\nany = ['x']\n");
  std::string path = dir.Write("c.toml", "[daemon]\nrules = [\"r.toml\"]\n");
  auto loaded = LoadAll(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(rules + ":1: rule 'a': unknown sink 'slack'"),
            std::string::npos)
      << loaded.status().message();
}

TEST(Config, AnAdminEndpointFacingANetworkNeedsAToken) {
  TempDir dir;
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  const std::string head =
      "[daemon]\nrules = [\"r.toml\"]\n[[feed]]\nurl = \"https://a.example/\"\n[admin]\n";
  auto load = [&](const std::string& admin) {
    return LoadConfig(dir.Write("feedwatch.toml", head + admin));
  };
  auto open = load("listen = \"0.0.0.0:9321\"\n");
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("feedwatch.toml:6: [admin] listen on 0.0.0.0:9321 faces a "
                                         "network: set [admin] token_file"),
            std::string::npos)
      << open.status().message();
  // All of 127.0.0.0/8 is loopback, not a network.
  for (const char* lo : {"127.0.0.2:9321", "127.1.2.3:9321", "[::1]:9321", "localhost:9321"})
    EXPECT_TRUE(load(std::string("listen = \"") + lo + "\"\n").ok()) << lo;
  EXPECT_FALSE(load("listen = \"128.0.0.1:9321\"\n").ok());
  EXPECT_FALSE(load("listen = \"127.attacker.example:9321\"\n").ok()) << "a name, not 127/8";
  dir.Write("admin.token", "tok-123\n");
  auto with_token =
      load("listen = \"[::]:9321\"\ntoken_file = \"admin.token\"\nmetrics_public = true\n");
  ASSERT_TRUE(with_token.ok()) << with_token.status().message();
  EXPECT_EQ(with_token->admin_token, "tok-123");
  EXPECT_TRUE(with_token->admin_metrics_public);
  EXPECT_FALSE(with_token->admin_actions);
  auto missing = load("listen = \"0.0.0.0:9321\"\ntoken_file = \"nope.token\"\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(":7: cannot read secret file"), std::string::npos)
      << missing.status().message();
  dir.Write("empty.token", "\n");
  EXPECT_FALSE(load("listen = \"0.0.0.0:1\"\ntoken_file = \"empty.token\"\n").ok());
  auto unix_token = load("listen = \"unix:/run/x.sock\"\ntoken_file = \"admin.token\"\n");
  ASSERT_FALSE(unix_token.ok());
  EXPECT_NE(unix_token.status().message().find("file permissions"), std::string::npos);
  auto public_alone = load("listen = \"127.0.0.1:9321\"\nmetrics_public = true\n");
  ASSERT_FALSE(public_alone.ok());
  EXPECT_NE(public_alone.status().message().find(":7: [admin] metrics_public"), std::string::npos)
      << public_alone.status().message();
  auto actions = load("listen = \"127.0.0.1:9321\"\nactions = true\n");
  ASSERT_TRUE(actions.ok());
  EXPECT_TRUE(actions->admin_actions);
  EXPECT_TRUE(actions->admin_token.empty());
}

TEST(Config, AdminHostsAndQueryTimeout) {
  TempDir dir;
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  const std::string head =
      "[daemon]\nrules = [\"r.toml\"]\n[[feed]]\nurl = \"https://a.example/\"\n[admin]\n"
      "listen = \"127.0.0.1:9321\"\n";
  auto load = [&](const std::string& admin) {
    return LoadConfig(dir.Write("feedwatch.toml", head + admin));
  };
  auto ok = load("hosts = [\"Feedwatch.Example.org\", \"fw\"]\nquery_timeout = \"2s\"\n");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->admin_hosts, (std::vector<std::string>{"feedwatch.example.org", "fw"}));
  EXPECT_EQ(ok->admin_query_timeout, std::chrono::seconds(2));
  EXPECT_EQ(load("")->admin_query_timeout, std::chrono::seconds(5)) << "the default";
  auto port = load("hosts = [\"fw.example:9321\"]\n");
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.status().message().find(":7: [admin] hosts: 'fw.example:9321' is not a host name"),
            std::string::npos)
      << port.status().message();
  auto forever = load("query_timeout = \"1d\"\n");
  ASSERT_FALSE(forever.ok());
  EXPECT_NE(forever.status().message().find(":7: 'query_timeout' = \"1d\" is out of range: from "
                                            "100ms to 10m"),
            std::string::npos)
      << forever.status().message();
}

// The probe's D9: values `check` accepted that broke the daemon. Each is now
// an error at its line that says what is allowed.
TEST(Config, ValuesThatWouldBreakTheDaemonAreRefusedWithTheirRange) {
  TempDir dir;
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  auto error_for = [&](const std::string& daemon_line,
                       const std::string& feed_url = "https://a.example/") {
    auto cfg = LoadConfig(dir.Write("f.toml", "[daemon]\nrules = [\"r.toml\"]\n" + daemon_line +
                                                  "\n[[feed]]\nurl = \"" + feed_url + "\"\n"));
    return cfg.ok() ? std::string("accepted") : cfg.status().message();
  };
  struct Case {
    std::string line, says;
  };
  for (const Case& c : std::vector<Case>{
           {"user_agent = \"fw-probe\\r\\nX-Injected: 1\"",
            "f.toml:3: 'user_agent' must not contain control"},
           {"max_body = \"0\"", "f.toml:3: 'max_body' below 1KiB"},
           {"min_interval = \"0s\"",
            "f.toml:3: 'min_interval' = \"0ms\" is out of range: from 100ms to 1d"},
           {"jitter = \"1000d\"", "f.toml:3: 'jitter' = \"1000d\" is out of range: from 0ms to 1d"},
           {"jitter = \"12h\"\nmax_interval = \"6h\"",
            "f.toml:3: 'jitter' is above 'max_interval' (6h)"},
           {"retry_base = \"0s\"", "f.toml:3: 'retry_base' = \"0ms\" is out of range: from 100ms"},
           {"retry_max = \"0s\"", "f.toml:3: 'retry_max' = \"0ms\" is out of range: from 100ms"},
           {"retry_base = \"1h\"\nretry_max = \"1m\"",
            "f.toml:4: 'retry_max' is below 'retry_base'"},
           {"connect_timeout = \"0s\"", "f.toml:3: 'connect_timeout' = \"0ms\" is out of range"},
           {"fetch_timeout = \"0s\"", "f.toml:3: 'fetch_timeout' = \"0ms\" is out of range"}}) {
    std::string msg = error_for(c.line);
    EXPECT_NE(msg.find(c.says), std::string::npos) << c.line << "\n  gave: " << msg;
  }
  std::string crlf = error_for("", "https://a.example/feed\\r\\nX-Injected: 1");
  EXPECT_NE(crlf.find("f.toml:5: feed url must not contain spaces or control characters"),
            std::string::npos)
      << crlf;
  EXPECT_EQ(error_for("min_interval = \"100ms\"\njitter = \"0s\"\nmax_body = \"1KiB\""),
            "accepted");
}

// The probe's D4: a dotted key or table header 40,000 parts deep (80 KB,
// well under the size cap) overflowed the stack inside toml++ (SIGSEGV in
// `check`, at start, and in a running daemon on reload).
TEST(Config, ADeeplyDottedKeyIsAnErrorNotACrash) {
  TempDir dir;
  std::string deep;
  for (int i = 0; i < 40000; ++i) deep += i ? ".a" : "a";
  dir.Write("r.toml", "[[rule]]\nid = \"a\"\nany = ['x']\n");
  auto main_cfg =
      LoadConfig(dir.Write("f.toml", "[daemon]\nrules = [\"r.toml\"]\n\n" + deep + " = 1\n"));
  ASSERT_FALSE(main_cfg.ok());
  EXPECT_NE(
      main_cfg.status().message().find("f.toml:4: a dotted key or table header of more than 64"),
      std::string::npos)
      << main_cfg.status().message();
  auto header = LoadConfig(dir.Write("g.toml", "[" + deep + "]\nx = 1\n"));
  ASSERT_FALSE(header.ok());
  EXPECT_NE(header.status().message().find("g.toml:1: a dotted key"), std::string::npos);
  // Spaced dots and quoted parts are parts too; dots in strings and numbers are not.
  std::string spaced;
  for (int i = 0; i < 100; ++i) spaced += i ? " . \"q\"" : "p";
  auto spaced_cfg = LoadConfig(dir.Write("h.toml", spaced + " = 1\n"));
  ASSERT_FALSE(spaced_cfg.ok());
  EXPECT_NE(spaced_cfg.status().message().find("h.toml:1: a dotted key"), std::string::npos)
      << spaced_cfg.status().message();
  std::string floats = "[daemon]\nrules = [\"r.toml\"]\nuser_agent = \"";
  for (int i = 0; i < 200; ++i) floats += "a.";
  floats += "\"\n# " + deep.substr(0, 1000) + "\n[[feed]]\nurl = \"https://a.example/\"\n";
  auto fine = LoadConfig(dir.Write("i.toml", floats));
  EXPECT_TRUE(fine.ok()) << fine.status().message();
  // A rules file the same way, through the loader the daemon and a reload use.
  dir.Write("rules.d/deep.toml", "[[rule]]\nid = \"b\"\nany = ['y']\n" + deep + " = 2\n");
  auto all = LoadAll(dir.Write("j.toml",
                               "[daemon]\nrules = [\"rules.d\"]\n[[feed]]\nurl = "
                               "\"https://a.example/\"\n"));
  ASSERT_FALSE(all.ok());
  EXPECT_NE(all.status().message().find("deep.toml:4: a dotted key"), std::string::npos)
      << all.status().message();
}

}  // namespace
}  // namespace feedwatch
