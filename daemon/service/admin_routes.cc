#include "feedwatch/admin_routes.h"

#include <map>
#include <nlohmann/json.hpp>

#include "feedwatch/util.h"

namespace feedwatch::service {

namespace {
constexpr const char* kText = "text/plain; charset=utf-8";

std::string Dump(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}
}  // namespace

void HandleAdminRequest(const AdminRequest& req, AdminServer::Reply reply, AdminState& state) {
  if (req.path == "/healthz") {
    // Answered by the event loop itself: an answer means the loop turns.
    reply(state.stopping() ? AdminResponse{503, kText, "stopping\n"}
                           : AdminResponse{200, kText, "ok\n"});
  } else if (req.path == "/metrics" && req.method == "GET") {
    reply({200, "text/plain; version=0.0.4; charset=utf-8", state.PrometheusText()});
  } else if (req.path == "/status" && req.method == "GET") {
    state.StatusJson([reply](std::string body) {
      reply({200, "application/json", std::move(body)});
    });
  } else if (req.path == "/reload" && req.method == "POST") {
    state.Reload([&state, reply](Status st) {
      if (st.ok()) {
        reply({200, "application/json",
               Dump({{"result", "reloaded"}, {"generation", state.generation()}})});
      } else {
        reply({422, "application/json", Dump({{"result", "failed"}, {"errors", st.message()}})});
      }
    });
  } else if (req.path == "/reload" || req.path == "/metrics" || req.path == "/status") {
    reply({405, kText, "method not allowed\n"});
  } else {
    reply({404, kText, "not found: try /healthz, /metrics, /status, POST /reload\n"});
  }
}

std::string RenderStatusJson(const std::vector<std::unique_ptr<fetch::PolledFeed>>& feeds,
                             const Result<std::vector<FeedStatus>>& states,
                             const Result<OutboxCounts>& counts, const std::string& status_line,
                             std::uint64_t generation) {
  using nlohmann::json;
  std::map<std::string, const FeedStatus*> by_url;
  if (states.ok()) {
    for (const auto& s : *states) by_url[s.url] = &s;
  }
  auto time_or_null = [](std::int64_t ms) {
    return ms > 0 ? json(FormatRfc3339(ms / 1000)) : json(nullptr);
  };
  json list = json::array();
  for (const auto& fp : feeds) {
    const fetch::PolledFeed& f = *fp;
    if (f.removed) continue;
    json j = {{"name", f.spec->name},
              {"url", f.spec->url},
              {"consecutive_failures", f.state.consecutive_failures}};
    auto it = by_url.find(f.spec->url);
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
  json out = {{"status", status_line}, {"generation", generation}, {"feeds", std::move(list)}};
  if (counts.ok()) {
    out["outbox"] = {
        {"pending", counts->pending}, {"delivered", counts->delivered}, {"dead", counts->dead}};
  }
  return Dump(out, 2);
}

}  // namespace feedwatch::service
