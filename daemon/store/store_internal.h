// Internal to the store: pieces every store file shares (row helpers, the
// key-hash form stored in `seen`, outbox row reading).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "feedwatch/store.h"
#include "sqlite_util.h"

namespace feedwatch::storeimpl {

using sql::Stmt;
using sql::Transaction;

// feeds.last_keys: the sorted KeyHash()es as 8-byte little-endian values.
std::string KeysBlob(const std::vector<std::uint64_t>& keys);
std::shared_ptr<const std::vector<std::uint64_t>> KeysFromBlob(std::string_view blob);

// seen.key_hash: KeyHash(key) as SQLite's signed 64-bit integer.
std::int64_t StoredKeyHash(std::string_view key);
std::int64_t StoredKeyHash(const PolledEntry& e);

// An alert into the outbox: alert_id, sink, rule_id, feed_id, payload,
// next_attempt_ms, created_ms, story_id (NULL: none). An existing alert id is
// left as it is.
inline constexpr const char* kInsertAlertSql =
    "INSERT OR IGNORE INTO outbox(alert_id, sink, rule_id, feed_id, payload, next_attempt_ms, "
    "created_ms, story_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

// Lists kept one item a line (authors, categories, rule ids: the parser
// removed control characters, so a newline never occurs inside one).
// SplitLines (util.h) reads them back.
std::string JoinLines(const std::vector<std::string>& items);

// Registers the archive's FTS5 tokenizer "fw" on a connection (every
// connection that reads or writes the archive needs it).
Status RegisterFtsTokenizer(sqlite3* db);

// The outbox columns ReadOutboxRow reads, in its order, with their FROM.
extern const char* const kOutboxColumns;
OutboxRow ReadOutboxRow(const Stmt& q);

}  // namespace feedwatch::storeimpl
