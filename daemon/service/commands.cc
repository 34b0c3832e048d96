#include "feedwatch/commands.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <asio/io_context.hpp>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "command_util.h"
#include "feedwatch/daemon.h"
#include "feedwatch/feed.h"
#include "feedwatch/http_client.h"
#include "feedwatch/scheduler.h"
#include "feedwatch/store.h"
#include "feedwatch/template.h"
#include "feedwatch/util.h"

namespace feedwatch {

namespace fs = std::filesystem;

int CmdRun(const RunCommand& cmd, std::ostream& out, std::ostream& err) {
  auto loaded = LoadAll(cmd.config_path);
  if (!loaded.ok()) {
    err << loaded.status().message() << "\n";
    return 2;
  }
  Daemon daemon(std::move(*loaded));
  RunOptions opt;
  opt.once = cmd.once;
  Status st = daemon.Run(opt);
  if (!st.ok()) {
    err << st.message() << "\n";
    return 1;
  }
  if (cmd.once) {
    const DaemonStats& s = daemon.stats();
    out << "feeds polled:     " << s.feeds_polled << " (" << s.feeds_primed
        << " primed on first sight, " << s.feeds_failed << " failed)\n"
        << "entries:          " << s.entries << " (" << s.new_entries << " new)\n"
        << "matches:          " << s.matches << "\n"
        << "alerts queued:    " << s.alerts_queued << " (one per new match and sink)\n"
        << "alerts delivered: " << s.alerts_delivered << "\n"
        << "alerts pending:   " << s.alerts_pending << " (retried later)\n";
  }
  return 0;
}

int CmdCheck(const std::string& config_path, std::ostream& out, std::ostream& err) {
  auto loaded = LoadAll(config_path);
  if (!loaded.ok()) {
    err << loaded.status().message() << "\n";
    return 1;
  }
  const Config& c = loaded->config;
  std::set<std::string> feed_names;
  for (const auto& f : c.feeds) feed_names.insert(f.name);
  std::vector<std::string> warnings = LintRules(loaded->matcher->rules());
  for (const auto& r : loaded->matcher->rules()) {
    for (const auto* list : {&r.feeds, &r.exclude_feeds}) {
      for (const auto& name : *list) {
        if (!feed_names.count(name)) {
          warnings.push_back(r.file + ":" + std::to_string(r.line) + ": rule '" + r.id +
                             "': feed '" + name + "' is not configured in " + config_path);
        }
      }
    }
  }
  for (const auto& w : warnings) err << "warning: " << w << "\n";
  out << config_path << ": ok: " << c.feeds.size() << " feeds, " << loaded->matcher->rules().size()
      << " rules from " << c.rule_files.size() << " files, " << c.sinks.size() << " sinks"
      << (warnings.empty() ? "" : ", " + std::to_string(warnings.size()) + " warnings") << "\n";
  return 0;
}

namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Io(path + ": cannot read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> ExpandInputs(const std::vector<std::string>& inputs, std::ostream& err,
                                      int* errors) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(in, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec)) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(in, ec)) {
      files.push_back(in);
    } else {
      err << in << ": no such file or directory\n";
      ++*errors;
    }
  }
  return files;
}

}  // namespace

using cmdutil::HighlightsJson;
using cmdutil::LoadMatcher;
using cmdutil::Quoted;

