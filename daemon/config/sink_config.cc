// Loading [[sink]] tables: the settings every sink has, each type's
// declared settings (deliver/sinks/*.cc), then the type's own checks.
#include <cctype>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "config_parts.h"
#include "feedwatch/payload.h"
#include "feedwatch/template.h"
#include "feedwatch/util.h"

namespace feedwatch::configimpl {

using tomlutil::Errors;

namespace {

// "1/s", "30/min", "600/h" -> messages per second.
std::optional<double> ParseRate(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  char* end = nullptr;
  std::string num = text.substr(0, slash);
  double n = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size() || !(n > 0) || n > 1e6) return std::nullopt;
  std::string unit = text.substr(slash + 1);
  if (unit == "s" || unit == "sec" || unit == "second") return n;
  if (unit == "m" || unit == "min" || unit == "minute") return n / 60;
  if (unit == "h" || unit == "hour") return n / 3600;
  return std::nullopt;
}

// A sink type's problems, placed at the line of the setting they are about.
class ProblemsAt final : public SinkProblems {
 public:
  ProblemsAt(const toml::table& t, const toml::node& sink, std::string where, Errors& errors)
      : t_(t), sink_(sink), where_(std::move(where)), errors_(errors) {}
  void Add(std::string_view key, const std::string& message) override {
    const toml::node* at = key.empty() ? nullptr : t_.get(key);
    errors_.Add(at ? at : &sink_, where_ + message);
  }

 private:
  const toml::table& t_;
  const toml::node& sink_;
  std::string where_;
  Errors& errors_;
};

// The settings every sink takes; a type's own are in its SinkKind.
constexpr std::string_view kCommonSinkKeys[] = {"name",
                                                "type",
                                                "url",
                                                "url_file",
                                                "headers",
                                                "timeout",
                                                "allow_private_addresses",
                                                "template",
                                                "template_file",
                                                "title_template",
                                                "concurrency",
                                                "ordered",
                                                "rate_limit",
                                                "burst",
                                                "group_window",
                                                "group_max",
                                                "group_by",
                                                "stories",
                                                "story_update_every",
                                                "max_alerts"};

}  // namespace

void CheckSinkKeys(const toml::table& t, const SinkKind& kind, Errors& errors) {
  std::vector<std::string> own;  // the type's keys as written in a config
  for (const SinkSetting& setting : kind.settings) {
    using K = SinkSetting::Kind;
    if (setting.kind != K::kSecretFile) own.emplace_back(setting.name);
    if (setting.kind == K::kSecret || setting.kind == K::kSecretFile ||
        setting.kind == K::kSecretList)
      own.push_back(std::string(setting.name) + "_file");
  }
  std::vector<std::string_view> allowed(std::begin(kCommonSinkKeys), std::end(kCommonSinkKeys));
  allowed.insert(allowed.end(), own.begin(), own.end());
  tomlutil::CheckKeys(t, allowed, "a " + std::string(kind.name) + " sink", errors);
}

// Reads one declared setting into its field (or SinkSpec::extra).
void ReadSinkSetting(const toml::table& t, const SinkSetting& setting, const std::string& base_dir,
                     SinkSpec& s, Errors& errors) {
  using K = SinkSetting::Kind;
  std::string key(setting.name), file_key = key + "_file";
  std::optional<std::string> text;
  std::vector<std::string> list;
  auto read_file = [&] {
    if (auto f = tomlutil::GetString(t, file_key, errors)) {
      auto r = ReadSecretFile(ResolvePath(*f, base_dir));
      if (!r.ok()) {
        errors.Add(t.get(file_key), r.status().message());
        return;
      }
      text = *r;
      list.push_back(*r);
    }
  };
  switch (setting.kind) {
    case K::kText:
      text = tomlutil::GetString(t, key, errors);
      break;
    case K::kPath:
      if (auto v = tomlutil::GetString(t, key, errors)) text = ResolvePath(*v, base_dir);
      break;
    case K::kList:
    case K::kSecretList:
      if (auto v = tomlutil::GetStringList(t, key, errors)) list = *v;
      if (setting.kind == K::kSecretList) read_file();
      break;
    case K::kSecret:
      text = tomlutil::GetString(t, key, errors);
      read_file();
      break;
    case K::kSecretFile:
      read_file();
      break;
  }
  if (setting.list) {
    if (!list.empty() || t.get(key)) s.*setting.list = std::move(list);
  } else if (text) {
    if (setting.text)
      s.*setting.text = *text;
    else
      s.extra[key] = *text;
  }
}

