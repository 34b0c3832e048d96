#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "feedwatch/payload.h"
#include "feedwatch/util.h"

namespace feedwatch {

using nlohmann::json;

std::string BuildAlertPayload(const RuleSpec& rule, const FeedSpec& feed,
                              const std::string& feed_title, const Entry& entry,
                              const std::string& alert_id, std::int64_t now,
                              const std::vector<Highlight>& highlights) {
  auto opt_time = [](const std::optional<std::int64_t>& t) {
    return t ? json(FormatRfc3339(*t)) : json(nullptr);
  };
  std::string summary = entry.summary.empty() ? entry.content : entry.summary;
  bool truncated = summary.size() > kSummaryExcerptBytes;
  json j = {
      {"version", 1},
      {"type", "feedwatch.alert"},
      {"alert_id", alert_id},
      {"created_at", FormatRfc3339(now)},
      {"rule", {{"id", rule.id}, {"title", rule.title}, {"severity", rule.severity}}},
      {"feed", {{"name", feed.name}, {"url", feed.url}, {"title", feed_title}}},
      {"entry",
       {{"key", entry.key},
        {"id", entry.id},
        {"title", entry.title},
        {"link", entry.link},
        {"published", opt_time(entry.published)},
        {"updated", opt_time(entry.updated)},
        {"authors", entry.authors},
        {"categories", entry.categories},
        {"summary", TruncateUtf8(summary, kSummaryExcerptBytes)},
        {"summary_truncated", truncated}}},
  };
  json hl = json::array();
  for (const Highlight& h : highlights) {
    hl.push_back({{"field", FieldName(h.field)},
                  {"pattern", h.pattern},
                  {"text", TruncateUtf8(h.text, 256)},
                  {"begin", h.begin},
                  {"end", h.end}});
  }
  j["highlights"] = std::move(hl);
  // Every string was sanitised to valid UTF-8 by the parser; `replace` keeps a
  // stray invalid byte from throwing here all the same.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
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

}  // namespace feedwatch
