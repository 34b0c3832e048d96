// The status pages as a person uses them: a running daemon polls loopback
// feeds (one alerting, one carrying hostile markup, one quiet, two failing)
// and delivers to a loopback receiver and to one that always fails (dead
// letters). Over HTTP: what each page shows, escaping, the bearer token, the
// CSRF-guarded actions. In headless Chromium (Debian's chromium, driven over
// the DevTools protocol by tests/browser/page_check.py): every page at
// desktop and phone widths, light and dark, without console errors or CSP
// violations, with screenshots.
#include <gtest/gtest.h>

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "daemon_util.h"
#include "feed_builders.h"
#include "feedwatch/commands.h"
#include "feedwatch/status_page.h"
#include "feedwatch/store.h"
#include "feedwatch/util.h"
#include "fixture_server.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using json = nlohmann::json;
using testing::FixtureServer;
using testing::RssDocument;
using testing::RunningDaemon;
using testing::TempDir;

constexpr const char* kRules = R"([[rule]]
id = "export-controls"
title = "Export controls on AI chips"
severity = "high"
any = ['\bexport controls?\b', '\bentity list\b']

[[rule]]
id = "nvidia"
title = "Nvidia"
any = ['\bNvidia\b']

[[rule]]
id = "never"
title = "A rule that has not fired"
any = ['\bzebra crossing\b']
)";

// What a hostile feed puts in a title and a link: markup, script, an
// attribute break-out (entity-escaped, so that it survives the parser's
// HTML-to-text as literal text) and a javascript: URL.
const std::string kHostileTitle =
    "Export controls &lt;script&gt;window.__pwned=1&lt;/script&gt; &quot;&gt;&lt;img src=x "
    "onerror=&quot;window.__pwned=2&quot;&gt; &amp;amp; more";

struct PagesDaemon {
  TempDir dir;
  FixtureServer server;
  std::unique_ptr<RunningDaemon> daemon;
  std::string token;

  explicit PagesDaemon(const std::string& admin_extra = "actions = true\n") {
    dir.Write("rules.toml", kRules);
    server.SetFeed(
        "/policy.xml",
        RssDocument("Policy Wire",
                    {{"p1", "US tightens export controls on Nvidia H20 chips",
                      "https://policy.example/h20", "New licence rules for AI accelerators."},
                     {"p2", "Commerce adds 12 firms to the Entity List",
                      "https://policy.example/entity-list", "The additions take effect today."},
                     {"p3", "Weather: a mild week ahead", "https://policy.example/weather", "x"}}));
    server.SetFeed("/hostile.xml",
                   RssDocument("Hostile <b>Feed</b>",
                               {{"h1", kHostileTitle, "javascript:window.__pwned=3",
                                 "<script>window.__pwned=4</script> export controls"}}));
    server.SetFeed(
        "/quiet.xml",
        RssDocument("Quiet", {{"q1", "Gardening tips", "https://q.example/1", "Nothing to see."}}));
    server.SetFeed("/broken.xml", "oops", 500, "text/plain");
    server.SetFeed("/gone.xml", "not here", 404, "text/plain");
    server.SetFeed("/site.xml", "<!doctype html><html><body>A site</body></html>", 200,
                   "text/html");
    server.SetHookResponder([](const testing::ReceivedRequest& r, httplib::Response& resp) {
      resp.status = r.path == "/hook/broken" ? 500 : 200;
    });
    std::string cfg =
        "[daemon]\nstate_dir = \"state\"\nrules = [\"rules.toml\"]\ninterval = \"1h\"\n"
        "jitter = \"0s\"\nallow_private_addresses = true\nretry_base = \"100ms\"\n"
        "max_attempts = 1\narchive = true\nprime = false\n";
    for (const char* f : {"policy", "hostile", "quiet", "broken", "gone", "site"})
      cfg += std::string("[[feed]]\nname = \"") + f + "\"\nurl = \"" +
             server.Url(std::string("/") + f + ".xml") + "\"\ntags = [\"test\"]\n";
    cfg += "[[sink]]\nname = \"team\"\ntype = \"webhook\"\nurl = \"" + server.Url("/hook/team") +
           "\"\n";
    cfg += "[[sink]]\nname = \"broken\"\ntype = \"webhook\"\nurl = \"" +
           server.Url("/hook/broken") + "\"\n";
    cfg += "[admin]\nlisten = \"127.0.0.1:0\"\n" + admin_extra;
    daemon = std::make_unique<RunningDaemon>(LoadConfigText(dir, cfg));
  }

