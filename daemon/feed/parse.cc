// Format detection and the RSS / Atom readers. pugixml does not resolve
// namespaces, so each document's prefixes are mapped once (from the root
// element's xmlns declarations) and elements are looked up by qualified name.
#include <pugixml.hpp>

#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "feedwatch/feed.h"
#include "feedwatch/util.h"

namespace feedwatch {

std::string_view FormatName(FeedFormat f) {
  switch (f) {
    case FeedFormat::kRss20: return "rss2.0";
    case FeedFormat::kRss10: return "rss1.0";
    case FeedFormat::kRss09x: return "rss0.9x";
    case FeedFormat::kAtom10: return "atom1.0";
    case FeedFormat::kAtom03: return "atom0.3";
    case FeedFormat::kJsonFeed: return "jsonfeed";
    case FeedFormat::kUnknown: break;
  }
  return "unknown";
}

namespace {

constexpr const char* kNsAtom10 = "http://www.w3.org/2005/Atom";
constexpr const char* kNsAtom03 = "http://purl.org/atom/ns#";
constexpr const char* kNsRdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
constexpr const char* kNsRss10 = "http://purl.org/rss/1.0/";
constexpr const char* kNsRss090 = "http://my.netscape.com/rdf/simple/0.9/";
constexpr const char* kNsContent = "http://purl.org/rss/1.0/modules/content/";
constexpr const char* kNsDc = "http://purl.org/dc/elements/1.1/";

std::string_view LocalName(const char* qname) {
  const char* colon = std::strchr(qname, ':');
  return colon ? std::string_view(colon + 1) : std::string_view(qname);
}

// Qualified names of the namespaced elements we read, for one document.
struct Names {
  // Each member is "prefix:local", or "local" for the default namespace, or
  // empty when the document does not declare the namespace.
  std::string content_encoded, dc_creator, dc_date, dc_subject, atom_link, rdf_about;

  explicit Names(const pugi::xml_node& root) {
    std::unordered_map<std::string, std::string> prefix_of;  // uri -> "p:" or ""
    for (pugi::xml_attribute a : root.attributes()) {
      std::string_view n = a.name();
      if (n == "xmlns") prefix_of.emplace(a.value(), "");
      else if (n.substr(0, 6) == "xmlns:") prefix_of.emplace(a.value(), std::string(n.substr(6)) + ":");
    }
    auto q = [&](const char* uri, const char* local, const char* fallback_prefix) -> std::string {
      auto it = prefix_of.find(uri);
      if (it != prefix_of.end()) return it->second + local;
      // Undeclared but conventionally prefixed (common in hand-written feeds).
      return std::string(fallback_prefix) + ":" + local;
    };
    content_encoded = q(kNsContent, "encoded", "content");
    dc_creator = q(kNsDc, "creator", "dc");
    dc_date = q(kNsDc, "date", "dc");
    dc_subject = q(kNsDc, "subject", "dc");
    atom_link = q(kNsAtom10, "link", "atom");
    rdf_about = q(kNsRdf, "about", "rdf");
  }
};

class Reader {
 public:
  Reader(std::string_view url, const ParseOptions& opt, ParsedFeed& out) : url_(url), opt_(opt), out_(out) {}

