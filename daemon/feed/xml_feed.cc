// The RSS and Atom readers. pugixml does not resolve namespaces, so each
// document's prefixes are mapped once (from the root element's xmlns
// declarations) and elements are looked up by qualified name.
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

std::string_view LocalName(const char* qname) {
  const char* colon = std::strchr(qname, ':');
  return colon ? std::string_view(colon + 1) : std::string_view(qname);
}

std::string_view Prefix(const char* qname) {
  const char* colon = std::strchr(qname, ':');
  return colon ? std::string_view(qname, static_cast<std::size_t>(colon - qname + 1)) : std::string_view();
}

// Qualified names of the elements we read, for one document: "prefix:local",
// or "local" for the default namespace; conventional prefixes when a feed
// uses one without declaring it (common in hand-written feeds).
struct Names {
  std::string content_encoded, dc_creator, dc_date, dc_subject, dc_title, dc_description, atom_link, atom_published,
      atom_updated, rdf_about, media_title,
      media_description, media_content, media_thumbnail, media_group, sy_period, sy_frequency;
  // Atom's own elements, with the prefix the root element uses.
  std::string entry, title, link, id, summary, content, published, updated, issued, created, modified, author, name,
      category;

  explicit Names(const pugi::xml_node& root) {
    std::unordered_map<std::string, std::string> prefix_of;  // uri -> "p:" or ""
    for (pugi::xml_attribute a : root.attributes()) {
      std::string_view n = a.name();
      if (n == "xmlns") prefix_of.emplace(a.value(), "");
      else if (n.substr(0, 6) == "xmlns:") prefix_of.emplace(a.value(), std::string(n.substr(6)) + ":");
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
    std::string p(Prefix(root.name()));
    entry = p + "entry", title = p + "title", link = p + "link", id = p + "id", summary = p + "summary";
    content = p + "content", published = p + "published", updated = p + "updated", issued = p + "issued";
    created = p + "created", modified = p + "modified", author = p + "author", name = p + "name";
    category = p + "category";
  }
};

class Reader {
 public:
  Reader(std::string_view url, const ParseOptions& opt, ParsedFeed& out, std::vector<pugi::xml_node>* nodes)
      : url_(SanitizeUtf8(url)), keys_only_(opt.keys_only), b_(opt, out), out_(out), nodes_(nodes) {}

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
    if (c && !c.next_sibling() && (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata)) return c.value();
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

  void Media(const pugi::xml_node& item, const Names& names, Entry& e) {
    for (const pugi::xml_node& scope : {item, item.child(names.media_group.c_str())}) {
      if (!scope) continue;
      if (e.title.empty()) e.title = Html(scope.child(names.media_title.c_str()));
      if (e.summary.empty()) e.summary = Html(scope.child(names.media_description.c_str()));
      for (const char* tag : {names.media_content.c_str(), names.media_thumbnail.c_str()}) {
        for (pugi::xml_node m = scope.child(tag); m; m = m.next_sibling(tag)) {
          std::string u = b_.Clean(m.attribute("url").value());
          if (u.empty()) continue;
          Enclosure enc{ResolveUrl(url_, u), b_.Clean(m.attribute("type").value()), std::nullopt};
          if (enc.type.empty()) enc.type = b_.Clean(m.attribute("medium").value());
          if (enc.type.empty() && tag == names.media_thumbnail.c_str()) enc.type = "image";
          if (long long len = m.attribute("fileSize").as_llong(-1); len >= 0) enc.length = len;
          e.enclosures.push_back(std::move(enc));
        }
      }
    }
  }

