// The kill -9 soak (../shared/RELIABILITY.md §4c): a scripted feed server, a
// recording webhook receiver and the real feedwatch binary, killed at seeded
// random moments and restarted. The oracle comes from the feed server's
// script: every matching entry published after a feed was primed must reach
// the receiver; nothing else may.
//
//   feedwatch-soak --binary PATH [--iterations N] [--seed S] [--feeds K] [--keep DIR]
//
// Everything listens on 127.0.0.1. Prints one line of figures; exit 1 on any
// violation.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include "process_util.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kKeyword = "export controls";

// ---- the feed server -------------------------------------------------------

struct ScriptEntry {
  std::string guid, title, body;
  bool matching = false;
  bool baseline = false;  // in the document before the daemon first recorded the feed
};

struct FeedScript {
  std::vector<ScriptEntry> entries;  // oldest first
  int version = 0;
  bool confirmed = false;  // a conditional request arrived: the daemon has recorded a poll
  int requests = 0;        // requests served, whatever the answer
};

class FeedServer {
 public:
  FeedServer(int feeds, std::uint64_t seed) : rng_(seed) {
    for (int f = 0; f < feeds; ++f) {
      FeedScript s;
      for (int e = 0; e < 4; ++e) Append(s, f, /*baseline=*/true);
      scripts_.push_back(std::move(s));
    }
    server_.new_task_queue = [] { return new httplib::ThreadPool(16); };
    server_.Get(R"(/feed/(\d+)\.xml)",
                [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~FeedServer() {
    growing_ = false;
    if (grower_.joinable()) grower_.join();
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

  // Entries appear on confirmed feeds at random moments until StopGrowth().
  void StartGrowth() {
    growing_ = true;
    grower_ = std::thread([this] {
      while (growing_) {
        std::this_thread::sleep_for(milliseconds(100));
        std::lock_guard<std::mutex> lock(mu_);
        for (std::size_t f = 0; f < scripts_.size(); ++f) {
          if (scripts_[f].confirmed && Chance(0.25))
            Append(scripts_[f], static_cast<int>(f), false);
        }
      }
    });
  }
  void StopGrowth() {
    growing_ = false;
    if (grower_.joinable()) grower_.join();
  }
  // Copies, for the oracle.
  std::vector<FeedScript> Scripts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return scripts_;
  }
  std::map<std::string, int> faults() const {
    std::lock_guard<std::mutex> lock(mu_);
    return faults_;
  }

 private:
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  void Append(FeedScript& s, int feed, bool baseline) {
    ScriptEntry e;
    e.guid = "feed" + std::to_string(feed) + "-entry" + std::to_string(s.entries.size());
    e.matching = Chance(0.3);
    e.title = e.matching ? "US widens " + std::string(kKeyword) + " on chips, item " + e.guid
                         : "Local council news, item " + e.guid;
    // Each entry a story of its own: text drawn at random, so that no two
    // are near duplicates (copies of one story would be grouped, and alert once).
    static const char* const kWords[] = {
        "ministry", "tariff",  "lithography", "memory", "foundry", "license", "entity", "broker",
        "shipment", "customs", "senate",      "draft",  "ruling",  "appeal",  "vessel", "battery",
        "quantum",  "subsidy", "factory",     "audit",  "waiver",  "gallium", "tender", "merger",
        "probe",    "fine",    "server",      "cloud",  "router",  "sensor",  "laser",  "wafer",
        "harbour",  "budget",  "council",     "school", "bridge",  "rail",    "storm",  "market"};
    // Drawn from a generator of the entry's own, so the faults the seed
    // scripts stay what they were.
    std::mt19937_64 words(std::hash<std::string>()(e.guid));
    e.body = "Body of " + e.guid + ":";
    for (int w = 0; w < 24; ++w) e.body += std::string(" ") + kWords[words() % 40];
    e.baseline = baseline;
    s.entries.push_back(std::move(e));
    ++s.version;
  }

  void Serve(const httplib::Request& req, httplib::Response& res) {
    int f = std::stoi(req.matches[1]);
    std::string doc;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (f < 0 || f >= static_cast<int>(scripts_.size())) {
        res.status = 404;
        return;
      }
      FeedScript& s = scripts_[f];
      ++s.requests;
      std::string etag = "\"v" + std::to_string(s.version) + "\"";
      if (req.has_header("If-None-Match")) s.confirmed = true;
      if (Chance(0.05)) {
        ++faults_["feed 500"];
        res.status = 500;
        return;
      }
      if (req.get_header_value("If-None-Match") == etag && !Chance(0.1)) {
        res.status = 304;
        res.set_header("ETag", etag);
        return;
      }
      std::vector<const ScriptEntry*> order;
      for (const auto& e : s.entries) order.push_back(&e);
      std::reverse(order.begin(), order.end());  // newest first, as feeds are
      if (Chance(0.05)) {
        ++faults_["feed reordered"];
        std::shuffle(order.begin(), order.end(), rng_);
      }
      doc = R"(<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Soak )" +
            std::to_string(f) + "</title><link>http://127.0.0.1/</link>";
      for (const ScriptEntry* e : order) {
        doc += "<item><guid isPermaLink=\"false\">" + e->guid + "</guid><title>" + e->title +
               "</title><link>http://127.0.0.1/" + e->guid + "</link><description>" + e->body +
               "</description></item>";
      }
      doc += "</channel></rss>";
      if (Chance(0.03)) {
        ++faults_["feed truncated"];
        doc.resize(
            std::uniform_int_distribution<std::size_t>(doc.size() / 3, doc.size() - 1)(rng_));
      } else {
        res.set_header("ETag", etag);
      }
      if (Chance(0.05)) {
        ++faults_["feed slow body"];
        auto body = std::make_shared<std::string>(std::move(doc));
        res.set_chunked_content_provider(
            "application/rss+xml", [body](std::size_t offset, httplib::DataSink& sink) {
              if (offset >= body->size()) {
                sink.done();
                return true;
              }
              std::this_thread::sleep_for(milliseconds(50));
              std::size_t n = std::min<std::size_t>(512, body->size() - offset);
              sink.write(body->data() + offset, n);
              return true;
            });
        return;
      }
    }
    res.set_content(doc, "application/rss+xml");
  }

  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  std::vector<FeedScript> scripts_;
  std::map<std::string, int> faults_;
  httplib::Server server_;
  std::thread thread_, grower_;
  std::atomic<bool> growing_{false};
  int port_ = 0;
};

// ---- the webhook receiver --------------------------------------------------

struct Record {
  std::string id, timestamp, signature, body;
  std::string verdict;  // "200", "500", "429", "stall", "drop"
};

std::string Base64(const unsigned char* p, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  return out;
}

bool SignatureOk(const Record& r) {
  std::string b64 = std::string(kSecret).substr(6);
  std::string key(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  std::size_t pad = b64.size() - b64.find_last_not_of('=') - 1;
  key.resize(static_cast<std::size_t>(n) - pad);
  std::string content = r.id + "." + r.timestamp + "." + r.body;
  unsigned char mac[64];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
  return r.signature == "v1," + Base64(mac, len);
}

// Raw sockets, so a fault can be "read the request, record it, then close
// without an answer" (the sender sees a failure, the receiver has it).
class Receiver {
 public:
  Receiver(std::uint64_t seed, const std::string& log_path)
      : rng_(seed), log_(log_path, std::ios::app) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 64);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~Receiver() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : workers_) t.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  void SetHealthy(bool healthy) { healthy_ = healthy; }
  std::vector<Record> Records() const {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }

 private:
  void Accept() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::lock_guard<std::mutex> lock(workers_mu_);
      workers_.emplace_back([this, c] { Connection(c); });
    }
  }

  void Connection(int c) {
    std::string buf;
    auto fill = [&](std::size_t want_total) {
      while (buf.size() < want_total) {
        pollfd p{c, POLLIN, 0};
        if (stop_ || ::poll(&p, 1, 100) < 0) return false;
        if (!(p.revents & (POLLIN | POLLHUP))) {
          if (stop_) return false;
          continue;
        }
        char chunk[8192];
        ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buf.append(chunk, static_cast<std::size_t>(n));
      }
      return true;
    };
    while (!stop_) {
      std::size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!fill(buf.size() + 1)) return Close(c);
      }
      std::string head = buf.substr(0, end);
      std::string lower = head;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char ch) { return std::tolower(ch); });
      auto header = [&](const std::string& name) {
        auto p = lower.find("\r\n" + name + ":");
        if (p == std::string::npos) return std::string();
        auto v = p + name.size() + 3;
        auto e = head.find("\r\n", v);
        std::string val = head.substr(v, e == std::string::npos ? std::string::npos : e - v);
        while (!val.empty() && val.front() == ' ') val.erase(0, 1);
        return val;
      };
      std::size_t length = std::strtoull(header("content-length").c_str(), nullptr, 10);
      if (!fill(end + 4 + length)) return Close(c);
      Record r;
      r.id = header("webhook-id");
      r.timestamp = header("webhook-timestamp");
      r.signature = header("webhook-signature");
      r.body = buf.substr(end + 4, length);
      buf.erase(0, end + 4 + length);
      std::string verdict = "200";
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!healthy_) {
          double x = std::uniform_real_distribution<double>(0, 1)(rng_);
          if (x < 0.06)
            verdict = "500";
          else if (x < 0.10)
            verdict = "429";
          else if (x < 0.12)
            verdict = "stall";
          else if (x < 0.15)
            verdict = "drop";
        }
        r.verdict = verdict;
        // Recorded (and flushed) before any answer.
        records_.push_back(r);
        log_ << nlohmann::json{{"webhook-id", r.id}, {"verdict", verdict}, {"body", r.body}}.dump()
             << "\n"
             << std::flush;
      }
      if (verdict == "drop") return Close(c);
      if (verdict == "stall") {
        for (int i = 0; i < 30 && !stop_; ++i)
          std::this_thread::sleep_for(milliseconds(100));  // past the 2 s timeout
        return Close(c);
      }
      std::string resp =
          verdict == "200" ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
          : verdict == "429"
              ? "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"
              : "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
      if (::send(c, resp.data(), resp.size(), MSG_NOSIGNAL) < 0) return Close(c);
    }
    Close(c);
  }
  static void Close(int c) { ::close(c); }

  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false}, healthy_{false};
  std::thread acceptor_;
  std::mutex workers_mu_;
  std::vector<std::thread> workers_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  std::vector<Record> records_;
  std::ofstream log_;
};