  httplib::Client Client() const {
    httplib::Client c("127.0.0.1", daemon->admin_port());
    c.set_read_timeout(std::chrono::seconds(30));
    if (!token.empty()) c.set_bearer_token_auth(token);
    return c;
  }

  // GET `path` as a browser would (Accept: text/html).
  std::pair<int, std::string> Page(const std::string& path) const {
    auto c = Client();
    auto r = c.Get(path.c_str(), {{"Accept", "text/html,application/xhtml+xml"}});
    if (!r) return {0, ""};
    return {r->status, r->body};
  }

  // Waits until the five feeds were polled and the alerts settled: three
  // entries alert on each sink; the broken sink's are dead.
  void WaitSettled() const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      auto c = Client();
      auto r = c.Get("/status");
      if (r && r->status == 200) {
        json s = json::parse(r->body);
        int polled = 0;
        for (const auto& f : s["feeds"])
          if (!f["last_poll"].is_null()) ++polled;
        if (polled == 6 && s.contains("outbox") && s["outbox"]["dead"] == 3 &&
            s["outbox"]["delivered"] == 3)
          return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "the daemon did not settle";
  }
};

std::string Csrf(const std::string& html) {
  std::smatch m;
  std::regex re("name=\"csrf\" value=\"([0-9a-f]+)\"");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

TEST(StatusPages, ShowFeedsRulesAndAlertsWithFeedTextEscaped) {
  PagesDaemon s;
  s.WaitSettled();

  auto [os, overview] = s.Page("/");
  ASSERT_EQ(os, 200) << overview;
  EXPECT_NE(overview.find("<title>Overview · feedwatch</title>"), std::string::npos);
  EXPECT_NE(overview.find(">3</div><div class=\"l\">failing"), std::string::npos) << overview;
  EXPECT_NE(overview.find(">3</div><div class=\"l\">dead letters"), std::string::npos);
  // Three entries alerted to two sinks: three news items.
  EXPECT_NE(overview.find(">3</div><div class=\"l\">news items alerted today"), std::string::npos)
      << overview;
  EXPECT_NE(overview.find("HTTP 500"), std::string::npos) << "the failing feed's reason";

  auto [fs, feeds] = s.Page("/feeds?sort=health");
  ASSERT_EQ(fs, 200);
  for (const char* name : {"policy", "hostile", "quiet", "broken", "gone"})
    EXPECT_NE(feeds.find(std::string("/feed?name=") + name + "\""), std::string::npos) << name;
  // Worst first: the failing feeds lead.
  EXPECT_LT(feeds.find("/feed?name=broken"), feeds.find("/feed?name=policy"));
  EXPECT_NE(feeds.find("HTTP 404"), std::string::npos);
  EXPECT_NE(feeds.find("backoff after 1 failure"), std::string::npos);
  EXPECT_NE(feeds.find("<svg class=\"bars\""), std::string::npos);
  EXPECT_NE(feeds.find("3 new entries in 14 days"), std::string::npos) << "policy's chart";

  auto [ps, policy] = s.Page("/feed?name=policy");
  ASSERT_EQ(ps, 200);
  EXPECT_NE(policy.find("US tightens export controls on Nvidia H20 chips"), std::string::npos);
  EXPECT_NE(policy.find("Weather: a mild week ahead"), std::string::npos) << "archived entries";
  EXPECT_NE(
      policy.find("#rule-export-controls\">export-controls</a>, <a href=\"/rules#rule-nvidia"),
      std::string::npos)
      << "which rules an entry matched";
  EXPECT_EQ(s.Page("/feed?name=nope").first, 404);
  // The chart's scale in words.
  EXPECT_NE(policy.find("tallest bar 3 on "), std::string::npos) << policy;
  EXPECT_NE(policy.find("3 in all"), std::string::npos);
  // A web page where a feed was expected: the way to its feeds.
  auto [site_status, site] = s.Page("/feed?name=site");
  ASSERT_EQ(site_status, 200);
  EXPECT_NE(site.find("not a feed"), std::string::npos) << site;
  EXPECT_NE(site.find("feedwatch feeds discover " + s.server.Url("/site.xml")), std::string::npos)
      << site;

  auto [rs, rules] = s.Page("/rules");
  ASSERT_EQ(rs, 200);
  EXPECT_NE(rules.find("id=\"rule-never\""), std::string::npos);
  EXPECT_NE(rules.find("no match yet"), std::string::npos) << "the rule that never fired";
  EXPECT_NE(rules.find("rules.toml:"), std::string::npos) << "the pack a rule came from";
  EXPECT_NE(rules.find("/rules/export-controls/backtest"), std::string::npos);
  EXPECT_NE(rules.find("<mark>Nvidia</mark>"), std::string::npos) << "last match, highlighted";
  // A rule's row marks what that rule matched, not what the others did on
  // the same entry ("export controls" is the other rule's).
  std::size_t row = rules.find("id=\"rule-nvidia\"");
  ASSERT_NE(row, std::string::npos);
  std::string nvidia_row = rules.substr(row, rules.find("<tr", row) - row);
  EXPECT_NE(nvidia_row.find("<mark>Nvidia</mark>"), std::string::npos) << nvidia_row;
  EXPECT_EQ(nvidia_row.find("<mark>export controls</mark>"), std::string::npos) << nvidia_row;
  EXPECT_NE(rules.find("action=\"/search\""), std::string::npos);

  auto [as, alerts] = s.Page("/alerts");
  ASSERT_EQ(as, 200);
  EXPECT_NE(alerts.find("HTTP 500"), std::string::npos) << "a dead letter's reason";
  EXPECT_NE(alerts.find("<mark>export controls</mark>"), std::string::npos);

  // Search renders as a page for a browser, as JSON for anyone else.
  auto [ss, search] = s.Page("/search?q=entity");
  ASSERT_EQ(ss, 200);
  EXPECT_NE(search.find("<mark>Entity</mark>"), std::string::npos) << search;

  // Escaping: the hostile feed's title and summary appear as text, its
  // javascript: link is not a link, on every page that shows them.
  for (std::string path : {"/alerts", "/feed?name=hostile", "/rules", "/search?q=pwned"}) {
    auto [st, html] = s.Page(path);
    ASSERT_EQ(st, 200) << path;
    EXPECT_EQ(html.find("<script>window"), std::string::npos) << path;
    EXPECT_EQ(html.find("<img"), std::string::npos) << path;
    EXPECT_EQ(html.find("javascript:"), std::string::npos) << path;
    EXPECT_EQ(html.find("<b>Feed"), std::string::npos) << path;
  }
  auto [hs, hostile] = s.Page("/feed?name=hostile");
  EXPECT_NE(hostile.find("&lt;script&gt;window.__pwned=1&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(hostile.find("&quot;&gt;&lt;img src=x"), std::string::npos);

  // Every page carries the policy; the script and style carry its nonce.
  auto c = s.Client();
  auto r = c.Get("/feeds", {{"Accept", "text/html"}});
  ASSERT_TRUE(r);
  std::string csp = r->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(csp, m, std::regex("script-src 'nonce-([0-9a-f]+)'")));
  EXPECT_NE(r->body.find("<script nonce=\"" + m[1].str() + "\">"), std::string::npos);
  // API clients keep their JSON.
  auto api = c.Get("/search?q=entity");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->get_header_value("Content-Type"), "application/json");
}

// At thousands of feeds the Feeds page comes in pages of 100, and a person
// finds one by name, address or tag, or lists the failing ones.
TEST(StatusPages, ManyFeedsArePagedAndFiltered) {
  TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  LoadedConfig gen;
  service::LiveView live;
  live.now_ms = UnixNowMs();
  // Configured in reverse name order; three failing, one of them backing off
  // (its wait grew past the interval; its next poll is already due).
  for (int i = 249; i >= 0; --i) {
    char name[16];
    std::snprintf(name, sizeof name, "feed-%03d", i);
    live.feeds.push_back({.name = name,
                          .url = "https://f" + std::to_string(i) + ".example/rss",
                          .tags = {i % 50 == 0 ? "chips" : "general"},
                          .failures = i % 100 == 7 ? 2 : 0,
                          .next_due_ms = live.now_ms - 5000,
                          .interval_ms = i == 107 ? 2400000 : 600000,
                          .interval_why = i == 107 ? "backoff after 2 failures" : "configured",
                          .configured_ms = 600000});
  }
  auto page = [&](const std::string& query) {
    AdminRequest req;
    req.method = "GET";
    req.path = "/feeds";
    req.query = query;
    return service::RenderStatusPage(req, live, gen, **store).body;
  };
  auto rows = [](const std::string& html) {
    std::size_t n = 0;
    for (std::size_t at = html.find("href=\"/feed?name="); at != std::string::npos;
         at = html.find("href=\"/feed?name=", at + 1))
      ++n;
    return n;
  };
  auto first_row = [](const std::string& html) {
    std::size_t at = html.find("href=\"/feed?name=");
    return at == std::string::npos ? "" : html.substr(at + 17, 8);
  };
  std::string first = page("");
  EXPECT_EQ(rows(first), 100u);
  EXPECT_NE(first.find("1–100 of 250"), std::string::npos);
  // By default failing feeds come first (by name among them).
  EXPECT_EQ(first_row(first), "feed-107") << "backing off ranks first";
  EXPECT_LT(first.find("feed-007"), first.find("feed-000"));
  EXPECT_NE(first.find("backing off"), std::string::npos);
  EXPECT_NE(first.find("href=\"/feeds?sort=health&amp;page=2\" rel=\"next\""), std::string::npos);
  EXPECT_EQ(first_row(page("sort=name")), "feed-000") << "by name, whatever the config order";
  std::string third = page("sort=name&page=3");
  EXPECT_EQ(rows(third), 50u);
  EXPECT_NE(third.find("feed-249"), std::string::npos);
  EXPECT_EQ(third.find("rel=\"next\""), std::string::npos);
  EXPECT_EQ(rows(page("page=99")), 50u) << "past the end: the last page";
  std::string chips = page("q=CHIPS");
  EXPECT_EQ(rows(chips), 5u) << "by tag, any case";
  EXPECT_EQ(rows(page("q=f17.example")), 1u) << "by address";
  std::string failing = page("failing=1&sort=health");
  EXPECT_EQ(rows(failing), 3u);
  EXPECT_NE(failing.find("only the 3 failing"), std::string::npos);
  // The filter is echoed escaped, and carried by the sort links.
  std::string hostile = page("q=%22%3E%3Cscript%3E");
  EXPECT_EQ(hostile.find("\"><script>"), std::string::npos);
  EXPECT_NE(hostile.find("value=\"&quot;&gt;&lt;script&gt;\""), std::string::npos);
  EXPECT_NE(page("q=chips").find("href=\"/feeds?sort=health&amp;q=chips\""), std::string::npos);
}

TEST(StatusPages, ActionsArePostFormsWithACsrfToken) {
  PagesDaemon s;
  s.WaitSettled();
  auto [as, alerts] = s.Page("/alerts");
  ASSERT_EQ(as, 200);
  std::string csrf = Csrf(alerts);
  ASSERT_EQ(csrf.size(), 48u) << "action forms carry the token";
  EXPECT_EQ(alerts.find("href=\"/actions/"), std::string::npos) << "never GET links";
  auto c = s.Client();
  EXPECT_EQ(c.Get("/actions/reload")->status, 405);

  // Find a dead alert's id on the page.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(alerts, m, std::regex("name=\"id\" value=\"(fw_[0-9a-f]+)\"")));
  std::string id = m[1].str();
  auto post = [&](const std::string& path, const std::string& body, httplib::Headers headers = {}) {
    return c.Post(path.c_str(), headers, body, "application/x-www-form-urlencoded");
  };
  // No token, a wrong token, a cross-site request: refused, nothing changes.
  EXPECT_EQ(post("/actions/retry", "id=" + id + "&back=/alerts")->status, 403);
  EXPECT_EQ(post("/actions/retry", "id=" + id + "&csrf=" + std::string(48, '0'))->status, 403);
  EXPECT_EQ(post("/actions/retry", "id=" + id + "&csrf=" + csrf, {{"Sec-Fetch-Site", "cross-site"}})
                ->status,
            403);
  EXPECT_EQ(json::parse(c.Get("/status")->body)["outbox"]["dead"], 3);

  // With the token: retried (it fails again and is dead again: max_attempts 1).
  auto ok = post("/actions/retry", "id=" + id + "&back=/alerts&csrf=" + csrf);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 303);
  EXPECT_EQ(ok->get_header_value("Location"), "/alerts?done=retried");
  // Dropped: gone from the outbox.
  auto drop = post("/actions/drop", "id=" + id + "&back=/alerts&csrf=" + csrf);
  ASSERT_TRUE(drop);
  EXPECT_EQ(drop->get_header_value("Location"), "/alerts?done=dropped");
  auto [as2, after] = s.Page("/alerts?done=dropped");
  EXPECT_EQ(after.find(id), std::string::npos);
  EXPECT_NE(after.find("The alert was dropped"), std::string::npos);
  auto reload = post("/actions/reload", "csrf=" + csrf);
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->get_header_value("Location"), "/?done=reloaded");
  auto [os, overview] = s.Page("/");
  EXPECT_NE(overview.find("last reload"), std::string::npos);
}

