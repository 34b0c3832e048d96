// Rendering alerts into what each kind of sink sends (docs/sinks.md): pure
// functions of the stored generic payloads, no I/O. Each type renders in its
// own file (sink_kind.h); the dispatcher does the sending. A SinkFormatter is
// immutable once made: safe to share between threads.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "feedwatch/config.h"
#include "feedwatch/sink_kind.h"
#include "feedwatch/status.h"
#include "feedwatch/template.h"

namespace feedwatch {

// Service limits, in characters of the service's own counting (we count
// bytes, which is stricter).
namespace limits {
constexpr std::size_t kSlackText = 3000;  // section/text stays readable; Slack truncates at 40k
constexpr std::size_t kDiscordContent = 2000;
constexpr std::size_t kDiscordTitle = 256;
constexpr std::size_t kDiscordDescription = 4096;
constexpr std::size_t kDiscordFooter = 2048;
constexpr std::size_t kDiscordEmbeds = 10;
constexpr std::size_t kDiscordTotal = 6000;  // all embed text together
constexpr std::size_t kTelegramText = 4096;
constexpr std::size_t kNtfyMessage = 4096;  // larger messages become attachments
constexpr std::size_t kNtfyTitle = 256;
constexpr std::size_t kEmailSubject = 200;
constexpr std::size_t kTeamsText = 20000;  // Teams messages are capped at about 28 KB
}  // namespace limits

class SinkFormatter {
 public:
  // Compiles the sink's templates (already validated by the config loader).
  static Result<std::unique_ptr<SinkFormatter>> Make(const SinkSpec& spec);

  // `alerts`: generic payloads (docs/payload.md), oldest first, at least one.
  // `message_id`: the alert id for one alert, the digest id for several; it is
  // the idempotency key (webhook-id, Message-ID). `now`: Unix seconds.
  SinkMessage Format(const std::vector<nlohmann::json>& alerts, const std::string& message_id,
                     std::int64_t now) const;

  // The context templates see: the alert's payload fields for one alert, and
  // always `alerts` (the list), `count`, `digest` (bool), `message_id`.
  static nlohmann::json TemplateContext(const std::vector<nlohmann::json>& alerts,
                                        const std::string& message_id);

  const SinkKind& kind() const { return kind_; }

 private:
  SinkFormatter(const SinkSpec& spec, const SinkKind& kind) : spec_(spec), kind_(kind) {}

  SinkSpec spec_;
  const SinkKind& kind_;
  std::optional<Template> body_, title_;
};

// Digest ids: "fwd_" + 32 hex of SHA-256 over the member alert ids in order.
std::string DigestId(const std::vector<std::string>& alert_ids);

// Cuts to at most `max` bytes on a character boundary, ending in "…" when cut.
std::string Ellipsize(std::string_view s, std::size_t max);

// RFC 2047 encoded-word (UTF-8, base64) when `s` is not plain printable ASCII;
// CR, LF and other controls removed either way.
std::string EncodeMimeHeader(std::string_view s);

}  // namespace feedwatch
