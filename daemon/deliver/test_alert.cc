#include "feedwatch/test_alert.h"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include "feedwatch/http_client.h"
#include "feedwatch/payload.h"
#include "feedwatch/serial_thread.h"
#include "feedwatch/sinks.h"
#include "feedwatch/transport.h"
#include "feedwatch/util.h"

namespace feedwatch::deliver {

std::string TestAlertId() { return "fwt_" + RandomHex(16); }

nlohmann::json TestAlertPayload(const SinkSpec& sink, const std::string& alert_id,
                                std::int64_t now) {
  RuleSpec rule;
  rule.id = "feedwatch-test";
  rule.title = "Test alert";
  rule.severity = "low";
  FeedSpec feed;
  feed.name = "feedwatch";
  feed.url = "feedwatch:test";
  Entry entry;
  entry.key = alert_id;
  entry.id = alert_id;
  entry.title = "feedwatch test alert for sink \"" + sink.name + "\"";
  entry.summary =
      "If you can read this, feedwatch can deliver to this sink. Sent by `feedwatch sink test " +
      sink.name + "`; no news item matched.";
  entry.published = now;
  auto payload =
      nlohmann::json::parse(BuildAlertPayload(rule, feed, "feedwatch", entry, alert_id, now));
  payload["test"] = true;
  return payload;
}

TestSendResult SendTestAlert(const DaemonSettings& settings, const SinkSpec& sink,
                             std::int64_t now) {
  TestSendResult out;
  out.alert_id = TestAlertId();
  auto fmt = SinkFormatter::Make(sink);
  if (!fmt.ok()) {
    out.result.outcome = DeliveryOutcome::kPermanent;
    out.result.error = fmt.status().message();
    return out;
  }
  asio::io_context io;
  HttpClient http(io);
  SerialThread files("fw-test-io");
  Transports transports(io, files, http,
                        [&settings]() -> const DaemonSettings& { return settings; });
  SinkMessage m = (*fmt)->Format({TestAlertPayload(sink, out.alert_id, now)}, out.alert_id, now);
  // The file transport answers from its own thread through `io`: the loop
  // is kept alive until the result is in.
  auto guard = asio::make_work_guard(io);
  transports.For((*fmt)->kind().transport).Send(sink, std::move(m), [&](DeliveryResult r) {
    out.result = std::move(r);
    guard.reset();
  });
  io.run();
  return out;
}

}  // namespace feedwatch::deliver
