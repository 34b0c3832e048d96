#!/usr/bin/env bash
# The entries archive's cost (bench/README.md): N generated feeds served by
# nginx on 127.0.0.1, polled by one build with `archive = true` and with
# `archive = false`, alternating, ROUNDS times each (default 5): the cold
# (priming) cycle from fresh state, then the changed cycle (one new entry per
# feed). Reports the least and median wall and CPU of each, the ratios on/off,
# and the archive's size per 10,000 entries.
#   bench/archive_bench.sh BUILD_DIR N [ROUNDS]
set -euo pipefail
build=$(realpath "$1"); n=$2; rounds=${3:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
rules=${RULES:-$root/rules}
work=$(mktemp -d); trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
"$build/gen_feeds" "$work/www" "$n" > /dev/null
chmod -R a+rX "$work"
source "$root/bench/bench_lib.sh"
for mode in true false; do
  {
    printf '[daemon]\nstate_dir = "%s/state"\nrules = ["%s"]\ninterval = "1h"\njitter = "0s"\n' "$work" "$rules"
    printf 'allow_private_addresses = true\nmax_concurrent_fetches = 32\nmax_per_host = 32\nprime = true\narchive = %s\n' "$mode"
    for ((i = 0; i < n; i++)); do printf '[[feed]]\nname = "f%05d"\nurl = "http://127.0.0.1:%s/f%05d.xml"\n' $i "$port" $i; done
  } > "$work/$mode.toml"
done
: > "$work/results"
size_line=""
for ((k = 0; k < rounds; k++)); do
  for mode in true false; do
    rm -rf "$work/state"
    "$build/gen_feeds" "$work/www" "$n" > /dev/null; chmod -R a+rX "$work/www"
    read -r cw cc _ < <(measure "$build/feedwatch" --log-level warn run --once --config "$work/$mode.toml")
    "$build/gen_feeds" "$work/www" "$n" 1 > /dev/null; chmod -R a+rX "$work/www"
    read -r gw gc _ < <(measure "$build/feedwatch" --log-level warn run --once --config "$work/$mode.toml")
    echo "$mode cold $cw $cc" >> "$work/results"
    echo "$mode changed $gw $gc" >> "$work/results"
    if [ "$mode" = true ] && [ -z "$size_line" ]; then
      db="$work/state/feedwatch.db"
      sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null
      entries=$(sqlite3 "$db" 'SELECT COUNT(*) FROM archive')
      bytes=$(sqlite3 "$db" "SELECT SUM(pgsize) FROM dbstat WHERE name IN ('archive', 'archive_first_seen', 'sqlite_autoindex_archive_1', 'archive_fts_data', 'archive_fts_idx', 'archive_fts_docsize', 'archive_fts_config')")
      text=$(sqlite3 "$db" 'SELECT SUM(LENGTH(title) + LENGTH(summary) + COALESCE(LENGTH(content), 0)) FROM archive')
      fts=$(sqlite3 "$db" "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'archive_fts%'")
      size_line="$entries entries, $(awk -v b="$bytes" -v e="$entries" 'BEGIN { printf "%.1f MiB per 10,000 entries", b / e * 10000 / 1048576 }') (full-text index $(awk -v b="$fts" -v e="$entries" 'BEGIN { printf "%.1f", b / e * 10000 / 1048576 }') MiB of it; the text itself $(awk -v b="$text" -v e="$entries" 'BEGIN { printf "%.1f", b / e * 10000 / 1048576 }') MiB)"
    fi
  done
done
stat() {  # mode cycle column(3 wall, 4 cpu) fn(least|median)
  awk -v m="$1" -v c="$2" -v col="$3" '$1 == m && $2 == c { print $col }' "$work/results" | sort -g |
    awk -v fn="$4" '{ a[NR] = $1 } END { print (fn == "least" ? a[1] : a[int((NR + 1) / 2)]) }'
}
echo "## The archive's cost ($n generated feeds, nginx on 127.0.0.1, $rounds alternating rounds)"
echo
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores."
echo
echo "| cycle | measure | archive off | archive on | on / off |"
echo "|---|---|---:|---:|---:|"
for cycle in cold changed; do
  for col in 3 4; do
    for fn in least median; do
      off=$(stat false "$cycle" "$col" "$fn"); on=$(stat true "$cycle" "$col" "$fn")
      echo "| $cycle | $([ $col = 3 ] && echo wall || echo CPU) s, $fn | $off | $on | $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2fx", a / b }') |"
    done
  done
done
echo
echo "Archive after the changed cycle: $size_line."
