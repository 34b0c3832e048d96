// `feedwatch feeds import | export | discover`: subscriptions in and out.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <iostream>
#include <memory>

#include "command_util.h"
#include "feedwatch/cli.h"
#include "feedwatch/commands.h"
#include "feedwatch/config.h"
#include "feedwatch/feed.h"
#include "feedwatch/http_client.h"
#include "feedwatch/opml.h"
#include "feedwatch/scheduler.h"
#include "feedwatch/util.h"

namespace feedwatch {

using namespace cmdutil;
namespace fs = std::filesystem;

namespace {

// A TOML basic string.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

// What makes two feed URLs the same subscription: scheme and host case, a
// trailing slash.
std::string SameFeedKey(std::string url) {
  std::size_t scheme_end = url.find("://");
  std::size_t host_end = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  for (std::size_t i = 0; i < std::min(host_end, url.size()); ++i)
    url[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(url[i])));
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

std::string HostOf(const std::string& url) {
  std::size_t s = url.find("://");
  s = s == std::string::npos ? 0 : s + 3;
  std::size_t e = url.find_first_of("/?#", s);
  std::string host = url.substr(s, e == std::string::npos ? e : e - s);
  if (host.rfind("www.", 0) == 0) host = host.substr(4);
  return host;
}

// A name a person can type in a rule's `feeds`: one line, no control
// characters, at most 80 bytes (on a character boundary); the host when the
// title is empty; " (2)", " (3)" … when taken.
std::string UniqueName(const OpmlFeed& f, std::set<std::string>& taken) {
  std::string name;
  for (char c : f.title)
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) name.push_back(c);
  if (name.size() > 80) {
    std::size_t cut = 80;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
    name = name.substr(0, cut);
  }
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name.empty()) name = HostOf(f.url);
  std::string candidate = name;
  for (int n = 2; taken.count(candidate); ++n) candidate = name + " (" + std::to_string(n) + ")";
  taken.insert(candidate);
  return candidate;
}

// Tags as rules name them: lower case, words joined by '-'.
std::string TagOf(std::string_view category) {
  std::string tag;
  bool dash = false;
  for (unsigned char c : category) {
    if (std::isspace(c) || c == '/' || c == ',' || c == '"') {
      dash = !tag.empty();
      continue;
    }
    if (dash) tag.push_back('-');
    dash = false;
    tag.push_back(static_cast<char>(std::tolower(c)));
  }
  return tag;
}

int Import(const FeedsCommand& cmd, std::ostream& out, std::ostream& err) {
  std::ifstream in(cmd.file, std::ios::binary);
  if (!in) {
    err << "cannot read " << cmd.file << "\n";
    return kExitBadSetup;
  }
  std::string xml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto doc = ParseOpml(xml);
  if (!doc.ok()) {
    err << cmd.file << ": " << doc.status().message() << "\n";
    return kExitFailed;
  }
  std::string config_path = cmd.config_path.empty() ? cmd.write : cmd.config_path;
  std::map<std::string, std::string> configured;  // SameFeedKey -> name
  std::set<std::string> names;
  if (!config_path.empty()) {
    auto cfg = LoadConfigOr(config_path, err);
    if (!cfg) return kExitBadSetup;
    for (const FeedSpec& f : cfg->feeds) {
      configured[SameFeedKey(f.url)] = f.name;
      names.insert(f.name);
    }
  }
  std::string blocks;
  int added = 0, already = 0;
  for (const OpmlFeed& f : doc->feeds) {
    if (auto it = configured.find(SameFeedKey(f.url)); it != configured.end()) {
      err << cmd.file << ":" << f.line << ": " << f.url << " is configured already (as '"
          << it->second << "')\n";
      ++already;
      continue;
    }
    std::vector<std::string> tags;
    for (const std::string& c : f.categories)
      if (std::string t = TagOf(c); !t.empty()) AppendUnique(tags, t);
    for (const std::string& t : cmd.tags)
      if (std::string tag = TagOf(t); !tag.empty()) AppendUnique(tags, tag);
    blocks +=
        "\n[[feed]]\nname = " + Quoted(UniqueName(f, names)) + "\nurl = " + Quoted(f.url) + "\n";
    if (!tags.empty()) {
      blocks += "tags = [";
      for (std::size_t i = 0; i < tags.size(); ++i) blocks += (i ? ", " : "") + Quoted(tags[i]);
      blocks += "]\n";
    }
    ++added;
  }
  for (const std::string& s : doc->skipped) err << cmd.file << ":" << s.substr(5) << "\n";
  err << added << " feed(s) to add, " << already << " configured already, " << doc->skipped.size()
      << " outline(s) not usable\n";
  if (cmd.write.empty()) {
    if (added > 0)
      out << "# " << added << " feed(s) from " << fs::path(cmd.file).filename().string()
          << " (feedwatch feeds import)\n"
          << blocks;
    return added > 0 || already > 0 ? kExitOk : kExitFailed;
  }
  if (added == 0) return already > 0 ? kExitOk : kExitFailed;
  // Append after a backup; a result that does not load is rolled back.
  std::error_code ec;
  std::string backup = cmd.write + ".bak";
  fs::copy_file(cmd.write, backup, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    err << "cannot back up " << cmd.write << " to " << backup << ": " << ec.message() << "\n";
    return kExitBadSetup;
  }
  {
    std::ofstream app(cmd.write, std::ios::app | std::ios::binary);
    app << "\n# Imported from " << fs::path(cmd.file).filename().string() << " on "
        << FormatRfc3339(UnixNowMs() / 1000) << " (feedwatch feeds import)" << blocks;
    if (!app) {
      err << "cannot write " << cmd.write << "\n";
      return kExitFailed;
    }
  }
  if (auto check = LoadConfig(cmd.write); !check.ok()) {
    fs::copy_file(backup, cmd.write, fs::copy_options::overwrite_existing, ec);
    err << "the result would not load, " << cmd.write << " is left as it was:\n"
        << check.status().message() << "\n";
    return kExitFailed;
  }
  out << "added " << added << " feed(s) to " << cmd.write << " (the previous file is " << backup
      << "); `feedwatch reload` starts polling them\n";
  return kExitOk;
}

