// Internal to the XML feed reader: the namespaces it knows, the qualified
// names one document uses for them, and the tables that sort an element's
// children into field slots in one pass (xml_feed.cc reads the slots).
#pragma once

#include <pugixml.hpp>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace feedwatch::xmlfeed {

constexpr const char* kNsAtom10 = "http://www.w3.org/2005/Atom";
constexpr const char* kNsAtom03 = "http://purl.org/atom/ns#";
constexpr const char* kNsRdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
constexpr const char* kNsRss090 = "http://my.netscape.com/rdf/simple/0.9/";
constexpr const char* kNsContent = "http://purl.org/rss/1.0/modules/content/";
constexpr const char* kNsDc = "http://purl.org/dc/elements/1.1/";
constexpr const char* kNsMedia = "http://search.yahoo.com/mrss/";
constexpr const char* kNsSy = "http://purl.org/rss/1.0/modules/syndication/";
constexpr const char* kNsFeedburner = "http://rssnamespace.org/feedburner/ext/1.0";

inline std::string_view LocalName(const char* qname) {
  const char* colon = std::strchr(qname, ':');
  return colon ? std::string_view(colon + 1) : std::string_view(qname);
}

inline std::string_view Prefix(const char* qname) {
  const char* colon = std::strchr(qname, ':');
  return colon ? std::string_view(qname, static_cast<std::size_t>(colon - qname + 1))
               : std::string_view();
}

// Qualified names of the elements we read, for one document: "prefix:local",
// or "local" for the default namespace; conventional prefixes when a feed
// uses one without declaring it (common in hand-written feeds).
struct Names {
  std::string content_encoded, dc_creator, dc_date, dc_subject, dc_title, dc_description, atom_link,
      atom_published, atom_updated, rdf_about, media_title, media_description, media_content,
      media_thumbnail, media_group, sy_period, sy_frequency, feedburner_orig_link;
  // Atom's own elements, with the prefix the root element uses.
  std::string entry, title, link, id, summary, content, published, updated, issued, created,
      modified, author, name, category;

  explicit Names(const pugi::xml_node& root) {
    std::unordered_map<std::string, std::string> prefix_of;  // uri -> "p:" or ""
    for (pugi::xml_attribute a : root.attributes()) {
      std::string_view n = a.name();
      if (n == "xmlns")
        prefix_of.emplace(a.value(), "");
      else if (n.substr(0, 6) == "xmlns:")
        prefix_of.emplace(a.value(), std::string(n.substr(6)) + ":");
    }
    auto q = [&](const char* uri, const char* local, const char* fallback) {
      auto it = prefix_of.find(uri);
      return (it != prefix_of.end() ? it->second : std::string(fallback) + ":") + local;
    };
    content_encoded = q(kNsContent, "encoded", "content");
    dc_creator = q(kNsDc, "creator", "dc");
    dc_date = q(kNsDc, "date", "dc");
    dc_subject = q(kNsDc, "subject", "dc");
    dc_title = q(kNsDc, "title", "dc");
    dc_description = q(kNsDc, "description", "dc");
    atom_link = q(kNsAtom10, "link", "atom");
    atom_published = q(kNsAtom10, "published", "atom");
    atom_updated = q(kNsAtom10, "updated", "atom");
    rdf_about = q(kNsRdf, "about", "rdf");
    media_title = q(kNsMedia, "title", "media");
    media_description = q(kNsMedia, "description", "media");
    media_content = q(kNsMedia, "content", "media");
    media_thumbnail = q(kNsMedia, "thumbnail", "media");
    media_group = q(kNsMedia, "group", "media");
    sy_period = q(kNsSy, "updatePeriod", "sy");
    sy_frequency = q(kNsSy, "updateFrequency", "sy");
    feedburner_orig_link = q(kNsFeedburner, "origLink", "feedburner");
    std::string p(Prefix(root.name()));
    entry = p + "entry", title = p + "title", link = p + "link", id = p + "id",
    summary = p + "summary";
    content = p + "content", published = p + "published", updated = p + "updated",
    issued = p + "issued";
    created = p + "created", modified = p + "modified", author = p + "author", name = p + "name";
    category = p + "category";
  }
};

