#include "feedwatch/opml.h"

#include <pugixml.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>
#include <sstream>

#include "feedwatch/feed.h"

#include "feedwatch/util.h"

namespace feedwatch {

namespace {

// An attribute by name, whatever its case (readers write xmlUrl, xmlurl, XMLURL).
std::string Attr(const pugi::xml_node& n, std::string_view name) {
  for (const pugi::xml_attribute& a : n.attributes())
    if (AsciiLower(a.name()) == name) return a.value();
  return "";
}

// Titles as text: references left by the XML parser (&eacute;, &nbsp;)
// decoded, whitespace collapsed.
std::string CleanTitle(std::string_view raw) {
  // Text, not markup: '<' stays a character; only references are decoded.
  std::string escaped;
  for (char c : raw) {
    if (c == '<')
      escaped += "&lt;";
    else if (c == '>')
      escaped += "&gt;";
    else
      escaped.push_back(c);
  }
  std::string text = HtmlToText(escaped);
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

bool IsHttp(std::string_view url) {
  std::string l = AsciiLower(url.substr(0, 8));
  return l.rfind("http://", 0) == 0 || l.rfind("https://", 0) == 0;
}

struct Walker {
  const std::string_view xml;
  OpmlDocument& doc;
  std::set<std::string> seen;

  int LineOf(const pugi::xml_node& n) const {
    auto off = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, n.offset_debug()));
    return 1 +
           static_cast<int>(std::count(xml.begin(), xml.begin() + std::min(off, xml.size()), '\n'));
  }

  void Walk(const pugi::xml_node& parent, std::vector<std::string>& folders) {
    for (pugi::xml_node o : parent.children()) {
      if (o.type() != pugi::node_element || AsciiLower(o.name()) != "outline") continue;
      std::string url = Attr(o, "xmlurl");
      std::string type = AsciiLower(Attr(o, "type"));
      std::string title = CleanTitle(Attr(o, "title"));
      if (title.empty()) title = CleanTitle(Attr(o, "text"));
      int line = LineOf(o);
      // Some readers write the feed address as `url` (with type rss, or none).
      if (url.empty() && type != "link" && type != "include") url = Attr(o, "url");
      while (!url.empty() && std::isspace(static_cast<unsigned char>(url.back()))) url.pop_back();
      while (!url.empty() && std::isspace(static_cast<unsigned char>(url.front()))) url.erase(0, 1);
      bool has_children = !o.child("outline").empty();
      for (pugi::xml_node c : o.children())
        has_children =
            has_children || (c.type() == pugi::node_element && AsciiLower(c.name()) == "outline");
      if (type == "include") {
        doc.skipped.push_back("line " + std::to_string(line) + ": '" + title +
                              "' includes another OPML file (" + Attr(o, "url") +
                              "); import that file itself");
        continue;
      }
      if (!url.empty()) {
        if (url.rfind("feed://", 0) == 0) url = "http://" + url.substr(7);
        if (!IsHttp(url)) {
          doc.skipped.push_back("line " + std::to_string(line) + ": '" + title + "': \"" + url +
                                "\" is not an http(s) URL");
        } else if (!seen.insert(url).second) {
          doc.skipped.push_back("line " + std::to_string(line) + ": " + url + " is listed twice");
        } else {
          OpmlFeed f;
          f.url = url;
          f.title = title;
          f.html_url = Attr(o, "htmlurl");
          f.line = line;
          f.categories = folders;
          std::stringstream cats(Attr(o, "category"));
          for (std::string c; std::getline(cats, c, ',');) {
            // "/Tech/AI" is a path: each part counts.
            std::stringstream parts(c);
            for (std::string p; std::getline(parts, p, '/');) {
              p = CleanTitle(p);
              if (!p.empty() &&
                  std::find(f.categories.begin(), f.categories.end(), p) == f.categories.end())
                f.categories.push_back(p);
            }
          }
          doc.feeds.push_back(std::move(f));
        }
      } else if (!has_children) {
        doc.skipped.push_back("line " + std::to_string(line) + ": '" + title +
                              "' has no feed address (xmlUrl)");
      }
      if (has_children) {
        // A folder (or a feed with children, which some readers write).
        bool folder = url.empty() && !title.empty();
        if (folder) folders.push_back(title);
        Walk(o, folders);
        if (folder) folders.pop_back();
      }
    }
  }
};

std::string Rfc822(std::int64_t unix) {
  std::time_t t = static_cast<std::time_t>(unix);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace

Result<OpmlDocument> ParseOpml(std::string_view xml) {
  pugi::xml_document d;
  pugi::xml_parse_result r = d.load_buffer(xml.data(), xml.size(), pugi::parse_default);
  if (!r) {
    int line =
        1 + static_cast<int>(std::count(
                xml.begin(),
                xml.begin() + std::min<std::size_t>(
                                  static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, r.offset)),
                                  xml.size()),
                '\n'));
    return Status::Invalid("line " + std::to_string(line) + ": not well-formed XML (" +
                           r.description() + ")");
  }
  pugi::xml_node opml;
  for (pugi::xml_node n : d.children())
    if (n.type() == pugi::node_element && AsciiLower(n.name()) == "opml") opml = n;
  if (!opml) return Status::Invalid("not an OPML file: no <opml> element");
  pugi::xml_node body, head;
  for (pugi::xml_node n : opml.children()) {
    if (AsciiLower(n.name()) == "body") body = n;
    if (AsciiLower(n.name()) == "head") head = n;
  }
  if (!body) return Status::Invalid("not an OPML file: no <body>");
  OpmlDocument doc;
  if (head) doc.title = CleanTitle(head.child_value("title"));
  Walker w{xml, doc, {}};
  std::vector<std::string> folders;
  w.Walk(body, folders);
  return doc;
}

