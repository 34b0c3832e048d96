// The page table: every status page, its path and its place in the
// navigation. Routing (IsStatusPage, RenderStatusPage), the navigation bar
// and the admin endpoint's 404 list all read it: a new page is its file, a
// row here and a line in CMakeLists.txt.
#include <cctype>

#include "feedwatch/status_page.h"
#include "page_kit.h"

namespace feedwatch::service {

namespace pages {

namespace {
const PageDef kPages[] = {
    {"/", "Overview", Overview},   {"/feeds", "Feeds", Feeds},
    {"/feed", nullptr, OneFeed},   {"/rules", "Rules", Rules},
    {"/alerts", "Alerts", Alerts}, {"/search", nullptr, SearchPage, /*html_twin=*/true},
};
}  // namespace

std::span<const PageDef> PageTable() { return kPages; }

}  // namespace pages

using pages::PageDef;

std::string WebHref(std::string_view url) {
  auto starts = [&](std::string_view prefix) {
    if (url.size() <= prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(url[i])) != prefix[i]) return false;
    return true;
  };
  if (!starts("http://") && !starts("https://")) return "";
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "";
  return std::string(url);
}

std::string PageCsp(const std::string& nonce) {
  return "default-src 'none'; style-src 'nonce-" + nonce + "'; script-src 'nonce-" + nonce +
         "'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors "
         "'none'; base-uri 'none'";
}

bool IsStatusPage(const std::string& path) {
  for (const PageDef& p : pages::PageTable())
    if (!p.html_twin && path == p.path) return true;
  return false;
}

AdminResponse MessagePage(int status, const std::string& title, const std::string& message) {
  return pages::Finish(
      status,
      pages::Page{title, "", "<h1>" + pages::H(title) + "</h1><p>" + pages::H(message) + "</p>"},
      nullptr);
}

AdminResponse RenderStatusPage(const AdminRequest& req, const LiveView& live,
                               const LoadedConfig& gen, StateView& store) {
  int status = 200;
  const PageDef* def = &pages::PageTable().front();  // "/": the Overview
  for (const PageDef& p : pages::PageTable())
    if (req.path == p.path) def = &p;
  pages::Page page = def->render({req, live, gen, store, status});
  return pages::Finish(status, page, &live);
}

}  // namespace feedwatch::service
