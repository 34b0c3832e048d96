#!/bin/sh
# scripts/check-layers catches what it is for: an include that goes up a
# layer, and a private header reached from another module's folder, each
# named by file:line; a tree whose includes all go down passes.
root=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/include/feedwatch" "$tmp/daemon/fetch" "$tmp/daemon/match"
for h in util.h daemon.h scheduler.h; do echo "#pragma once" > "$tmp/include/feedwatch/$h"; done
printf '#include "feedwatch/scheduler.h"\n#include "feedwatch/util.h"\n' > "$tmp/daemon/fetch/ok.cc"
bash "$root/scripts/check-layers" "$tmp" > "$tmp/out" 2>&1 || { echo "FAIL: a clean tree was refused"; cat "$tmp/out"; exit 1; }
printf '// fetch reaching up\n#include "feedwatch/daemon.h"\n' > "$tmp/daemon/fetch/bad.cc"
printf '#include "../fetch/private.h"\n' > "$tmp/daemon/match/reach.cc"
if bash "$root/scripts/check-layers" "$tmp" > "$tmp/out" 2>&1; then echo "FAIL: back-edges passed"; exit 1; fi
grep -q "daemon/fetch/bad.cc:2: fetch includes feedwatch/daemon.h of service" "$tmp/out" || { echo "FAIL: no file:line for the back-edge"; cat "$tmp/out"; exit 1; }
grep -q "daemon/match/reach.cc:1: includes ../fetch/private.h from another module's folder" "$tmp/out" || { echo "FAIL: private header not caught"; cat "$tmp/out"; exit 1; }
echo ok