  // Text of a node: every descendant text node, elements separated by spaces.
  static std::string InnerText(const pugi::xml_node& node) {
    std::string s;
    // Iterative walk: feeds can nest deeply and our stack must not depend on it.
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

  std::string Clean(std::string text) {
    std::string s = SanitizeUtf8(text);
    if (s.size() > opt_.max_field_bytes) {
      s = TruncateUtf8(s, opt_.max_field_bytes);
      WarnOnce("a text field longer than " + std::to_string(opt_.max_field_bytes) + " bytes was truncated");
    }
    return s;
  }
  std::string Html(const pugi::xml_node& n) { return n ? Clean(HtmlToText(InnerText(n))) : std::string(); }
  std::string Plain(const pugi::xml_node& n) { return n ? Clean(CollapseWhitespace(InnerText(n))) : std::string(); }

  // Atom text construct (type="text|html|xhtml"; Atom 0.3 also "text/html", mode="escaped").
  std::string TextConstruct(const pugi::xml_node& n) {
    if (!n) return {};
    std::string_view type = n.attribute("type").value();
    if (type.find("html") != std::string_view::npos) return Html(n);
    return Plain(n);
  }

  std::optional<std::int64_t> Date(const pugi::xml_node& n) {
    if (!n) return std::nullopt;
    std::string raw = CollapseWhitespace(InnerText(n));
    if (raw.empty()) return std::nullopt;
    auto t = ParseDate(raw);
    if (!t) {
      out_.warnings.push_back("unparseable date \"" + SanitizeUtf8(TruncateUtf8(raw, 64)) + "\" in <" +
                              n.name() + ">: recorded as absent");
    }
    return t;
  }

  void WarnOnce(const std::string& w) {
    if (warned_.insert(w).second) out_.warnings.push_back(w);
  }

  bool Full() {
    if (out_.entries.size() < opt_.max_entries) return false;
    WarnOnce("more than " + std::to_string(opt_.max_entries) + " entries: the rest were ignored");
    return true;
  }

  void FinishEntry(Entry e) {
    if (!e.id.empty()) e.key = e.id;
    else if (!e.link.empty()) e.key = e.link;
    else
      e.key = "sha256:" + Sha256Hex(e.title + "\n" + (e.published ? std::to_string(*e.published) : "") + "\n" +
                                    TruncateUtf8(e.summary.empty() ? e.content : e.summary, 1024));
    if (!keys_.insert(e.key).second) {
      // The same id twice in one document: never merge distinct entries.
      std::string alt = e.key + " " + e.link;
      if (e.link.empty() || !keys_.insert(alt).second) {
        alt = e.key + "#" + std::to_string(out_.entries.size());
        keys_.insert(alt);
      }
      WarnOnce("duplicate entry ids in one document; such entries are keyed by id and link or position");
      e.key = alt;
    }
    out_.entries.push_back(std::move(e));
  }

  void ReadRss(const pugi::xml_node& root, const Names& names) {
    pugi::xml_node channel = root.child("channel");
    out_.title = Html(channel.child("title"));
    out_.link = ResolveUrl(url_, Plain(channel.child("link")));
    auto read_items = [&](const pugi::xml_node& parent) {
      for (pugi::xml_node item = parent.child("item"); item; item = item.next_sibling("item")) {
        if (Full()) return;
        Entry e;
        e.title = Html(item.child("title"));
        pugi::xml_node guid = item.child("guid");
        e.id = Plain(guid);
        std::string link = Plain(item.child("link"));
        if (link.empty()) {
          for (pugi::xml_node l = item.child(names.atom_link.c_str()); l;
               l = l.next_sibling(names.atom_link.c_str())) {
            std::string_view rel = l.attribute("rel").value();
            if (rel.empty() || rel == "alternate") { link = Clean(l.attribute("href").value()); break; }
          }
        }
        if (link.empty()) link = Clean(item.attribute(names.rdf_about.c_str()).value());
        std::string_view permalink = guid.attribute("isPermaLink").value();
        if (link.empty() && !e.id.empty() && permalink != "false" &&
            (e.id.rfind("http://", 0) == 0 || e.id.rfind("https://", 0) == 0)) {
          link = e.id;
        }
        e.link = link.empty() ? std::string() : ResolveUrl(url_, link);
        e.summary = Html(item.child("description"));
        e.content = Html(item.child(names.content_encoded.c_str()));
        pugi::xml_node date = item.child("pubDate");
        if (!date) date = item.child(names.dc_date.c_str());
        e.published = Date(date);
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
          enc.url = ResolveUrl(url_, Clean(n.attribute("url").value()));
          enc.type = Clean(n.attribute("type").value());
          if (long long len = n.attribute("length").as_llong(-1); len >= 0) enc.length = len;
          if (!enc.url.empty()) e.enclosures.push_back(std::move(enc));
        }
        FinishEntry(std::move(e));
      }
    };
    read_items(channel);
    read_items(root);  // RSS 1.0 / 0.90 put items beside the channel
  }

  void ReadAtom(const pugi::xml_node& root, bool v03) {
    std::string feed_base = ResolveUrl(url_, root.attribute("xml:base").value());
    out_.title = TextConstruct(root.child("title"));
    out_.link = AlternateLink(root, feed_base);
    for (pugi::xml_node entry = root.child("entry"); entry; entry = entry.next_sibling("entry")) {
      if (Full()) return;
      std::string base = ResolveUrl(feed_base, entry.attribute("xml:base").value());
      Entry e;
      e.id = Plain(entry.child("id"));
      e.title = TextConstruct(entry.child("title"));
      e.link = AlternateLink(entry, base);
      e.summary = TextConstruct(entry.child("summary"));
      e.content = TextConstruct(entry.child("content"));
      e.published = Date(entry.child(v03 ? "issued" : "published"));
      if (!e.published && v03) e.published = Date(entry.child("created"));
      e.updated = Date(entry.child(v03 ? "modified" : "updated"));
      if (!e.published) e.published = e.updated;
      for (pugi::xml_node a = entry.child("author"); a; a = a.next_sibling("author")) {
        if (std::string v = Plain(a.child("name")); !v.empty()) e.authors.push_back(std::move(v));
      }
      for (pugi::xml_node c = entry.child("category"); c; c = c.next_sibling("category")) {
        std::string v = Clean(c.attribute("term").value());
        if (v.empty()) v = Clean(c.attribute("label").value());
        if (!v.empty()) e.categories.push_back(std::move(v));
      }
      for (pugi::xml_node l = entry.child("link"); l; l = l.next_sibling("link")) {
        if (std::string_view(l.attribute("rel").value()) != "enclosure") continue;
        Enclosure enc;
        enc.url = ResolveUrl(base, Clean(l.attribute("href").value()));
        enc.type = Clean(l.attribute("type").value());
        if (long long len = l.attribute("length").as_llong(-1); len >= 0) enc.length = len;
        e.enclosures.push_back(std::move(enc));
      }
      FinishEntry(std::move(e));
    }
  }

