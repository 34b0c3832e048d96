// Search results over the archive.
#include <algorithm>
#include <optional>

#include "feedwatch/util.h"
#include "page_kit.h"

namespace feedwatch::service::pages {

namespace {

// Search results as a page: the marks become <mark> after escaping.
std::string Marked(const std::string& full) {
  std::string text = ClipUtf8(full, kTitleBytes);  // a hostile title can be 256 KiB
  std::string out;
  std::size_t at = 0;
  bool open = false;
  while (at < text.size()) {
    std::size_t next = text.find_first_of(std::string(kMarkOpen) + kMarkClose, at);
    out += H(std::string_view(text).substr(at, next == std::string::npos ? next : next - at));
    if (next == std::string::npos) break;
    bool opens = text[next] == kMarkOpen[0];
    if (opens != open) out += opens ? "<mark>" : "</mark>";
    open = opens;
    at = next + 1;
  }
  if (open) out += "</mark>";  // the clip fell inside a marked term
  return out;
}

}  // namespace

Page SearchPage(const PageArgs& args) {
  auto& [req, live, gen, store, status] = args;
  std::string q = req.Param("q").value_or("");
  Page p{"Search: " + q, "/rules", ""};
  p.body =
      "<h1>Search</h1><form method=\"get\" action=\"/search\" role=\"search\"><label "
      "for=\"q\">Search the archive</label> <input type=\"search\" id=\"q\" name=\"q\" value=\"" +
      H(q) + "\" required> <button type=\"submit\">Search</button></form>";
  if (q.empty()) return p;
  SearchQuery sq;
  sq.query = q;
  sq.limit = 50;
  sq.mark_open = kMarkOpen;
  sq.mark_close = kMarkClose;
  auto hits = store.Search(sq);
  if (!hits.ok()) {
    status = QueryErrorStatus(hits.status());
    p.body += "<p class=\"bad\">" + H(hits.status().message()) + "</p>";
    return p;
  }
  auto names = FeedNames(gen);
  p.body += "<p class=\"muted\">" + std::to_string(hits->size()) + " results.</p><ol>";
  for (const SearchHit& h : *hits) {
    auto it = names.find(h.feed_url);
    std::string title = Marked(h.title_marked.empty() ? h.title : h.title_marked);
    std::string href = WebHref(h.link);
    p.body += "<li>" +
              (href.empty() ? title
                            : "<a href=\"" + H(href) + "\" rel=\"noopener noreferrer nofollow\">" +
                                  title + "</a>") +
              "<div class=\"small\">" + Marked(h.snippet) + "</div><div class=\"small muted\">" +
              H(it != names.end() ? it->second : DisplayUrl(h.feed_url)) + " · " +
              Time(DatedMs(h.published, h.first_seen_ms), live.now_ms) + "</div></li>";
  }
  p.body += "</ol>";
  return p;
}

}  // namespace feedwatch::service::pages