// The child elements an entry reader looks at. One pass over an entry's
// children sorts them into these slots (instead of a strcmp walk per field).
enum Field : int {
  // RSS items
  kTitle,
  kDcTitle,
  kGuid,
  kLink,
  kAtomLink,
  kDescription,
  kDcDescription,
  kContentEncoded,
  kPubDate,
  kDcDate,
  kAtomPublished,
  kAtomUpdated,
  kAuthor,
  kDcCreator,
  kCategory,
  kDcSubject,
  kEnclosure,
  kMediaTitle,
  kMediaDescription,
  kMediaContent,
  kMediaThumbnail,
  kMediaGroup,
  kOrigLink,  // feedburner:origLink, in RSS items and Atom entries
  // Atom entries (title, link, author and category reuse the slots above)
  kId,
  kSummary,
  kContent,
  kPublished,
  kUpdated,
  kIssued,
  kCreated,
  kModified,
  // Feed level (title, link and dc:title reuse the slots above)
  kChannel,
  kItem,
  kEntry,
  kTtl,
  kSyPeriod,
  kSyFrequency,
  kFieldCount
};
static_assert(kFieldCount <= 64);

// Qualified element name -> the fields it fills (a bit set: in odd documents
// two fields can share one qualified name, e.g. Atom as the default namespace
// of an RSS feed, and then the element fills both, as child() lookups would).
class NameTable {
 public:
  void Add(const std::string& name, Field f) {
    std::uint32_t h = Hash(name.c_str()).first;
    for (std::size_t i = h;; ++i) {
      Slot& s = slots_[i % kSlots];
      if (s.fields == 0) {
        s = {name, h, std::uint64_t{1} << f};
        return;
      }
      if (s.hash == h && s.name == name) {
        s.fields |= std::uint64_t{1} << f;
        return;
      }
    }
  }
  std::uint64_t Lookup(const char* name) const {
    auto [h, len] = Hash(name);
    for (std::size_t i = h;; ++i) {
      const Slot& s = slots_[i % kSlots];
      if (s.fields == 0) return 0;
      if (s.hash == h && s.name.size() == len && std::memcmp(s.name.data(), name, len) == 0)
        return s.fields;
    }
  }

 private:
  static constexpr std::size_t kSlots = 128;  // well over twice the fields: probes stay short
  struct Slot {
    std::string name;
    std::uint32_t hash = 0;
    std::uint64_t fields = 0;
  };
  // Length and three bytes: cheap (no multiply per byte, and element names
  // are short), and enough to spread the few dozen names a reader knows.
  static std::pair<std::uint32_t, std::size_t> Hash(const char* s) {
    std::size_t len = 0;
    while (s[len]) ++len;
    if (len == 0) return {0, 0};
    auto byte = [&](std::size_t i) {
      return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i]));
    };
    std::uint32_t h = static_cast<std::uint32_t>(len) * 0x9E3779B1u ^
                      (byte(0) << 16 | byte(len / 2) << 8 | byte(len - 1));
    return {(h * 0x85EBCA6Bu) >> 25, len};  // top 7 bits: 0..127
  }
  std::array<Slot, kSlots> slots_;
};

// An entry's child elements sorted by field, in document order within each.
class Children {
 public:
  void Gather(const pugi::xml_node& parent, const NameTable& names) {
    for (std::uint64_t u = used_; u; u &= u - 1) slots_[__builtin_ctzll(u)].clear();
    used_ = 0;
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      std::uint64_t m = names.Lookup(c.name());
      used_ |= m;
      for (; m; m &= m - 1) slots_[__builtin_ctzll(m)].push_back(c);
    }
  }
  pugi::xml_node first(Field f) const {
    return slots_[f].empty() ? pugi::xml_node() : slots_[f].front();
  }
  const std::vector<pugi::xml_node>& all(Field f) const { return slots_[f]; }

 private:
  std::array<std::vector<pugi::xml_node>, kFieldCount> slots_;
  std::uint64_t used_ = 0;
};

// The element names each reader looks for, for one document's prefixes.
NameTable RssItemNames(const Names& n);
// The children of an RSS root element and of its channel.
NameTable RssFeedNames(const Names& n);
NameTable AtomFeedNames(const Names& n);
NameTable AtomEntryNames(const Names& n);

}  // namespace feedwatch::xmlfeed
