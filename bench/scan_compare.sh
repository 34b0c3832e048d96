#!/usr/bin/env bash
# The offline pipeline against the alternatives, same files, same rules, same
# run (bench/README.md):
#   bench/scan_compare.sh BUILD_DIR N_FEEDS [--smoke]
# feedwatch scan (every core) vs the single-threaded native floor (bench/floor.cc),
# Python feedparser + re (Debian's python3-feedparser), and one memchr pass;
# 100 / 1,000 / 10,000 rules. Matches are compared rule by rule with the floor's.
set -euo pipefail
build=$1; n=$2; smoke=${3:-}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$build/gen_feeds" "$work/feeds" "$n" > "$work/bytes"
bytes=$(cat "$work/bytes")
sizes="100 1000 10000"; [ "$smoke" = --smoke ] && sizes="100 1000"
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2" | tail -n 1; }
measure_line() { grep '^MEASURE' "$1" | tail -n 1; }
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "## Offline pipeline: feedwatch scan against the alternatives ($n generated feeds, $((bytes / 1048576)) MiB)"
echo
echo "Machine: $machine. Same files and rules for every program; wall time of the whole process (start, rule"
echo "compilation, reading, parsing, matching, output). feedwatch scan uses every core; the floor is single-threaded."
echo
echo "| rules | feedwatch scan entries/s | MiB/s | floor entries/s | MiB/s | scan / floor | scan peak RSS MiB | matches (scan / floor) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---|"
disagree=0
declare -A scan_rate
for r in $sizes; do
  "$build/gen_rules" "$r" "$work/r$r.toml" "$work/p$r.txt"
  "$build/measure" "$build/feedwatch" scan -r "$work/r$r.toml" "$work/feeds/" > "$work/scan$r.out" 2> "$work/scan$r.err"
  read -r _ swall _ srss _ <<< "$(measure_line "$work/scan$r.err")"
  entries=$(sed -n 's/.*files (0 failed), \([0-9]*\) entries.*/\1/p' "$work/scan$r.err")
  "$build/measure" "$build/floor" "$work/p$r.txt" "$work"/feeds/*.xml --counts "$work/floor$r.counts" > "$work/floor$r.out" 2> "$work/floor$r.err"
  read -r _ fwall _ _ _ <<< "$(measure_line "$work/floor$r.err")"
  # Per-rule match counts from scan's JSON lines, in the floor's format.
  grep -o '"rule":"r[0-9]*"' "$work/scan$r.out" | sed 's/"rule":"\(r[0-9]*\)"/\1/' | sort | uniq -c |
    awk '{print $2, $1}' | sort > "$work/scan$r.counts"
  grep -v ' 0$' "$work/floor$r.counts" | sort > "$work/floor$r.sorted"
  smatches=$(wc -l < "$work/scan$r.out"); fmatches=$(field matches "$work/floor$r.out")
  agree="agree ($smatches)"
  if ! diff -q "$work/scan$r.counts" "$work/floor$r.sorted" > /dev/null; then
    agree="DISAGREE ($smatches / $fmatches)"; disagree=1
    echo "rules=$r: per-rule differences (rule scan_count vs floor_count):" >&2
    diff "$work/scan$r.counts" "$work/floor$r.sorted" | head -n 20 >&2 || true
  fi
  srate=$(awk -v e="$entries" -v w="$swall" 'BEGIN{printf "%.0f", e / w}')
  frate=$(awk -v e="$entries" -v w="$fwall" 'BEGIN{printf "%.0f", e / w}')
  scan_rate[$r]=$srate
  smib=$(awk -v b="$bytes" -v w="$swall" 'BEGIN{printf "%.0f", b / w / 1048576}')
  fmib=$(awk -v b="$bytes" -v w="$fwall" 'BEGIN{printf "%.0f", b / w / 1048576}')
  echo "| $r | $srate | $smib | $frate | $fmib | $(awk -v a="$srate" -v b="$frate" 'BEGIN{printf "%.2fx", a / b}') | $srss | $agree |"
done
echo
last=${sizes##* }
echo "- Rule scaling: $last rules run at $(awk -v a="${scan_rate[$last]}" -v b="${scan_rate[100]}" 'BEGIN{printf "%.2fx", a / b}') the 100-rule throughput (target: at least 0.35x)."
"$build/floor" --memchr "$work"/feeds/*.xml > "$work/memchr.out"
mws=$(awk -v b="$(field bytes "$work/memchr.out")" -v s="$(field seconds "$work/memchr.out")" 'BEGIN{printf "%.0f", b / s / 1048576}')
sms=$(awk -v b="$bytes" -v e="$entries" -v r="${scan_rate[100]}" 'BEGIN{printf "%.0f", b / (e / r) / 1048576}')
echo "- Memory-bandwidth floor: one memchr pass reads the files at $mws MiB/s (already in memory); feedwatch scan at 100 rules processes $sms MiB/s."
if /usr/bin/python3 -c 'import feedparser' 2> /dev/null; then
  # Python is slow: a tenth of the files (at least 10), 100 rules.
  k=$(( n / 10 > 10 ? n / 10 : 10 )); k=$(( k > n ? n : k ))
  all=("$work"/feeds/*.xml)
  files=("${all[@]:0:$k}")
  /usr/bin/python3 "$(dirname "$0")/feedparser_bench.py" "$work/p100.txt" "${files[@]}" --counts "$work/py.counts" > "$work/py.out"
  "$build/floor" "$work/p100.txt" "${files[@]}" --counts "$work/flk.counts" > /dev/null
  pe=$(field entries "$work/py.out"); ps=$(field seconds "$work/py.out")
  prate=$(awk -v e="$pe" -v s="$ps" 'BEGIN{printf "%.0f", e / s}')
  pagree="agree with the floor"
  diff -q "$work/py.counts" "$work/flk.counts" > /dev/null || { pagree="DISAGREE with the floor"; disagree=1; }
  echo "- Python feedparser $(/usr/bin/python3 -c 'import feedparser; print(feedparser.__version__)') + re, 100 rules, $k files: $prate entries/s (parse and match time only; matches $pagree); feedwatch scan is $(awk -v a="${scan_rate[100]}" -v b="$prate" 'BEGIN{printf "%.0fx", a / b}') faster (target: at least 150x)."
else
  echo "- Python feedparser: not installed (Debian: python3-feedparser); skipped."
fi
exit $disagree
