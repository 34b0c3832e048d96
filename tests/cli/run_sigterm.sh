#!/bin/sh
# `feedwatch run` keeps running until SIGTERM, then exits 0 promptly, even
# with a feed that cannot be reached.
set -u
feedwatch=$1; root=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/c.toml" <<CFG
[daemon]
state_dir = "$tmp/state"
rules = ["$root/rules"]
interval = "2s"
jitter = "0s"
connect_timeout = "1s"
allow_private_addresses = true
[[feed]]
name = "nowhere"
url = "http://127.0.0.1:9/feed.xml"
CFG
"$feedwatch" run --config "$tmp/c.toml" > "$tmp/out" 2>&1 &
pid=$!
# Running through its failures: two polls of the unreachable feed, then SIGTERM.
for _ in $(seq 1 200); do
  [ "$(grep -c 'feed nowhere (http://127.0.0.1:9/feed.xml): ' "$tmp/out")" -ge 2 ] && break
  sleep 0.1
done
kill -0 $pid 2>/dev/null || { echo "FAIL: the daemon exited by itself"; cat "$tmp/out"; exit 1; }
kill -TERM $pid
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then echo "FAIL: still running 10s after SIGTERM"; kill -9 $pid; exit 1; fi
wait $pid; rc=$?
cat "$tmp/out"
[ $rc -eq 0 ] || { echo "FAIL: exit code $rc after SIGTERM"; exit 1; }
grep -q "feed nowhere (http://127.0.0.1:9/feed.xml): " "$tmp/out" || { echo "FAIL: no log line naming the feed URL"; exit 1; }
grep -q "received SIGTERM" "$tmp/out" || { echo "FAIL: no shutdown log line"; exit 1; }
grep -q "stopped; 0 alerts pending in the outbox" "$tmp/out" || { echo "FAIL: no final line"; exit 1; }
echo ok