  std::string AlternateLink(const pugi::xml_node& parent, const std::string& base) {
    pugi::xml_node first;
    for (pugi::xml_node l = parent.child("link"); l; l = l.next_sibling("link")) {
      std::string_view rel = l.attribute("rel").value();
      if (rel.empty() || rel == "alternate") return ResolveUrl(base, Clean(l.attribute("href").value()));
      if (!first && rel != "enclosure" && rel != "self") first = l;
    }
    return first ? ResolveUrl(base, Clean(first.attribute("href").value())) : std::string();
  }

 private:
  std::string url_;
  const ParseOptions& opt_;
  ParsedFeed& out_;
  std::unordered_set<std::string> warned_;
  std::unordered_set<std::string> keys_;
};

// XML 1.0 forbids most C0 controls; a single one makes pugixml reject the whole
// document. Replace them (and raw NULs) with spaces before parsing.
std::size_t ScrubControlChars(std::string& buf) {
  std::size_t n = 0;
  for (char& c : buf) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') {
      c = ' ';
      ++n;
    }
  }
  return n;
}

}  // namespace

Result<ParsedFeed> ParseFeed(std::string_view body, std::string_view content_type, std::string_view url,
                             const ParseOptions& options) {
  (void)content_type;  // charset handling arrives with the encoding work (docs/parsing.md)
  ParsedFeed feed;
  const std::string where = url.empty() ? std::string("<input>") : std::string(url);
  if (body.size() >= 3 && body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  std::size_t lt = body.find('<');
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Status::Parse(where + ": empty document");
  if (lt == std::string_view::npos) return Status::Parse(where + ": not a feed (no XML markup found)");
  if (lt != first) {
    feed.warnings.push_back("ignored " + std::to_string(lt - first) + " bytes of garbage before the XML");
  }
  std::string buf(body.substr(lt));
  if (std::size_t n = ScrubControlChars(buf); n > 0) {
    feed.warnings.push_back("replaced " + std::to_string(n) + " control characters that XML does not allow");
  }
  pugi::xml_document doc;
  pugi::xml_parse_result res = doc.load_buffer_inplace(buf.data(), buf.size(), pugi::parse_default, pugi::encoding_auto);
  pugi::xml_node root = doc.document_element();
  if (!root) {
    return Status::Parse(where + ": not well-formed XML at byte " + std::to_string(res.offset + lt) + ": " +
                         res.description());
  }
  std::string_view local = LocalName(root.name());
  std::string_view ns = root.attribute("xmlns").value();
  Reader reader(url, options, feed);
  Names names(root);
  if (local == "rss") {
    std::string_view version = root.attribute("version").value();
    feed.format = (version.substr(0, 2) == "0.") ? FeedFormat::kRss09x : FeedFormat::kRss20;
    reader.ReadRss(root, names);
  } else if (local == "RDF") {
    feed.format = (ns == kNsRss090) ? FeedFormat::kRss09x : FeedFormat::kRss10;
    (void)kNsRss10;
    reader.ReadRss(root, names);
  } else if (local == "feed") {
    bool v03 = ns == kNsAtom03 || std::string_view(root.attribute("version").value()) == "0.3";
    feed.format = v03 ? FeedFormat::kAtom03 : FeedFormat::kAtom10;
    (void)kNsAtom10;
    reader.ReadAtom(root, v03);
  } else {
    return Status::Parse(where + ": not a feed (root element <" + SanitizeUtf8(root.name()) + ">)");
  }
  if (!res) {
    // The entry the error cut through may be incomplete (a truncated title
    // would give it a different key next time): keep only those before it.
    if (!feed.entries.empty()) feed.entries.pop_back();
    if (feed.entries.empty()) {
      return Status::Parse(where + ": not well-formed XML at byte " + std::to_string(res.offset + lt) + ": " +
                           res.description());
    }
    feed.warnings.push_back("XML error at byte " + std::to_string(res.offset + lt) + " (" + res.description() +
                            "); kept the " + std::to_string(feed.entries.size()) + " complete entries before it");
  }
  return feed;
}

}  // namespace feedwatch
