// The admin endpoint's routes (service module): /healthz, /metrics, /status,
// POST /reload, GET /search, GET /rules/<id>/backtest, /stories, the status
// pages (status_page.h) and their POST /actions/… (with [admin] actions). The server (admin.h)
// parses requests; these decide answers from what the running daemon exposes through AdminState.
// Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "feedwatch/admin.h"
#include "feedwatch/health.h"
#include "feedwatch/loaded_config.h"
#include "feedwatch/scheduler.h"
#include "feedwatch/state_view.h"
#include "feedwatch/status.h"
#include "feedwatch/status_page.h"

namespace feedwatch::service {

class AdminState {
 public:
  virtual ~AdminState() = default;
  virtual bool stopping() const = 0;
  // Whether polls finish and the state file takes writes (health.h).
  virtual Health health() = 0;
  virtual std::string PrometheusText() = 0;
  virtual void Reload(std::function<void(Status)> done) = 0;
  virtual std::uint64_t generation() const = 0;
  // Runs `job` on a worker thread with its own read-only connection to the
  // state file and the generation in force (never on the loop or the store
  // thread); the answer goes to `reply` on the loop. One at a time: another
  // while one runs is answered 503.
  using ArchiveJob = std::function<AdminResponse(StateView&, const LoadedConfig&)>;
  virtual void ArchiveQuery(ArchiveJob job, AdminServer::Reply reply) = 0;
  // The same for a status page: a few may run at once (503 past that).
  virtual void PageQuery(ArchiveJob job, AdminServer::Reply reply) = 0;
  // What the loop knows for a page (feeds' schedules, reloads, uptime).
  virtual LiveView Live() = 0;
  // A page's action on the outbox (retry, drop), on the store thread; the
  // dispatcher is woken afterwards.
  virtual void OutboxAction(std::function<Result<int>(StateEditor&)> job,
                            std::function<void(Result<int>)> done) = 0;
};

// Answers one request; `reply` is called exactly once (maybe later, on the loop).
void HandleAdminRequest(const AdminRequest& req, AdminServer::Reply reply, AdminState& state);

// The HTTP status of a failed archive query: a bad query is the asker's
// (400); one stopped by its time budget or by shutdown 503; anything else 500.
int QueryErrorStatus(const Status& st);

// In /search answers, matched terms are wrapped in these (control characters
// never occur in feed text): escape the text, then replace them with markup.
inline constexpr const char* kMarkOpen = "\x02";
inline constexpr const char* kMarkClose = "\x03";

// The /status document: every configured feed as the loop knows it, with its
// stored state, the outbox counts, the status line and the rule generation.
// Rendered on a query thread from a copy (at 50,000 feeds it is megabytes):
// never on the loop.
std::string RenderStatusJson(const LiveView& live, const Result<std::vector<FeedStatus>>& states,
                             const Result<OutboxCounts>& counts);

}  // namespace feedwatch::service
