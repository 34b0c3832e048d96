// Deterministic generator of realistic news feeds for the benchmarks: RSS 2.0,
// Atom 1.0 and RSS 1.0, 20-100 entries each, HTML summaries with entities and
// CDATA, namespaces (dc:, content:, media:), RFC 822 and RFC 3339 dates.
#pragma once

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace feedwatch::bench {

class FeedGenerator {
 public:
  explicit FeedGenerator(unsigned seed) : rng_(seed) {}

  // Entry ids (and RSS 1.0 links) count from -shift: a feed generated with
  // shift 1 has one new entry on top and has lost its oldest, as a news feed
  // looks one story later.
  int shift = 0;

  // Words for titles and summaries; `topics` are sprinkled in so rules match.
  std::vector<std::string> topics = {
      "export controls", "Entity List", "DeepSeek", "distillation", "Nvidia H20", "ASML",
      "chip smuggling",  "gallium",     "TSMC",     "MiniMax"};

  std::string Feed(int index) {
    int kind = index % 3;
    int entries = std::uniform_int_distribution<int>(20, 100)(rng_);
    if (kind == 0) return Rss2(index, entries);
    if (kind == 1) return Atom(index, entries);
    return Rss1(index, entries);
  }

 private:
  std::string Words(int n) {
    static const char* kWords[] = {
        "the",     "government", "said",      "on",        "Tuesday",   "new",      "rules",
        "would",   "apply",      "to",        "companies", "markets",   "analysts", "expect",
        "further", "measures",   "after",     "talks",     "officials", "several",  "countries",
        "trade",   "technology", "policy",    "reported",  "sources",   "familiar", "with",
        "the",     "matter",     "statement", "week",      "industry",  "growth",   "investors",
        "quarter", "shares",     "supply",    "demand"};
    std::string s;
    std::uniform_int_distribution<int> w(0, std::size(kWords) - 1), pct(0, 99),
        t(0, topics.size() - 1);
    for (int i = 0; i < n; ++i) {
      if (i) s += ' ';
      s += pct(rng_) < 3 ? topics[t(rng_)] : kWords[w(rng_)];
    }
    return s;
  }
  std::string Summary() {
    // HTML with markup, named and numeric references.
    return "<p>" + Words(25) + " &amp; " + Words(10) + " &#8212; <b>" + Words(3) +
           "</b> &hellip;</p><p>" + Words(30) + " &nbsp;" + Words(8) + "</p>";
  }
  std::string Rfc822(int i) {
    static const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s 2026 %02d:%02d:00 %s", kDays[i % 7], 1 + i % 28,
                  kMonths[i % 12], i % 24, i % 60, i % 2 ? "GMT" : "+0100");
    return buf;
  }
  std::string Rfc3339(int i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "2026-%02d-%02dT%02d:%02d:00Z", 1 + i % 12, 1 + i % 28, i % 24,
                  i % 60);
    return buf;
  }
  std::string Rss2(int f, int n) {
    std::string s =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" "
        "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
        "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
        "xmlns:media=\"http://search.yahoo.com/mrss/\" "
        "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n"
        "<title>News source " +
        std::to_string(f) + "</title>\n<link>https://news" + std::to_string(f) +
        ".example/</link>\n<description>" + Words(8) + "</description>\n";
    for (int i = 0; i < n; ++i) {
      std::string id = std::to_string(f) + "-" + std::to_string(i - shift);
      s += "<item>\n<title>" + Words(10) + "</title>\n<link>https://news" + std::to_string(f) +
           ".example/a/" + id + "</link>\n<guid isPermaLink=\"false\">urn:news:" + id +
           "</guid>\n<pubDate>" + Rfc822(i) + "</pubDate>\n<dc:creator>Reporter " +
           std::to_string(i % 17) +
           "</dc:creator>\n<category>Policy</category>\n"
           "<description><![CDATA[" +
           Summary() + "]]></description>\n<content:encoded><![CDATA[" + Summary() + Summary() +
           "]]></content:encoded>\n<media:thumbnail url=\"https://cdn.example/" + id +
           ".jpg\"/>\n</item>\n";
    }
    return s + "</channel>\n</rss>\n";
  }
  std::string Escape(const std::string& html) {
    std::string out;
    for (char c : html) {
      if (c == '<')
        out += "&lt;";
      else if (c == '>')
        out += "&gt;";
      else if (c == '&')
        out += "&amp;";
      else
        out += c;
    }
    return out;
  }
  std::string Atom(int f, int n) {
    std::string s =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
        "<title>Atom source " +
        std::to_string(f) + "</title>\n<link href=\"https://atom" + std::to_string(f) +
        ".example/\"/>\n<id>urn:atom:" + std::to_string(f) + "</id>\n<updated>" + Rfc3339(f) +
        "</updated>\n";
    for (int i = 0; i < n; ++i) {
      std::string id = std::to_string(f) + "-" + std::to_string(i - shift);
      s += "<entry>\n<title type=\"html\">" + Escape(Words(9) + " <em>" + Words(2) + "</em>") +
           "</title>\n<link rel=\"alternate\" href=\"https://atom" + std::to_string(f) +
           ".example/p/" + id + "\"/>\n<id>urn:atom:" + id + "</id>\n<published>" + Rfc3339(i) +
           "</published>\n<updated>" + Rfc3339(i + 1) + "</updated>\n<author><name>Writer " +
           std::to_string(i % 11) + "</name></author>\n<summary type=\"html\">" +
           Escape(Summary()) + "</summary>\n<content type=\"html\">" +
           Escape(Summary() + Summary()) + "</content>\n</entry>\n";
    }
    return s + "</feed>\n";
  }
  std::string Rss1(int f, int n) {
    std::string s =
        "<?xml version=\"1.0\"?>\n<rdf:RDF "
        "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
        "xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
        "<channel rdf:about=\"https://rdf" +
        std::to_string(f) + ".example/\"><title>RDF source " + std::to_string(f) +
        "</title><link>https://rdf" + std::to_string(f) + ".example/</link></channel>\n";
    for (int i = 0; i < n; ++i) {
      std::string link =
          "https://rdf" + std::to_string(f) + ".example/i/" + std::to_string(i - shift);
      s += "<item rdf:about=\"" + link + "\">\n<title>" + Words(11) + "</title>\n<link>" + link +
           "</link>\n<dc:date>" + Rfc3339(i) +
           "</dc:date>\n<dc:subject>Trade</dc:subject>\n<description>" + Escape(Summary()) +
           "</description>\n</item>\n";
    }
    return s + "</rdf:RDF>\n";
  }
  std::mt19937 rng_;
};

}  // namespace feedwatch::bench
