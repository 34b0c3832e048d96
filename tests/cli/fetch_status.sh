#!/bin/sh
# `feedwatch fetch` reports one fetch with the daemon's policy (and the SSRF
# guard); `feedwatch status` lists feeds after a cycle.
set -u
feedwatch=$1; fixture=$2; root=$3
. "$(dirname "$0")/demo_feeds.sh"
url="http://127.0.0.1:$port/policy-wire.xml"
out=$("$feedwatch" fetch "$url"); rc=$?
printf '%s\n' "$out"
[ $rc -eq 1 ] || { echo "FAIL: loopback fetch without --allow-private exited $rc"; exit 1; }
printf '%s\n' "$out" | grep -q "blocked by network policy: 127.0.0.1 is loopback" || { echo "FAIL: guard message"; exit 1; }
out=$("$feedwatch" fetch "$url" --allow-private) || { echo "FAIL: fetch exited non-zero"; printf '%s\n' "$out"; exit 1; }
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -q "^status: *200" || { echo "FAIL: status"; exit 1; }
printf '%s\n' "$out" | grep -q "^parsed: *rss2.0, 4 entries" || { echo "FAIL: parsed count"; exit 1; }
sed -e "s|@PORT@|$port|g" -e "s|@STATE@|$tmp|g" -e "s|@RULES@|$root/rules|g" "$root/etc/demo/feedwatch.toml.in" > "$tmp/c.toml"
"$feedwatch" run --once --config "$tmp/c.toml" > /dev/null 2>&1 || { echo "FAIL: run --once"; exit 1; }
out=$("$feedwatch" status --config "$tmp/c.toml") || { echo "FAIL: status exited non-zero"; exit 1; }
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -q "^daemon: not running" || { echo "FAIL: daemon line"; exit 1; }
# One aligned row per feed: name, health, last poll, next poll, entries seen, URL.
printf '%s\n' "$out" | grep -Eq "^policy-wire +ok +.*HTTP 200.* +in [0-9].* +4 +$url$" || { echo "FAIL: feed row"; exit 1; }
# One delivered alert per sink for each entry an offline scan of the same
# files finds a match in (an alert carries every rule the entry matched; the
# demo feeds carry no story twice).
matches=$("$feedwatch" scan --rules "$root/rules" "$root/etc/demo/feeds" 2>/dev/null |
  sed 's/.*"feed":"\([^"]*\)","entry_id":"\([^"]*\)".*/\1 \2/' | sort -u | wc -l)
sinks=$(grep -c '^\[\[sink\]\]' "$tmp/c.toml")
expected=$((matches * sinks))
[ "$expected" -gt 0 ] || { echo "FAIL: the demo feeds match nothing"; exit 1; }
printf '%s\n' "$out" | grep -q "^3 feeds, 0 failing; outbox: 0 pending, $expected delivered, 0 dead" || { echo "FAIL: summary (expected $expected delivered)"; exit 1; }
printf '%s\n' "$out" | grep -Eq "0 dead; archive: [0-9]+ entries, the oldest first seen (just now|.* ago)$" || { echo "FAIL: archive summary"; exit 1; }
echo ok
