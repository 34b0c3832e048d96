#!/usr/bin/env bash
# What the shipped topic packs cost on a real stream: `feedwatch scan` over the
# development stream (68,626 items in 138 feed files) with the packs, against
# the same scan with one trivial rule measured in the same run (parsing and
# reading every item: the floor any rule set pays). Prints the median of N
# runs of each, the packs' extra cost per item, and the ratio.
#   bench/packs_stream_bench.sh BUILD_DIR [RUNS] [OTHER_RULES_DIR]
# OTHER_RULES_DIR (say, an older tree's rules/) adds a row for those packs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1; runs=${2:-5}; other=${3:-}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 "$root/tests/data/rules-eval/dev_stream/to_feeds.py" "$work/feeds" > /dev/null
printf '[[rule]]\nid = "floor"\nany = [%s]\n' "'\\\\bzzyzx\\\\b'" > "$work/floor.toml"
median() {  # median wall seconds of `feedwatch scan` with rules $1
  for _ in $(seq "$runs"); do
    local t0 t1; t0=$(date +%s.%N)
    "$build/feedwatch" scan "$work/feeds" --rules "$1" > /dev/null 2>&1
    t1=$(date +%s.%N); echo "$t1 - $t0" | bc
  done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
items=68500  # scan keeps 5,000 entries a feed, as the daemon does: 68,500 of 68,626
floor=$(median "$work/floor.toml")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $runs runs each, medians"
echo "| rules | scan s | per item µs | over the floor, per item µs | ratio to the floor |"
echo "|---|---|---|---|---|"
row() {
  local s; s=$(median "$2")
  awk -v n="$1" -v s="$s" -v f="$floor" -v i="$items" 'BEGIN {
    printf "| %s | %.2f | %.1f | %.1f | %.2f |\n", n, s, s * 1e6 / i, (s - f) * 1e6 / i, s / f }'
}
row "one trivial rule (the floor)" "$work/floor.toml"
row "shipped packs (rules/)" "$root/rules"
[ -n "$other" ] && row "other: $other" "$other"
exit 0
