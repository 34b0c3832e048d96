// What every status page is made of (admin module, private to the pages):
// the page value, the shell around it (Finish: head, navigation from the page
// table, footer, headers), escaping, times, charts, the alert table and the
// highlight rendering. Pure functions; the pages call them on a worker.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/admin.h"
#include "feedwatch/admin_routes.h"
#include "feedwatch/loaded_config.h"
#include "feedwatch/payload.h"
#include "feedwatch/state_view.h"
#include "feedwatch/status_page.h"

namespace feedwatch::service::pages {

inline constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
inline constexpr int kChartDays = 14;

struct Page {
  std::string title;
  std::string current;  // nav path
  std::string body;
};

// What a page is drawn from; `status` starts at 200.
struct PageArgs {
  const AdminRequest& req;
  const LiveView& live;
  const LoadedConfig& gen;
  StateView& store;
  int& status;
};

// One row of the page table (pages.cc): it drives routing, the navigation
// and the admin endpoint's 404 list. `nav`: the label in the navigation
// (null: not listed). `html_twin`: the path also answers JSON (a page only
// when the client asks for HTML).
struct PageDef {
  const char* path;
  const char* nav;
  Page (*render)(const PageArgs&);
  bool html_twin = false;
};
std::span<const PageDef> PageTable();

// The pages (one file each).
Page Overview(const PageArgs& args);
Page Feeds(const PageArgs& args);
Page OneFeed(const PageArgs& args);
Page Rules(const PageArgs& args);
Page Alerts(const PageArgs& args);
Page SearchPage(const PageArgs& args);

// The style sheet and the refresh script (assets.cc), inlined under a nonce.
extern const char* const kStyle;
extern const char* const kScript;

std::string H(std::string_view text);
std::string Nonce();
// "3 min ago", "in 2 h", "—".
std::string Ago(std::int64_t when_ms, std::int64_t now_ms);
// A time element: the relative time, the exact one on hover and for machines.
std::string Time(std::int64_t when_ms, std::int64_t now_ms);
std::string Link(std::string_view url, std::string_view text);
std::string UrlEncode(std::string_view s);
// A bar chart of `days` (oldest first) as inline SVG.
std::string Bars(const std::vector<std::int64_t>& days, std::int64_t today, const char* what,
                 bool large = false);
// Per key, the last kChartDays days of counts, oldest first.
std::map<std::string, std::vector<std::int64_t>> ByKey(const std::vector<DailyCount>& rows,
                                                       std::int64_t today);
std::int64_t Sum(const std::vector<std::int64_t>& v);

// The whole answer: the page inside the shell.
AdminResponse Finish(int status, const Page& page, const LiveView* live);
std::string ActionForm(const LiveView& live, const std::string& action, const std::string& ref,
                       const std::string& label, const std::string& back);
// A flash line after an action (?done=…): fixed texts only, never echoed.
std::string Flash(const AdminRequest& req);
// The entry title of an alert payload with its title highlights marked, the
// other fields' highlights, and the rules it carries as links: of every
// rule when `only_rule` is empty, else of that rule alone.
std::string MarkedTitle(const nlohmann::json& payload, const std::string& only_rule = "");
std::string OtherHighlights(const nlohmann::json& payload, const std::string& only_rule = "");
std::string RulesOf(const nlohmann::json& payload, const std::string& fallback);
const char* StateName(AlertState s);
std::string StateBadge(AlertState s);
// Health of a feed, as a word and a class.
struct FeedHealth {
  const char* word;
  const char* cls;
  int rank;  // for sorting: worst first
};
FeedHealth HealthOf(const FeedLive& f, const FeedStatus* s);
// "1 attempt", "3 attempts".
std::string Plural(std::int64_t n, const std::string& noun);
// `held`: per ordered sink whose oldest alert keeps failing, why its other
// pending alerts wait (shown on each of them).
std::string AlertsTable(const std::vector<OutboxRow>& rows, const LiveView& live,
                        const std::map<std::string, std::string>& names, bool with_actions,
                        const std::string& back,
                        const std::map<std::string, std::string>& held = {});
// For AlertsTable: the ordered sinks of `gen` whose oldest alert keeps failing.
std::map<std::string, std::string> HeldSinks(const LoadedConfig& gen, StateView& store);
std::map<std::string, std::string> FeedNames(const LoadedConfig& gen);

}  // namespace feedwatch::service::pages
