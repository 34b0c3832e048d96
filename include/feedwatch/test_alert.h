// A test alert (deliver module): one clearly marked alert sent through a
// sink's real formatter, signer and transport, so that an operator sees a
// sink work (or why it does not) before any news matches
// (`feedwatch sink test NAME`).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "feedwatch/config.h"
#include "feedwatch/deliver.h"

namespace feedwatch::deliver {

// "fwt_" and 32 hex digits, new at every call: a receiver that drops repeated
// ids still takes the next test.
std::string TestAlertId();

// The generic payload (docs/payload.md) of a test alert for `sink`, with
// "test": true, so a receiver can tell it from news. `now`: Unix seconds.
nlohmann::json TestAlertPayload(const SinkSpec& sink, const std::string& alert_id,
                                std::int64_t now);

struct TestSendResult {
  std::string alert_id;
  DeliveryResult result;  // result.answer: what the receiver said
};

// Formats and sends the test alert to `sink` as the dispatcher would (the
// network policy of `settings`), and waits for the outcome. Blocking: for
// commands, never on the daemon's loop.
TestSendResult SendTestAlert(const DaemonSettings& settings, const SinkSpec& sink,
                             std::int64_t now);

}  // namespace feedwatch::deliver
