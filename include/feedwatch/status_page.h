// The status pages the admin endpoint serves (service module): Overview,
// Feeds, one feed, Rules, Alerts, search results. Server-rendered HTML with no
// external asset; every string that came from a feed or a receiver is escaped,
// and only http(s) links are clickable. Rendering runs on a worker with a
// read-only StateView, never on the loop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "feedwatch/admin.h"
#include "feedwatch/loaded_config.h"
#include "feedwatch/state_view.h"

namespace feedwatch::service {

// One polled feed as the scheduler holds it (in memory, taken on the loop).
struct FeedLive {
  std::string name, url;
  std::vector<std::string> tags;
  int failures = 0;
  std::int64_t next_due_ms = 0;
  std::int64_t interval_ms = 0;  // the wait after a poll that goes like the last one did
  std::string interval_why;      // "configured", "adaptive", "publisher hint", "backoff …"
  std::int64_t configured_ms = 0;
};

// What the loop knows, copied for one page.
struct LiveView {
  std::int64_t now_ms = 0, started_ms = 0;
  std::uint64_t generation = 0;
  std::int64_t last_reload_ms = 0;  // 0: not reloaded since start
  std::string last_reload_error;    // "": the last reload succeeded
  bool actions = false;             // [admin] actions
  std::string csrf;                 // the token action forms carry
  std::string status_line;
  std::vector<FeedLive> feeds;
};

// A page: its path ("/", "/feeds", "/feed", "/rules", "/alerts", "/search")
// and query. `nonce`: the CSP nonce of this answer's inline style and script.
AdminResponse RenderStatusPage(const AdminRequest& req, const LiveView& live,
                               const LoadedConfig& gen, StateView& store);

// The Content-Security-Policy of a page whose inline style and script carry `nonce`.
std::string PageCsp(const std::string& nonce);

// An HTML answer for an action's outcome or a refusal (e.g. a bad CSRF token).
AdminResponse MessagePage(int status, const std::string& title, const std::string& message);

// Whether `path` is one of the pages.
bool IsStatusPage(const std::string& path);

// `href`: `url` when it is an absolute http(s) URL without spaces or control
// characters, else "" (a feed may put javascript: or data: in a link).
std::string WebHref(std::string_view url);

}  // namespace feedwatch::service
