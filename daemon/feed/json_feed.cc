// JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1).
#include <nlohmann/json.hpp>

#include "entry_builder.h"
#include "feedwatch/util.h"
#include "formats.h"

namespace feedwatch {

using nlohmann::json;

namespace {

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  return {};
}

void Authors(const json& item, std::vector<std::string>& out, EntryBuilder& b) {
  auto add = [&](const json& a) {
    if (a.is_object()) {
      if (std::string n = b.CleanPlain(Str(a, "name")); !n.empty()) out.push_back(std::move(n));
    }
  };
  if (auto it = item.find("authors"); it != item.end() && it->is_array()) {
    for (const auto& a : *it) add(a);
  } else if (auto it1 = item.find("author"); it1 != item.end()) {
    add(*it1);  // JSON Feed 1.0
  }
}

}  // namespace

bool LooksLikeJsonFeed(std::string_view utf8) {
  std::size_t first = utf8.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && utf8[first] == '{';
}

Result<ParsedFeed> ParseJsonFeed(std::string_view utf8, std::string_view raw_url,
                                 const ParseOptions& opt, const std::string& where) {
  const std::string url = SanitizeUtf8(raw_url);
  json doc = json::parse(utf8, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::Parse(where + ": not a feed (invalid JSON)");
  std::string version = Str(doc, "version");
  bool versioned = version.rfind("https://jsonfeed.org/version/", 0) == 0 ||
                   version.rfind("http://jsonfeed.org/version/", 0) == 0;
  bool looks_like_one = doc.contains("items") && doc["items"].is_array() &&
                        (doc.contains("version") || doc.contains("title") ||
                         doc.contains("home_page_url") || doc.contains("feed_url"));
  if (!versioned && !looks_like_one) {
    return Status::Parse(
        where + ": not a feed (JSON, but not a JSON Feed: no jsonfeed.org version, no items)");
  }
  ParsedFeed feed;
  feed.format = FeedFormat::kJsonFeed;
  EntryBuilder b(opt, feed);
  if (!versioned)
    b.Warn("JSON Feed without a jsonfeed.org version URL (\"" + b.Clean(version) +
           "\"): read as one");
  feed.title = b.CleanPlain(Str(doc, "title"));
  feed.link = ResolveUrl(url, b.CleanPlain(Str(doc, "home_page_url")));
  std::vector<std::string> feed_authors;
  Authors(doc, feed_authors, b);
  auto items = doc.find("items");
  if (items == doc.end() || !items->is_array()) {
    b.Warn("JSON Feed without an items array");
    return feed;
  }
  for (const json& item : *items) {
    if (!item.is_object()) continue;
    if (b.Full()) break;
    Entry e;
    e.id = b.CleanPlain(Str(item, "id"));
    std::string link = Str(item, "url");
    if (link.empty()) link = Str(item, "external_url");
    e.link = link.empty() ? std::string() : ResolveUrl(url, b.CleanPlain(link));
    if (b.KeyIsEnough(e)) {  // keys only, or a known key: nothing else is read
      b.Finish(std::move(e));
      continue;
    }
    e.title = b.CleanHtml(Str(item, "title"));
    e.summary = b.CleanPlain(Str(item, "summary"));
    std::string html = Str(item, "content_html");
    e.content = html.empty() ? b.CleanPlain(Str(item, "content_text")) : b.CleanHtml(html);
    e.published = b.Date(Str(item, "date_published"), "date_published");
    e.updated = b.Date(Str(item, "date_modified"), "date_modified");
    Authors(item, e.authors, b);
    if (e.authors.empty()) e.authors = feed_authors;
    if (auto tags = item.find("tags"); tags != item.end() && tags->is_array()) {
      for (const auto& t : *tags) {
        if (t.is_string()) e.categories.push_back(b.CleanPlain(t.get<std::string>()));
      }
    }
    if (auto att = item.find("attachments"); att != item.end() && att->is_array()) {
      for (const auto& a : *att) {
        if (!a.is_object() || Str(a, "url").empty()) continue;
        Enclosure enc{ResolveUrl(url, b.Clean(Str(a, "url"))), b.Clean(Str(a, "mime_type")),
                      std::nullopt};
        if (auto sz = a.find("size_in_bytes"); sz != a.end() && sz->is_number_integer())
          enc.length = sz->get<long long>();
        e.enclosures.push_back(std::move(enc));
      }
    }
    b.Finish(std::move(e));
  }
  return feed;
}

}  // namespace feedwatch
