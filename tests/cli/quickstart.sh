#!/bin/sh
# docs/quickstart.md as a user follows it: its config, with this checkout's
# paths and feeds served on loopback, passes check; `sink test` appends a
# marked line; the first run sends nothing and says why; backtest --send
# --last then delivers.
set -u
feedwatch=$1; fixture=$2; root=$3
. "$(dirname "$0")/demo_feeds.sh"
fail() { echo "FAIL: $*"; exit 1; }
# The first ```toml block of the page, paths and feeds pointed here.
awk '/^```toml$/ { on = 1; next } /^```$/ && on { exit } on { print }' "$root/docs/quickstart.md" |
  sed -e "s|/usr/share/feedwatch/rules|$root/rules|" -e "s|/var/lib/feedwatch|$tmp/state|g" \
      -e "s|https://www.bis.gov/rss.xml|http://127.0.0.1:$port/policy-wire.xml|" \
      -e "s|https://news.google.com/rss/search[^\"]*|http://127.0.0.1:$port/tech-desk.atom|" \
      > "$tmp/c.toml"
printf '\n' >> "$tmp/c.toml"
sed -i '/^\[daemon\]$/a allow_networks = ["127.0.0.1/32"]' "$tmp/c.toml"
grep -q "127.0.0.1:$port/policy-wire.xml" "$tmp/c.toml" || fail "the page's feeds changed: update this test"
"$feedwatch" check -c "$tmp/c.toml" || fail "check"
mkdir -p "$tmp/state"
"$feedwatch" sink test file -c "$tmp/c.toml" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "sink test"; }
grep -q '"test":true' "$tmp/state/alerts.jsonl" || fail "no marked test line"
"$feedwatch" run --once -c "$tmp/c.toml" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "run --once"; }
grep -q "recorded as seen without alerting" "$tmp/out" || { cat "$tmp/out"; fail "no word on priming"; }
[ "$(wc -l < "$tmp/state/alerts.jsonl")" -eq 1 ] || fail "the first run sent something"
"$feedwatch" backtest --send file --last 3 -c "$tmp/c.toml" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "backtest --send"; }
grep -q "queued [1-3] alerts to sink file" "$tmp/out" || { cat "$tmp/out"; fail "nothing queued"; }
"$feedwatch" run --once -c "$tmp/c.toml" > /dev/null 2>&1 || fail "second run"
[ "$(wc -l < "$tmp/state/alerts.jsonl")" -ge 2 ] || fail "the backtest's alerts were not delivered"
echo ok
