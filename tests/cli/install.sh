#!/bin/sh
# `cmake --install` into a temporary prefix gives a working installation: the
# binary, the config pointing at the installed rules, the unit, the man page;
# and `feedwatch check` accepts the installed config.
set -u
build=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/usr-local" > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; echo "FAIL: install"; exit 1; }
p="$tmp/usr-local"
for f in bin/feedwatch etc/feedwatch/feedwatch.toml share/feedwatch/rules/ai-export-controls.toml \
         lib/systemd/system/feedwatch.service share/man/man1/feedwatch.1 share/doc/feedwatch/sinks.md \
         share/doc/feedwatch/admin.md share/feedwatch/starter-feeds.opml; do
  [ -e "$p/$f" ] || { echo "FAIL: $f not installed"; find "$p"; exit 1; }
done
grep -q "ExecStart=$p/bin/feedwatch run --config $p/etc/feedwatch/feedwatch.toml" "$p/lib/systemd/system/feedwatch.service" \
  || { echo "FAIL: unit does not name the installed paths"; grep ExecStart "$p/lib/systemd/system/feedwatch.service"; exit 1; }
out=$("$p/bin/feedwatch" check --config "$p/etc/feedwatch/feedwatch.toml" 2>&1) || { echo "$out"; echo "FAIL: check on the installed config"; exit 1; }
echo "$out"
# The starter list imports against the installed config (nothing fetched).
"$p/bin/feedwatch" feeds import "$p/share/feedwatch/starter-feeds.opml" --config "$p/etc/feedwatch/feedwatch.toml" \
  > "$tmp/starter.toml" 2> "$tmp/starter.err" || { cat "$tmp/starter.err"; echo "FAIL: starter import"; exit 1; }
grep -q "16 feed(s) to add" "$tmp/starter.err" || { cat "$tmp/starter.err"; echo "FAIL: starter count"; exit 1; }
"$p/bin/feedwatch" --version | grep -q "^feedwatch [0-9]" || { echo "FAIL: --version"; exit 1; }
echo ok