int CmdScan(const ScanCommand& cmd, std::ostream& out, std::ostream& err) {
  auto matcher = LoadMatcher(cmd.rule_paths, cmd.config_path);
  if (!matcher.ok()) {
    err << matcher.status().message() << "\n";
    return 2;
  }
  int errors = 0;
  std::vector<std::string> paths = ExpandInputs(cmd.inputs, err, &errors);
  // Files are independent: workers take them in turn; output keeps the input
  // order, so a scan prints the same lines whatever the thread count.
  struct FileResult {
    std::string lines, error;
    std::int64_t entries = 0, matches = 0;
    bool ok = false;
  };
  std::vector<FileResult> results(paths.size());
  const Matcher& m = **matcher;
  auto scan_one = [&](std::size_t i) {
    FileResult& r = results[i];
    const std::string& path = paths[i];
    auto body = ReadFile(path);
    if (!body.ok()) {
      r.error = body.status().message();
      return;
    }
    auto feed = ParseFeed(*body, "", "");
    if (!feed.ok()) {
      r.error = path + ": " + feed.status().message();
      return;
    }
    r.ok = true;
    // Saved files are not configured feeds: scan tests the text conditions;
    // feed scoping and max_age apply in the daemon only.
    MatchContext ctx;
    ctx.feed_name = path;
    ctx.feed_title = feed->title;
    ctx.ignore_scope = true;
    for (const Entry& e : feed->entries) {
      ++r.entries;
      for (std::size_t rule : m.Match(e, ctx)) {
        ++r.matches;
        if (cmd.explain) {
          nlohmann::ordered_json j = {
              {"rule", m.rules()[rule].id},
              {"feed", path},
              {"entry_id", e.key},
              {"title", e.title},
              {"link", e.link},
              {"published", e.published ? nlohmann::ordered_json(FormatRfc3339(*e.published))
                                        : nlohmann::ordered_json()}};
          Explanation ex = m.Explain(e, ctx, rule);
          j["explain"] = {{"held", ex.held}, {"highlights", HighlightsJson(ex.highlights)}};
          r.lines += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
          continue;
        }
        // The same object, written directly: a scan can print hundreds of
        // thousands of these, and building a JSON tree per line was a tenth
        // of its time. Every field is valid UTF-8 (the parser made it so).
        auto field = [&r](const char* name, std::string_view v, bool last = false) {
          r.lines += '"';
          r.lines += name;
          r.lines += "\":\"";
          AppendEscaped(r.lines, v, Escape::kJson);
          r.lines += last ? "\"" : "\",";
        };
        r.lines += '{';
        field("rule", m.rules()[rule].id);
        field("feed", path);
        field("entry_id", e.key);
        field("title", e.title);
        field("link", e.link);
        if (e.published)
          field("published", FormatRfc3339(*e.published), true);
        else
          r.lines += "\"published\":null";
        r.lines += "}\n";
      }
    }
  };
  unsigned jobs = cmd.jobs > 0 ? static_cast<unsigned>(cmd.jobs)
                               : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<unsigned>(jobs, static_cast<unsigned>(std::max<std::size_t>(1, paths.size())));
  // Results are printed as soon as every earlier file is done, and workers
  // stay at most a few files ahead of the printer: memory stays bounded
  // however many files and matches there are.
  const std::size_t ahead = 4 * static_cast<std::size_t>(jobs);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<char> done(paths.size(), 0);
  std::size_t next = 0, printed = 0;
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < jobs; ++t) {
    workers.emplace_back([&] {
      while (true) {
        std::size_t i;
        {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return next >= paths.size() || next < printed + ahead; });
          if (next >= paths.size()) return;
          i = next++;
        }
        scan_one(i);
        {
          std::lock_guard<std::mutex> lock(mu);
          done[i] = 1;
        }
        cv.notify_all();
      }
    });
  }
  std::int64_t entries = 0, matches = 0, files_ok = 0;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done[i] != 0; });
    }
    FileResult r = std::move(results[i]);  // freed as soon as it is printed
    {
      std::lock_guard<std::mutex> lock(mu);
      printed = i + 1;
    }
    cv.notify_all();
    if (!r.ok) {
      err << r.error << "\n";
      ++errors;
      continue;
    }
    ++files_ok;
    entries += r.entries;
    matches += r.matches;
    out << r.lines;
  }
  for (auto& w : workers) w.join();
  err << "scanned " << files_ok << " files (" << errors << " failed), " << entries << " entries, "
      << matches << " matches, " << m.rules().size() << " rules\n";
  return errors ? 1 : 0;
}

