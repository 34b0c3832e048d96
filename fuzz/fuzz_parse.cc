// libFuzzer target for the feed parser: arbitrary bytes through ParseFeed with
// a few content types, through the text helpers it relies on, and through
// story identity (canonical links, titles, signatures) of what it parsed.
//   scripts/fuzz [SECONDS]
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/feed.h"
#include "feedwatch/opml.h"
#include "feedwatch/story.h"
#include "feedwatch/util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char* kContentTypes[] = {"",
                                        "application/rss+xml",
                                        "text/xml; charset=windows-1252",
                                        "text/xml; charset=koi8-r",
                                        "application/feed+json; charset=utf-8",
                                        "text/html; charset=shift_jis",
                                        "text/xml; charset=utf-16"};
  // The first byte picks the content type; the rest is the body.
  const char* ct = kContentTypes[data[0] % (sizeof kContentTypes / sizeof kContentTypes[0])];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  feedwatch::ParseOptions opt;
  opt.max_entries = 200;
  auto feed = feedwatch::ParseFeed(body, ct, "https://fuzz.example/feed.xml", opt);
  if (feed.ok()) {
    for (const auto& e : feed->entries) {
      // Every string the parser hands out must be valid UTF-8 (payloads and
      // RE2 depend on it); a violation is a bug, so crash loudly.
      for (const std::string* s : {&e.title, &e.summary, &e.content, &e.link, &e.key}) {
        const auto* p = reinterpret_cast<const unsigned char*>(s->data());
        for (std::size_t i = 0; i < s->size();) {
          unsigned char c = p[i];
          std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
          if (c >= 0x80 && (c < 0xC2 || c > 0xF4 || i + len > s->size())) __builtin_trap();
          for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) __builtin_trap();
          }
          i += len;
        }
      }
    }
  }
  // The priming poll's keys-only parse must give exactly the full parse's
  // keys, or entries already seen would alert on the next poll.
  opt.keys_only = true;
  auto keys = feedwatch::ParseFeed(body, ct, "https://fuzz.example/feed.xml", opt);
  if (keys.ok() != feed.ok()) __builtin_trap();
  if (feed.ok()) {
    if (keys->entries.size() != feed->entries.size()) __builtin_trap();
    for (std::size_t i = 0; i < feed->entries.size(); ++i) {
      if (keys->entries[i].key != feed->entries[i].key) __builtin_trap();
    }
  }
  // A changed feed's poll skips the text of entries it already has: the keys
  // must stay the full parse's, and every other entry must be read whole.
  if (feed.ok()) {
    std::vector<std::uint64_t> known;
    for (std::size_t i = 0; i < feed->entries.size(); i += 2)
      known.push_back(feedwatch::KeyHash(feed->entries[i].key));
    std::sort(known.begin(), known.end());
    feedwatch::ParseOptions kopt;
    kopt.max_entries = opt.max_entries;
    kopt.known_keys = &known;
    auto again = feedwatch::ParseFeed(body, ct, "https://fuzz.example/feed.xml", kopt);
    if (!again.ok() || again->entries.size() != feed->entries.size()) __builtin_trap();
    for (std::size_t i = 0; i < feed->entries.size(); ++i) {
      const feedwatch::Entry& a = again->entries[i];
      const feedwatch::Entry& f = feed->entries[i];
      if (a.key != f.key) __builtin_trap();
      if (std::binary_search(known.begin(), known.end(), feedwatch::KeyHash(f.key))) continue;
      if (a.title != f.title || a.summary != f.summary || a.content != f.content ||
          a.published != f.published || a.authors != f.authors ||
          a.enclosures.size() != f.enclosures.size()) {
        __builtin_trap();
      }
    }
  }
  // Story identity reads the same hostile links and text: the canonical
  // link is a web link or nothing, and a signature is identical to itself.
  if (feed.ok()) {
    for (const auto& e : feed->entries) {
      feedwatch::story::StoryKeys k = feedwatch::story::KeysFor(e);
      if (!k.link.empty() && k.link.rfind("https://", 0) != 0) __builtin_trap();
      if (!k.signature.empty && feedwatch::story::Similarity(k.signature, k.signature) != 1.0)
        __builtin_trap();
    }
  }
  feedwatch::story::CanonicalLink(body.substr(0, 512));
  feedwatch::story::NormalizedTitle(body.substr(0, 512));
  feedwatch::HtmlToText(body.substr(0, 4096));
  feedwatch::ParseDate(body.substr(0, 64));
  feedwatch::ResolveUrl("https://fuzz.example/a/b?c", body.substr(0, 256));
  // Subscriptions: only http(s) feeds come out of an OPML file or a page, and
  // what feedwatch writes reads back as the same feeds.
  auto is_web = [](const std::string& u) {
    return u.rfind("http://", 0) == 0 || u.rfind("https://", 0) == 0 || u.rfind("HTTP", 0) == 0 ||
           u.rfind("Http", 0) == 0;
  };
  if (auto opml = feedwatch::ParseOpml(body); opml.ok()) {
    for (const auto& f : opml->feeds)
      if (!is_web(f.url)) __builtin_trap();
    auto again = feedwatch::ParseOpml(feedwatch::WriteOpml(opml->title, opml->feeds, 0));
    if (!again.ok() || again->feeds.size() != opml->feeds.size()) __builtin_trap();
    for (std::size_t i = 0; i < opml->feeds.size(); ++i)
      if (again->feeds[i].url != opml->feeds[i].url) __builtin_trap();
  }
  for (const auto& f : feedwatch::AdvertisedFeeds(body.substr(0, 8192), "https://fuzz.example/a/"))
    if (!is_web(f.url)) __builtin_trap();
  return 0;
}
