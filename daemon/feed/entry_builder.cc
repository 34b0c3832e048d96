#include "entry_builder.h"

#include <cctype>

#include "feedwatch/util.h"

namespace feedwatch {

std::string EntryBuilder::Clean(std::string_view text) { return Cap(SanitizeUtf8(text)); }

std::string EntryBuilder::Cap(std::string s) {
  if (s.size() > opt_.max_field_bytes) {
    s = TruncateUtf8(s, opt_.max_field_bytes);
    WarnOnce("a text field longer than " + std::to_string(opt_.max_field_bytes) + " bytes was truncated");
  }
  return s;
}

std::optional<std::int64_t> EntryBuilder::Date(std::string_view raw, std::string_view where) {
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front()))) raw.remove_prefix(1);
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
  if (raw.empty()) return std::nullopt;
  auto t = ParseDate(raw);
  if (!t) {
    out_.warnings.push_back("unparseable date \"" + SanitizeUtf8(TruncateUtf8(raw, 64)) + "\" in <" +
                            SanitizeUtf8(where) + ">: recorded as absent");
  }
  return t;
}

void EntryBuilder::WarnOnce(const std::string& w) {
  if (warned_.insert(w).second) out_.warnings.push_back(w);
}

bool EntryBuilder::Full() {
  if (out_.entries.size() < opt_.max_entries) return false;
  WarnOnce("more than " + std::to_string(opt_.max_entries) + " entries: the rest were ignored");
  return true;
}

void EntryBuilder::Finish(Entry e) {
  if (!e.id.empty()) e.key = e.id;
  else if (!e.link.empty()) e.key = e.link;
  else
    e.key = "sha256:" + Sha256Hex(e.title + "\n" + (e.published ? std::to_string(*e.published) : "") + "\n" +
                                  TruncateUtf8(e.summary.empty() ? e.content : e.summary, 1024));
  if (!keys_.insert(e.key).second) {
    std::string alt = e.key + " " + e.link;
    if (e.link.empty() || !keys_.insert(alt).second) {
      alt = e.key + "#" + std::to_string(out_.entries.size());
      keys_.insert(alt);
    }
    WarnOnce("duplicate entry ids in one document; such entries are keyed by id and link or position");
    e.key = alt;
  }
  out_.entries.push_back(std::move(e));
}

}  // namespace feedwatch