int CmdFetch(const FetchCommand& cmd, std::ostream& out, std::ostream& err) {
  DaemonSettings d;
  // The request the daemon would send: the configured feed's credentials and
  // headers when the URL is one of them (without validators: a full fetch).
  FeedSpec spec;
  spec.url = cmd.url;
  bool allow = cmd.allow_private;
  if (!cmd.config_path.empty()) {
    auto cfg = LoadConfig(cmd.config_path);
    if (!cfg.ok()) {
      err << cfg.status().message() << "\n";
      return 2;
    }
    d = cfg->daemon;
    allow = allow || d.allow_private_addresses;
    for (const auto& f : cfg->feeds) {
      if (f.url == cmd.url) spec = f;
    }
  }
  HttpRequest req = fetch::FeedRequest(spec, d, FeedState{});
  req.allow_private = allow || spec.allow_private_addresses;
  asio::io_context io;
  HttpClient client(io);
  HttpResponse resp;
  client.Start(req, [&](HttpResponse r) { resp = std::move(r); });
  io.run();
  out << "GET " << cmd.url << "\n";
  if (!resp.ok) {
    out << "error:         " << resp.error << "\n";
    return 1;
  }
  out << "status:        " << resp.status << "\n";
  if (!resp.final_url.empty() && resp.final_url != cmd.url)
    out << "final URL:     " << resp.final_url << "\n";
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f s", resp.total_seconds);
  out << "time:          " << secs << "\n";
  for (const auto& [name, value] :
       {std::pair{"content-type:  ", &resp.content_type}, std::pair{"etag:          ", &resp.etag},
        std::pair{"last-modified: ", &resp.last_modified},
        std::pair{"retry-after:   ", &resp.retry_after}}) {
    if (!value->empty()) out << name << SanitizeUtf8(*value) << "\n";
  }
  out << "body:          " << resp.body.size() << " bytes (decoded)\n";
  if (resp.status >= 200 && resp.status < 300) {
    auto feed =
        ParseFeed(resp.body, resp.content_type, resp.final_url.empty() ? cmd.url : resp.final_url);
    if (feed.ok()) {
      out << "parsed:        " << FormatName(feed->format) << ", " << feed->entries.size()
          << " entries, " << feed->warnings.size() << " warnings\n";
      for (const auto& w : feed->warnings) out << "  warning: " << w << "\n";
    } else {
      out << "parsed:        " << feed.status().message() << "\n";
      return 1;
    }
  }
  return (resp.status >= 200 && resp.status < 300) || resp.status == 304 ? 0 : 1;
}

int CmdStatus(const std::string& config_path, std::ostream& out, std::ostream& err) {
  auto cfg = LoadConfig(config_path);
  if (!cfg.ok()) {
    err << cfg.status().message() << "\n";
    return 2;
  }
  auto store = Store::Open(cfg->daemon.state_dir);
  if (!store.ok()) {
    err << store.status().message() << "\n";
    return 1;
  }
  auto states = (*store)->FeedStatuses();
  auto counts = (*store)->CountOutbox();
  if (!states.ok() || !counts.ok()) {
    err << (states.ok() ? counts.status() : states.status()).message() << "\n";
    return 1;
  }
  std::map<std::string, const FeedStatus*> by_url;
  for (const auto& s : *states) by_url[s.url] = &s;
  std::int64_t now = UnixNowMs();
  auto ago = [&](std::int64_t ms) {
    if (ms <= 0) return std::string("never");
    return FormatDuration(std::chrono::milliseconds((now - ms) / 1000 * 1000)) + " ago";
  };
  int failing = 0;
  for (const auto& f : cfg->feeds) {
    auto it = by_url.find(f.url);
    if (it == by_url.end()) {
      out << f.name << "  " << f.url << "\n    not polled yet\n";
      continue;
    }
    const FeedStatus& s = *it->second;
    failing += s.consecutive_failures > 0;
    out << f.name << "  " << f.url << "\n    last poll " << ago(s.last_poll_ms) << ": "
        << s.last_status;
    if (s.last_http_status) out << " (HTTP " << s.last_http_status << ")";
    if (s.consecutive_failures)
      out << ", " << s.consecutive_failures << " consecutive failures: " << s.last_error;
    out << "\n    next due "
        << (s.next_due_ms > now
                ? "in " +
                      FormatDuration(std::chrono::milliseconds((s.next_due_ms - now) / 1000 * 1000))
                : std::string("now"))
        << ", " << s.seen_entries << " entries seen\n";
  }
  out << cfg->feeds.size() << " feeds, " << failing << " failing; outbox: " << counts->pending
      << " pending, " << counts->delivered << " delivered, " << counts->dead << " dead\n";
  return 0;
}

