#!/bin/sh
# The demo config template, filled in as run-demo does, passes `feedwatch check`.
set -eu
feedwatch=$1; root=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed -e "s|@PORT@|8080|g" -e "s|@STATE@|$tmp|g" -e "s|@RULES@|$root/rules|g" "$root/etc/demo/feedwatch.toml.in" > "$tmp/c.toml"
"$feedwatch" check --config "$tmp/c.toml"
