#include "entry_builder.h"

#include <algorithm>

#include "feedwatch/util.h"

namespace feedwatch {

std::string EntryBuilder::Clean(std::string_view text) { return Cap(SanitizeUtf8(text)); }

std::string EntryBuilder::Cap(std::string s) {
  if (s.size() > opt_.max_field_bytes) {
    s = TruncateUtf8(s, opt_.max_field_bytes);
    WarnOnce("a text field longer than " + std::to_string(opt_.max_field_bytes) +
             " bytes was truncated");
  }
  return s;
}

std::optional<std::int64_t> EntryBuilder::Date(std::string_view raw, std::string_view where) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!raw.empty() && space(raw.front())) raw.remove_prefix(1);
  while (!raw.empty() && space(raw.back())) raw.remove_suffix(1);
  if (raw.empty()) return std::nullopt;
  auto t = ParseDate(raw);
  if (!t) {
    out_.warnings.push_back("unparseable date \"" + SanitizeUtf8(TruncateUtf8(raw, 64)) +
                            "\" in <" + SanitizeUtf8(where) + ">: recorded as absent");
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

namespace {
std::size_t KeySlotHash(const std::string& key) { return std::hash<std::string>{}(key) | 1; }
}  // namespace

bool EntryBuilder::Taken(const std::string& key) const {
  if (key_slots_.empty()) return false;
  const std::size_t h = KeySlotHash(key), mask = key_slots_.size() - 1;
  for (std::size_t i = h & mask; key_slots_[i] != 0; i = (i + 1) & mask) {
    if (key_slots_[i] != h) continue;
    for (const Entry& other : out_.entries) {
      if (other.key == key) return true;
    }
  }
  return false;
}

void EntryBuilder::Remember(const std::string& key) {
  if (2 * (key_count_ + 1) > key_slots_.size()) {
    std::vector<std::size_t> old = std::move(key_slots_);
    key_slots_.assign(std::max<std::size_t>(64, 2 * old.size()), 0);
    for (std::size_t h : old) {
      if (h == 0) continue;
      std::size_t i = h & (key_slots_.size() - 1);
      while (key_slots_[i] != 0) i = (i + 1) & (key_slots_.size() - 1);
      key_slots_[i] = h;
    }
  }
  const std::size_t h = KeySlotHash(key), mask = key_slots_.size() - 1;
  std::size_t i = h & mask;
  while (key_slots_[i] != 0) i = (i + 1) & mask;
  key_slots_[i] = h;
  ++key_count_;
}

bool EntryBuilder::KeyIsEnough(const Entry& e) const {
  const std::string& key = !e.id.empty() ? e.id : e.link;
  if (key.empty()) return false;
  if (opt_.keys_only) return true;  // a renamed key depends only on id, link and position
  const std::vector<std::uint64_t>* known = opt_.known_keys;
  return known && std::binary_search(known->begin(), known->end(), KeyHash(key)) && !Taken(key);
}

void EntryBuilder::Finish(Entry e) {
  if (!e.id.empty())
    e.key = e.id;
  else if (!e.link.empty())
    e.key = e.link;
  else
    e.key =
        "sha256:" + Sha256Hex(e.title + "\n" + (e.published ? std::to_string(*e.published) : "") +
                              "\n" + TruncateUtf8(e.summary.empty() ? e.content : e.summary, 1024));
  if (Taken(e.key)) {
    std::string alt = e.key + " " + e.link;
    if (e.link.empty() || Taken(alt)) alt = e.key + "#" + std::to_string(out_.entries.size());
    WarnOnce(
        "duplicate entry ids in one document; such entries are keyed by id and link or position");
    e.key = alt;
  }
  Remember(e.key);
  out_.entries.push_back(std::move(e));
}

}  // namespace feedwatch