int CmdReload(const std::string& config_path, std::ostream& out, std::ostream& err) {
  auto cfg = LoadConfig(config_path);
  if (!cfg.ok()) {
    // The daemon would refuse it too; say why before asking.
    err << cfg.status().message() << "\n";
    return 2;
  }
  if (cfg->admin_listen.empty()) {
    err << config_path
        << ": no [admin] listen; reload with `systemctl reload feedwatch` (SIGHUP) instead\n";
    return 2;
  }
  EnsureCurlGlobalInit();
  CURL* e = curl_easy_init();
  std::string url, body;
  if (cfg->admin_listen.rfind("unix:", 0) == 0) {
    curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, cfg->admin_listen.substr(5).c_str());
    url = "http://localhost/reload";
  } else {
    url = "http://" + cfg->admin_listen + "/reload";
  }
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(e, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(
      e, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) {
        static_cast<std::string*>(u)->append(d, s * n);
        return s * n;
      });
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
  CURLcode rc = curl_easy_perform(e);
  long status = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(e);
  if (rc != CURLE_OK) {
    err << "cannot reach the daemon at " << cfg->admin_listen << ": " << curl_easy_strerror(rc)
        << "\n";
    return 1;
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (status == 200 && j.is_object()) {
    out << "reloaded: rule set generation " << j.value("generation", 0) << "\n";
    return 0;
  }
  err << "reload failed; the daemon keeps running the previous config:\n"
      << (j.is_object() ? j.value("errors", body) : body) << "\n";
  return 1;
}

int CmdOutbox(const OutboxCommand& cmd, std::ostream& out, std::ostream& err) {
  auto cfg = LoadConfig(cmd.config_path);
  if (!cfg.ok()) {
    err << cfg.status().message() << "\n";
    return 2;
  }
  auto store = Store::Open(cfg->daemon.state_dir);
  if (!store.ok()) {
    err << store.status().message() << "\n";
    return 1;
  }
  Store& st = **store;
  if (cmd.action == "retry" || cmd.action == "drop") {
    if (cmd.action == "retry" && cmd.dead == !cmd.ref.empty()) {
      err << "outbox retry: give an alert id (or row id), or --dead\n";
      return 2;
    }
    if (cmd.action == "drop" && cmd.ref.empty()) {
      err << "outbox drop: give an alert id (or row id)\n";
      return 2;
    }
    Result<int> n = cmd.action == "drop" ? st.DropAlert(cmd.ref)
                    : cmd.dead           ? st.RetryDead(UnixNowMs())
                                         : st.RetryAlert(cmd.ref, UnixNowMs());
    if (!n.ok()) {
      err << n.status().message() << "\n";
      return 1;
    }
    if (*n == 0 && !cmd.dead) {
      err << "outbox " << cmd.action << ": no "
          << (cmd.action == "retry" ? "delivered or dead " : "") << "alert with id " << cmd.ref
          << "\n";
      return 1;
    }
    out << (cmd.action == "drop" ? "dropped " : "queued for retry: ") << *n << " alert(s)\n";
    return 0;
  }
  auto rows = st.ListOutbox({cmd.state, cmd.limit});
  if (!rows.ok()) {
    err << rows.status().message() << "\n";
    return 1;
  }
  const char* names[] = {"pending", "delivered", "dead"};
  for (const OutboxRow& r : *rows) {
    auto payload = nlohmann::json::parse(r.payload, nullptr, false);
    std::string title = payload.is_object() ? payload["entry"].value("title", "") : "";
    std::string state = names[static_cast<int>(r.state)];
    if (cmd.json) {
      nlohmann::json j = {{"id", r.id},
                          {"alert_id", r.alert_id},
                          {"state", state},
                          {"sink", r.sink},
                          {"rule", r.rule_id},
                          {"feed", r.feed_url},
                          {"title", title},
                          {"attempts", r.attempts},
                          {"created_at", FormatRfc3339(r.created_ms / 1000)},
                          {"last_error", r.last_error},
                          {"digest", r.group_id}};
      if (r.state == AlertState::kPending)
        j["next_attempt_at"] = FormatRfc3339(r.next_attempt_ms / 1000);
      if (r.delivered_ms) j["delivered_at"] = FormatRfc3339(r.delivered_ms / 1000);
      out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      continue;
    }
    out << r.id << "  " << r.alert_id << "  " << state << "  " << r.sink << "  " << r.rule_id
        << "  attempts " << r.attempts << "  created " << FormatRfc3339(r.created_ms / 1000)
        << "\n    " << SanitizeUtf8(title) << "\n";
    if (!r.last_error.empty()) out << "    last error: " << r.last_error << "\n";
  }
  auto counts = st.CountOutbox();
  if (!cmd.json && counts.ok()) {
    out << "outbox: " << counts->pending << " pending, " << counts->delivered << " delivered, "
        << counts->dead << " dead\n";
  }
  return 0;
}

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
      return 1;
    }
    body = std::move(*r);
  }
  auto feed = ParseFeed(body, cmd.content_type, cmd.url.empty() ? cmd.input : cmd.url);
  if (!feed.ok()) {
    err << feed.status().message() << "\n";
    return 1;
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
  return 0;
}

