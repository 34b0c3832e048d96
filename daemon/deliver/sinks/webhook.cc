// type = "webhook": the generic payload (docs/payload.md), or a digest of
// them, POSTed with Standard Webhooks headers and, with secrets, signed.
#include "feedwatch/payload.h"
#include "feedwatch/util.h"
#include "format_util.h"

namespace feedwatch {
namespace {

using namespace sinkfmt;

void Format(const FormatInput& in, SinkMessage& m) {
  if (in.body) {
    std::string ct = in.spec.content_type.empty() ? "application/json" : in.spec.content_type;
    bool is_json = ct.find("json") != std::string::npos;
    m.body = in.body->Render(SinkFormatter::TemplateContext(in.alerts, in.id),
                             is_json ? Escape::kJson : Escape::kPlain);
    m.headers.push_back("Content-Type: " + ct);
  } else if (in.alerts.size() == 1) {
    JsonBody(m, in.alerts.front());
  } else {
    JsonBody(m, {{"version", 1},
                 {"type", "feedwatch.digest"},
                 {"digest_id", in.id},
                 {"created_at", FormatRfc3339(in.now)},
                 {"count", in.alerts.size()},
                 {"alerts", in.alerts}});
  }
  // Standard Webhooks: the id is fixed per message, the timestamp is this attempt's.
  m.headers.push_back("webhook-id: " + in.id);
  m.headers.push_back("webhook-timestamp: " + std::to_string(in.now));
  if (!in.spec.secrets.empty()) {
    m.headers.push_back("webhook-signature: " +
                        SignWebhook(in.spec.secrets, in.id, in.now, m.body));
  }
}

// Signing secrets must decode (Standard Webhooks: whsec_<base64>).
void Validate(const SinkSpec& s, SinkProblems& p) {
  for (const auto& sec : s.secrets) {
    if (sec.empty())
      p.Add("secret", "empty signing secret");
    else if (!DecodeWebhookSecret(sec).ok())
      p.Add("secret", "signing secret is not whsec_<base64>");
  }
}

}  // namespace

// The settings a webhook sink takes beyond every sink's (docs/sinks.md).
constexpr SinkSetting kSettings[] = {
    {.name = "secret", .kind = SinkSetting::Kind::kSecretList, .list = &SinkSpec::secrets},
    {.name = "content_type", .text = &SinkSpec::content_type},
};

extern const SinkKind kWebhookSink{.name = "webhook",
                                   .transport = TransportKind::kHttp,
                                   .settings = kSettings,
                                   .validate = Validate,
                                   .format = Format};

}  // namespace feedwatch
