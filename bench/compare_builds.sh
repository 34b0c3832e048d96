#!/usr/bin/env bash
# Old against new in one run: the offline scan of the same generated feeds by
# two builds, at 100 and 10,000 generated rules and with the shipped packs,
# alternating runs (three each) and reporting medians. For a change to the
# matcher: build the commit before it in another tree, then
#   bench/compare_builds.sh OLD_BUILD_DIR NEW_BUILD_DIR [N_FEEDS] [OLD_RULES_DIR]
# (each build needs the feedwatch, gen_feeds and gen_rules targets). The
# "shipped packs" row scans with OLD_RULES_DIR (the old tree's rules/) for the
# old build and this tree's rules/ for the new one: the cost of the packs too.
set -euo pipefail
old=$1; new=$2; n=${3:-1000}
root=$(cd "$(dirname "$0")/.." && pwd)
old_rules=${4:-$root/rules}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$new/gen_feeds" "$work/feeds" "$n" > /dev/null
median() { sort -n | sed -n 2p; }
run() {  # build rules tag -> CPU seconds (user+sys) of one scan, single-threaded
  /usr/bin/time -f "%U %S" -o "$work/t" "$1/feedwatch" scan -j 1 -r "$2" "$work/feeds/" > "$work/out.$3" 2> /dev/null || true
  awk '{print $1 + $2}' "$work/t"
}
echo "## Matcher change: old against new (offline scan of $n generated feeds, one thread, CPU s, median of 3)"
echo
echo "| rules | old CPU s | new CPU s | new / old | matches old / new |"
echo "|---|---:|---:|---:|---|"
for r in ${ROWS:-100 10000 packs}; do
  if [ "$r" = packs ]; then rules="$root/rules"; orules=$old_rules; label="shipped packs"; else
    "$new/gen_rules" "$r" "$work/r$r.toml" "$work/p$r.txt" > /dev/null; rules="$work/r$r.toml"; orules=$rules; label=$r; fi
  : > "$work/o"; : > "$work/n"
  for _ in 1 2 3; do run "$old" "$orules" old >> "$work/o"; run "$new" "$rules" new >> "$work/n"; done
  o=$(median < "$work/o"); w=$(median < "$work/n")
  echo "| $label | $o | $w | $(awk -v a="$o" -v b="$w" 'BEGIN{printf "%.2f", b / a}') | $(wc -l < "$work/out.old") / $(wc -l < "$work/out.new") |"
done
