#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "feedwatch/payload.h"
#include "feedwatch/util.h"

namespace feedwatch {

using nlohmann::json;

namespace {

json RuleJson(const RuleSpec& rule) {
  return {{"id", rule.id}, {"title", rule.title}, {"severity", rule.severity}};
}

json HighlightsJson(const std::vector<Highlight>& highlights) {
  json hl = json::array();
  for (const Highlight& h : highlights) {
    hl.push_back({{"field", FieldName(h.field)},
                  {"pattern", h.pattern},
                  {"text", TruncateUtf8(h.text, 256)},
                  {"begin", h.begin},
                  {"end", h.end}});
  }
  return hl;
}

// Every string was sanitised to valid UTF-8 by the parser; `replace` keeps a
// stray invalid byte from throwing here all the same.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

int SeverityRank(const std::string& severity) {
  if (severity == "critical") return 3;
  if (severity == "high") return 2;
  if (severity == "medium") return 1;
  return 0;
}

std::string BuildAlertPayload(const std::vector<const RuleHit*>& hits, const FeedSpec& feed,
                              const std::string& feed_title, const Entry& entry,
                              const std::string& alert_id, std::int64_t now) {
  auto opt_time = [](const std::optional<std::int64_t>& t) {
    return t ? json(FormatRfc3339(*t)) : json(nullptr);
  };
  std::string summary = entry.summary.empty() ? entry.content : entry.summary;
  bool truncated = summary.size() > kSummaryExcerptBytes;
  const RuleHit& top = *hits.front();
  json rules = json::array();
  for (const RuleHit* h : hits) {
    json r = RuleJson(*h->rule);
    r["highlights"] = HighlightsJson(h->highlights);
    rules.push_back(std::move(r));
  }
  json j = {
      {"version", 1},
      {"type", "feedwatch.alert"},
      {"alert_id", alert_id},
      {"created_at", FormatRfc3339(now)},
      {"rule", RuleJson(*top.rule)},
      {"rules", std::move(rules)},
      {"feed", {{"name", feed.name}, {"url", DisplayUrl(feed.url)}, {"title", feed_title}}},
      {"entry",
       {{"key", entry.key},
        {"id", entry.id},
        {"title", ClipUtf8(entry.title, kTitleBytes)},
        {"title_truncated", entry.title.size() > kTitleBytes},
        {"link", TruncateUtf8(entry.link, kLinkBytes)},
        {"link_truncated", entry.link.size() > kLinkBytes},
        {"published", opt_time(entry.published)},
        {"updated", opt_time(entry.updated)},
        {"authors", entry.authors},
        {"categories", entry.categories},
        {"summary", TruncateUtf8(summary, kSummaryExcerptBytes)},
        {"summary_truncated", truncated}}},
      {"highlights", HighlightsJson(top.highlights)},
  };
  return Dump(j);
}

std::string BuildAlertPayload(const RuleSpec& rule, const FeedSpec& feed,
                              const std::string& feed_title, const Entry& entry,
                              const std::string& alert_id, std::int64_t now,
                              const std::vector<Highlight>& highlights) {
  RuleHit hit{&rule, highlights};
  return BuildAlertPayload(std::vector<const RuleHit*>{&hit}, feed, feed_title, entry, alert_id,
                           now);
}

std::string OutletList(const std::vector<std::string>& names, std::size_t shown) {
  std::string out;
  std::size_t n = std::min(names.size(), shown);
  // "A", "A and B", "A, B and C", "A, B, C and 4 others"
  bool others = names.size() > shown;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += (i + 1 == n && !others) ? " and " : ", ";
    out += names[i];
  }
  if (others) {
    std::size_t rest = names.size() - shown;
    out += " and " + std::to_string(rest) + (rest == 1 ? " other" : " others");
  }
  return out;
}

std::string BuildStoryUpdatePayload(const StoryUpdate& update, const std::string& alert_id,
                                    const std::map<std::string, std::string>& feed_names,
                                    const std::vector<RuleSpec>& rules, std::int64_t now) {
  const StorySummary& s = update.story;
  // Outlets once each, in the order they carried it (the feed's title, else
  // its configured name, else its URL); rules likewise.
  std::vector<std::string> outlets, rule_ids;
  json copies = json::array();
  for (const StoryMember& m : s.members) {
    auto it = feed_names.find(m.feed_url);
    std::string configured = it != feed_names.end() ? it->second : "";
    AppendUnique(outlets, !m.feed_title.empty() ? m.feed_title
                          : !configured.empty() ? configured
                                                : DisplayUrl(m.feed_url));
    for (const auto& r : m.rules) AppendUnique(rule_ids, r);
    copies.push_back(
        {{"feed", {{"name", configured}, {"url", DisplayUrl(m.feed_url)}, {"title", m.feed_title}}},
         {"entry",
          {{"title", ClipUtf8(m.title, kTitleBytes)}, {"link", TruncateUtf8(m.link, kLinkBytes)}}},
         {"seen_at", FormatRfc3339(m.seen_ms / 1000)},
         {"rules", m.rules},
         {"how", m.how}});
  }
  json rule_list = json::array();
  for (const auto& id : rule_ids) {
    auto r =
        std::find_if(rules.begin(), rules.end(), [&](const RuleSpec& x) { return x.id == id; });
    rule_list.push_back(r != rules.end() ? RuleJson(*r)
                                         : json{{"id", id}, {"title", ""}, {"severity", ""}});
  }
  std::stable_sort(rule_list.begin(), rule_list.end(), [](const json& a, const json& b) {
    return SeverityRank(a.value("severity", "")) > SeverityRank(b.value("severity", ""));
  });
  std::string text = "Also reported by " + OutletList(outlets);
  json j = {
      {"version", 1},
      {"type", "feedwatch.story_update"},
      {"alert_id", alert_id},
      {"created_at", FormatRfc3339(now)},
      {"story",
       {{"id", s.id},
        {"first_seen", FormatRfc3339(s.first_seen_ms / 1000)},
        {"sources", s.sources},
        {"first_alert_id", update.first_alert_id}}},
      {"rule", rule_list.empty() ? json(nullptr) : rule_list.front()},
      {"rules", rule_list},
      // The story as first sent, so chat formats can show it as they show an alert.
      {"entry",
       {{"title", ClipUtf8(s.title, kTitleBytes)},
        {"link", TruncateUtf8(s.link, kLinkBytes)},
        {"summary", text}}},
      {"summary", text},
      {"new_sources", outlets},
      {"copies", std::move(copies)},
  };
  return Dump(j);
}

Result<std::string> DecodeWebhookSecret(const std::string& secret) {
  std::string b64 = secret.rfind("whsec_", 0) == 0 ? secret.substr(6) : secret;
  if (b64.empty()) return Status::Invalid("empty webhook secret");
  while (b64.size() % 4 != 0) b64.push_back('=');
  std::string out(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return Status::Invalid("webhook secret is not valid base64");
  std::size_t pad = 0;
  for (std::size_t i = b64.size(); i > 0 && b64[i - 1] == '='; --i) ++pad;
  out.resize(static_cast<std::size_t>(n) - std::min<std::size_t>(pad, 2));
  return out;
}

std::string SignWebhook(const std::vector<std::string>& secrets, const std::string& msg_id,
                        std::int64_t timestamp, const std::string& body) {
  std::string signed_content = msg_id + "." + std::to_string(timestamp) + "." + body;
  std::string header;
  for (const auto& secret : secrets) {
    auto key = DecodeWebhookSecret(secret);
    if (!key.ok()) continue;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
         reinterpret_cast<const unsigned char*>(signed_content.data()), signed_content.size(), mac,
         &mac_len);
    if (!header.empty()) header += ' ';
    header += "v1," + Base64(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
  }
  return header;
}

nlohmann::json PayloadAtSend(const std::string& stored, const std::string& alert_id,
                             const std::string& rule_id, const StoryNow& story) {
  using nlohmann::json;
  auto j = json::parse(stored, nullptr, false);
  if (j.is_discarded()) j = json{{"alert_id", alert_id}, {"rule", {{"id", rule_id}}}};
  if (!story.id.empty() && story.first_seen_ms > 0 && j.is_object()) {
    json& s = j["story"];
    if (!s.is_object()) s = json::object();
    s["id"] = story.id;
    s["first_seen"] = FormatRfc3339(story.first_seen_ms / 1000);
    s["sources"] = story.sources;
  }
  return j;
}

}  // namespace feedwatch
