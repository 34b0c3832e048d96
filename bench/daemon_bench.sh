#!/usr/bin/env bash
# Daemon cycle benchmark (bench/README.md): N generated feeds served by nginx on
# 127.0.0.1; feedwatch polls all of them once (cold), then again with nothing
# changed (all 304); the same for a reference client, curl -Z with 32 parallel
# transfers; plus feedwatch's offline scan of the same bytes, and the daemon's
# CPU while idle between polls. Prints a Markdown table.
#   bench/daemon_bench.sh BUILD_DIR N
# RULES=FILE_OR_DIR runs it with other rules than the shipped packs (to set a
# matcher change against the build before it on the same rules).
set -euo pipefail
build=$(realpath "$1"); n=$2
root=$(cd "$(dirname "$0")/.." && pwd)
rules=${RULES:-$root/rules}
work=$(mktemp -d); [ -n "${KEEP:-}" ] && echo "work dir: $work" >&2; trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
bytes=$("$build/gen_feeds" "$work/www" "$n")
chmod -R a+rX "$work"  # nginx's workers run as an unprivileged user
source "$root/bench/bench_lib.sh"
{
  printf '[daemon]\nstate_dir = "%s/state"\nrules = ["%s"]\ninterval = "1h"\njitter = "0s"\n' "$work" "$rules"
  printf 'allow_private_addresses = true\nmax_concurrent_fetches = 32\nmax_per_host = 32\nprime = true\n'
  for ((i = 0; i < n; i++)); do printf '[[feed]]\nname = "f%05d"\nurl = "http://127.0.0.1:%s/f%05d.xml"\n' $i "$port" $i; done
} > "$work/feedwatch.toml"
for ((i = 0; i < n; i++)); do printf 'url = "http://127.0.0.1:%s/f%05d.xml"\noutput = "/dev/null"\n' "$port" $i; done > "$work/curl.cfg"

median3() { printf "%s\n" "$@" | sort -g | sed -n 2p; }
# Cold cycles, feedwatch (fresh state each time) and curl in turn, three of
# each: the median of each is reported (these machines are noisy).
declare -a fwc_w fwc_c fwc_r fwc_s cc_w cc_c cc_r cc_s
for k in 0 1 2; do
  rm -rf "$work/state"
  read -r fwc_w[k] fwc_c[k] fwc_r[k] fwc_s[k] < <(measure_srv "$build/feedwatch" --log-level warn run --once --config "$work/feedwatch.toml")
  read -r cc_w[k] cc_c[k] cc_r[k] cc_s[k] < <(measure_srv curl -s --fail -Z --parallel-max 32 -K "$work/curl.cfg")
done
fw_cold_w=$(median3 "${fwc_w[@]}"); fw_cold_c=$(median3 "${fwc_c[@]}"); fw_cold_r=$(median3 "${fwc_r[@]}"); fw_cold_s=$(median3 "${fwc_s[@]}")
c_cold_w=$(median3 "${cc_w[@]}"); c_cold_c=$(median3 "${cc_c[@]}"); c_cold_r=$(median3 "${cc_r[@]}"); c_cold_s=$(median3 "${cc_s[@]}")
read -r fw_304_w fw_304_c fw_304_r fw_304_s < <(measure_srv "$build/feedwatch" --log-level warn run --once --config "$work/feedwatch.toml")
"$build/feedwatch" status --config "$work/feedwatch.toml" | grep -q " feeds, 0 failing;" \
  || { echo "daemon_bench: feeds failed:" >&2; "$build/feedwatch" status --config "$work/feedwatch.toml" | tail -n 3 >&2; exit 1; }
# Every feed one story later: a new entry on top, the oldest gone (new mtime: 200s).
"$build/gen_feeds" "$work/www" "$n" 1 > /dev/null
chmod -R a+rX "$work/www"
read -r fw_chg_w fw_chg_c fw_chg_r fw_chg_s < <(measure_srv "$build/feedwatch" --log-level warn run --once --config "$work/feedwatch.toml")
"$build/feedwatch" status --config "$work/feedwatch.toml" | grep -q " feeds, 0 failing;" \
  || { echo "daemon_bench: feeds failed in the changed cycle" >&2; exit 1; }