void LoadSinks(const toml::array& arr, const std::string& base_dir, const DaemonSettings& d,
               std::vector<SinkSpec>& sinks, Errors& errors) {
  std::set<std::string> names;
  for (const toml::node& n : arr) {
    const toml::table* t = n.as_table();
    if (!t) {
      errors.Add(&n, "[[sink]] entries must be tables");
      continue;
    }
    SinkSpec s;
    s.line = tomlutil::LineOf(&n);
    s.allow_private_addresses = d.allow_private_addresses;
    if (auto v = tomlutil::GetBool(*t, "allow_private_addresses", errors))
      s.allow_private_addresses = *v;
    s.type = tomlutil::GetString(*t, "type", errors).value_or("");
    s.name = tomlutil::GetString(*t, "name", errors).value_or(s.type);
    s.kind = FindSinkKind(s.type);
    if (!s.kind) {
      errors.Add(t->get("type") ? t->get("type") : &n,
                 "sink '" + s.name + "': type must be one of " + SinkKindNames());
      continue;
    }
    const SinkKind& kind = *s.kind;
    const std::string where = "sink '" + s.name + "': ";
    CheckSinkKeys(*t, kind, errors);
    if (kind.defaults) kind.defaults(s);
    auto secret_or_file = [&](const char* key, const char* file_key) -> std::optional<std::string> {
      std::optional<std::string> out = tomlutil::GetString(*t, key, errors);
      if (auto f = tomlutil::GetString(*t, file_key, errors)) {
        auto r = ReadSecretFile(ResolvePath(*f, base_dir));
        if (r.ok())
          out = *r;
        else
          errors.Add(t->get(file_key), r.status().message());
      }
      return out;
    };
    if (auto v = secret_or_file("url", "url_file")) s.url = *v;
    if (kind.transport == TransportKind::kHttp) {
      if (s.url.empty())
        errors.Add(&n, where + "a " + s.type + " sink needs 'url' or 'url_file'");
      else if (!IsHttpUrl(s.url))
        errors.Add(&n, where + "url must start with http:// or https://");
    } else if (t->get("url") && kind.transport != TransportKind::kSmtp) {
      errors.Add(t->get("url"), where + "a " + s.type + " sink has no url");
    }
    ReadHeaders(*t, s.headers, errors);
    for (const SinkSetting& setting : kind.settings)
      ReadSinkSetting(*t, setting, base_dir, s, errors);
    if (auto v = tomlutil::GetDuration(*t, "timeout", errors)) s.timeout = *v;
    auto load_template = [&](const char* key, const char* file_key, std::string& out) {
      if (auto v = tomlutil::GetString(*t, key, errors)) {
        auto parsed = Template::Parse(*v);
        if (!parsed.ok()) errors.Add(t->get(key), where + key + ": " + parsed.status().message());
        out = *v;
      }
      if (!file_key) return;
      if (auto f = tomlutil::GetString(*t, file_key, errors)) {
        std::string file = ResolvePath(*f, base_dir);
        std::ifstream in(file);
        if (!in) {
          errors.Add(t->get(file_key), where + "cannot read template file " + file);
          return;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        auto parsed = Template::Parse(ss.str());
        if (!parsed.ok()) errors.Add(t->get(file_key), file + ": " + parsed.status().message());
        out = ss.str();
      }
    };
    load_template("template", "template_file", s.template_text);
    load_template("title_template", nullptr, s.title_template);
    ProblemsAt problems(*t, n, where, errors);
    if (kind.validate) kind.validate(s, problems);
    if (auto v = tomlutil::GetIntInRange(*t, "concurrency", 1, 256, errors)) s.concurrency = *v;
    if (auto v = tomlutil::GetBool(*t, "ordered", errors)) s.ordered = *v;
    if (auto v = tomlutil::GetString(*t, "rate_limit", errors)) {
      if (*v == "none")
        s.rate_per_second = 0;
      else if (auto r = ParseRate(*v))
        s.rate_per_second = *r;
      else
        errors.Add(t->get("rate_limit"),
                   where + "rate_limit must look like \"1/s\", \"30/min\", \"600/h\" or \"none\"");
    }
    if (auto v = tomlutil::GetIntInRange(*t, "burst", 1, 10000, errors)) s.burst = *v;
    if (auto v = tomlutil::GetDuration(*t, "group_window", errors)) s.group_window = *v;
    if (auto v = tomlutil::GetIntInRange(*t, "group_max", 1, 1000, errors)) s.group_max = *v;
    if (auto v = tomlutil::GetString(*t, "group_by", errors)) {
      if (*v != "sink" && *v != "rule")
        errors.Add(t->get("group_by"), where + "group_by must be \"sink\" or \"rule\"");
      else
        s.group_by = *v;
    }
    if (auto v = tomlutil::GetString(*t, "max_alerts", errors)) {
      auto budget = ParseBudget(*v);
      if (budget) {
        s.max_alerts = budget->first;
        s.max_alerts_window = budget->second;
      } else {
        errors.Add(t->get("max_alerts"),
                   where + "max_alerts must look like \"10/1h\" (alerts per window, 1m to 7d)");
      }
    }
    if (auto v = tomlutil::GetString(*t, "stories", errors)) {
      if (*v == "first")
        s.stories = StoryMode::kFirst;
      else if (*v == "updates")
        s.stories = StoryMode::kUpdates;
      else if (*v == "all")
        s.stories = StoryMode::kAll;
      else
        errors.Add(t->get("stories"), where + "stories must be \"first\", \"updates\" or \"all\"");
    }
    if (auto v = tomlutil::GetDuration(*t, "story_update_every", errors)) {
      s.story_update_every = *v;
      if (*v < std::chrono::minutes(1))
        errors.Add(t->get("story_update_every"), where + "story_update_every must be at least 1m");
    }
    if (!names.insert(s.name).second) errors.Add(&n, "duplicate sink name '" + s.name + "'");
    sinks.push_back(std::move(s));
  }
}

}  // namespace feedwatch::configimpl