  void ReadRss(const pugi::xml_node& root, const Names& names) {
    pugi::xml_node channel = root.child("channel");
    out_.title = Html(channel.child("title"));
    if (out_.title.empty()) out_.title = Html(channel.child(names.dc_title.c_str()));
    out_.link = ResolveUrl(url_, Plain(channel.child("link")));
    ReadUpdateHint(channel, root, names);
    auto read_items = [&](const pugi::xml_node& parent) {
      for (pugi::xml_node item = parent.child("item"); item; item = item.next_sibling("item")) {
        if (b_.Full()) return;
        Entry e;
        e.title = Html(item.child("title"));
        if (e.title.empty()) e.title = Html(item.child(names.dc_title.c_str()));
        pugi::xml_node guid = item.child("guid");
        e.id = Plain(guid);
        std::string link = Plain(item.child("link"));
        if (link.empty()) {
          for (pugi::xml_node l = item.child(names.atom_link.c_str()); l; l = l.next_sibling(names.atom_link.c_str())) {
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
        e.link = link.empty() ? std::string() : ResolveUrl(url_, link);
        bool text_needed = !keys_only_ || (e.id.empty() && e.link.empty());
        if (text_needed) {
          e.summary = Html(item.child("description"));
          if (e.summary.empty()) e.summary = Html(item.child(names.dc_description.c_str()));
          e.content = Html(item.child(names.content_encoded.c_str()));
        }
        pugi::xml_node date = item.child("pubDate");
        if (!date) date = item.child(names.dc_date.c_str());
        if (!date) date = item.child(names.atom_published.c_str());
        e.published = Date(date);
        e.updated = Date(item.child(names.atom_updated.c_str()));
        if (!e.published) e.published = e.updated;
        if (!text_needed) {  // keys_only, and the key is the id or the link
          Finish(std::move(e), item);
          continue;
        }
        for (const char* a : {"author", names.dc_creator.c_str()}) {
          for (pugi::xml_node n = item.child(a); n; n = n.next_sibling(a)) {
            if (std::string v = Plain(n); !v.empty()) e.authors.push_back(std::move(v));
          }
        }
        for (const char* c : {"category", names.dc_subject.c_str()}) {
          for (pugi::xml_node n = item.child(c); n; n = n.next_sibling(c)) {
            if (std::string v = Plain(n); !v.empty()) e.categories.push_back(std::move(v));
          }
        }
        for (pugi::xml_node n = item.child("enclosure"); n; n = n.next_sibling("enclosure")) {
          Enclosure enc;
          enc.url = ResolveUrl(url_, b_.Clean(n.attribute("url").value()));
          enc.type = b_.Clean(n.attribute("type").value());
          if (long long len = n.attribute("length").as_llong(-1); len >= 0) enc.length = len;
          if (!enc.url.empty()) e.enclosures.push_back(std::move(enc));
        }
        Media(item, names, e);
        Finish(std::move(e), item);
      }
    };
    read_items(channel);
    read_items(root);  // RSS 1.0 / 0.90 put items beside the channel
  }

  // <ttl> minutes, else sy:updatePeriod / sy:updateFrequency (RSS 1.0 puts
  // them in the channel too). Nonsense values are ignored.
  void ReadUpdateHint(const pugi::xml_node& channel, const pugi::xml_node& root, const Names& names) {
    long long ttl = channel.child("ttl").text().as_llong(0);
    if (ttl > 0 && ttl <= 60 * 24 * 365) {
      out_.update_hint_seconds = ttl * 60;
      return;
    }
    for (const pugi::xml_node& scope : {channel, root}) {
      std::string period = Plain(scope.child(names.sy_period.c_str()));
      if (period.empty()) continue;
      static const std::pair<const char*, std::int64_t> kPeriods[] = {
          {"hourly", 3600}, {"daily", 86400}, {"weekly", 604800}, {"monthly", 2592000}, {"yearly", 31536000}};
      long long freq = scope.child(names.sy_frequency.c_str()).text().as_llong(1);
      if (freq < 1) freq = 1;
      for (const auto& [name, secs] : kPeriods) {
        if (period == name) out_.update_hint_seconds = secs / freq;
      }
      return;
    }
  }

  void ReadAtom(const pugi::xml_node& root, const Names& n, bool v03) {
    std::string feed_base = ResolveUrl(url_, b_.Clean(root.attribute("xml:base").value()));
    out_.title = TextConstruct(root.child(n.title.c_str()));
    out_.link = AlternateLink(root, n, feed_base);
    for (pugi::xml_node entry = root.child(n.entry.c_str()); entry; entry = entry.next_sibling(n.entry.c_str())) {
      if (b_.Full()) return;
      std::string base = ResolveUrl(feed_base, b_.Clean(entry.attribute("xml:base").value()));
      Entry e;
      e.id = Plain(entry.child(n.id.c_str()));
      e.title = TextConstruct(entry.child(n.title.c_str()));
      e.link = AlternateLink(entry, n, base);
      bool text_needed = !keys_only_ || (e.id.empty() && e.link.empty());
      if (text_needed) {
        e.summary = TextConstruct(entry.child(n.summary.c_str()));
        e.content = TextConstruct(entry.child(n.content.c_str()));
      }
      e.published = Date(entry.child((v03 ? n.issued : n.published).c_str()));
      if (!e.published && v03) e.published = Date(entry.child(n.created.c_str()));
      e.updated = Date(entry.child((v03 ? n.modified : n.updated).c_str()));
      if (!e.published) e.published = e.updated;
      if (!text_needed) {
        Finish(std::move(e), entry);
        continue;
      }
      for (pugi::xml_node a = entry.child(n.author.c_str()); a; a = a.next_sibling(n.author.c_str())) {
        if (std::string v = Plain(a.child(n.name.c_str())); !v.empty()) e.authors.push_back(std::move(v));
      }
      for (pugi::xml_node c = entry.child(n.category.c_str()); c; c = c.next_sibling(n.category.c_str())) {
        std::string v = b_.Clean(c.attribute("term").value());
        if (v.empty()) v = b_.Clean(c.attribute("label").value());
        if (!v.empty()) e.categories.push_back(std::move(v));
      }
      for (pugi::xml_node l = entry.child(n.link.c_str()); l; l = l.next_sibling(n.link.c_str())) {
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

  std::string AlternateLink(const pugi::xml_node& parent, const Names& n, const std::string& base) {
    pugi::xml_node first;
    for (pugi::xml_node l = parent.child(n.link.c_str()); l; l = l.next_sibling(n.link.c_str())) {
      std::string_view rel = l.attribute("rel").value();
      if (rel.empty() || rel == "alternate") return ResolveUrl(base, b_.Clean(l.attribute("href").value()));
      if (!first && rel != "enclosure" && rel != "self") first = l;
    }
    return first ? ResolveUrl(base, b_.Clean(first.attribute("href").value())) : std::string();
  }

 private:
  std::string url_;
  bool keys_only_;
  EntryBuilder b_;
  ParsedFeed& out_;
  std::vector<pugi::xml_node>* nodes_;
};

}  // namespace

bool ReadXmlFeed(const pugi::xml_document& doc, std::string_view url, const ParseOptions& opt, ParsedFeed& feed,
                 std::vector<pugi::xml_node>* entry_nodes) {
  pugi::xml_node root = doc.document_element();
  std::string_view local = LocalName(root.name());
  std::string xmlns_attr = "xmlns";
  if (std::string_view p = Prefix(root.name()); !p.empty()) xmlns_attr += ":" + std::string(p.substr(0, p.size() - 1));
  std::string_view ns = root.attribute(xmlns_attr.c_str()).value();
  Reader reader(url, opt, feed, entry_nodes);
  Names names(root);
  if (local == "rss") {
    std::string_view version = root.attribute("version").value();
    feed.format = version.substr(0, 2) == "0." ? FeedFormat::kRss09x : FeedFormat::kRss20;
    reader.ReadRss(root, names);
  } else if (local == "RDF") {
    feed.format = root.child("channel") && std::string_view(root.attribute("xmlns").value()) == kNsRss090
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
