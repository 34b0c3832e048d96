// What each sink type sends, checked against what the service documents, and
// that feed text cannot inject markup, mentions, JSON or headers.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "feedwatch/deliver.h"
#include "feedwatch/sinks.h"
#include "feedwatch/template.h"

namespace feedwatch {
namespace {

using nlohmann::json;

json Alert(const std::string& title, const std::string& link = "https://news.example/a?x=1&y=2",
           const std::string& summary = "Summary text.", const std::string& id = "fw_1") {
  RuleSpec rule;
  rule.id = "chips";
  rule.title = "AI chip export controls";
  rule.severity = "high";
  FeedSpec feed;
  feed.name = "wire";
  feed.url = "https://news.example/feed";
  Entry e;
  e.key = id;
  e.title = title;
  e.link = link;
  e.summary = summary;
  e.published = 1700000000;
  return json::parse(BuildAlertPayload(rule, feed, "Wire", e, id, 1700000100));
}

SinkSpec Spec(const std::string& type) {
  SinkSpec s;
  s.name = type;
  s.type = type;
  s.url = "https://hooks.example/T0/B0/secret";
  if (type == "ntfy") s.topic = "alerts";
  if (type == "telegram") s.token = "123:ABC", s.chat_id = "-1001";
  if (type == "email")
    s.url = "smtp://127.0.0.1:2525", s.from = "fw@example.org", s.to = {"desk@example.org"};
  return s;
}

SinkMessage Format(const SinkSpec& spec, const std::vector<json>& alerts,
                   const std::string& id = "fw_1") {
  auto f = SinkFormatter::Make(spec);
  EXPECT_TRUE(f.ok()) << f.status().message();
  return (*f)->Format(alerts, id, 1700000200);
}

json Body(const SinkMessage& m) {
  auto j = json::parse(m.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << m.body;
  return j;
}

bool HasHeader(const SinkMessage& m, const std::string& line) {
  return std::find(m.headers.begin(), m.headers.end(), line) != m.headers.end();
}

const std::string kZwsp = "\xE2\x80\x8B";

TEST(Template, RendersFieldsSectionsAndEscapesEverySubstitution) {
  auto t = Template::Parse(
      "{{! a comment }}{{count}}: "
      "{{#alerts}}[{{entry.title}}]{{/alerts}}{{^missing}}!{{/missing}}");
  ASSERT_TRUE(t.ok()) << t.status().message();
  json ctx = {{"count", 2},
              {"alerts", {{{"entry", {{"title", "a\"b"}}}}, {{"entry", {{"title", "<c>"}}}}}}};
  EXPECT_EQ(t->Render(ctx, Escape::kJson), "2: [a\\\"b][<c>]!");
  EXPECT_EQ(t->Render(ctx, Escape::kHtml), "2: [a&quot;b][&lt;c&gt;]!");
  EXPECT_EQ(t->Render(ctx, Escape::kSlack), "2: [a\"b][&lt;c&gt;]!");
}

TEST(Template, ErrorsNameTheLineAndRefuseUnescapedOutput) {
  auto unclosed = Template::Parse("line one\n{{#alerts}}\n{{entry.title}}\n");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_NE(unclosed.status().message().find("template line 2"), std::string::npos)
      << unclosed.status().message();
  auto mismatch = Template::Parse("{{#a}}\n\n{{/b}}");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("line 3"), std::string::npos)
      << mismatch.status().message();
  EXPECT_FALSE(Template::Parse("{{{entry.title}}}").ok());
  EXPECT_FALSE(Template::Parse("{{& entry.title}}").ok());
  EXPECT_FALSE(Template::Parse("{{> partial}}").ok());
  EXPECT_FALSE(Template::Parse("{{7*7}}").ok());
  EXPECT_FALSE(Template::Parse("{{entry.title").ok());
}

TEST(Template, FeedTextIsDataNeverTemplateSource) {
  auto t = Template::Parse("{{entry.title}}");
  ASSERT_TRUE(t.ok());
  json ctx = {{"entry", {{"title", "{{7*7}} {{ env.HOME }} {{#alerts}}x{{/alerts}}"}}},
              {"alerts", {1, 2}}};
  EXPECT_EQ(t->Render(ctx, Escape::kPlain), "{{7*7}} {{ env.HOME }} {{#alerts}}x{{/alerts}}");
}

TEST(Sinks, WebhookTemplateCannotBreakOutOfJson) {
  SinkSpec spec = Spec("webhook");
  spec.template_text = R"({"text": "{{entry.title}}", "rule": "{{rule.id}}"})";
  std::string evil = "\", \"admin\": true, \"x\": \"\\ \n";
  auto m = Format(spec, {Alert(evil)});
  json j = Body(m);
  EXPECT_EQ(j["text"], evil);
  EXPECT_FALSE(j.contains("admin"));
  EXPECT_TRUE(HasHeader(m, "Content-Type: application/json"));
  EXPECT_TRUE(HasHeader(m, "webhook-id: fw_1"));
}

TEST(Sinks, WebhookDigestIsSignedOverTheBodySent) {
  SinkSpec spec = Spec("webhook");
  spec.secrets = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
  auto m = Format(
      spec, {Alert("one", "https://a/1", "", "fw_1"), Alert("two", "https://a/2", "", "fw_2")},
      "fwd_9");
  json j = Body(m);
  EXPECT_EQ(j["type"], "feedwatch.digest");
  EXPECT_EQ(j["digest_id"], "fwd_9");
  EXPECT_EQ(j["count"], 2);
  EXPECT_EQ(j["alerts"][1]["entry"]["title"], "two");
  EXPECT_TRUE(HasHeader(m, "webhook-id: fwd_9"));
  EXPECT_TRUE(HasHeader(m, "webhook-timestamp: 1700000200"));
  EXPECT_TRUE(
      HasHeader(m, "webhook-signature: " + SignWebhook(spec.secrets, "fwd_9", 1700000200, m.body)));
  EXPECT_EQ(DigestId({"fw_1", "fw_2"}), DigestId({"fw_1", "fw_2"}));
  EXPECT_NE(DigestId({"fw_1", "fw_2"}), DigestId({"fw_2", "fw_1"}));
}

TEST(Sinks, SlackEscapesControlSequencesAndNeverPingsChannels) {
  auto m = Format(Spec("slack"), {Alert("<!channel> @here <@U123> <https://evil|Reuters> & co")});
  json j = Body(m);
  ASSERT_TRUE(j["text"].is_string());
  std::string text = j["text"];
  EXPECT_NE(text.find("&lt;!channel&gt;"), std::string::npos) << text;
  EXPECT_NE(text.find("&lt;@U123&gt;"), std::string::npos);
  EXPECT_NE(text.find("&lt;https://evil|Reuters&gt;"), std::string::npos);
  EXPECT_NE(text.find("&amp; co"), std::string::npos);
  EXPECT_NE(text.find("@" + kZwsp + "here"), std::string::npos);
  EXPECT_EQ(text.find("<!"), std::string::npos);
  // The real link is ours: <url|title>, with & in the URL escaped.
  EXPECT_EQ(text.rfind("*<https://news.example/a?x=1&amp;y=2|", 0), 0u) << text;
  EXPECT_FALSE(j.contains("link_names"));
  EXPECT_EQ(j["unfurl_links"], false);
}

TEST(Sinks, DiscordDisablesMentionsAndRespectsLimits) {
  std::string long_title(400, 'T');
  auto m = Format(Spec("discord"), {Alert("@everyone **bold** [x](https://evil) " + long_title,
                                          "https://n/1", std::string(9000, 's'))});
  json j = Body(m);
  EXPECT_EQ(j["allowed_mentions"], json({{"parse", json::array()}}));
  ASSERT_EQ(j["embeds"].size(), 1u);
  const json& e = j["embeds"][0];
  std::string title = e["title"];
  EXPECT_LE(title.size(), limits::kDiscordTitle);
  EXPECT_EQ(title.rfind("@" + kZwsp + "everyone \\*\\*bold\\*\\* \\[x\\]\\(https://evil\\)", 0), 0u)
      << title;
  EXPECT_LE(e["description"].get<std::string>().size(), limits::kDiscordDescription);
  EXPECT_EQ(e["url"], "https://n/1");
  EXPECT_EQ(e["timestamp"], "2023-11-14T22:13:20Z");
  // A digest: at most 10 embeds, the count in the content.
  std::vector<json> many;
  for (int i = 0; i < 12; ++i)
    many.push_back(Alert("t" + std::to_string(i), "https://n/" + std::to_string(i)));
  json d = Body(Format(Spec("discord"), many, "fwd_x"));
  EXPECT_EQ(d["embeds"].size(), 10u);
  EXPECT_NE(d["content"].get<std::string>().find("12 new alerts"), std::string::npos);
}

TEST(Sinks, TeamsSendsAnAdaptiveCardMessage) {
  json j = Body(Format(Spec("teams"), {Alert("Chip curbs [widen](https://evil)")}));
  EXPECT_EQ(j["type"], "message");
  ASSERT_EQ(j["attachments"].size(), 1u);
  const json& a = j["attachments"][0];
  EXPECT_EQ(a["contentType"], "application/vnd.microsoft.card.adaptive");
  const json& card = a["content"];
  EXPECT_EQ(card["type"], "AdaptiveCard");
  EXPECT_EQ(card["version"], "1.4");
  EXPECT_EQ(card["body"][0]["type"], "TextBlock");
  EXPECT_EQ(card["body"][0]["text"], "Chip curbs \\[widen\\]\\(https://evil\\)");
  EXPECT_EQ(card["actions"][0]["type"], "Action.OpenUrl");
  EXPECT_EQ(card["actions"][0]["url"], "https://news.example/a?x=1&y=2");
}

TEST(Sinks, NtfyPublishesJsonSoFeedTextNeverBecomesAHeader) {
  SinkSpec spec = Spec("ntfy");
  spec.url = "https://ntfy.example/";
  spec.token = "tk_secret";
  auto m = Format(spec, {Alert("Title\r\nX-Injected: yes")});
  EXPECT_EQ(m.url, "https://ntfy.example/");
  json j = Body(m);
  EXPECT_EQ(j["topic"], "alerts");
  EXPECT_EQ(j["title"], "Title  X-Injected: yes");
  EXPECT_EQ(j["priority"], 4);
  EXPECT_EQ(j["click"], "https://news.example/a?x=1&y=2");
  EXPECT_TRUE(HasHeader(m, "Authorization: Bearer tk_secret"));
  for (const auto& h : m.headers) EXPECT_EQ(h.find("Injected"), std::string::npos) << h;
}

TEST(Sinks, TelegramUsesEscapedHtmlWithinTheLimit) {
  auto m =
      Format(Spec("telegram"),
             {Alert("<script>x</script> & \"q\"", "javascript:alert(1)", std::string(8000, 'y'))});
  EXPECT_EQ(m.url, "https://hooks.example/T0/B0/secret/bot123:ABC/sendMessage");
  json j = Body(m);
  EXPECT_EQ(j["chat_id"], "-1001");
  EXPECT_EQ(j["parse_mode"], "HTML");
  std::string text = j["text"];
  EXPECT_LE(text.size(), limits::kTelegramText);
  EXPECT_NE(text.find("&lt;script&gt;x&lt;/script&gt; &amp; &quot;q&quot;"), std::string::npos)
      << text;
  // A javascript: link is never made clickable.
  EXPECT_EQ(text.find("href"), std::string::npos);
}

std::string DecodeBase64Lines(const std::string& block) {
  std::string b64;
  for (char c : block) {
    if (c != '\r' && c != '\n') b64.push_back(c);
  }
  std::string out(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  std::size_t pad = 0;
  for (std::size_t i = b64.size(); i > 0 && b64[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<std::size_t>(std::max(n, 0)) - pad);
  return out;
}

// Subject header value -> text (RFC 2047 B-encoded words, folded).
std::string DecodeSubject(const std::string& v) {
  std::string out;
  std::size_t pos = 0;
  while ((pos = v.find("=?UTF-8?B?", pos)) != std::string::npos) {
    std::size_t end = v.find("?=", pos + 10);
    out += DecodeBase64Lines(v.substr(pos + 10, end - pos - 10));
    pos = end + 2;
  }
  return out.empty() ? v : out;
}

TEST(Sinks, EmailIsProperMimeWithoutHeaderInjection) {
  std::string title = "Exportkontrollen für KI-Chips — 日本\r\nBcc: victim@example.org";
  auto m = Format(Spec("email"), {Alert(title)});
  EXPECT_EQ(m.mail_from, "fw@example.org");
  EXPECT_EQ(m.mail_rcpt, std::vector<std::string>{"desk@example.org"});
  std::size_t split = m.body.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos);
  std::string head = m.body.substr(0, split + 2), body = m.body.substr(split + 4);
  // Unfold, then one header per line.
  std::string unfolded;
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head.compare(i, 3, "\r\n ") == 0) {
      i += 2;
      continue;
    }
    unfolded.push_back(head[i]);
  }
  int subjects = 0;
  std::string subject;
  for (std::size_t start = 0; start < unfolded.size();) {
    std::size_t end = unfolded.find("\r\n", start);
    std::string line = unfolded.substr(start, end - start);
    EXPECT_EQ(line.rfind("Bcc:", 0), std::string::npos) << line;
    if (line.rfind("Subject: ", 0) == 0) ++subjects, subject = line.substr(9);
    start = end + 2;
  }
  EXPECT_EQ(subjects, 1);
  EXPECT_EQ(DecodeSubject(subject),
            "[feedwatch] AI chip export controls: Exportkontrollen für KI-Chips — 日本  Bcc: "
            "victim@example.org");
  EXPECT_NE(head.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(head.find("Message-ID: <fw_1@feedwatch.invalid>\r\n"), std::string::npos);
  EXPECT_NE(head.find("Date: Tue, 14 Nov 2023 22:16:40 +0000\r\n"), std::string::npos) << head;
  std::string text = DecodeBase64Lines(body);
  EXPECT_NE(text.find("https://news.example/a?x=1&y=2"), std::string::npos) << text;
  EXPECT_NE(text.find("Summary text."), std::string::npos);
}

TEST(Sinks, JsonlWritesOneGenericPayloadPerLine) {
  auto m = Format(Spec("jsonl"), {Alert("one", "https://a/1", "", "fw_1"),
                                  Alert("two", "https://a/2", "", "fw_2")});
  ASSERT_EQ(std::count(m.body.begin(), m.body.end(), '\n'), 2);
  json second = json::parse(m.body.substr(m.body.find('\n') + 1));
  EXPECT_EQ(second["alert_id"], "fw_2");
  EXPECT_EQ(second["entry"]["title"], "two");
}

TEST(Sinks, TemplatesDriveChatTextWithTheTargetsEscaping) {
  SinkSpec spec = Spec("slack");
  spec.template_text =
      "{{#alerts}}:rotating_light: {{entry.title}} ({{rule.severity}})\n{{/alerts}}";
  json j = Body(Format(spec, {Alert("<!here> chips")}));
  EXPECT_EQ(j["text"], ":rotating_light: &lt;!here&gt; chips (high)\n");
  SinkSpec email = Spec("email");
  email.title_template = "{{count}} alert(s): {{entry.title}}";
  auto m = Format(email, {Alert("Plain subject")});
  EXPECT_NE(m.body.find("Subject: 1 alert(s): Plain subject\r\n"), std::string::npos) << m.body;
}

// A story follow-up as the daemon builds it: the outlets that carried the
// story since the first alert, hostile feed text included.
json StoryUpdate(std::vector<std::string> outlets) {
  feedwatch::StoryUpdate u;
  u.sink = "chat";
  u.first_alert_id = "fw_first";
  u.story.id = "fws_0123456789abcdef01234567";
  u.story.title = "US curbs <b>AI</b> chips @everyone";
  u.story.link = "https://news.example/a";
  u.story.first_seen_ms = 1700000000000;
  u.story.sources = static_cast<int>(outlets.size()) + 1;
  std::int64_t id = 1;
  for (const auto& o : outlets) {
    StoryMember m;
    m.id = id++;
    m.feed_url = "https://" + std::to_string(m.id) + ".example/feed";
    m.feed_title = o;
    m.title = "copy";
    m.rules = {"chips"};
    m.how = "link";
    u.story.members.push_back(m);
  }
  RuleSpec rule;
  rule.id = "chips";
  rule.title = "AI chip export controls";
  rule.severity = "high";
  return json::parse(BuildStoryUpdatePayload(u, "fwu_1", {}, {rule}, 1700003600));
}

TEST(Sinks, StoryUpdatesNameTheNewOutlets) {
  json u = StoryUpdate({"Reuters", "FT", "Nikkei", "Le Monde", "El País", "Yonhap", "Caixin"});
  EXPECT_EQ(u["type"], "feedwatch.story_update");
  EXPECT_EQ(u["story"]["first_alert_id"], "fw_first");
  EXPECT_EQ(u["summary"], "Also reported by Reuters, FT, Nikkei and 4 others");
  EXPECT_EQ(u["new_sources"].size(), 7u);
  EXPECT_EQ(u["copies"].size(), 7u);
  EXPECT_EQ(u["rule"]["id"], "chips");
  std::string slack = Body(Format(Spec("slack"), {u}))["text"];
  EXPECT_NE(slack.find("Also reported by Reuters, FT, Nikkei and 4 others"), std::string::npos);
  EXPECT_NE(slack.find("Story update · AI chip export controls · 8 outlets so far"),
            std::string::npos);
  EXPECT_EQ(slack.find("<b>"), std::string::npos) << "feed text is escaped";
  EXPECT_EQ(slack.find("@everyone"), std::string::npos);
  std::string log = Format(Spec("log"), {u}).log_line;
  EXPECT_EQ(log.rfind("STORY UPDATE [chips] ", 0), 0u) << log;
  EXPECT_EQ(OutletList({"A"}), "A");
  EXPECT_EQ(OutletList({"A", "B"}), "A and B");
  EXPECT_EQ(OutletList({"A", "B", "C"}), "A, B and C");
  EXPECT_EQ(OutletList({"A", "B", "C", "D"}), "A, B, C and 1 other");
}

TEST(Sinks, AnAlertShowsItsOtherRulesAndHowWidelyItIsReported) {
  json a = Alert("US curbs AI chips");
  a["rules"].push_back({{"id", "huawei"}, {"title", "Huawei"}, {"severity", "low"}});
  a["story"] = {{"id", "fws_x"}, {"first_seen", "2023-11-14T22:13:20Z"}, {"sources", 3}};
  std::string text = Body(Format(Spec("discord"), {a})).dump();
  EXPECT_NE(text.find("AI chip export controls (+1 rule) · Wire"), std::string::npos) << text;
  EXPECT_NE(text.find("3 outlets"), std::string::npos) << text;
  // The webhook payload carries both, as docs/payload.md says.
  json hook = Body(Format(Spec("webhook"), {a}));
  EXPECT_EQ(hook["rules"].size(), 2u);
  EXPECT_EQ(hook["story"]["sources"], 3);
}

TEST(RetryAfter, SecondsFractionsAndDates) {
  EXPECT_EQ(ParseRetryAfter("7", 0), std::chrono::seconds(7));
  EXPECT_EQ(ParseRetryAfter("1.5", 0), std::chrono::seconds(2));
  EXPECT_EQ(ParseRetryAfter("2.0", 0), std::chrono::seconds(2));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), std::chrono::seconds(10));
  EXPECT_FALSE(ParseRetryAfter("soon", 0).has_value());
  EXPECT_FALSE(ParseRetryAfter("", 0).has_value());
}

