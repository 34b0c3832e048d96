#!/bin/sh
# The example config (etc/feedwatch.toml) passes `feedwatch check` once its
# install paths point at this checkout's rules.
set -eu
feedwatch=$1; root=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed -e "s|\"/usr/share/feedwatch/rules\"|\"$root/rules\"|" -e "s|\"/etc/feedwatch/rules.d/\*.toml\"|\"$tmp/rules.d/*.toml\"|" \
    -e "s|^state_dir = .*|state_dir = \"$tmp/state\"|" "$root/etc/feedwatch.toml" > "$tmp/feedwatch.toml"
grep -q "$root/rules" "$tmp/feedwatch.toml" || { echo "FAIL: the example no longer names /usr/share/feedwatch/rules"; exit 1; }
"$feedwatch" check --config "$tmp/feedwatch.toml"
