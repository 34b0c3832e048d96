# Sourced by CLI tests: a temp dir ($tmp, removed on exit) and the loopback
# fixture serving etc/demo/feeds ($port), stopped on exit. Needs $fixture and
# $root.
tmp=$(mktemp -d)
"$fixture" --dir "$root/etc/demo/feeds" --port-file "$tmp/port" > /dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")