// The probe's D2 against the running daemon: a page whose DNS name was
// rebound to 127.0.0.1 read the CSRF token from /alerts and dropped a dead
// alert; another site's text/plain POST reloaded the rules. Now neither
// reads nor changes anything.
TEST(StatusPages, ARebindingPageOrAnotherSiteChangesNothing) {
  PagesDaemon s;
  s.WaitSettled();
  auto c = s.Client();
  std::string port = std::to_string(s.daemon->admin_port());
  httplib::Headers rebound = {{"Host", "attacker.example:" + port},
                              {"Origin", "http://attacker.example:" + port},
                              {"Sec-Fetch-Site", "same-origin"},
                              {"Accept", "text/html"}};
  auto stolen = c.Get("/alerts", rebound);
  ASSERT_TRUE(stolen);
  EXPECT_EQ(stolen->status, 421);
  EXPECT_EQ(Csrf(stolen->body), "");
  EXPECT_EQ(c.Get("/status", rebound)->status, 421);

  auto [as, alerts] = s.Page("/alerts");
  ASSERT_EQ(as, 200);
  std::string csrf = Csrf(alerts);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(alerts, m, std::regex("name=\"id\" value=\"(fw_[0-9a-f]+)\"")));
  std::string form = "id=" + m[1].str() + "&back=/alerts&csrf=" + csrf;
  auto drop = c.Post("/actions/drop", rebound, form, "application/x-www-form-urlencoded");
  ASSERT_TRUE(drop);
  EXPECT_EQ(drop->status, 421);
  auto foreign = c.Post("/actions/drop", {{"Origin", "http://evil.example"}}, form,
                        "application/x-www-form-urlencoded");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403) << "the token alone is not enough from another origin";
  EXPECT_EQ(json::parse(c.Get("/status")->body)["outbox"]["dead"], 3) << "nothing was dropped";

  auto reload =
      c.Post("/reload", {{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}}, "x",
             "text/plain");
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->status, 403);
  EXPECT_EQ(json::parse(c.Get("/status")->body)["generation"], 1) << "not reloaded";
}

