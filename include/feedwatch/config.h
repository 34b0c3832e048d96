// The daemon's configuration: one TOML file (etc/feedwatch.toml documents every
// key) plus the rule files it names. Loading touches only the file system.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "feedwatch/net_policy.h"
#include "feedwatch/status.h"
#include "feedwatch/version.h"

namespace feedwatch {

struct SinkKind;  // sink_kind.h

using std::chrono::milliseconds;

struct FeedSpec {
  std::string name;  // unique; defaults to the URL
  std::string url;
  milliseconds interval{0};
  std::vector<std::string> tags;
  bool prime = true;  // first successful poll marks entries seen without alerting
  bool allow_private_addresses = false;        // lift the SSRF guard for this feed
  std::map<std::string, std::string> headers;  // extra request headers
  std::string username, password;              // HTTP basic auth (password from password_file)
  std::string bearer_token;                    // from bearer_token_file
  bool publisher_hints = true;  // <ttl>, sy:updatePeriod, Cache-Control max-age as a floor
  bool adaptive = false;        // learn the interval from how often the feed changes
  int line = 0;                 // where it is declared, for messages
};

// What a sink gets of a story that many feeds carry (docs/stories.md).
enum class StoryMode {
  kFirst,    // one alert per story; later copies are recorded, not sent
  kUpdates,  // the first alert, then a follow-up per story_update_every naming new outlets
  kAll,      // one alert per entry and rule, grouping only labels them
};

// Where alerts go (docs/sinks.md). Which keys apply depends on `type`.
struct SinkSpec {
  std::string name;  // unique; rules refer to it
  // "log", "jsonl", "webhook", "slack", "discord", "teams", "ntfy", "telegram", "email"
  std::string type;
  const SinkKind* kind = nullptr;    // the type's description, set by the loader
  std::string url;                   // webhook/slack/discord/teams: the endpoint; ntfy: server;
                                     // telegram: API base; email: smtp:// or smtps:// server
  std::vector<std::string> secrets;  // webhook: whsec_… signing keys, in configured order
  std::map<std::string, std::string>
      headers;  // extra HTTP headers (fixed strings, never feed text)
  milliseconds timeout{15000};
  bool allow_private_addresses = false;
  std::string token;                  // ntfy access token, telegram bot token (from token_file)
  std::string chat_id;                // telegram
  std::string topic;                  // ntfy
  std::string from;                   // email
  std::vector<std::string> to;        // email recipients
  std::string username, password;     // email (SMTP AUTH); password from password_file
  std::string starttls = "required";  // email over smtp://: "required" or "off"
  std::string path;                   // jsonl: the file appended to
  // Rendering: message text (or, for webhook, the whole body) and a title
  // (email subject, ntfy title). Empty: the built-in format.
  std::string template_text, title_template;
  std::string content_type;  // webhook with a template; default application/json
  // Settings a type declares without a field of its own (SinkSetting).
  std::map<std::string, std::string> extra;
  // Flow control.
  int concurrency = 1;  // messages in flight at once
  bool ordered = true;  // a failing alert holds back later ones (strict order at concurrency 1)
  double rate_per_second = 0;     // token bucket refill; 0 = unlimited
  int burst = 1;                  // token bucket size
  milliseconds group_window{0};   // > 0: alerts of a burst go out as one digest
  int group_max = 20;             // alerts per digest at most
  std::string group_by = "sink";  // "sink" or "rule"
  // Budget: at most `max_alerts` messages per `max_alerts_window`; past it,
  // alerts are held and go out as digests when the window ends. 0: none.
  int max_alerts = 0;
  milliseconds max_alerts_window{0};
  StoryMode stories = StoryMode::kFirst;
  milliseconds story_update_every{60 * 60 * 1000};  // kUpdates: one follow-up at most this often
  int line = 0;
};

struct DaemonSettings {
  std::string state_dir = "/var/lib/feedwatch";
  milliseconds interval{10 * 60 * 1000};  // default per feed
  milliseconds min_interval{1000};        // floor for any feed's interval
  milliseconds jitter{30 * 1000};         // up to this much is added to each wait
  std::string user_agent = "feedwatch/" FEEDWATCH_VERSION " (RSS/Atom monitor)";
  milliseconds fetch_timeout{30 * 1000};
  milliseconds connect_timeout{10 * 1000};
  std::uint64_t max_body_bytes = 16ULL << 20;  // decoded bytes
  int max_redirects = 5;
  bool prime = true;
  // Feeds and sinks may not reach loopback, private, link-local, CGNAT or
  // multicast addresses unless this (or the feed's / sink's own switch) is set.
  bool allow_private_addresses = false;
  // Non-public networks feeds and sinks may reach anyway, e.g. "127.0.0.1/32"
  // for a local relay: narrower than allow_private_addresses.
  std::vector<Cidr> allow_networks;
  int max_concurrent_fetches = 64;  // transfers at once, all hosts
  int max_per_host = 4;             // transfers at once to one host
  milliseconds max_interval{6 * 60 * 60 *
                            1000};           // cap for backoff, Retry-After and publisher hints
  bool publisher_hints = true;               // default for feeds
  bool adaptive = false;                     // default for feeds
  milliseconds adaptive_min{5 * 60 * 1000};  // adaptive polling stays within these bounds
  milliseconds adaptive_max{6 * 60 * 60 * 1000};
  milliseconds retry_base{5 * 1000};       // first delivery retry delay, doubled per attempt
  milliseconds retry_max{60 * 60 * 1000};  // cap on the delay
  int max_attempts = 20;                   // then the alert is dead-lettered
  milliseconds max_alert_age{3LL * 24 * 60 * 60 *
                             1000};  // a failing alert older than this is dead-lettered
  // Retention: seen entries that left their feed this long ago are forgotten
  // (checked on successful, non-empty polls only); delivered outbox rows are
  // deleted this long after delivery. Dead rows are kept.
  milliseconds seen_retention{90LL * 24 * 60 * 60 * 1000};
  milliseconds delivered_retention{30LL * 24 * 60 * 60 * 1000};
  // The entries archive (backtest, search): every new entry, kept this long,
  // and (when set) the oldest dropped once the archive outgrows this size.
  bool archive = true;
  milliseconds archive_retention{30LL * 24 * 60 * 60 * 1000};
  std::uint64_t archive_max_size = 0;  // bytes; 0 = no limit
  // Copies of one story from many feeds, seen within this window of its
  // first, are one story (docs/stories.md); 0 turns grouping off.
  milliseconds story_window{48LL * 60 * 60 * 1000};
  milliseconds stop_timeout{10 * 1000};  // SIGTERM: in-flight work gets this long
  std::vector<std::string> rules;        // as written (paths, globs, directories)
};

struct Config {
  std::string path;  // the file loaded
  DaemonSettings daemon;
  std::vector<FeedSpec> feeds;
  std::vector<SinkSpec> sinks;
  std::vector<std::string> rule_files;  // expanded, sorted, de-duplicated
  std::string admin_listen;             // [admin] listen: "127.0.0.1:9321" or
                                        // "unix:/run/feedwatch/admin.sock"; "" = off
  // [admin] token_file's contents: every request then needs it as a bearer
  // token (required for a non-loopback listen). Never logged.
  std::string admin_token;
  bool admin_metrics_public = false;  // [admin] metrics_public: /metrics needs no token
  bool admin_actions = false;         // [admin] actions: the pages may retry, drop, reload
  // [admin] hosts: Host names the endpoint answers besides the loopback names
  // and the address it listens on (lower case, no port); others get 421.
  std::vector<std::string> admin_hosts;
  // [admin] query_timeout: an archive search, backtest or page past this is stopped (503).
  std::chrono::milliseconds admin_query_timeout{5000};
};

// Loads and validates `path`. Errors name path:line; all of them are reported
// together (one per line of the Status message). Relative paths inside the
// file are resolved against the file's directory.
Result<Config> LoadConfig(const std::string& path);

// Like LoadConfig, but fills `cfg` with everything that could be read even
// when there are errors, so callers can go on to check the rule files too.
Status LoadConfigInto(const std::string& path, Config& cfg);

// Expands paths, directories (their *.toml files) and globs. A literal path
// that does not exist is an error; a glob matching nothing is not.
Result<std::vector<std::string>> ExpandRulePaths(const std::vector<std::string>& paths,
                                                 const std::string& base_dir);

}  // namespace feedwatch