TEST(ClassifySmtp, FiveHundredsArePermanent) {
  HttpResponse r;
  r.ok = true;
  EXPECT_EQ(ClassifySmtp(r).outcome, DeliveryOutcome::kDelivered);
  r.ok = false;
  r.status = 550;
  r.error = "Failed sending data to the peer";
  EXPECT_EQ(ClassifySmtp(r).outcome, DeliveryOutcome::kPermanent);
  r.status = 451;
  EXPECT_EQ(ClassifySmtp(r).outcome, DeliveryOutcome::kRetry);
  r.status = 0;
  EXPECT_EQ(ClassifySmtp(r).outcome, DeliveryOutcome::kRetry);
}

}  // namespace
}  // namespace feedwatch

namespace feedwatch {
namespace {

// The registry is the one list of sink types: every documented type is in it
// once, the loader's message names them all, and a formatter refuses a type
// the registry does not know instead of falling into another type's format.
TEST(SinkRegistry, EveryTypeOnceAndUnknownTypesRefused) {
  const std::vector<std::string> documented = {"log",   "jsonl", "webhook",  "slack", "discord",
                                               "teams", "ntfy",  "telegram", "email"};
  std::vector<std::string> names;
  for (const SinkKind* k : SinkKinds()) {
    names.emplace_back(k->name);
    EXPECT_EQ(FindSinkKind(k->name), k);
    EXPECT_NE(k->format, nullptr) << k->name;
  }
  EXPECT_EQ(names, documented);
  EXPECT_EQ(SinkKindNames(), "log, jsonl, webhook, slack, discord, teams, ntfy, telegram, email");
  EXPECT_EQ(FindSinkKind("pager"), nullptr);
  SinkSpec spec;
  spec.name = "beeper";
  spec.type = "pager";
  auto f = SinkFormatter::Make(spec);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("sink 'beeper': unknown type 'pager'"), std::string::npos)
      << f.status().message();
}

}  // namespace
}  // namespace feedwatch