std::vector<AdvertisedFeed> AdvertisedFeeds(std::string_view html, std::string_view page_url) {
  std::vector<AdvertisedFeed> out;
  std::string lower = AsciiLower(html);
  std::string base(page_url);
  // <base href> changes what relative links resolve against.
  if (std::size_t b = lower.find("<base"); b != std::string::npos) {
    std::size_t h = lower.find("href", b);
    std::size_t end = lower.find('>', b);
    if (h != std::string::npos && h < end) {
      std::size_t q = html.find_first_of("\"'", h);
      if (q != std::string_view::npos && q < end) {
        std::size_t q2 = html.find(html[q], q + 1);
        if (q2 != std::string_view::npos)
          base = ResolveUrl(page_url, HtmlToText(html.substr(q + 1, q2 - q - 1)));
      }
    }
  }
  for (std::size_t at = lower.find("<link"); at != std::string::npos;
       at = lower.find("<link", at + 1)) {
    std::size_t end = lower.find('>', at);
    if (end == std::string::npos) break;
    // The tag's attributes: name=value, values quoted or not.
    std::string rel, type, href, title;
    std::size_t i = at + 5;
    while (i < end) {
      while (i < end && (std::isspace(static_cast<unsigned char>(html[i])) || html[i] == '/')) ++i;
      std::size_t name_start = i;
      while (i < end && html[i] != '=' && !std::isspace(static_cast<unsigned char>(html[i])) &&
             html[i] != '/')
        ++i;
      std::string name = lower.substr(name_start, i - name_start);
      std::string value;
      if (i < end && html[i] == '=') {
        ++i;
        if (i < end && (html[i] == '"' || html[i] == '\'')) {
          char q = html[i];
          std::size_t close = html.find(q, i + 1);
          if (close == std::string_view::npos || close > end) {
            // A '>' inside the quotes: the tag ends after the closing quote.
            close = html.find(q, i + 1);
            if (close == std::string_view::npos) break;
            end = std::max(end, lower.find('>', close));
            if (end == std::string::npos) break;
          }
          value = std::string(html.substr(i + 1, close - i - 1));
          i = close + 1;
        } else {
          std::size_t s = i;
          while (i < end && !std::isspace(static_cast<unsigned char>(html[i]))) ++i;
          value = std::string(html.substr(s, i - s));
        }
      } else if (name.empty()) {
        ++i;
      }
      if (name == "rel") rel = AsciiLower(value);
      if (name == "type") type = AsciiLower(value);
      if (name == "href") href = value;
      if (name == "title") title = value;
    }
    if (end == std::string::npos) break;
    at = end;
    bool alternate = (" " + rel + " ").find(" alternate ") != std::string::npos;
    type = type.substr(0, type.find(';'));
    while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
    bool feedish = type == "application/rss+xml" || type == "application/atom+xml" ||
                   type == "application/feed+json" || type == "application/json" ||
                   type == "application/rdf+xml";
    if (!alternate || !feedish || href.empty()) continue;
    std::string url = ResolveUrl(base, HtmlToText(href));
    if (!IsHttp(url)) continue;
    if (std::any_of(out.begin(), out.end(), [&](const AdvertisedFeed& f) { return f.url == url; }))
      continue;
    out.push_back({url, type, CleanTitle(title)});
  }
  return out;
}

std::string WriteOpml(const std::string& title, const std::vector<OpmlFeed>& feeds,
                      std::int64_t created_unix) {
  pugi::xml_document d;
  auto decl = d.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto opml = d.append_child("opml");
  opml.append_attribute("version") = "2.0";
  auto head = opml.append_child("head");
  head.append_child("title").text() = title.c_str();
  head.append_child("dateCreated").text() = Rfc822(created_unix).c_str();
  auto body = opml.append_child("body");
  std::vector<std::pair<std::string, pugi::xml_node>> folders;
  for (const OpmlFeed& f : feeds) {
    pugi::xml_node parent = body;
    if (!f.categories.empty()) {
      auto it = std::find_if(folders.begin(), folders.end(),
                             [&](const auto& p) { return p.first == f.categories[0]; });
      if (it == folders.end()) {
        auto folder = body.append_child("outline");
        folder.append_attribute("text") = f.categories[0].c_str();
        folder.append_attribute("title") = f.categories[0].c_str();
        folders.emplace_back(f.categories[0], folder);
        parent = folder;
      } else {
        parent = it->second;
      }
    }
    auto o = parent.append_child("outline");
    o.append_attribute("type") = "rss";
    o.append_attribute("text") = f.title.c_str();
    o.append_attribute("title") = f.title.c_str();
    o.append_attribute("xmlUrl") = f.url.c_str();
    if (!f.html_url.empty()) o.append_attribute("htmlUrl") = f.html_url.c_str();
    if (f.categories.size() > 1) {
      std::string rest;
      for (std::size_t i = 1; i < f.categories.size(); ++i)
        rest += (rest.empty() ? "" : ",") + f.categories[i];
      o.append_attribute("category") = rest.c_str();
    }
  }
  // The declaration is the node appended above; pugixml adds none of its own
  // when the document has one.
  std::ostringstream out;
  d.save(out, "  ", pugi::format_default);
  return out.str();
}

}  // namespace feedwatch