future=$(date -u -d '+1 day' '+%a, %d %b %Y %H:%M:%S GMT')
read -r c_304_w c_304_c c_304_r c_304_s < <(measure_srv curl -s -Z --parallel-max 32 -H "If-Modified-Since: $future" -K "$work/curl.cfg")
read -r scan_w scan_c scan_r < <(measure "$build/feedwatch" scan --rules "$rules" "$work/www")

# Idle: a daemon whose feeds are all due in an hour, CPU over 5 seconds.
"$build/feedwatch" --log-level warn run --config "$work/feedwatch.toml" > /dev/null 2>&1 &
dpid=$!
sleep 2
t0=$(awk '{print $14 + $15}' /proc/$dpid/stat)
sleep 5
t1=$(awk '{print $14 + $15}' /proc/$dpid/stat)
kill -TERM $dpid; wait $dpid || true
idle=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", (b - a) / hz / 5 * 100 }')

mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }')
r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
echo "## Daemon cycle ($n feeds, $mb MiB, nginx on 127.0.0.1, HTTP/1.1 keep-alive)"
echo
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores."
echo "feedwatch: 32 transfers at once (max_per_host = 32), rules from ${RULES:-rules/}, first poll primes (no alerts)."
echo "Reference: curl -Z --parallel-max 32 (the libcurl multi model) on the same URLs."
echo
echo "| run | wall s | CPU s | peak RSS MiB | polls/s | nginx CPU s |"
echo "|---|---:|---:|---:|---:|---:|"
pps() { awk -v n="$n" -v w="$1" 'BEGIN { printf "%.0f", n / w }'; }
echo "| feedwatch, cold cycle (first sight: fetch, parse keys, record; no matching) | $fw_cold_w | $fw_cold_c | $fw_cold_r | $(pps "$fw_cold_w") | $fw_cold_s |"
echo "| curl -Z, cold (fetch only) | $c_cold_w | $c_cold_c | $c_cold_r | $(pps "$c_cold_w") | $c_cold_s |"
echo "| feedwatch scan of the same bytes (parse + match, offline) | $scan_w | $scan_c | $scan_r | $(pps "$scan_w") | - |"
echo "| feedwatch, all-304 cycle | $fw_304_w | $fw_304_c | $fw_304_r | $(pps "$fw_304_w") | $fw_304_s |"
echo "| feedwatch, changed cycle (one new entry per feed: fetch, parse, match the new one, record, alert) | $fw_chg_w | $fw_chg_c | $fw_chg_r | $(pps "$fw_chg_w") | $fw_chg_s |"
echo "| curl -Z, all-304 | $c_304_w | $c_304_c | $c_304_r | $(pps "$c_304_w") | $c_304_s |"
echo
ref=$(awk -v a="$c_cold_w" -v b="$scan_w" 'BEGIN { print a + b }')
echo "- Cold cycle / curl cold: $(r "$fw_cold_w" "$c_cold_w") wall, $(r "$fw_cold_c" "$c_cold_c") CPU (target: wall within 1.5x);"
echo "  medians of three runs each, in turn; walls: feedwatch ${fwc_w[*]}, curl ${cc_w[*]}."
cores=$(nproc)
echo "- Two cores' floor for a cold cycle, (client CPU + nginx CPU) / $cores cores: feedwatch" \
  "$(awk -v a="$fw_cold_c" -v b="$fw_cold_s" -v n="$cores" 'BEGIN { printf "%.2f", (a + b) / n }') s," \
  "curl $(awk -v a="$c_cold_c" -v b="$c_cold_s" -v n="$cores" 'BEGIN { printf "%.2f", (a + b) / n }') s."
echo "- Cold cycle / (curl cold + offline scan): $(r "$fw_cold_w" "$ref") (target: within 1.3x)."
echo "- All-304 polls/s / curl's: $(r "$c_304_w" "$fw_304_w") (target: at least 0.5x)."
echo "- Idle daemon between polls: ${idle}% of one core over 5 s."
