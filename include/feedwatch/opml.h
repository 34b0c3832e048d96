// Subscriptions (feed module): OPML lists, what feed readers export and
// import, and the feeds a web page advertises.
// Reading is lenient, as readers' exports are messy: nested folders,
// missing `type`, `xmlUrl` spelt in other cases or as `url`, HTML entities in
// titles, duplicates. Writing produces OPML 2.0.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/status.h"

namespace feedwatch {

struct OpmlFeed {
  std::string url;                      // xmlUrl (or url), as written
  std::string title;                    // title or text, entities decoded, one line
  std::string html_url;                 // htmlUrl, the site
  std::vector<std::string> categories;  // enclosing folders, then `category` values
  int line = 0;                         // of its <outline>, for messages
};

struct OpmlDocument {
  std::string title;
  std::vector<OpmlFeed> feeds;  // document order; duplicates of a URL dropped
  // What could not be used, each naming its line: outlines without a feed
  // URL, includes, non-http(s) URLs, duplicates.
  std::vector<std::string> skipped;
};

// Errors: not XML, or no <opml><body>.
Result<OpmlDocument> ParseOpml(std::string_view xml);

// A feed a web page advertises: <link rel="alternate" type="application/rss+xml"
// (atom+xml, feed+json, json) href="…">, resolved against the page's URL.
struct AdvertisedFeed {
  std::string url;
  std::string type;   // as written, lower-case
  std::string title;  // the link's title attribute
};
std::vector<AdvertisedFeed> AdvertisedFeeds(std::string_view html, std::string_view page_url);

// OPML 2.0: one folder per first category (feeds without one at the top),
// the other categories in `category`; `created_unix` in <dateCreated>.
std::string WriteOpml(const std::string& title, const std::vector<OpmlFeed>& feeds,
                      std::int64_t created_unix);

}  // namespace feedwatch
