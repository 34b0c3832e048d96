#include "feedwatch/admin_host.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <chrono>

#include "feedwatch/util.h"

namespace feedwatch::service {

namespace {

AdminAuth AuthOf(const Config& c) {
  return {.token = c.admin_token, .metrics_public = c.admin_metrics_public};
}

AdminResponse Busy(const std::string& why) {
  AdminResponse busy{503, "text/plain; charset=utf-8", "busy: " + why + "; try again shortly\n"};
  busy.headers.emplace_back("Retry-After", "2");
  return busy;
}

}  // namespace

AdminHost::AdminHost(asio::io_context& io, On<StateEditor> outbox,
                     const fetch::Scheduler& scheduler, const Clock& clock, Hooks hooks)
    : io_(io),
      outbox_(outbox),
      scheduler_(scheduler),
      clock_(clock),
      hooks_(std::move(hooks)),
      csrf_(RandomHex(24)) {}

AdminHost::~AdminHost() {
  cancel_queries_ = true;
  queries_.join();
}

Status AdminHost::Start(const Config& config) {
  started_ms_ = clock_.WallMs();
  if (config.admin_listen.empty()) return Status::Ok();
  AdminServer::Options options{
      .listen = config.admin_listen, .auth = AuthOf(config), .hosts = config.admin_hosts};
  auto server =
      AdminServer::Start(io_, options, [this](const AdminRequest& r, AdminServer::Reply reply) {
        HandleAdminRequest(r, std::move(reply), *this);
      });
  if (!server.ok()) return server.status();
  server_ = std::move(*server);
  spdlog::info("admin endpoint on {}{}", config.admin_listen,
               config.admin_token.empty() ? "" : " (bearer token required)");
  return Status::Ok();
}

int AdminHost::port() const { return server_ ? server_->port() : 0; }

void AdminHost::Reloaded(const Config& config, std::int64_t at_ms, const std::string& error) {
  last_reload_ = {at_ms, error};
  if (!error.empty() || !server_) return;
  server_->SetAuth(AuthOf(config));
  server_->SetHosts(config.admin_hosts);
}

void AdminHost::Stop() {
  cancel_queries_ = true;  // searches and pages in progress stop within milliseconds
  if (server_) server_->Close();
}

void AdminHost::ArchiveQuery(ArchiveJob job, AdminServer::Reply reply) {
  if (archive_query_running_) return reply(Busy("another archive query is running"));
  archive_query_running_ = true;
  OnReadOnlyState(std::move(job), [this, reply](AdminResponse resp) {
    archive_query_running_ = false;
    reply(std::move(resp));
  });
}

void AdminHost::PageQuery(ArchiveJob job, AdminServer::Reply reply) {
  if (page_queries_ >= 2) return reply(Busy("two pages are being rendered"));
  ++page_queries_;
  OnReadOnlyState(std::move(job), [this, reply](AdminResponse resp) {
    --page_queries_;
    reply(std::move(resp));
  });
}

LiveView AdminHost::Live() {
  auto gen = hooks_.generation();
  LiveView v;
  v.now_ms = clock_.WallMs();
  v.started_ms = started_ms_;
  v.generation = generation();
  v.last_reload_ms = last_reload_.at_ms;
  v.last_reload_error = last_reload_.error;
  v.actions = gen->config.admin_actions;
  v.csrf = csrf_;
  v.status_line = hooks_.status_line();
  const DaemonSettings& settings = gen->config.daemon;
  for (const auto& fp : scheduler_.feeds()) {
    const fetch::PolledFeed& f = *fp;
    if (f.removed) continue;
    long like = f.state.consecutive_failures > 0 ? 500 : 200;
    v.feeds.push_back(
        {.name = f.spec->name,
         .url = f.spec->url,
         .tags = f.spec->tags,
         .failures = f.state.consecutive_failures,
         // When the timer fires (jitter included), not the jitter-free due time.
         .next_due_ms = f.timer_due_ms > 0 ? f.timer_due_ms : f.state.next_due_ms,
         .interval_ms = fetch::NextDelay(f, settings, like, "", v.now_ms / 1000).count(),
         .interval_why = fetch::DelayReason(f, settings),
         .configured_ms = f.spec->interval.count()});
  }
  return v;
}

void AdminHost::OutboxAction(std::function<Result<int>(StateEditor&)> job,
                             std::function<void(Result<int>)> done) {
  outbox_.Run(io_, std::move(job), [this, done = std::move(done)](Result<int> n) {
    if (n.ok() && *n > 0) hooks_.outbox_changed();
    done(std::move(n));
  });
}

void AdminHost::OnReadOnlyState(ArchiveJob job, std::function<void(AdminResponse)> done) {
  asio::post(queries_, [this, gen = hooks_.generation(), job = std::move(job),
                        done = std::move(done)]() mutable {
    AdminResponse resp;
    auto view = OpenStateView(gen->config.daemon.state_dir);
    if (view.ok()) {
      auto limit = gen->config.admin_query_timeout;
      (*view)->SetBudget({.deadline = std::chrono::steady_clock::now() + limit,
                          .limit = limit,
                          .cancel = &cancel_queries_});
      resp = job(**view, *gen);
    } else {
      resp = {503, "text/plain; charset=utf-8", view.status().message() + "\n"};
    }
    asio::post(
        io_, [done = std::move(done), resp = std::move(resp)]() mutable { done(std::move(resp)); });
  });
}

}  // namespace feedwatch::service