TEST(StatusPages, ReadOnlyUnlessActionsAreOn) {
  PagesDaemon s("");
  s.WaitSettled();
  auto [as, alerts] = s.Page("/alerts");
  ASSERT_EQ(as, 200);
  EXPECT_EQ(alerts.find("<form"), std::string::npos) << "no action forms";
  EXPECT_EQ(Csrf(alerts), "");
  auto c = s.Client();
  auto r = c.Post("/actions/reload", "csrf=x", "application/x-www-form-urlencoded");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("[admin] actions = true"), std::string::npos);
}

TEST(AdminAuth, BearerTokenOnEveryRequestAndTheMetricsExemption) {
  TempDir tokens;
  std::string token = "s3cret-" + RandomHex(16);
  std::string token_file = tokens.Write("admin.token", token + "\n");
  PagesDaemon s("token_file = \"" + token_file + "\"\nmetrics_public = true\n");
  httplib::Client anon("127.0.0.1", s.daemon->admin_port());
  for (const char* path : {"/", "/status", "/healthz", "/feeds"}) {
    auto r = anon.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer realm=\"feedwatch\"");
    EXPECT_EQ(r->body.find(token), std::string::npos);
  }
  httplib::Client wrong("127.0.0.1", s.daemon->admin_port());
  wrong.set_bearer_token_auth(token + "x");
  EXPECT_EQ(wrong.Get("/status")->status, 401);
  wrong.set_bearer_token_auth(token.substr(0, 10));
  EXPECT_EQ(wrong.Get("/status")->status, 401);
  EXPECT_EQ(anon.Post("/reload", "", "text/plain")->status, 401);
  // A browser is told how people get in (a proxy that adds the header, or a
  // tunnel to a loopback listen); a tool gets one line.
  auto browser = anon.Get("/feeds", {{"Accept", "text/html,application/xhtml+xml"}});
  ASSERT_TRUE(browser);
  EXPECT_EQ(browser->status, 401);
  EXPECT_EQ(browser->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(browser->body.find("This feedwatch endpoint needs a token"), std::string::npos);
  EXPECT_NE(browser->body.find("proxy_set_header Authorization"), std::string::npos);
  EXPECT_NE(browser->body.find("ssh -L 9321:127.0.0.1:9321"), std::string::npos);
  EXPECT_EQ(browser->body.find(token), std::string::npos);
  EXPECT_EQ(anon.Get("/feeds")->body, "unauthorized: send Authorization: Bearer <token>\n");
  // /metrics alone is exempt, for a Prometheus without the token.
  auto metrics = anon.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("feedwatch_feeds"), std::string::npos);
  s.token = token;
  s.WaitSettled();
  EXPECT_EQ(s.Page("/").first, 200);
  httplib::Client right("127.0.0.1", s.daemon->admin_port());
  right.set_default_headers({{"Authorization", "bearer " + token}});  // the scheme is case-blind
  EXPECT_EQ(right.Get("/healthz")->status, 200);
  // `feedwatch reload` reads the token from the config and sends it.
  std::string text = testing::ReadFile(s.dir.File("feedwatch.toml"));
  text.replace(text.find("127.0.0.1:0"), 11, "127.0.0.1:" + std::to_string(s.daemon->admin_port()));
  std::ostringstream out, err;
  EXPECT_EQ(CmdReload(s.dir.Write("live.toml", text), out, err), 0) << err.str();
  EXPECT_NE(out.str().find("reloaded: rule set generation 2"), std::string::npos) << out.str();
}

