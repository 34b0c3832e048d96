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
#include "xml_names.h"

namespace feedwatch {

namespace {

using namespace xmlfeed;

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
