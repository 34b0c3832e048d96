// `feedwatch parse`: one feed document as JSON (docs/parsing.md).
#include "feedwatch/cli.h"
#include "feedwatch/commands.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "feedwatch/feed.h"
#include "feedwatch/util.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

int CmdParse(const ParseCommand& cmd, std::ostream& out, std::ostream& err) {
  std::string body;
  if (cmd.input == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    body = ss.str();
  } else {
    auto r = ReadFile(cmd.input);
    if (!r.ok()) {
      err << r.status().message() << "\n";
      return kExitFailed;
    }
    body = std::move(*r);
  }
  auto feed = ParseFeed(body, cmd.content_type, cmd.url.empty() ? cmd.input : cmd.url);
  if (!feed.ok()) {
    err << feed.status().message() << "\n";
    return kExitFailed;
  }
  using oj = nlohmann::ordered_json;
  auto str_or_null = [](const std::string& s) { return s.empty() ? oj() : oj(s); };
  auto time_or_null = [](const std::optional<std::int64_t>& t) {
    return t ? oj(FormatRfc3339(*t)) : oj();
  };
  oj entries = oj::array();
  for (const Entry& e : feed->entries) {
    oj enclosures = oj::array();
    for (const auto& enc : e.enclosures) {
      enclosures.push_back({{"url", enc.url},
                            {"type", str_or_null(enc.type)},
                            {"length", enc.length ? oj(*enc.length) : oj()}});
    }
    entries.push_back({{"key", e.key},
                       {"id", str_or_null(e.id)},
                       {"title", str_or_null(e.title)},
                       {"link", str_or_null(e.link)},
                       {"published", time_or_null(e.published)},
                       {"updated", time_or_null(e.updated)},
                       {"authors", e.authors},
                       {"categories", e.categories},
                       {"summary", str_or_null(e.summary)},
                       {"content", str_or_null(e.content)},
                       {"enclosures", enclosures}});
  }
  oj doc = {{"format", FormatName(feed->format)},
            {"title", str_or_null(feed->title)},
            {"link", str_or_null(feed->link)},
            {"warnings", feed->warnings},
            {"entries", entries}};
  out << doc.dump(2, ' ', false, oj::error_handler_t::replace) << "\n";
  return kExitOk;
}

void RegisterParseCommand(CLI::App& app, CliContext& ctx) {
  auto parse = std::make_shared<ParseCommand>();
  auto parse_format = std::make_shared<std::string>("json");
  auto* parse_cmd = app.add_subcommand("parse", "print a feed file as the parser reads it (JSON)");
  parse_cmd->add_option("input", parse->input, "feed file, or - for standard input")->required();
  parse_cmd->add_option("--url", parse->url, "the feed's URL: base for relative links");
  parse_cmd->add_option("--content-type", parse->content_type,
                        "as the server sent it, e.g. \"text/xml; charset=koi8-r\"");
  parse_cmd->add_option("--format", *parse_format, "output format")
      ->check(CLI::IsMember({"json"}))
      ->capture_default_str();

  parse_cmd->callback([&ctx, parse, parse_format] {
    ctx.Choose([=] { return CmdParse(*parse, std::cout, std::cerr); });
  });
}

}  // namespace feedwatch
