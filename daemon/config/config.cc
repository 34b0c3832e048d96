#include "feedwatch/config.h"

#include <arpa/inet.h>

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "../util/toml_util.h"
#include "config_parts.h"
#include "feedwatch/payload.h"
#include "feedwatch/sink_kind.h"
#include "feedwatch/template.h"
#include "feedwatch/util.h"

namespace feedwatch {

namespace fs = std::filesystem;
using tomlutil::Errors;

namespace configimpl {

std::string ResolvePath(const std::string& p, const std::string& base_dir) {
  if (p.empty() || p[0] == '/' || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

bool IsHttpUrl(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

// Reads a secret from a file (systemd credentials, mounted secrets): the first
// line, trailing whitespace removed.
Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read secret file " + path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

// A table of extra HTTP headers; names and values may not break the header
// block (CR, LF) and names may not contain ':'.
void ReadHeaders(const toml::table& t, std::map<std::string, std::string>& out, Errors& errors) {
  const toml::table* h = t.get_as<toml::table>("headers");
  if (!h) {
    if (t.get("headers"))
      errors.Add(t.get("headers"), "'headers' must be a table of name = \"value\"");
    return;
  }
  for (const auto& [k, v] : *h) {
    if (!v.is_string()) {
      errors.Add(&v, "header values must be strings");
      continue;
    }
    std::string value = *v.value<std::string>();
    if (value.find_first_of("\r\n") != std::string::npos ||
        k.str().find_first_of("\r\n:") != std::string_view::npos) {
      errors.Add(&v, "header '" + std::string(k.str()) + "' contains a line break or colon");
      continue;
    }
    out[std::string(k.str())] = value;
  }
}

}  // namespace configimpl

using namespace configimpl;

namespace {

void LoadDaemon(const toml::table& t, const std::string& base_dir, DaemonSettings& d,
                Errors& errors) {
  tomlutil::CheckKeys(t,
                      {"state_dir",
                       "interval",
                       "min_interval",
                       "jitter",
                       "user_agent",
                       "fetch_timeout",
                       "connect_timeout",
                       "max_body",
                       "max_redirects",
                       "prime",
                       "retry_base",
                       "retry_max",
                       "max_attempts",
                       "rules",
                       "allow_private_addresses",
                       "max_concurrent_fetches",
                       "max_per_host",
                       "max_interval",
                       "publisher_hints",
                       "adaptive",
                       "adaptive_min",
                       "adaptive_max",
                       "max_alert_age",
                       "seen_retention",
                       "delivered_retention",
                       "archive",
                       "archive_retention",
                       "archive_max_size",
                       "story_window",
                       "stop_timeout",
                       "allow_networks"},
                      "[daemon]", errors);
  if (auto v = tomlutil::GetString(t, "state_dir", errors)) d.state_dir = ResolvePath(*v, base_dir);
  using std::chrono::milliseconds;
  constexpr milliseconds kDay{24LL * 60 * 60 * 1000};
  if (auto v = tomlutil::GetDuration(t, "interval", errors)) d.interval = *v;
  // 0s polled one feed 20 times a second. The default floor is 1s; tests and
  // local fixtures may go to 100ms.
  if (auto v = tomlutil::GetDurationInRange(t, "min_interval", milliseconds(100), kDay, errors))
    d.min_interval = *v;
  if (auto v = tomlutil::GetDurationInRange(t, "jitter", milliseconds(0), kDay, errors))
    d.jitter = *v;
  if (auto v = tomlutil::GetString(t, "user_agent", errors)) {
    // Sent as a header: a CR or LF would start a header of the config's choosing.
    if (HasControlChar(*v))
      errors.Add(t.get("user_agent"),
                 "'user_agent' must not contain control characters (CR, LF, TAB, …)");
    else
      d.user_agent = *v;
  }
  if (auto v = tomlutil::GetDurationInRange(t, "fetch_timeout", milliseconds(100), kDay, errors))
    d.fetch_timeout = *v;
  if (auto v = tomlutil::GetDurationInRange(t, "connect_timeout", milliseconds(100), kDay, errors))
    d.connect_timeout = *v;
  if (auto v = tomlutil::GetByteSize(t, "max_body", errors)) {
    if (*v < 1024)
      errors.Add(t.get("max_body"),
                 "'max_body' below 1KiB would refuse every feed (the smallest "
                 "real feeds are a few KiB)");
    else
      d.max_body_bytes = *v;
  }
  if (auto v = tomlutil::GetIntInRange(t, "max_redirects", 0, 20, errors)) d.max_redirects = *v;
  if (auto v = tomlutil::GetBool(t, "prime", errors)) d.prime = *v;
  if (auto v = tomlutil::GetDurationInRange(t, "retry_base", milliseconds(100), kDay, errors))
    d.retry_base = *v;
  if (auto v = tomlutil::GetDurationInRange(t, "retry_max", milliseconds(100), 7 * kDay, errors))
    d.retry_max = *v;
  if (d.retry_max < d.retry_base)
    errors.Add(t.get("retry_max"), "'retry_max' is below 'retry_base'");
  if (auto v = tomlutil::GetIntInRange(t, "max_attempts", 1, 1000, errors)) d.max_attempts = *v;
  if (auto v = tomlutil::GetDuration(t, "max_alert_age", errors)) d.max_alert_age = *v;
  if (auto v = tomlutil::GetDuration(t, "seen_retention", errors)) d.seen_retention = *v;
  if (auto v = tomlutil::GetDuration(t, "delivered_retention", errors)) d.delivered_retention = *v;
  if (auto v = tomlutil::GetDuration(t, "stop_timeout", errors)) d.stop_timeout = *v;
  if (auto v = tomlutil::GetBool(t, "archive", errors)) d.archive = *v;
  if (auto v = tomlutil::GetDuration(t, "archive_retention", errors)) d.archive_retention = *v;
  if (auto v = tomlutil::GetByteSize(t, "archive_max_size", errors)) d.archive_max_size = *v;
  if (auto v = tomlutil::GetDuration(t, "story_window", errors)) {
    d.story_window = *v;
    if (*v > std::chrono::hours(24 * 14))
      errors.Add(t.get("story_window"), "'story_window' above 14d would merge separate stories");
  }
  if (d.archive_retention < std::chrono::hours(1)) {
    errors.Add(
        t.get("archive_retention"),
        "'archive_retention' below 1h would forget entries before a backtest could read them");
  }
  if (d.seen_retention < std::chrono::hours(48)) {
    errors.Add(t.get("seen_retention"),
               "'seen_retention' below 2d would let entries still in a feed alert again");
  }
  if (auto v = tomlutil::GetStringList(t, "rules", errors)) d.rules = *v;
  if (auto v = tomlutil::GetBool(t, "allow_private_addresses", errors))
    d.allow_private_addresses = *v;
  if (auto v = tomlutil::GetStringList(t, "allow_networks", errors)) {
    for (const auto& n : *v) {
      if (auto c = ParseCidr(n))
        d.allow_networks.push_back(*c);
      else
        errors.Add(t.get("allow_networks"),
                   "allow_networks: '" + n + "' is not a network like 127.0.0.1/32 or fd00::/8");
    }
  }
  if (auto v = tomlutil::GetIntInRange(t, "max_concurrent_fetches", 1, 10000, errors))
    d.max_concurrent_fetches = *v;
  if (auto v = tomlutil::GetIntInRange(t, "max_per_host", 1, 1000, errors)) d.max_per_host = *v;
  if (auto v = tomlutil::GetDuration(t, "max_interval", errors)) d.max_interval = *v;
  if (auto v = tomlutil::GetBool(t, "publisher_hints", errors)) d.publisher_hints = *v;
  if (auto v = tomlutil::GetBool(t, "adaptive", errors)) d.adaptive = *v;
  if (auto v = tomlutil::GetDuration(t, "adaptive_min", errors)) d.adaptive_min = *v;
  if (auto v = tomlutil::GetDuration(t, "adaptive_max", errors)) d.adaptive_max = *v;
  if (d.adaptive_min > d.adaptive_max)
    errors.Add(t.get("adaptive_min"), "'adaptive_min' is above 'adaptive_max'");
  if (d.jitter > d.max_interval)
    errors.Add(t.get("jitter"),
               "'jitter' is above 'max_interval' (" + FormatDuration(d.max_interval) + ")");
}

void LoadFeeds(const toml::array& arr, const std::string& base_dir, const DaemonSettings& d,
               std::vector<FeedSpec>& feeds, Errors& errors) {
  std::set<std::string> names, urls;
  for (const toml::node& n : arr) {
    const toml::table* t = n.as_table();
    if (!t) {
      errors.Add(&n, "[[feed]] entries must be tables");
      continue;
    }
    tomlutil::CheckKeys(
        *t,
        {"name", "url", "interval", "tags", "prime", "allow_private_addresses", "headers",
         "username", "password_file", "bearer_token_file", "publisher_hints", "adaptive"},
        "[[feed]]", errors);
    FeedSpec f;
    f.line = tomlutil::LineOf(&n);
    f.interval = d.interval;
    f.prime = d.prime;
    f.allow_private_addresses = d.allow_private_addresses;
    if (auto v = tomlutil::GetBool(*t, "allow_private_addresses", errors))
      f.allow_private_addresses = *v;
    auto url = tomlutil::GetString(*t, "url", errors);
    if (!url) {
      if (!t->get("url")) errors.Add(&n, "[[feed]] needs a 'url'");
      continue;
    }
    f.url = *url;
    if (HasControlChar(f.url) || f.url.find(' ') != std::string::npos) {
      errors.Add(t->get("url"),
                 "feed url must not contain spaces or control characters "
                 "(percent-encode them: %20, %0D, %0A)");
    } else if (!IsHttpUrl(f.url)) {
      errors.Add(t->get("url"), "feed url \"" + f.url + "\" must start with http:// or https://");
    }
    f.name = tomlutil::GetString(*t, "name", errors).value_or(f.url);
    if (auto v = tomlutil::GetDuration(*t, "interval", errors)) f.interval = *v;
    if (f.interval < d.min_interval) {
      errors.Add(t->get("interval") ? t->get("interval") : &n,
                 "feed '" + f.name + "': interval is below min_interval (" +
                     std::to_string(d.min_interval.count()) + " ms)");
    }
    if (auto v = tomlutil::GetStringList(*t, "tags", errors)) f.tags = *v;
    if (auto v = tomlutil::GetBool(*t, "prime", errors)) f.prime = *v;
    f.publisher_hints = d.publisher_hints;
    f.adaptive = d.adaptive;
    if (auto v = tomlutil::GetBool(*t, "publisher_hints", errors)) f.publisher_hints = *v;
    if (auto v = tomlutil::GetBool(*t, "adaptive", errors)) f.adaptive = *v;
    ReadHeaders(*t, f.headers, errors);
    // Secrets come from files (systemd credentials), never from this file.
    if (auto v = tomlutil::GetString(*t, "username", errors)) f.username = *v;
    if (auto v = tomlutil::GetString(*t, "password_file", errors)) {
      auto r = ReadSecretFile(ResolvePath(*v, base_dir));
      if (r.ok())
        f.password = *r;
      else
        errors.Add(t->get("password_file"), r.status().message());
    }
    if (auto v = tomlutil::GetString(*t, "bearer_token_file", errors)) {
      auto r = ReadSecretFile(ResolvePath(*v, base_dir));
      if (r.ok())
        f.bearer_token = *r;
      else
        errors.Add(t->get("bearer_token_file"), r.status().message());
    }
    if (!f.username.empty() && !f.bearer_token.empty()) {
      errors.Add(&n,
                 "feed '" + f.name + "': use either username/password_file or bearer_token_file");
    }
    if (!names.insert(f.name).second) errors.Add(&n, "duplicate feed name '" + f.name + "'");
    if (!urls.insert(f.url).second) errors.Add(&n, "duplicate feed url " + f.url);
    feeds.push_back(std::move(f));
  }
}

}  // namespace

Result<std::vector<std::string>> ExpandRulePaths(const std::vector<std::string>& paths,
                                                 const std::string& base_dir) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& p) {
    if (seen.insert(p).second) out.push_back(p);
  };
  for (const auto& raw : paths) {
    std::string p = ResolvePath(raw, base_dir);
    std::error_code ec;
    if (p.find_first_of("*?[") != std::string::npos) {
      glob_t g{};
      int rc = glob(p.c_str(), 0, nullptr, &g);
      std::vector<std::string> matches;
      if (rc == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
      }
      globfree(&g);
      std::sort(matches.begin(), matches.end());
      for (const auto& m : matches) add(m);
    } else if (fs::is_directory(p, ec)) {
      std::vector<std::string> files;
      for (const auto& de : fs::directory_iterator(p, ec)) {
        if (de.path().extension() == ".toml") files.push_back(de.path().string());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) add(f);
    } else if (fs::exists(p, ec)) {
      add(p);
    } else {
      return Status::NotFound("rule path " + p + " does not exist");
    }
  }
  return out;
}

Result<Config> LoadConfig(const std::string& path) {
  Config cfg;
  if (Status st = LoadConfigInto(path, cfg); !st.ok()) return st;
  return cfg;
}

Status LoadConfigInto(const std::string& path, Config& cfg) {
  auto parsed = tomlutil::ParseFile(path);
  if (!parsed.ok()) return parsed.status();
  const toml::table& root = *parsed;
  cfg.path = path;
  Errors errors(path);
  std::string base_dir = fs::path(path).parent_path().string();
  tomlutil::CheckKeys(root, {"daemon", "feed", "sink", "admin"}, "the top level", errors);
  if (const toml::node* a = root.get("admin")) {
    if (const toml::table* t = a->as_table()) {
      tomlutil::CheckKeys(
          *t, {"listen", "token_file", "metrics_public", "actions", "hosts", "query_timeout"},
          "[admin]", errors);
      if (auto v = tomlutil::GetStringList(*t, "hosts", errors)) {
        for (const auto& h : *v) {
          if (h.empty() || h.find_first_of(" /:@\t\r\n") != std::string::npos)
            errors.Add(t->get("hosts"),
                       "[admin] hosts: '" + h + "' is not a host name (no port, scheme or path)");
          else
            cfg.admin_hosts.push_back(AsciiLower(h));
        }
      }
      if (auto v = tomlutil::GetDurationInRange(*t, "query_timeout", std::chrono::milliseconds(100),
                                                std::chrono::minutes(10), errors))
        cfg.admin_query_timeout = *v;
      if (auto v = tomlutil::GetString(*t, "token_file", errors)) {
        auto r = ReadSecretFile(ResolvePath(*v, base_dir));
        if (r.ok() && !r->empty())
          cfg.admin_token = *r;
        else
          errors.Add(t->get("token_file"),
                     r.ok() ? "[admin] token_file " + *v + " is empty" : r.status().message());
      }
      if (auto v = tomlutil::GetBool(*t, "metrics_public", errors)) cfg.admin_metrics_public = *v;
      if (auto v = tomlutil::GetBool(*t, "actions", errors)) cfg.admin_actions = *v;
      if (auto v = tomlutil::GetString(*t, "listen", errors)) {
        cfg.admin_listen = *v;
        bool unix_socket = v->rfind("unix:/", 0) == 0;
        // Loopback: all of 127.0.0.0/8 (127.0.0.2 too), ::1, localhost.
        std::string host = v->substr(0, v->rfind(':'));
        in_addr v4{};
        bool loopback =
            (inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127) ||
            v->rfind("[::1]:", 0) == 0 || v->rfind("localhost:", 0) == 0;
        bool has_token = t->contains("token_file");
        if (unix_socket && has_token) {
          errors.Add(t->get("token_file"),
                     "[admin] token_file applies to a TCP listen; a Unix socket is guarded by "
                     "its file permissions");
        } else if (!unix_socket && !loopback && !has_token) {
          errors.Add(t->get("listen"),
                     "[admin] listen on " + *v +
                         " faces a network: set [admin] token_file too (every request then "
                         "needs Authorization: Bearer <token>), or listen on \"127.0.0.1:PORT\", "
                         "\"[::1]:PORT\" or \"unix:/path/to/socket\"");
        } else if (!unix_socket && v->find(':') == std::string::npos) {
          errors.Add(t->get("listen"), "[admin] listen needs a port: \"ADDRESS:PORT\"");
        }
      }
      if (cfg.admin_metrics_public && cfg.admin_token.empty() && t->contains("metrics_public"))
        errors.Add(t->get("metrics_public"),
                   "[admin] metrics_public exempts /metrics from token_file, which is not set");
    } else {
      errors.Add(a, "[admin] must be a table");
    }
  }
  if (const toml::node* d = root.get("daemon")) {
    if (const toml::table* t = d->as_table())
      LoadDaemon(*t, base_dir, cfg.daemon, errors);
    else
      errors.Add(d, "[daemon] must be a table");
  }
  if (const toml::node* f = root.get("feed")) {
    if (const toml::array* a = f->as_array())
      LoadFeeds(*a, base_dir, cfg.daemon, cfg.feeds, errors);
    else
      errors.Add(f, "feeds are declared as [[feed]] tables");
  }
  if (const toml::node* s = root.get("sink")) {
    if (const toml::array* a = s->as_array())
      LoadSinks(*a, base_dir, cfg.daemon, cfg.sinks, errors);
    else
      errors.Add(s, "sinks are declared as [[sink]] tables");
  }
  if (cfg.sinks.empty()) {
    SinkSpec log;
    log.name = "log";
    log.type = "log";
    cfg.sinks.push_back(log);
  }
  if (cfg.daemon.rules.empty()) errors.Add(0, "[daemon] rules: no rule files configured");
  auto files = ExpandRulePaths(cfg.daemon.rules, base_dir);
  if (!files.ok())
    errors.Add(root.get("daemon") ? tomlutil::LineOf(root["daemon"]["rules"].node()) : 0,
               files.status().message());
  else
    cfg.rule_files = *files;
  return errors.ToStatus();
}

}  // namespace feedwatch
