// What every format reader shares: text hygiene and limits, warnings, and
// the entry-key rules (docs/parsing.md).
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "feedwatch/feed.h"

namespace feedwatch {

class EntryBuilder {
 public:
  EntryBuilder(const ParseOptions& opt, ParsedFeed& out) : opt_(opt), out_(out) {}

  // Valid UTF-8 without control characters, capped at max_field_bytes.
  std::string Clean(std::string_view text);
  // HtmlToText and CollapseWhitespace already yield clean UTF-8: only the cap.
  std::string CleanHtml(std::string_view html) { return Cap(HtmlToText(html)); }
  std::string CleanPlain(std::string_view text) { return Cap(CollapseWhitespace(text)); }
  std::string Cap(std::string s);

  // A date field: nullopt plus a warning when present but unreadable.
  std::optional<std::int64_t> Date(std::string_view raw, std::string_view where);

  void Warn(const std::string& w) { out_.warnings.push_back(w); }
  void WarnOnce(const std::string& w);

  // True (with a warning) once max_entries entries were added.
  bool Full();

  // Is the entry's key (set from its id and link so far) all that is wanted
  // of it? keys_only, or a key in known_keys that Finish will not rename.
  // False for an entry keyed by a hash of its title, date and text.
  bool KeyIsEnough(const Entry& e) const;

  // Assigns the entry's key and appends it. Key: the id (guid / Atom id /
  // JSON id), else the link, else "sha256:" of title, date and the first KiB
  // of text. A key seen earlier in the same document becomes "key link", or
  // "key#position" when that is taken too: distinct entries never merge.
  void Finish(Entry e);

  ParsedFeed& feed() { return out_; }
  const ParseOptions& options() const { return opt_; }

 private:
  const ParseOptions& opt_;
  ParsedFeed& out_;
  // Is `key` the key of an entry already added? / Remember the key of the
  // entry about to be added. A flat table of key hashes; equal hashes are
  // confirmed against the entries themselves.
  bool Taken(const std::string& key) const;
  void Remember(const std::string& key);

  std::unordered_set<std::string> warned_;
  std::vector<std::size_t> key_slots_;  // hash | 1, or 0 when free; size a power of two
  std::size_t key_count_ = 0;
};

}  // namespace feedwatch