// ---- In a real browser. ----

std::string RunCapture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(StatusPagesBrowser, EveryPageRendersWithoutErrorsAtDesktopAndPhoneWidths) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
      << "Debian's chromium is missing: scripts/install-deps installs it";
  PagesDaemon s;
  s.WaitSettled();
  std::string out = s.dir.path() + "/screenshots";
  // FEEDWATCH_SCREENSHOTS: keep them (scripts/screenshots copies them to docs/).
  if (const char* keep = std::getenv("FEEDWATCH_SCREENSHOTS")) out = keep;
  std::string cmd = "/usr/bin/python3 " FEEDWATCH_SOURCE_DIR
                    "/tests/browser/page_check.py --chromium /usr/bin/chromium --dark --base "
                    "http://127.0.0.1:" +
                    std::to_string(s.daemon->admin_port()) + " --out '" + out +
                    "' / /feeds /feed?name=policy /feed?name=hostile /rules /alerts "
                    "'/search?q=entity' 2>" +
                    s.dir.path() + "/page_check.log";
  std::string report = RunCapture(cmd);
  json pages = json::parse(report, nullptr, false);
  ASSERT_TRUE(pages.is_array()) << report << testing::ReadFile(s.dir.path() + "/page_check.log");
  ASSERT_EQ(pages.size(), 7u * 3u);  // desktop light and dark, phone light
  std::map<std::string, std::string> background;
  for (const json& p : pages) {
    std::string where = p["path"].get<std::string>() + " " + p["width"].get<std::string>() + " " +
                        p["scheme"].get<std::string>();
    EXPECT_TRUE(p["console_errors"].empty()) << where << ": " << p["console_errors"];
    EXPECT_TRUE(p["exceptions"].empty()) << where << ": " << p["exceptions"];
    EXPECT_TRUE(p["csp_violations"].empty()) << where << ": " << p["csp_violations"];
    EXPECT_TRUE(p["http_errors"].empty()) << where << ": " << p["http_errors"];
    EXPECT_TRUE(p["pwned"].is_null()) << where << ": hostile script ran: " << p["pwned"];
    EXPECT_TRUE(p["unsafe_links"].empty()) << where << ": " << p["unsafe_links"];
    EXPECT_EQ(p["images"], 0) << where;
    EXPECT_EQ(p["scripts"], 1) << where << ": only the page's own";
    EXPECT_TRUE(p["has_main"].get<bool>() && p["has_skip_link"].get<bool>()) << where;
    EXPECT_GT(p["focusable"], 4) << where << ": the navigation is keyboard-reachable";
    EXPECT_NE(p["title"].get<std::string>().find("· feedwatch"), std::string::npos) << where;
    EXPECT_TRUE(std::filesystem::file_size(p["screenshot"].get<std::string>()) > 5000) << where;
    if (p["width"] == "desktop") background[p["scheme"]] = p["background"];
    if (p["width"] == "phone") {
      EXPECT_FALSE(p["overflow_x"].get<bool>()) << where << ": wider than a phone";
    }
    std::string text = p["text"];
    const std::string& path = p["path"].get_ref<const std::string&>();
    if (path == "/") {
      EXPECT_NE(text.find("failing"), std::string::npos) << text;
      EXPECT_NE(text.find("dead letters"), std::string::npos);
      EXPECT_NE(text.find("broken"), std::string::npos) << "failing feeds listed";
    } else if (path == "/feeds") {
      for (const char* name : {"policy", "hostile", "quiet", "broken", "gone"})
        EXPECT_NE(text.find(name), std::string::npos) << where << " " << name;
      EXPECT_GE(p["svg_charts"], 5);
    } else if (path == "/rules") {
      for (const char* id : {"export-controls", "nvidia", "never"})
        EXPECT_NE(text.find(id), std::string::npos) << id;
    } else if (path == "/alerts") {
      EXPECT_NE(text.find("US tightens export controls on Nvidia H20 chips"), std::string::npos);
      EXPECT_NE(text.find("HTTP 500"), std::string::npos);
      EXPECT_NE(text.find("Retry"), std::string::npos) << "actions are on";
    } else if (path == "/feed?name=hostile") {
      EXPECT_NE(text.find("<script>window.__pwned=1</script>"), std::string::npos)
          << "the hostile title shows as text: " << text;
    }
  }
  EXPECT_NE(background["light"], background["dark"]) << "prefers-color-scheme: dark applies";
}

}  // namespace
}  // namespace feedwatch
