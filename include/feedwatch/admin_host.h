// The admin side of a running daemon (admin module): the endpoint, the pool
// its searches and pages run on, the pages' action token, and the answers to
// AdminState. It sees the daemon only through Hooks and a read-only
// scheduler; the outbox only through StateEditor on the store's thread.
//
// Loop thread only, except the query pool's jobs. Everything passed in must
// outlive it.
#pragma once

#include <asio/io_context.hpp>
#include <asio/thread_pool.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "feedwatch/admin.h"
#include "feedwatch/admin_routes.h"
#include "feedwatch/clock.h"
#include "feedwatch/health.h"
#include "feedwatch/loaded_config.h"
#include "feedwatch/scheduler.h"
#include "feedwatch/serial_thread.h"
#include "feedwatch/state_view.h"

namespace feedwatch::service {

class AdminHost final : public AdminState {
 public:
  struct Hooks {
    std::function<std::shared_ptr<const LoadedConfig>()> generation;  // in force
    std::function<std::uint64_t()> generation_number;
    std::function<bool()> stopping;
    std::function<Health()> health;
    std::function<std::string()> status_line;
    std::function<std::string()> prometheus;
    std::function<void(std::function<void(Status)>)> reload;
    std::function<void()> outbox_changed;  // an action changed the outbox: wake the dispatcher
  };
  AdminHost(asio::io_context& io, On<StateEditor> outbox, const fetch::Scheduler& scheduler,
            const Clock& clock, Hooks hooks);
  ~AdminHost() override;  // stops running queries, then joins them
  AdminHost(const AdminHost&) = delete;
  AdminHost& operator=(const AdminHost&) = delete;

  // Listens on [admin] listen (nothing when it is empty).
  Status Start(const Config& config);
  int port() const;
  // A reload went through (`error` empty: with this config) or failed.
  void Reloaded(const Config& config, std::int64_t at_ms, const std::string& error);
  // No new connections; queries in progress stop within milliseconds.
  void Stop();

  // AdminState.
  bool stopping() const override { return hooks_.stopping(); }
  Health health() override { return hooks_.health(); }
  std::string PrometheusText() override { return hooks_.prometheus(); }
  void Reload(std::function<void(Status)> done) override { hooks_.reload(std::move(done)); }
  std::uint64_t generation() const override { return hooks_.generation_number(); }
  void ArchiveQuery(ArchiveJob job, AdminServer::Reply reply) override;
  void PageQuery(ArchiveJob job, AdminServer::Reply reply) override;
  LiveView Live() override;
  void OutboxAction(std::function<Result<int>(StateEditor&)> job,
                    std::function<void(Result<int>)> done) override;

 private:
  // Runs `job` on the query pool (never a poll worker: a slow query cannot
  // delay a poll) with its own read-only connection, bounded by
  // [admin] query_timeout and stopped by shutdown, and the generation in
  // force; `done` gets the answer on the loop.
  void OnReadOnlyState(ArchiveJob job, std::function<void(AdminResponse)> done);

  asio::io_context& io_;
  On<StateEditor> outbox_;
  const fetch::Scheduler& scheduler_;
  const Clock& clock_;
  Hooks hooks_;
  std::int64_t started_ms_ = 0;
  struct {
    std::int64_t at_ms = 0;  // 0: no reload since start
    std::string error;       // "": it succeeded
  } last_reload_;
  // The token the pages' action forms carry: random per process, so a page
  // from another site cannot know it.
  std::string csrf_;
  // The admin endpoint's archive queries and pages run here, apart from the
  // poll workers; the flag stops them (SQLite's progress handler reads it).
  asio::thread_pool queries_{2};
  std::atomic<bool> cancel_queries_{false};
  bool archive_query_running_ = false;
  int page_queries_ = 0;
  std::unique_ptr<AdminServer> server_;
};

}  // namespace feedwatch::service
