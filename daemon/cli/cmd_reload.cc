// `feedwatch reload`: POST /reload to the running daemon's admin endpoint.
#include <iostream>
#include <memory>

#include "feedwatch/cli.h"
#include "feedwatch/commands.h"

#include <curl/curl.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "feedwatch/config.h"
#include "feedwatch/http_client.h"

#include "command_util.h"

namespace feedwatch {

using namespace cmdutil;

int CmdReload(const std::string& config_path, std::ostream& out, std::ostream& err) {
  // The daemon would refuse it too; say why before asking.
  auto cfg = LoadConfigOr(config_path, err);
  if (!cfg) return kExitBadSetup;
  if (cfg->admin_listen.empty()) {
    err << config_path
        << ": no [admin] listen; reload with `systemctl reload feedwatch` (SIGHUP) instead\n";
    return kExitBadSetup;
  }
  EnsureCurlGlobalInit();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> e(curl_easy_init(), &curl_easy_cleanup);
  if (!e) {
    err << "cannot start a transfer (curl_easy_init failed)\n";
    return kExitFailed;
  }
  std::string url, body;
  std::string socket_path;
  if (cfg->admin_listen.rfind("unix:", 0) == 0) {
    socket_path = cfg->admin_listen.substr(5);
    url = "http://localhost/reload";
  } else {
    url = "http://" + cfg->admin_listen + "/reload";
  }
  curl_write_callback collect = [](char* d, size_t s, size_t n, void* u) {
    static_cast<std::string*>(u)->append(d, s * n);
    return s * n;
  };
  CURL* h = e.get();
  CURLcode rc = CURLE_OK;
  for (CURLcode set :
       {socket_path.empty() ? CURLE_OK
                            : curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path.c_str()),
        curl_easy_setopt(h, CURLOPT_URL, url.c_str()), curl_easy_setopt(h, CURLOPT_POST, 1L),
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, ""), curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L),
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http"),
        // [admin] token_file: the daemon wants it on every request.
        cfg->admin_token.empty() ? CURLE_OK
                                 : curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER),
        cfg->admin_token.empty()
            ? CURLE_OK
            : curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, cfg->admin_token.c_str()),
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect),
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &body)}) {
    if (set != CURLE_OK && rc == CURLE_OK) rc = set;
  }
  if (rc == CURLE_OK) rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK) {
    err << "cannot reach the daemon at " << cfg->admin_listen << ": " << curl_easy_strerror(rc)
        << "\n";
    return kExitFailed;
  }
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (status == 200 && j.is_object()) {
    out << "reloaded: rule set generation " << j.value("generation", 0) << "\n";
    return kExitOk;
  }
  err << "reload failed; the daemon keeps running the previous config:\n"
      << (j.is_object() ? j.value("errors", body) : body) << "\n";
  return kExitFailed;
}

void RegisterReloadCommand(CLI::App& app, CliContext& ctx) {
  auto reload_config = std::make_shared<std::string>();
  auto* reload_cmd = app.add_subcommand("reload",
                                        "ask the running daemon to reload its config and rules "
                                        "(through [admin] listen; or: systemctl reload feedwatch)");
  AddConfigOption(reload_cmd, *reload_config, ctx);

  reload_cmd->callback([&ctx, reload_config] {
    ctx.Choose([=] { return CmdReload(*reload_config, std::cout, std::cerr); });
  });
}

}  // namespace feedwatch
