// Message templates: a Mustache subset whose every substitution is escaped for
// the target it renders into (JSON string, Slack mrkdwn, Markdown, HTML, plain
// text). Feed text is data, never template source: a template is parsed once
// from the config and its output is never rendered again.
//
// Supported: {{name}}, dotted names {{entry.title}}, {{.}}, sections
// {{#list}}…{{/list}} (arrays iterate, objects push, true renders once),
// inverted sections {{^x}}…{{/x}}, comments {{! … }}. Not supported, and
// refused at load: unescaped output ({{{x}}}, {{&x}}), partials, delimiter
// changes.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/status.h"

namespace feedwatch {

enum class Escape {
  kPlain,     // control characters other than \n and \t dropped
  kJson,      // inside a JSON string literal: " \ and control characters escaped
  kSlack,     // Slack mrkdwn: & < > as entities; @channel-style mentions broken
  kMarkdown,  // Discord / Teams Markdown: punctuation backslash-escaped; mentions broken
  kHtml,      // Telegram HTML / email HTML: & < > " as entities
};

// Appends `text` to `out`, escaped for `how`.
void AppendEscaped(std::string& out, std::string_view text, Escape how);
std::string Escaped(std::string_view text, Escape how);

// Breaks "@everyone", "@here", "@channel", "@all" with a zero-width space after
// the "@", so chat services that ping on plain text do not.
std::string BreakMentions(std::string_view text);

class Template {
 public:
  // Errors say "template line N: …".
  static Result<Template> Parse(std::string_view source);

  std::string Render(const nlohmann::json& context, Escape how) const;

  struct Node;  // parsed tree, private to template.cc

 private:
  std::shared_ptr<const std::vector<Node>> nodes_;
};

}  // namespace feedwatch
