// Story identity (story module): what makes two entries from different feeds
// the same story. Pure functions of values, run on the workers inside the
// poll job; the store looks the resulting keys up inside the invariant
// transaction (docs/stories.md).
//
// Three keys, any of which joins an entry to a story seen within the window:
// - the canonical link (scheme, www./m./amp. hosts, AMP paths, tracking
//   parameters, fragments and trailing slashes normalised; redirector and
//   Google News links unwrapped where they carry the real address);
// - the normalised title (case, punctuation, an outlet's " - Reuters"
//   suffix and a "UPDATE 2-" prefix removed), for titles long enough to
//   name one story;
// - a MinHash signature over word pairs of the title and summary, found
//   through LSH bands and confirmed by its estimated similarity.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/feed.h"

namespace feedwatch::story {

// The canonical form of a web link, "" when `url` is not http(s).
std::string CanonicalLink(std::string_view url);

// The normalised title, "" when it is too short or too generic to identify a
// story on its own ("Live updates", "Morning briefing").
std::string NormalizedTitle(std::string_view title);

// MinHash over word 2-shingles (Chinese and Japanese: character pairs).
// 21 LSH bands of 3 values: a pair at similarity 0.6 shares a band with
// probability 0.994, an unrelated pair (0.05) with 0.003, so lookups stay few.
inline constexpr int kMinHashes = 63;
inline constexpr int kBands = 21;  // of kMinHashes / kBands rows each
// Estimated Jaccard similarity at or above which two texts are the same
// story. Chosen by measurement (docs/stories.md, tests/story/).
inline constexpr double kNearDuplicate = 0.6;

struct Signature {
  std::array<std::uint32_t, kMinHashes> h{};
  bool empty = true;  // too little text for a signature

  std::string ToBlob() const;  // 4 bytes per value, little-endian
  static Signature FromBlob(std::string_view blob);
};

// The words of a text (NFKC, lower case; a Han or kana character is a word).
std::vector<std::string> Words(std::string_view text);
// Title and summary (or content when there is no summary), first words only.
Signature TextSignature(std::string_view title, std::string_view text);
// The fraction of equal values: an estimate of the Jaccard similarity of
// the two shingle sets. 0 when either is empty.
double Similarity(const Signature& a, const Signature& b);

// What the store looks up and keeps for one entry.
struct StoryKeys {
  std::string link;   // canonical link, may be ""
  std::string title;  // normalised title, may be ""
  Signature signature;
  // The lookup keys: the link's, the title's and one per LSH band, each
  // tagged with its kind (KindOf) so they never collide with each other.
  std::vector<std::int64_t> Lookups() const;
};

enum class KeyKind { kLink, kTitle, kBand };
KeyKind KindOf(std::int64_t lookup_key);
std::string_view KindName(KeyKind k);  // "link", "title", "text"

StoryKeys KeysFor(const Entry& e);

// "fws_" + 24 hex digits of SHA-256 over the founding entry's feed URL and
// key: deterministic, so a crash and re-poll found the same story again.
std::string StoryId(std::string_view feed_url, std::string_view entry_key);

}  // namespace feedwatch::story

namespace feedwatch {

// ---- Stories (store/stories.cc): the copies of one story across feeds. ----

// One copy of a story that a follow-up reports.
struct StoryMember {
  std::int64_t id = 0;
  std::string feed_url, feed_title;
  std::string title, link;
  std::int64_t seen_ms = 0;
  std::string how;                 // what joined it: "first", "link", "title" or "text"
  std::vector<std::string> rules;  // the rules it matched (for a follow-up: routed to that sink)
};

struct StorySummary {
  std::string id;
  std::string title, link;
  std::int64_t first_seen_ms = 0, last_seen_ms = 0;
  int sources = 0;  // feeds that carried it
  std::vector<StoryMember> members;
};

// A follow-up due for one story and sink (`stories = "updates"`).
struct StoryUpdate {
  StorySummary story;  // members: the copies not reported to this sink yet
  std::string sink;
  std::string first_alert_id;
  int updates_sent = 0;
};

}  // namespace feedwatch
