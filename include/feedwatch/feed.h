// Feed parsing: bytes (+ content type + URL) in, values out. No I/O, no
// globals; every function here is safe to call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/status.h"

namespace feedwatch {

struct Enclosure {
  std::string url;
  std::string type;
  std::optional<std::int64_t> length;
};

// One item/entry, normalised across formats. Every string is valid UTF-8
// without control characters; title, summary and content are plain text.
struct Entry {
  std::string key;  // stable identity within its feed (see EntryKey rules in docs/parsing.md)
  std::string id;   // guid / id as written, may be empty
  std::string title;
  std::string link;  // absolute where the feed allowed resolving it
  // The publisher's own address of a proxied entry (feedburner:origLink),
  // when the feed gives it; "" otherwise.
  std::string original_link;
  std::optional<std::int64_t> published;  // Unix seconds, UTC
  std::optional<std::int64_t> updated;
  std::vector<std::string> authors;
  std::vector<std::string> categories;
  std::string summary;
  std::string content;
  std::vector<Enclosure> enclosures;
};

enum class FeedFormat { kUnknown, kRss20, kRss10, kRss09x, kAtom10, kAtom03, kJsonFeed };

// "rss2.0", "rss1.0", "rss0.9x", "atom1.0", "atom0.3", "jsonfeed", "unknown".
std::string_view FormatName(FeedFormat f);

struct ParsedFeed {
  FeedFormat format = FeedFormat::kUnknown;
  std::string title;
  std::string link;
  std::vector<std::string> warnings;  // recoverable problems, each a full sentence
  std::vector<Entry> entries;         // document order
  // The publisher's hint on how often to poll: RSS <ttl> (minutes) or
  // sy:updatePeriod / sy:updateFrequency, in seconds.
  std::optional<std::int64_t> update_hint_seconds;
};

struct ParseOptions {
  std::size_t max_entries = 5000;  // newest-first feeds: the first N in document order are kept
  std::size_t max_field_bytes = 256 * 1024;  // per text field, after HTML -> text
  // Only what entry keys need (a feed's first, priming poll alerts nothing):
  // an entry keyed by its id or link has only key, id and link set (no
  // title, dates or text, and no warnings about them); one keyed by a hash
  // of its title, date and text is read whole. Keys are the same as in a
  // full parse.
  bool keys_only = false;
  // Sorted KeyHash() values of entries the caller already has (the daemon:
  // the keys of the feed's last recorded document). An entry whose key (id,
  // else link) is among them is read as with keys_only; one whose key is
  // already taken in this document is read whole, since its final key is
  // renamed and may be new. Keys are the same as in a full parse.
  const std::vector<std::uint64_t>* known_keys = nullptr;
};

// Parses RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 documents. The format is detected
// from the content. Returns a Parse error (message names `url` and, for XML
// errors, the byte offset) when nothing usable could be read.
Result<ParsedFeed> ParseFeed(std::string_view body, std::string_view content_type,
                             std::string_view url, const ParseOptions& options = {});

// ---- Building blocks, exposed for tests and for the matcher's inputs. ----

// HTML fragment -> plain text: tags removed, script/style dropped, character
// references decoded, block elements separated, whitespace collapsed.
std::string HtmlToText(std::string_view html);

// Collapses runs of whitespace (including NBSP and other Unicode spaces) to one
// space, removes zero-width/format characters, and trims.
std::string CollapseWhitespace(std::string_view text);

// RFC 822/1123 (and the usual broken variants) or RFC 3339/ISO 8601 -> Unix
// seconds UTC. nullopt when the text is not a date we can read.
std::optional<std::int64_t> ParseDate(std::string_view text);

// Resolves `ref` against `base` (RFC 3986 §5.2, enough for feed links).
std::string ResolveUrl(std::string_view base, std::string_view ref);
// The same, reusing `ref`'s storage when it is already absolute.
std::string ResolveUrl(std::string_view base, std::string&& ref);
inline std::string ResolveUrl(std::string_view base, const char* ref) {
  return ResolveUrl(base, std::string_view(ref));
}

}  // namespace feedwatch
