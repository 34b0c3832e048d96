// The RSS and Atom readers. pugixml does not resolve namespaces, so each
// document's prefixes are mapped once (from the root element's xmlns
// declarations) and elements are looked up by qualified name.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <unordered_map>

#include "entry_builder.h"
#include "feedwatch/util.h"
#include "formats.h"

namespace feedwatch {

namespace {

constexpr const char* kNsAtom10 = "http://www.w3.org/2005/Atom";
constexpr const char* kNsAtom03 = "http://purl.org/atom/ns#";
constexpr const char* kNsRdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
constexpr const char* kNsRss090 = "http://my.netscape.com/rdf/simple/0.9/";
constexpr const char* kNsContent = "http://purl.org/rss/1.0/modules/content/";
constexpr const char* kNsDc = "http://purl.org/dc/elements/1.1/";
constexpr const char* kNsMedia = "http://search.yahoo.com/mrss/";
constexpr const char* kNsSy = "http://purl.org/rss/1.0/modules/syndication/";
constexpr const char* kNsFeedburner = "http://rssnamespace.org/feedburner/ext/1.0";

std::string_view LocalName(const char* qname) {
  const char* colon = std::strchr(qname, ':');
  return colon ? std::string_view(colon + 1) : std::string_view(qname);
}

std::string_view Prefix(const char* qname) {
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

NameTable RssItemNames(const Names& n) {
  NameTable t;
  t.Add("title", kTitle), t.Add(n.dc_title, kDcTitle), t.Add("guid", kGuid), t.Add("link", kLink);
  t.Add(n.atom_link, kAtomLink), t.Add("description", kDescription),
      t.Add(n.dc_description, kDcDescription);
  t.Add(n.content_encoded, kContentEncoded), t.Add("pubDate", kPubDate), t.Add(n.dc_date, kDcDate);
  t.Add(n.atom_published, kAtomPublished), t.Add(n.atom_updated, kAtomUpdated),
      t.Add("author", kAuthor);
  t.Add(n.dc_creator, kDcCreator), t.Add("category", kCategory), t.Add(n.dc_subject, kDcSubject);
  t.Add("enclosure", kEnclosure), t.Add(n.media_title, kMediaTitle),
      t.Add(n.media_description, kMediaDescription);
  t.Add(n.media_content, kMediaContent), t.Add(n.media_thumbnail, kMediaThumbnail),
      t.Add(n.media_group, kMediaGroup);
  t.Add(n.feedburner_orig_link, kOrigLink);
  return t;
}

// The children of an RSS root element and of its channel.
NameTable RssFeedNames(const Names& n) {
  NameTable t;
  t.Add("channel", kChannel), t.Add("item", kItem), t.Add("title", kTitle),
      t.Add(n.dc_title, kDcTitle);
  t.Add("link", kLink), t.Add("ttl", kTtl), t.Add(n.sy_period, kSyPeriod),
      t.Add(n.sy_frequency, kSyFrequency);
  return t;
}

NameTable AtomFeedNames(const Names& n) {
  NameTable t;
  t.Add(n.entry, kEntry), t.Add(n.title, kTitle), t.Add(n.link, kLink);
  return t;
}

NameTable AtomEntryNames(const Names& n) {
  NameTable t;
  t.Add(n.id, kId), t.Add(n.title, kTitle), t.Add(n.link, kLink), t.Add(n.summary, kSummary);
  t.Add(n.content, kContent), t.Add(n.published, kPublished), t.Add(n.updated, kUpdated),
      t.Add(n.issued, kIssued);
  t.Add(n.created, kCreated), t.Add(n.modified, kModified), t.Add(n.author, kAuthor),
      t.Add(n.category, kCategory);
  t.Add(n.feedburner_orig_link, kOrigLink);
  return t;
}

class Reader {
 public:
  Reader(std::string_view url, const ParseOptions& opt, ParsedFeed& out,
         std::vector<pugi::xml_node>* nodes)
      : url_(SanitizeUtf8(url)), b_(opt, out), out_(out), nodes_(nodes) {}

  // Text of a node: every descendant text node, elements separated by spaces.
  // Iterative and depth-limited: feeds can nest deeply.
  static std::string InnerText(const pugi::xml_node& node) {
    std::string s;
    pugi::xml_node cur = node.first_child();
    int depth = 0;
    while (cur && depth >= 0) {
      if (cur.type() == pugi::node_pcdata || cur.type() == pugi::node_cdata) {
        s += cur.value();
      } else if (cur.type() == pugi::node_element) {
        s += ' ';
        if (cur.first_child() && depth < 256) {
          cur = cur.first_child();
          ++depth;
          continue;
        }
      }
      while (cur && !cur.next_sibling() && depth >= 0) {
        cur = cur.parent();
        --depth;
        if (depth >= 0) s += ' ';
      }
      if (depth < 0 || !cur) break;
      cur = cur.next_sibling();
    }
    return s;
  }

  // The node's text without copying when it is a single text or CDATA child
  // (nearly always); `scratch` holds the concatenation otherwise.
  static std::string_view TextOf(const pugi::xml_node& n, std::string& scratch) {
    pugi::xml_node c = n.first_child();
    if (c && !c.next_sibling() && (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata))
      return c.value();
    if (!c) return {};
    scratch = InnerText(n);
    return scratch;
  }
  std::string Html(const pugi::xml_node& n) {
    std::string scratch;
    return n ? b_.CleanHtml(TextOf(n, scratch)) : std::string();
  }
  std::string Plain(const pugi::xml_node& n) {
    std::string scratch;
    return n ? b_.CleanPlain(TextOf(n, scratch)) : std::string();
  }

  // Atom text construct (type="text|html|xhtml"; Atom 0.3 also "text/html"
  // and mode="escaped").
  std::string TextConstruct(const pugi::xml_node& n) {
    if (!n) return {};
    std::string_view type = n.attribute("type").value();
    std::string_view mode = n.attribute("mode").value();
    if (type.find("html") != std::string_view::npos || mode == "escaped") return Html(n);
    return Plain(n);
  }

  std::optional<std::int64_t> Date(const pugi::xml_node& n) {
    if (!n) return std::nullopt;
    std::string scratch;
    return b_.Date(TextOf(n, scratch), n.name());
  }

  void Finish(Entry e, const pugi::xml_node& node) {
    if (nodes_) nodes_->push_back(node);
    b_.Finish(std::move(e));
  }

  // media:* directly in the item, then in a media:group.
  void Media(const Children& item, const NameTable& names, Entry& e) {
    const Children* scope = &item;
    for (int pass = 0; pass < 2; ++pass) {
      if (pass == 1) {
        pugi::xml_node group = item.first(kMediaGroup);
        if (!group) return;
        group_.Gather(group, names);
        scope = &group_;
      }
      if (e.title.empty()) e.title = Html(scope->first(kMediaTitle));
      if (e.summary.empty()) e.summary = Html(scope->first(kMediaDescription));
      for (Field f : {kMediaContent, kMediaThumbnail}) {
        for (const pugi::xml_node& m : scope->all(f)) {
          std::string u = b_.Clean(m.attribute("url").value());
          if (u.empty()) continue;
          Enclosure enc{ResolveUrl(url_, std::move(u)), b_.Clean(m.attribute("type").value()),
                        std::nullopt};
          if (enc.type.empty()) enc.type = b_.Clean(m.attribute("medium").value());
          if (enc.type.empty() && f == kMediaThumbnail) enc.type = "image";
          if (long long len = m.attribute("fileSize").as_llong(-1); len >= 0) enc.length = len;
          e.enclosures.push_back(std::move(enc));
        }
      }
    }
  }

  void ReadRss(const pugi::xml_node& root, const Names& names) {
    const NameTable feed_names = RssFeedNames(names);
    top_.Gather(root, feed_names);
    pugi::xml_node channel = top_.first(kChannel);
    channel_.Gather(channel, feed_names);
    out_.title = Html(channel_.first(kTitle));
    if (out_.title.empty()) out_.title = Html(channel_.first(kDcTitle));
    out_.link = ResolveUrl(url_, Plain(channel_.first(kLink)));
    ReadUpdateHint();
    Reserve(channel_.all(kItem).size() + top_.all(kItem).size());
    const NameTable table = RssItemNames(names);
    auto read_items = [&](const std::vector<pugi::xml_node>& items) {
      for (const pugi::xml_node& item : items) {
        if (b_.Full()) return;
        kids_.Gather(item, table);
        const Children& k = kids_;
        Entry e;
        pugi::xml_node guid = k.first(kGuid);
        e.id = Plain(guid);
        std::string link = Plain(k.first(kLink));
        if (link.empty()) {
          for (const pugi::xml_node& l : k.all(kAtomLink)) {
            std::string_view rel = l.attribute("rel").value();
            if (rel.empty() || rel == "alternate") {
              link = b_.Clean(l.attribute("href").value());
              break;
            }
          }
        }
        if (link.empty()) link = b_.Clean(item.attribute(names.rdf_about.c_str()).value());
        // A guid that is a permalink (the default) stands in for a missing link.
        std::string_view permalink = guid.attribute("isPermaLink").value();
        if (link.empty() && !e.id.empty() && permalink != "false" &&
            (e.id.rfind("http://", 0) == 0 || e.id.rfind("https://", 0) == 0)) {
          link = e.id;
        }
        e.link = link.empty() ? std::string() : ResolveUrl(url_, std::move(link));
        // Only the key is wanted (keys_only, or a known key) and it is the id
        // or the link: nothing else is read. (An entry keyed by a hash of its
        // title, date and text is read whole: media:title and
        // media:description can stand in for those.)
        if (b_.KeyIsEnough(e)) {
          Finish(std::move(e), item);
          continue;
        }
        e.title = Html(k.first(kTitle));
        if (e.title.empty()) e.title = Html(k.first(kDcTitle));
        e.summary = Html(k.first(kDescription));
        if (e.summary.empty()) e.summary = Html(k.first(kDcDescription));
        e.content = Html(k.first(kContentEncoded));
        if (std::string orig = Plain(k.first(kOrigLink)); !orig.empty())
          e.original_link = ResolveUrl(url_, std::move(orig));
        pugi::xml_node date = k.first(kPubDate);
        if (!date) date = k.first(kDcDate);
        if (!date) date = k.first(kAtomPublished);
        e.published = Date(date);
        e.updated = Date(k.first(kAtomUpdated));
        if (!e.published) e.published = e.updated;
        for (Field f : {kAuthor, kDcCreator}) {
          for (const pugi::xml_node& n : k.all(f)) {
            if (std::string v = Plain(n); !v.empty()) e.authors.push_back(std::move(v));
          }
        }
        for (Field f : {kCategory, kDcSubject}) {
          for (const pugi::xml_node& n : k.all(f)) {
            if (std::string v = Plain(n); !v.empty()) e.categories.push_back(std::move(v));
          }
        }
        for (const pugi::xml_node& n : k.all(kEnclosure)) {
          Enclosure enc;
          enc.url = ResolveUrl(url_, b_.Clean(n.attribute("url").value()));
          enc.type = b_.Clean(n.attribute("type").value());
          if (long long len = n.attribute("length").as_llong(-1); len >= 0) enc.length = len;
          if (!enc.url.empty()) e.enclosures.push_back(std::move(enc));
        }
        Media(k, table, e);
        Finish(std::move(e), item);
      }
    };
    read_items(channel_.all(kItem));
    read_items(top_.all(kItem));  // RSS 1.0 / 0.90 put items beside the channel
  }

  // <ttl> minutes, else sy:updatePeriod / sy:updateFrequency (RSS 1.0 puts
  // them in the channel too). Nonsense values are ignored.
  void ReadUpdateHint() {
    long long ttl = channel_.first(kTtl).text().as_llong(0);
    if (ttl > 0 && ttl <= 60 * 24 * 365) {
      out_.update_hint_seconds = ttl * 60;
      return;
    }
    for (const Children* scope : {&channel_, &top_}) {
      std::string period = Plain(scope->first(kSyPeriod));
      if (period.empty()) continue;
      static const std::pair<const char*, std::int64_t> kPeriods[] = {{"hourly", 3600},
                                                                      {"daily", 86400},
                                                                      {"weekly", 604800},
                                                                      {"monthly", 2592000},
                                                                      {"yearly", 31536000}};
      long long freq = scope->first(kSyFrequency).text().as_llong(1);
      if (freq < 1) freq = 1;
      for (const auto& [name, secs] : kPeriods) {
        if (period == name) out_.update_hint_seconds = secs / freq;
      }
      return;
    }
  }

  // Room for the entries to come (up to the cap): no regrowth while reading.
  void Reserve(std::size_t n) {
    out_.entries.reserve(out_.entries.size() + std::min(n, b_.options().max_entries));
    if (nodes_) nodes_->reserve(nodes_->size() + std::min(n, b_.options().max_entries));
  }

  void ReadAtom(const pugi::xml_node& root, const Names& n, bool v03) {
    std::string feed_base = ResolveUrl(url_, b_.Clean(root.attribute("xml:base").value()));
    top_.Gather(root, AtomFeedNames(n));
    out_.title = TextConstruct(top_.first(kTitle));
    out_.link = AlternateLink(top_.all(kLink), feed_base);
    Reserve(top_.all(kEntry).size());
    const NameTable table = AtomEntryNames(n);
    for (const pugi::xml_node& entry : top_.all(kEntry)) {
      if (b_.Full()) return;
      kids_.Gather(entry, table);
      const Children& k = kids_;
      // The entry's own xml:base, when it has one, resolved against the feed's.
      pugi::xml_attribute entry_base = entry.attribute("xml:base");
      std::string own_base =
          entry_base ? ResolveUrl(feed_base, b_.Clean(entry_base.value())) : std::string();
      const std::string& base = entry_base ? own_base : feed_base;
      Entry e;
      e.id = Plain(k.first(kId));
      e.link = AlternateLink(k.all(kLink), base);
      if (b_.KeyIsEnough(e)) {  // as for RSS items
        Finish(std::move(e), entry);
        continue;
      }
      e.title = TextConstruct(k.first(kTitle));
      e.summary = TextConstruct(k.first(kSummary));
      e.content = TextConstruct(k.first(kContent));
      if (std::string orig = Plain(k.first(kOrigLink)); !orig.empty())
        e.original_link = ResolveUrl(base, std::move(orig));
      e.published = Date(k.first(v03 ? kIssued : kPublished));
      if (!e.published && v03) e.published = Date(k.first(kCreated));
      e.updated = Date(k.first(v03 ? kModified : kUpdated));
      if (!e.published) e.published = e.updated;
      for (const pugi::xml_node& a : k.all(kAuthor)) {
        if (std::string v = Plain(a.child(n.name.c_str())); !v.empty())
          e.authors.push_back(std::move(v));
      }
      for (const pugi::xml_node& c : k.all(kCategory)) {
        std::string v = b_.Clean(c.attribute("term").value());
        if (v.empty()) v = b_.Clean(c.attribute("label").value());
        if (!v.empty()) e.categories.push_back(std::move(v));
      }
      for (const pugi::xml_node& l : k.all(kLink)) {
        if (std::string_view(l.attribute("rel").value()) != "enclosure") continue;
        Enclosure enc;
        enc.url = ResolveUrl(base, b_.Clean(l.attribute("href").value()));
        enc.type = b_.Clean(l.attribute("type").value());
        if (long long len = l.attribute("length").as_llong(-1); len >= 0) enc.length = len;
        e.enclosures.push_back(std::move(enc));
      }
      Finish(std::move(e), entry);
    }
  }

  // The first link with rel="alternate" (or no rel), else the first that is
  // not an enclosure or self link.
  std::string AlternateLink(const std::vector<pugi::xml_node>& links, const std::string& base) {
    pugi::xml_node first;
    for (const pugi::xml_node& l : links) {
      std::string_view rel = l.attribute("rel").value();
      if (rel.empty() || rel == "alternate")
        return ResolveUrl(base, b_.Clean(l.attribute("href").value()));
      if (!first && rel != "enclosure" && rel != "self") first = l;
    }
    return first ? ResolveUrl(base, b_.Clean(first.attribute("href").value())) : std::string();
  }

 private:
  std::string url_;
  EntryBuilder b_;
  ParsedFeed& out_;
  std::vector<pugi::xml_node>* nodes_;
  Children top_, channel_;  // the root's and the RSS channel's children
  Children kids_, group_;   // reused per entry: no allocation once warm
};

}  // namespace

bool ReadXmlFeed(const pugi::xml_document& doc, std::string_view url, const ParseOptions& opt,
                 ParsedFeed& feed, std::vector<pugi::xml_node>* entry_nodes) {
  pugi::xml_node root = doc.document_element();
  std::string_view local = LocalName(root.name());
  std::string xmlns_attr = "xmlns";
  if (std::string_view p = Prefix(root.name()); !p.empty())
    xmlns_attr += ":" + std::string(p.substr(0, p.size() - 1));
  std::string_view ns = root.attribute(xmlns_attr.c_str()).value();
  Reader reader(url, opt, feed, entry_nodes);
  Names names(root);
  if (local == "rss") {
    std::string_view version = root.attribute("version").value();
    feed.format = version.substr(0, 2) == "0." ? FeedFormat::kRss09x : FeedFormat::kRss20;
    reader.ReadRss(root, names);
  } else if (local == "RDF") {
    feed.format =
        root.child("channel") && std::string_view(root.attribute("xmlns").value()) == kNsRss090
            ? FeedFormat::kRss09x
            : FeedFormat::kRss10;
    reader.ReadRss(root, names);
  } else if (local == "feed") {
    bool v03 = ns == kNsAtom03 || std::string_view(root.attribute("version").value()) == "0.3";
    feed.format = v03 ? FeedFormat::kAtom03 : FeedFormat::kAtom10;
    reader.ReadAtom(root, names, v03);
  } else {
    return false;
  }
  return true;
}

}  // namespace feedwatch
