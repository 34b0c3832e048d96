#include "feedwatch/admin_routes.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "feedwatch/backtest.h"
#include "feedwatch/payload.h"
#include "feedwatch/util.h"

namespace feedwatch::service {

namespace {
constexpr const char* kText = "text/plain; charset=utf-8";

std::string Dump(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}
std::string Dump(const nlohmann::ordered_json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

AdminResponse JsonError(int status, const std::string& message) {
  AdminResponse resp{status, "application/json", Dump(nlohmann::json{{"error", message}})};
  if (status == 503) resp.headers.emplace_back("Retry-After", "10");
  return resp;
}

AdminResponse QueryError(const Status& st) { return JsonError(QueryErrorStatus(st), st.message()); }

// ?since=7d (the default given) or "all"; nullopt when it is not a duration.
std::optional<std::int64_t> Since(const AdminRequest& req, const char* fallback) {
  std::string since = req.Param("since").value_or(fallback);
  if (since.empty() || since == "all") return 0;
  auto d = ParseDuration(since);
  if (!d.ok()) return std::nullopt;
  return UnixNowMs() - d->count();
}

// ?limit=N, from 1 to `max` (`fallback` when absent); nullopt when out of range.
std::optional<std::size_t> Limit(const AdminRequest& req, std::size_t fallback, long max) {
  auto l = req.Param("limit");
  if (!l) return fallback;
  char* end = nullptr;
  long v = std::strtol(l->c_str(), &end, 10);
  if (end == l->c_str() || *end || v < 1 || v > max) return std::nullopt;
  return static_cast<std::size_t>(v);
}

// ?feed=NAME (one feed) -> its URL; no parameter: every feed; nullopt: no such feed.
std::optional<std::vector<std::string>> Feeds(const AdminRequest& req, const Config& cfg) {
  auto name = req.Param("feed");
  if (!name) return std::vector<std::string>{};
  for (const FeedSpec& f : cfg.feeds)
    if (f.name == *name) return std::vector<std::string>{f.url};
  return std::nullopt;
}

void Search(const AdminRequest& req, AdminServer::Reply reply, AdminState& state) {
  auto q = req.Param("q");
  if (!q || q->empty()) return reply(JsonError(400, "give the query as ?q="));
  auto since = Since(req, "");
  if (!since) return reply(JsonError(400, "since: not a duration like 7d or 36h"));
  auto limit = Limit(req, 20, 200);
  if (!limit) return reply(JsonError(400, "limit: a number from 1 to 200"));
  state.ArchiveQuery(
      [req, query = *q, since = *since, limit = *limit](StateView& store, const LoadedConfig& gen) {
        auto feeds = Feeds(req, gen.config);
        if (!feeds) return JsonError(404, "no feed named '" + *req.Param("feed") + "'");
        SearchQuery sq;
        sq.query = query;
        sq.since_ms = since;
        sq.feed_urls = *feeds;
        sq.limit = limit;
        sq.mark_open = kMarkOpen;
        sq.mark_close = kMarkClose;
        auto hits = store.Search(sq);
        if (!hits.ok()) return QueryError(hits.status());
        std::map<std::string, std::string> names;
        for (const FeedSpec& f : gen.config.feeds) names[f.url] = f.name;
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (const SearchHit& h : *hits) {
          auto it = names.find(h.feed_url);
          list.push_back(SearchHitJson(h, it != names.end() ? it->second : DisplayUrl(h.feed_url)));
        }
        nlohmann::ordered_json out = {{"query", query}, {"hits", std::move(list)}};
        return AdminResponse{200, "application/json", Dump(out)};
      },
      std::move(reply));
}

// /rules/<id>/backtest: one rule in force over the archive.
void Backtest(const AdminRequest& req, const std::string& rule_id, AdminServer::Reply reply,
              AdminState& state) {
  auto since = Since(req, "7d");
  if (!since) return reply(JsonError(400, "since: not a duration like 7d or 36h"));
  state.ArchiveQuery(
      [req, rule_id, since = *since](StateView& store, const LoadedConfig& gen) {
        const auto& rules = gen.matcher->rules();
        if (std::none_of(rules.begin(), rules.end(),
                         [&](const RuleSpec& r) { return r.id == rule_id; }))
          return JsonError(404, "no rule '" + rule_id + "' in force");
        auto feeds = Feeds(req, gen.config);
        if (!feeds) return JsonError(404, "no feed named '" + *req.Param("feed") + "'");
        BacktestSpec spec{.config = gen.config, .rules = *gen.matcher};
        spec.since_ms = since;
        spec.feed_urls = *feeds;
        spec.only_rules = {rule_id};
        auto report = RunBacktest(store, spec);
        if (!report.ok()) return QueryError(report.status());
        return AdminResponse{200, "application/json", Dump(BacktestJson(*report))};
      },
      std::move(reply));
}

// /stories: stories begun since ?since= (default: the window), newest
// first, with their copies.
void Stories(const AdminRequest& req, AdminServer::Reply reply, AdminState& state) {
  auto limit = Limit(req, 50, 500);
  if (!limit) return reply(JsonError(400, "limit: a number from 1 to 500"));
  auto since = Since(req, "48h");
  if (!since) return reply(JsonError(400, "since: not a duration like 7d or 36h"));
  state.ArchiveQuery(
      [since = *since, limit = *limit](StateView& store, const LoadedConfig& gen) {
        auto stories = store.RecentStories(since, limit);
        if (!stories.ok()) return QueryError(stories.status());
        std::map<std::string, std::string> names;
        for (const FeedSpec& f : gen.config.feeds) names[f.url] = f.name;
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (const StorySummary& s : *stories) {
          nlohmann::ordered_json copies = nlohmann::ordered_json::array();
          for (const StoryMember& m : s.members) {
            auto it = names.find(m.feed_url);
            copies.push_back({{"feed", it != names.end() ? it->second : DisplayUrl(m.feed_url)},
                              {"feed_title", m.feed_title},
                              {"title", ClipUtf8(m.title, kTitleBytes)},
                              {"link", TruncateUtf8(m.link, kLinkBytes)},
                              {"seen_at", FormatRfc3339(m.seen_ms / 1000)},
                              {"how", m.how},
                              {"rules", m.rules}});
          }
          list.push_back({{"id", s.id},
                          {"title", ClipUtf8(s.title, kTitleBytes)},
                          {"link", TruncateUtf8(s.link, kLinkBytes)},
                          {"first_seen", FormatRfc3339(s.first_seen_ms / 1000)},
                          {"last_seen", FormatRfc3339(s.last_seen_ms / 1000)},
                          {"sources", s.sources},
                          {"copies", std::move(copies)}});
        }
        return AdminResponse{200, "application/json",
                             Dump(nlohmann::ordered_json{{"stories", std::move(list)}})};
      },
      std::move(reply));
}

// A browser asks for HTML first; API clients (curl, scripts) for anything.
bool WantsHtml(const AdminRequest& req) {
  std::string accept = req.Header("accept");
  return accept.rfind("text/html", 0) == 0;
}

void Page(const AdminRequest& req, AdminServer::Reply reply, AdminState& state) {
  state.PageQuery(
      [req, live = state.Live()](StateView& store, const LoadedConfig& gen) {
        return RenderStatusPage(req, live, gen, store);
      },
      std::move(reply));
}

AdminResponse SeeOther(const std::string& where, const std::string& done) {
  AdminResponse resp{303, kText, "see " + where + "\n"};
  resp.headers.emplace_back("Location", where + "?done=" + done);
  return resp;
}

// POST /actions/{retry,drop,reload}: forms of the pages, only with [admin]
// actions = true, each carrying the page's CSRF token.
void Action(const AdminRequest& req, AdminServer::Reply reply, AdminState& state) {
  LiveView live = state.Live();
  if (!live.actions)
    return reply(MessagePage(403, "Actions are off",
                             "Retry, drop and reload from the pages need [admin] actions = true."));
  // Browsers say when a request comes from another site; the token is the
  // guard either way.
  if (req.Header("sec-fetch-site") == "cross-site" ||
      !SecretsEqual(req.Form("csrf").value_or(""), live.csrf))
    return reply(MessagePage(
        403, "Refused", "The form's token is missing or stale: reload the page and try again."));
  std::string back = req.Form("back").value_or("/");
  if (back != "/alerts") back = "/";
  std::string what = req.path.substr(std::string("/actions/").size());
  if (what == "reload") {
    return state.Reload(
        [reply](Status st) { reply(SeeOther("/", st.ok() ? "reloaded" : "reload-failed")); });
  }
  std::string id = req.Form("id").value_or("");
  if (id.empty() || (what != "retry" && what != "drop"))
    return reply(MessagePage(400, "Bad request", "Name an alert to retry or drop."));
  state.OutboxAction(
      [what, id](StateEditor& s) {
        return what == "retry" ? s.RetryAlert(id, UnixNowMs()) : s.DropAlert(id);
      },
      [reply, back, what](Result<int> n) {
        if (!n.ok()) return reply(MessagePage(500, "Failed", n.status().message()));
        reply(SeeOther(back, *n == 0 ? "none" : what == "retry" ? "retried" : "dropped"));
      });
}

}  // namespace

namespace {

void Healthz(const AdminRequest&, AdminServer::Reply reply, AdminState& state) {
  // Answered by the event loop itself: an answer means the loop turns; ok
  // means polls also finish and the state file takes writes.
  if (state.stopping()) return reply({503, kText, "stopping\n"});
  Health h = state.health();
  reply(h.ok ? AdminResponse{200, kText, "ok\n"}
             : AdminResponse{503, kText, "unhealthy: " + h.reason + "\n"});
}

void Metrics(const AdminRequest&, AdminServer::Reply reply, AdminState& state) {
  reply({200, "text/plain; version=0.0.4; charset=utf-8", state.PrometheusText()});
}

void StatusDocument(const AdminRequest&, AdminServer::Reply reply, AdminState& state) {
  // Like a page: the loop only copies what it knows; the document is built
  // on a query thread with its own read-only connection.
  state.PageQuery(
      [live = state.Live()](StateView& store, const LoadedConfig&) {
        return AdminResponse{200, "application/json",
                             RenderStatusJson(live, store.FeedStatuses(), store.CountOutbox())};
      },
      std::move(reply));
}

void ReloadNow(const AdminRequest&, AdminServer::Reply reply, AdminState& state) {
  state.Reload([&state, reply](Status st) {
    if (st.ok()) {
      reply({200, "application/json",
             Dump(nlohmann::json{{"result", "reloaded"}, {"generation", state.generation()}})});
    } else {
      reply({422, "application/json",
             Dump(nlohmann::json{{"result", "failed"}, {"errors", st.message()}})});
    }
  });
}

bool IsBacktestPath(const std::string& path) {
  return path.rfind("/rules/", 0) == 0 && path.size() > 16 &&
         path.compare(path.size() - 9, 9, "/backtest") == 0;
}

void RuleBacktest(const AdminRequest& req, AdminServer::Reply reply, AdminState& state) {
  Backtest(req, req.path.substr(7, req.path.size() - 16), std::move(reply), state);
}

// Every route, in the order they are tried: its methods (space-separated),
// which requests it takes, what answers them, and how the 404 names it (""
// for one that another entry names already). A path some route takes with
// another method is a 405 with Allow; any other path is a 404.
struct Route {
  std::string_view methods;
  bool (*takes)(const AdminRequest&);
  void (*answer)(const AdminRequest&, AdminServer::Reply, AdminState&);
  const char* shown;
};

const Route kRoutes[] = {
    {"GET HEAD", [](const AdminRequest& r) { return r.path == "/healthz"; }, Healthz, "/healthz"},
    {"GET", [](const AdminRequest& r) { return r.path == "/metrics"; }, Metrics, "/metrics"},
    {"GET", [](const AdminRequest& r) { return r.path == "/status"; }, StatusDocument, "/status"},
    {"POST", [](const AdminRequest& r) { return r.path == "/reload"; }, ReloadNow, "POST /reload"},
    {"GET HEAD", [](const AdminRequest& r) { return IsStatusPage(r.path); }, Page,
     "/ (the status pages)"},
    {"GET", [](const AdminRequest& r) { return r.path == "/search" && WantsHtml(r); }, Page, ""},
    {"GET", [](const AdminRequest& r) { return r.path == "/search"; }, Search, "/search?q="},
    {"GET", [](const AdminRequest& r) { return r.path == "/stories"; }, Stories, "/stories"},
    {"GET", [](const AdminRequest& r) { return IsBacktestPath(r.path); }, RuleBacktest,
     "/rules/<id>/backtest"},
    {"POST", [](const AdminRequest& r) { return r.path.rfind("/actions/", 0) == 0; }, Action, ""},
};

bool HasMethod(std::string_view methods, const std::string& method) {
  while (!methods.empty()) {
    std::string_view one = methods.substr(0, methods.find(' '));
    if (one == method) return true;
    methods.remove_prefix(std::min(methods.size(), one.size() + 1));
  }
  return false;
}

}  // namespace

int QueryErrorStatus(const Status& st) {
  switch (st.kind()) {
    case Status::Kind::kInvalidArgument:
      return 400;
    case Status::Kind::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void HandleAdminRequest(const AdminRequest& req, AdminServer::Reply reply, AdminState& state) {
  std::string allow;
  for (const Route& route : kRoutes) {
    if (!route.takes(req)) continue;
    if (HasMethod(route.methods, req.method)) return route.answer(req, std::move(reply), state);
    for (std::string_view m = route.methods; !m.empty();) {
      std::string one(m.substr(0, m.find(' ')));
      if (allow.find(one) == std::string::npos) allow += (allow.empty() ? "" : ", ") + one;
      m.remove_prefix(std::min(m.size(), one.size() + 1));
    }
  }
  if (!allow.empty()) {
    AdminResponse resp{405, kText, "method not allowed: " + allow + "\n"};
    resp.headers.emplace_back("Allow", allow);
    return reply(std::move(resp));
  }
  std::string shown;
  for (const Route& route : kRoutes)
    if (*route.shown) shown += (shown.empty() ? "" : ", ") + std::string(route.shown);
  reply({404, kText, "not found: try " + shown + "\n"});
}

std::string RenderStatusJson(const LiveView& live, const Result<std::vector<FeedStatus>>& states,
                             const Result<OutboxCounts>& counts) {
  using nlohmann::json;
  std::map<std::string, const FeedStatus*> by_url;
  if (states.ok()) {
    for (const auto& s : *states) by_url[s.url] = &s;
  }
  auto time_or_null = [](std::int64_t ms) {
    return ms > 0 ? json(FormatRfc3339(ms / 1000)) : json(nullptr);
  };
  json list = json::array();
  for (const FeedLive& f : live.feeds) {
    json j = {{"name", f.name}, {"url", DisplayUrl(f.url)}, {"consecutive_failures", f.failures}};
    auto it = by_url.find(f.url);
    if (it != by_url.end()) {
      const FeedStatus& s = *it->second;
      j["last_poll"] = time_or_null(s.last_poll_ms);
      j["last_status"] = s.last_status;
      j["last_http_status"] = s.last_http_status;
      j["last_error"] = s.last_error.empty() ? json(nullptr) : json(s.last_error);
      j["next_due"] = time_or_null(s.next_due_ms);
      j["seen_entries"] = s.seen_entries;
    } else {
      j["last_poll"] = nullptr;
      j["last_status"] = "not polled yet";
    }
    list.push_back(std::move(j));
  }
  json out = {
      {"status", live.status_line}, {"generation", live.generation}, {"feeds", std::move(list)}};
  if (counts.ok()) {
    out["outbox"] = {
        {"pending", counts->pending}, {"delivered", counts->delivered}, {"dead", counts->dead}};
  }
  return Dump(out, 2);
}

}  // namespace feedwatch::service