int CmdTest(const std::vector<std::string>& rule_paths, const std::string& config_path,
            std::ostream& out, std::ostream& err) {
  auto matcher = LoadMatcher(rule_paths, config_path);
  if (!matcher.ok()) {
    err << matcher.status().message() << "\n";
    return 2;
  }
  const Matcher& m = **matcher;
  int passed = 0, failed = 0;
  for (std::size_t r = 0; r < m.rules().size(); ++r) {
    const RuleSpec& rule = m.rules()[r];
    for (const RuleExample& ex : rule.examples) {
      MatchContext ctx;
      ctx.feed_title = ex.feed_title;
      ctx.ignore_scope = true;
      auto matched = m.Match(ex.entry, ctx);
      bool got = std::find(matched.begin(), matched.end(), r) != matched.end();
      Explanation why = m.Explain(ex.entry, ctx, r);
      if (got == ex.expect && why.matched == got) {
        ++passed;
        continue;
      }
      ++failed;
      out << "FAIL " << rule.file << ":" << ex.line << ": rule '" << rule.id << "': expected "
          << (ex.expect ? "a match" : "no match") << ", got " << (got ? "a match" : "none") << "\n";
      if (!ex.entry.title.empty()) out << "    title:   " << Quoted(ex.entry.title) << "\n";
      if (!ex.entry.summary.empty()) out << "    summary: " << Quoted(ex.entry.summary) << "\n";
      if (!ex.entry.content.empty()) out << "    content: " << Quoted(ex.entry.content) << "\n";
      for (const auto& h : why.held) out << "    held:    " << h << "\n";
      for (const auto& f : why.failed) out << "    failed:  " << f << "\n";
      if (why.matched != got)
        out << "    internal: the RE2::Set and per-pattern evaluation disagree\n";
    }
  }
  out << passed << " passed, " << failed << " failed\n";
  return failed ? 1 : 0;
}

namespace cmdutil {

// Rules from explicit paths and/or a config's rule list, compiled.
Result<std::shared_ptr<const Matcher>> LoadMatcher(const std::vector<std::string>& rule_paths,
                                                   const std::string& config_path) {
  std::vector<std::string> rule_files;
  if (!config_path.empty()) {
    auto cfg = LoadConfig(config_path);
    if (!cfg.ok()) return cfg.status();
    rule_files = cfg->rule_files;
  }
  auto expanded = ExpandRulePaths(rule_paths, "");
  if (!expanded.ok()) return expanded.status();
  rule_files.insert(rule_files.end(), expanded->begin(), expanded->end());
  if (rule_files.empty())
    return Status::Invalid("no rules: give rule files or directories, or --config FILE");
  auto rules = LoadRuleFiles(rule_files);
  if (!rules.ok()) return rules.status();
  return Matcher::Build(std::move(*rules));
}

nlohmann::ordered_json HighlightsJson(const std::vector<Highlight>& hs) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& h : hs) {
    a.push_back({{"field", FieldName(h.field)},
                 {"pattern", h.pattern},
                 {"text", h.text},
                 {"begin", h.begin},
                 {"end", h.end}});
  }
  return a;
}

std::string Quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace cmdutil

}  // namespace feedwatch
