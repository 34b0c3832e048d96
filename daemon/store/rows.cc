// Row helpers shared by the store files: key blobs, stored key hashes, outbox rows.
#include "feedwatch/store.h"

#include <sqlite3.h>

#include "feedwatch/util.h"
#include "store_internal.h"

namespace feedwatch {

using namespace storeimpl;

namespace storeimpl {

std::string KeysBlob(const std::vector<std::uint64_t>& keys) {
  std::string blob(keys.size() * 8, '\0');
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (int b = 0; b < 8; ++b) blob[i * 8 + b] = static_cast<char>((keys[i] >> (8 * b)) & 0xFF);
  }
  return blob;
}

std::shared_ptr<const std::vector<std::uint64_t>> KeysFromBlob(std::string_view blob) {
  if (blob.empty() || blob.size() % 8 != 0) return nullptr;
  auto keys = std::make_shared<std::vector<std::uint64_t>>(blob.size() / 8);
  for (std::size_t i = 0; i < keys->size(); ++i) {
    std::uint64_t v = 0;
    for (int b = 7; b >= 0; --b) v = (v << 8) | static_cast<unsigned char>(blob[i * 8 + b]);
    (*keys)[i] = v;
  }
  if (!std::is_sorted(keys->begin(), keys->end())) std::sort(keys->begin(), keys->end());
  return keys;
}

// KeyHash(key) as the signed 64-bit integer SQLite stores.
std::int64_t StoredKeyHash(std::string_view key) { return static_cast<std::int64_t>(KeyHash(key)); }
std::int64_t StoredKeyHash(const PolledEntry& e) {
  return e.key_hash != 0 ? static_cast<std::int64_t>(e.key_hash)
                         : StoredKeyHash(std::string_view(e.key));
}

const char* const kOutboxColumns =
    "o.id, o.alert_id, o.sink, o.rule_id, f.url, o.payload, o.attempts, o.next_attempt_ms, "
    "o.created_ms, o.state, "
    "COALESCE(o.last_error, ''), COALESCE(o.group_id, ''), COALESCE(o.delivered_ms, 0), "
    "COALESCE(o.story_id, ''), COALESCE(st.first_seen_ms, 0), "
    "(SELECT COUNT(DISTINCT sm.feed_id) FROM story_members sm WHERE sm.story_id = o.story_id) "
    "FROM outbox o JOIN feeds f ON f.id = o.feed_id LEFT JOIN stories st ON st.id = o.story_id";

namespace {
AlertState StateFromText(const std::string& s) {
  if (s == "delivered") return AlertState::kDelivered;
  if (s == "dead") return AlertState::kDead;
  return AlertState::kPending;
}

}  // namespace

std::string JoinLines(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += '\n';
    out += items[i];
  }
  return out;
}

// Reads kOutboxColumns, in its order.
OutboxRow ReadOutboxRow(const Stmt& q) {
  OutboxRow r;
  r.id = q.Int(0);
  r.alert_id = q.Text(1);
  r.sink = q.Text(2);
  r.rule_id = q.Text(3);
  r.feed_url = q.Text(4);
  r.payload = q.Text(5);
  r.attempts = static_cast<int>(q.Int(6));
  r.next_attempt_ms = q.Int(7);
  r.created_ms = q.Int(8);
  r.state = StateFromText(q.Text(9));
  r.last_error = q.Text(10);
  r.group_id = q.Text(11);
  r.delivered_ms = q.Int(12);
  r.story_id = q.Text(13);
  r.story_first_seen_ms = q.Int(14);
  r.story_sources = static_cast<int>(q.Int(15));
  return r;
}

}  // namespace storeimpl

}  // namespace feedwatch