int Export(const FeedsCommand& cmd, std::ostream& out, std::ostream& err) {
  auto cfg = LoadConfigOr(cmd.config_path, err);
  if (!cfg) return kExitBadSetup;
  std::vector<OpmlFeed> feeds;
  for (const FeedSpec& f : cfg->feeds) {
    OpmlFeed o;
    o.url = f.url;
    o.title = f.name;
    o.categories = f.tags;
    feeds.push_back(std::move(o));
  }
  std::string opml = WriteOpml("feedwatch feeds", feeds, UnixNowMs() / 1000);
  if (cmd.output.empty()) {
    out << opml;
    return kExitOk;
  }
  std::ofstream file(cmd.output, std::ios::binary | std::ios::trunc);
  file << opml;
  if (!file) {
    err << "cannot write " << cmd.output << "\n";
    return kExitFailed;
  }
  out << "wrote " << feeds.size() << " feed(s) to " << cmd.output << "\n";
  return kExitOk;
}

struct Fetcher {
  DaemonSettings settings;
  bool allow_private = false;
  HttpResponse Get(const std::string& url) const {
    FeedSpec spec;
    spec.url = url;
    HttpRequest req = fetch::FeedRequest(spec, settings, FeedState{});
    req.allow_private = allow_private;
    return FetchOnce(req);
  }
};

// The feed at `url`, fetched (unless `fetched` has it) and parsed; prints a
// line either way.
bool Check(const Fetcher& f, const std::string& url, std::string& blocks, std::ostream& out,
           const HttpResponse* fetched = nullptr) {
  HttpResponse r = fetched ? *fetched : f.Get(url);
  if (!r.ok || r.status < 200 || r.status >= 300) {
    out << "  " << url << ": " << (r.ok ? "HTTP " + std::to_string(r.status) : r.error) << "\n";
    return false;
  }
  auto feed = ParseFeed(r.body, r.content_type, r.final_url.empty() ? url : r.final_url);
  if (!feed.ok()) {
    out << "  " << url << ": not a feed (" << feed.status().message() << ")\n";
    return false;
  }
  std::string title = SanitizeUtf8(feed->title);
  out << "  " << url << ": " << FormatName(feed->format) << ", " << feed->entries.size()
      << " entries, \"" << title << "\"\n";
  blocks += "\n[[feed]]\nname = " + Quoted(title.empty() ? HostOf(url) : title.substr(0, 80)) +
            "\nurl = " + Quoted(url) + "\n";
  return true;
}

