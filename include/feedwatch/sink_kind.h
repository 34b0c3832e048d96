// A sink type, described once (deliver module): its name in the config, the
// transport that carries its messages, its service defaults, the checks on
// its settings and how it renders alerts. Each type is one file in
// daemon/deliver/sinks/ and one line in the registry there (registry.cc);
// nothing else in the code names a sink type.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/config.h"
#include "feedwatch/template.h"

namespace feedwatch {

// One message: a single alert, or a digest of several.
struct SinkMessage {
  std::string url;                   // http(s)://, smtp(s)://; empty for log and jsonl
  std::vector<std::string> headers;  // "Name: value", never containing CR or LF
  std::string body;                  // HTTP body, RFC 5322 message, or JSONL lines
  std::string mail_from;             // email envelope
  std::vector<std::string> mail_rcpt;
  std::string log_line;  // log sink
};

// What carries a sink's messages (deliver/transport.h).
enum class TransportKind { kLog, kFileAppend, kHttp, kSmtp };

// Problems with one sink's settings; `key` names the setting ("" for the
// sink as a whole) so the loader can point at its line.
class SinkProblems {
 public:
  virtual ~SinkProblems() = default;
  virtual void Add(std::string_view key, const std::string& message) = 0;
};

// What a format function works from.
struct FormatInput {
  const SinkSpec& spec;
  const std::vector<nlohmann::json>& alerts;  // generic payloads, oldest first, at least one
  const std::string& id;                      // alert id, or digest id
  std::int64_t now;                           // Unix seconds
  const Template* body = nullptr;             // the sink's template, if any
  const Template* title = nullptr;            // its title_template, if any

  // The template's text, or the built-in one.
  std::string Text(Escape how, std::string (*built_in)(const std::vector<nlohmann::json>&)) const;
  // One line: the title template's, or the entry title ("N new alerts" for a digest).
  std::string Title() const;
};

// A setting a sink type takes beyond the ones every sink has, declared once
// by the type (its file in deliver/sinks/); the loader accepts and reads
// exactly the declared ones, so another type's setting is an error at its
// line. The value goes to `text` or `list` (a field of SinkSpec), or, when
// both are null, to SinkSpec::extra under the setting's name.
struct SinkSetting {
  enum class Kind {
    kText,        // a string
    kList,        // a string or a list of strings
    kPath,        // a file, relative to the config's directory
    kSecret,      // `name` or `name_file` (the file's content, trimmed)
    kSecretFile,  // `name_file` only: never inline in the config
    kSecretList,  // `name` (a string or a list) and/or `name_file`, in that order
  };
  std::string_view name;
  Kind kind = Kind::kText;
  std::string SinkSpec::*text = nullptr;
  std::vector<std::string> SinkSpec::*list = nullptr;
};

struct SinkKind {
  std::string_view name;
  TransportKind transport;
  std::span<const SinkSetting> settings = {};  // its own settings
  // Service defaults (rate limits the service documents, a default server),
  // applied before the sink's own settings. May be null.
  void (*defaults)(SinkSpec& spec) = nullptr;
  // Checks specific to the type, after every setting was read. May be null.
  void (*validate)(const SinkSpec& spec, SinkProblems& problems) = nullptr;
  // Renders the message; the caller adds the sink's own `headers`.
  void (*format)(const FormatInput& in, SinkMessage& out) = nullptr;
};

// The registry: every sink type, in the order documented (docs/sinks.md).
const std::vector<const SinkKind*>& SinkKinds();
// nullptr when no type has that name.
const SinkKind* FindSinkKind(std::string_view name);
// "log, jsonl, webhook, …" for messages.
std::string SinkKindNames();

}  // namespace feedwatch
