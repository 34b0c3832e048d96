// Shared pieces of the sink formats (internal to deliver/sinks): reading
// payload fields, the lines every chat format shows, safe links.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/sink_kind.h"
#include "feedwatch/sinks.h"
#include "feedwatch/template.h"
#include "feedwatch/util.h"

namespace feedwatch::sinkfmt {

using nlohmann::json;
using Alerts = std::vector<json>;

// A string field of a payload, "" when absent or not a string.
std::string Str(const json& j, const char* a, const char* b = nullptr);
// Only web links become clickable: a feed can put javascript: or data: URLs in <link>.
std::string WebLink(const json& alert);
// Titles are one line wherever they go (a subject, a notification title).
std::string OneLine(std::string s);
std::string EntryTitle(const json& alert);  // "(untitled)" when empty
std::string FeedLabel(const json& alert);
// A follow-up of a story sent already (payload type "feedwatch.story_update").
bool IsStoryUpdate(const json& alert);
// "Export controls on AI chips · Policy Wire · 2026-11-26T14:30:00Z", with
// "(+1 rule)" and "· 3 outlets" where they apply; for a story follow-up,
// "Story update · <rule> · N outlets so far".
std::string ContextLine(const json& alert);
// Percent-encodes what would end a link in Slack (<url|text>) or Markdown
// ([text](url)) syntax.
std::string SafeUrl(std::string_view url);
using feedwatch::Base64;  // util.h
// Markdown (Discord, Teams): one alert with its summary, or a digest list.
std::string MarkdownText(const Alerts& alerts);
// Sets the body to `j` as JSON, with its Content-Type.
void JsonBody(SinkMessage& m, const json& j);
// A base URL without trailing slashes.
std::string TrimSlashes(std::string url);

}  // namespace feedwatch::sinkfmt