int Discover(const FeedsCommand& cmd, std::ostream& out, std::ostream& err) {
  Fetcher f;
  f.allow_private = cmd.allow_private;
  if (!cmd.config_path.empty()) {
    auto cfg = LoadConfigOr(cmd.config_path, err);
    if (!cfg) return kExitBadSetup;
    f.settings = cfg->daemon;
    f.allow_private = f.allow_private || cfg->daemon.allow_private_addresses;
  }
  std::string url = cmd.url;
  if (url.find("://") == std::string::npos) url = "https://" + url;
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    err << cmd.url << ": only http(s) addresses can be discovered\n";
    return kExitBadSetup;
  }
  HttpResponse page = f.Get(url);
  if (!page.ok) {
    err << url << ": " << page.error << "\n";
    return kExitFailed;
  }
  std::string base = page.final_url.empty() ? url : page.final_url;
  std::string blocks;
  int found = 0;
  if (page.status >= 200 && page.status < 300) {
    // The address may be a feed itself.
    if (auto feed = ParseFeed(page.body, page.content_type, base); feed.ok()) {
      out << url << " is a feed:\n";
      found += Check(f, base, blocks, out, &page) ? 1 : 0;
    } else {
      auto links = AdvertisedFeeds(page.body, base);
      if (!links.empty()) out << url << " advertises " << links.size() << " feed(s):\n";
      for (const AdvertisedFeed& l : links) found += Check(f, l.url, blocks, out) ? 1 : 0;
    }
  } else {
    out << url << ": HTTP " << page.status << "\n";
  }
  if (found == 0) {
    // Common places, at the site's root.
    std::size_t root_end = base.find('/', base.find("://") + 3);
    std::string root = base.substr(0, root_end);
    out << "trying common feed paths at " << root << ":\n";
    for (const char* path : {"/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml",
                             "/feed.json", "/feeds/posts/default"}) {
      found += Check(f, root + path, blocks, out) ? 1 : 0;
      if (found > 0) break;
    }
  }
  if (found == 0) {
    err << "no feed found at " << url << "\n";
    return kExitFailed;
  }
  out << "\n# to add (feedwatch feeds discover " << url << "):" << blocks;
  return kExitOk;
}

}  // namespace

int CmdFeeds(const FeedsCommand& cmd, std::ostream& out, std::ostream& err) {
  if (cmd.action == "import") return Import(cmd, out, err);
  if (cmd.action == "export") return Export(cmd, out, err);
  return Discover(cmd, out, err);
}

void RegisterFeedsCommand(CLI::App& app, CliContext& ctx) {
  auto feeds = std::make_shared<FeedsCommand>();
  auto* feeds_cmd =
      app.add_subcommand("feeds", "import feeds from OPML, export them, discover a site's feeds");
  feeds_cmd->require_subcommand(1);
  auto* feeds_import = feeds_cmd->add_subcommand(
      "import", "print [[feed]] blocks for an OPML file's feeds not yet configured");
  feeds_import->add_option("file", feeds->file, "OPML file (from a feed reader)")->required();
  feeds_import->add_option("-c,--config", feeds->config_path,
                           "skip feeds this config has; names stay unique against it");
  feeds_import->add_option("--tag", feeds->tags, "add this tag to every feed (repeatable)");
  feeds_import->add_option("--write", feeds->write,
                           "append to this config file (a backup is kept) instead of printing");
  auto* feeds_export =
      feeds_cmd->add_subcommand("export", "write the configured feeds as OPML 2.0");
  auto export_config = std::make_shared<std::string>();
  AddConfigOption(feeds_export, *export_config, ctx);
  feeds_export->add_option("-o,--output", feeds->output, "write here instead of stdout");
  auto* feeds_discover = feeds_cmd->add_subcommand(
      "discover", "list the feeds a web page advertises, each fetched and parsed");
  feeds_discover->add_option("url", feeds->url, "a site or page address")->required();
  feeds_discover->add_option("-c,--config", feeds->config_path,
                             "take the HTTP policy from this config");
  feeds_discover->add_flag("--allow-private", feeds->allow_private,
                           "allow loopback/private addresses");

  feeds_cmd->callback([&ctx, feeds, export_config, feeds_import, feeds_export] {
    ctx.Choose([=] {
      feeds->action = *feeds_import ? "import" : *feeds_export ? "export" : "discover";
      if (*feeds_export) feeds->config_path = *export_config;
      return CmdFeeds(*feeds, std::cout, std::cerr);
    });
  });
}

}  // namespace feedwatch