// ---- the daemon under test -------------------------------------------------

class Notify {
 public:
  explicit Notify(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ~Notify() { ::close(fd_); }
  bool WaitReady(milliseconds timeout) {
    auto end = Clock::now() + timeout;
    while (Clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0 &&
          std::string(buf, static_cast<std::size_t>(n)).find("READY=1") != std::string::npos)
        return true;
    }
    return false;
  }
  void Drain() {
    char buf[4096];
    while (::recv(fd_, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
  }

 private:
  int fd_;
};

pid_t Start(const std::string& binary, const std::string& config, const std::string& notify,
            const std::string& log) {
  return feedwatch::testing::SpawnProcess({binary, "run", "--config", config},
                                          {"NOTIFY_SOCKET=" + notify}, log);
}

using feedwatch::testing::WaitExit;

// integrity_check result and the pending outbox depth, read with a second connection.
std::pair<std::string, long> InspectDb(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return {"cannot open", 0};
  }
  sqlite3_busy_timeout(db, 5000);
  std::string integrity = "?";
  long pending = 0;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    integrity = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  // The archive is written in the transaction that marks entries seen: after
  // any kill, every seen entry has its archive row and no other row exists.
  auto count = [&](const char* sql) {
    long n = -1;
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &q, nullptr) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
      n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
  };
  long seen = count("SELECT COUNT(*) FROM seen"), archived = count("SELECT COUNT(*) FROM archive");
  if (integrity == "ok" && seen != archived)
    integrity = "the archive has " + std::to_string(archived) + " entries, seen has " +
                std::to_string(seen);
  if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'", -1, &st,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    pending = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return {integrity, pending};
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary, keep;
  int iterations = 30, feeds = 8;
  std::uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--binary")
      binary = next();
    else if (a == "--iterations")
      iterations = std::stoi(next());
    else if (a == "--seed")
      seed = std::stoull(next());
    else if (a == "--feeds")
      feeds = std::stoi(next());
    else if (a == "--keep")
      keep = next();
    else {
      std::cerr << "usage: feedwatch-soak --binary PATH [--iterations N] [--seed S] [--feeds K] "
                   "[--keep DIR]\n";
      return 2;
    }
  }
  if (binary.empty()) {
    std::cerr << "feedwatch-soak: --binary is required\n";
    return 2;
  }
  std::string tmpl = (fs::temp_directory_path() / "feedwatch-soak-XXXXXX").string();
  std::string dir = keep.empty() ? mkdtemp(tmpl.data()) : keep;
  fs::create_directories(dir);
  std::mt19937_64 rng(seed);

  FeedServer server(feeds, seed * 7 + 1);
  Receiver receiver(seed * 13 + 5, dir + "/receiver.log");
  {
    std::ofstream rules(dir + "/rules.toml");
    rules << "[[rule]]\nid = \"export-controls\"\ntitle = \"Export controls\"\nany = ['\\bexport "
             "controls\\b']\n";
    std::ofstream cfg(dir + "/feedwatch.toml");
    cfg << "[daemon]\nstate_dir = \"" << dir << "/state\"\nrules = [\"" << dir << "/rules.toml\"]\n"
        << "interval = \"1s\"\nmin_interval = \"100ms\"\njitter = "
           "\"200ms\"\nallow_private_addresses = true\n"
        << "fetch_timeout = \"3s\"\nretry_base = \"200ms\"\nretry_max = \"2s\"\nmax_attempts = "
           "1000\n"
        << "max_interval = \"2s\"\nstop_timeout = \"5s\"\n";
    for (int f = 0; f < feeds; ++f) {
      cfg << "[[feed]]\nname = \"soak" << f << "\"\nurl = \"http://127.0.0.1:" << server.port()
          << "/feed/" << f << ".xml\"\n";
    }
    cfg << "[[sink]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:"
        << receiver.port() << "/hook\"\nsecret = \"" << kSecret << "\"\ntimeout = \"2s\"\n";
  }
  std::string config = dir + "/feedwatch.toml", db = dir + "/state/feedwatch.db",
              log = dir + "/daemon.log";
  Notify notify(dir + "/notify.sock");
  server.StartGrowth();

  int kills = 0, sigterms = 0, failures = 0;
  long max_outbox = 0;
  std::vector<std::string> problems;
  auto fail = [&](const std::string& what) {
    ++failures;
    problems.push_back(what);
  };
  for (int it = 0; it < iterations; ++it) {
    notify.Drain();
    pid_t pid = Start(binary, config, dir + "/notify.sock", log);
    if (pid < 0 || !notify.WaitReady(milliseconds(30000))) {
      fail("iteration " + std::to_string(it) + ": no READY=1 within 30 s");
      if (pid > 0) WaitExit(pid, milliseconds(0));
      continue;
    }
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(50, 2000)(rng)));
    if ((it + 1) % 10 == 0) {
      ++sigterms;
      ::kill(pid, SIGTERM);
      int rc = WaitExit(pid, milliseconds(15000));
      if (rc != 0)
        fail("iteration " + std::to_string(it) + ": SIGTERM exit code " + std::to_string(rc));
    } else {
      ++kills;
      ::kill(pid, SIGKILL);
      WaitExit(pid, milliseconds(5000));
    }
    auto [integrity, pending] = InspectDb(db);
    if (integrity != "ok")
      fail("iteration " + std::to_string(it) + ": integrity_check: " + integrity);
    max_outbox = std::max(max_outbox, pending);
  }

  // Quiescence: no new entries, a healthy receiver, one last run to drain.
  server.StopGrowth();
  receiver.SetHealthy(true);
  auto scripts = server.Scripts();
  std::set<std::string> expected, published, baseline_matching;
  for (const auto& s : scripts) {
    for (const auto& e : s.entries) {
      published.insert(e.guid);
      if (!e.matching) continue;
      (e.baseline ? baseline_matching : expected).insert(e.guid);
    }
  }
  auto accepted = [&] {
    std::set<std::string> got;
    for (const auto& r : receiver.Records()) {
      if (r.verdict != "200") continue;
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      if (j.is_object()) got.insert(j["entry"].value("id", ""));
    }
    return got;
  };
  notify.Drain();
  pid_t pid = Start(binary, config, dir + "/notify.sock", log);
  auto drain_start = Clock::now();
  if (pid < 0 || !notify.WaitReady(milliseconds(30000))) fail("final run: no READY=1");
  double drain_s = -1;
  while (Clock::now() - drain_start < std::chrono::seconds(90)) {
    auto got = accepted();
    if (std::includes(got.begin(), got.end(), expected.begin(), expected.end())) {
      drain_s = std::chrono::duration<double>(Clock::now() - drain_start).count();
      break;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  // Polls after the drain must add nothing: every feed is asked once more.
  std::vector<int> asked;
  for (const auto& s : server.Scripts()) asked.push_back(s.requests);
  for (auto until = Clock::now() + std::chrono::seconds(60); Clock::now() < until;) {
    auto now = server.Scripts();
    std::size_t again = 0;
    for (std::size_t f = 0; f < now.size(); ++f) again += now[f].requests > asked[f];
    if (again == now.size()) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    int rc = WaitExit(pid, milliseconds(15000));
    if (rc != 0) fail("final SIGTERM exit code " + std::to_string(rc));
  }
  auto [integrity, pending] = InspectDb(db);
  if (integrity != "ok") fail("final integrity_check: " + integrity);

  // The oracle.
  auto records = receiver.Records();
  std::map<std::string, std::set<std::string>> ids_by_entry;
  std::map<std::string, int> accepted_count;
  int bad_signatures = 0, phantom = 0, unknown = 0, recorded_then_failed = 0;
  for (const auto& r : records) {
    if (!SignatureOk(r)) ++bad_signatures;
    if (r.verdict == "stall" || r.verdict == "drop") ++recorded_then_failed;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    std::string guid = j.is_object() ? j["entry"].value("id", "") : "";
    if (!published.count(guid)) {
      ++unknown;
      continue;
    }
    if (!expected.count(guid)) ++phantom;  // a non-matching or a baseline entry
    ids_by_entry[guid].insert(r.id);
    // What the receiver has: answered 2xx, or read and then failed.
    if (r.verdict == "200" || r.verdict == "stall" || r.verdict == "drop") ++accepted_count[guid];
  }
  auto got = accepted();
  int missing = 0;
  for (const auto& g : expected) missing += !got.count(g);
  int split_ids = 0, duplicates = 0;
  for (const auto& [guid, ids] : ids_by_entry) split_ids += ids.size() > 1;
  for (const auto& [guid, n] : accepted_count) duplicates += n - 1;
  // Each kill can duplicate what was in flight (concurrency 1), each
  // recorded-then-failed answer one more.
  int duplicate_bound = kills + sigterms + recorded_then_failed;
  if (missing) fail(std::to_string(missing) + " matching entries never delivered");
  if (split_ids)
    fail(std::to_string(split_ids) + " entries delivered under more than one webhook-id");
  if (phantom)
    fail(std::to_string(phantom) +
         " deliveries for entries that match no rule or were there before priming");
  if (unknown) fail(std::to_string(unknown) + " deliveries for entries never published");
  if (bad_signatures) fail(std::to_string(bad_signatures) + " bad signatures");
  if (duplicates > duplicate_bound) {
    fail(std::to_string(duplicates) + " duplicate deliveries, above the bound " +
         std::to_string(duplicate_bound));
  }
  if (drain_s < 0) fail("the outbox did not drain within 90 s");
  if (expected.empty()) fail("the run published no matching entry: too short to prove anything");

  for (const auto& p : problems) std::cerr << "soak: FAIL: " << p << "\n";
  std::string faults;
  for (const auto& [k, n] : server.faults())
    faults += (faults.empty() ? "" : ", ") + k + " " + std::to_string(n);
  std::cout << "soak: seed " << seed << ", " << feeds << " feeds; feed server faults: " << faults
            << "; receiver answers recorded-then-failed: " << recorded_then_failed << "\n";
  std::printf(
      "soak: kills=%d sigterms=%d published=%zu baseline_matching=%zu expected=%zu delivered=%zu "
      "missing=%d "
      "duplicates=%d (bound %d) phantom=%d max_outbox=%ld drain_s=%.1f integrity=%s\n",
      kills, sigterms, published.size(), baseline_matching.size(), expected.size(), got.size(),
      missing, duplicates, duplicate_bound, phantom, max_outbox, drain_s, integrity.c_str());
  if (keep.empty() && failures == 0)
    fs::remove_all(dir);
  else
    std::cout << "soak: files kept in " << dir << "\n";
  return failures == 0 ? 0 : 1;
}
