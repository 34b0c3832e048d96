#!/usr/bin/env bash
# Old against new in one run: the offline scan of the same generated feeds by
# two builds, at 100 and 10,000 generated rules and with the shipped packs,
# alternating runs (REPS each, default 5) and reporting the least and the
# median CPU of each. For a change to the
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
reps=${REPS:-5}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
least() { sort -n | head -n 1; }
run() {  # build rules tag -> CPU seconds (user+sys) of one scan, single-threaded
  /usr/bin/time -f "%U %S" -o "$work/t" "$1/feedwatch" scan -j 1 -r "$2" "$work/feeds/" > "$work/out.$3" 2> /dev/null || true
  awk '{print $1 + $2}' "$work/t"
}
echo "## Old build against new (offline scan of $n generated feeds, one thread, CPU s, $reps runs each, alternating)"
echo
echo "The least CPU of the runs is the least disturbed by other work on the machine; the median is shown too."
echo
echo "| rules | old least | new least | new / old (least) | old median | new median | matches old / new |"
echo "|---|---:|---:|---:|---:|---:|---|"
for r in ${ROWS:-100 10000 packs}; do
  if [ "$r" = packs ]; then rules="$root/rules"; orules=$old_rules; label="shipped packs"; else
    "$new/gen_rules" "$r" "$work/r$r.toml" "$work/p$r.txt" > /dev/null; rules="$work/r$r.toml"; orules=$rules; label=$r; fi
  : > "$work/o"; : > "$work/n"
  for ((k = 0; k < reps; k++)); do run "$old" "$orules" old >> "$work/o"; run "$new" "$rules" new >> "$work/n"; done
  o=$(least < "$work/o"); w=$(least < "$work/n")
  echo "| $label | $o | $w | $(awk -v a="$o" -v b="$w" 'BEGIN{printf "%.2f", b / a}') | $(median < "$work/o") | $(median < "$work/n") | $(wc -l < "$work/out.old") / $(wc -l < "$work/out.new") |"
done
