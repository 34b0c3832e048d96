#!/bin/sh
# cpack builds a .deb: files in Debian's places, the config as a conffile,
# dependencies from dpkg-shlibdeps. Skipped (77) without dpkg tooling.
set -u
build=$1
command -v dpkg-shlibdeps >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || { echo "no dpkg-dev: skipped"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" > cpack.log 2>&1) || { cat "$tmp/cpack.log"; echo "FAIL: cpack"; exit 1; }
deb=$(ls "$tmp"/feedwatch_*.deb)
deps=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $deps"
for lib in libcurl4 libsqlite3-0 libsystemd0 libre2- libpugixml libssl3; do
  echo "$deps" | grep -q "$lib" || { echo "FAIL: $lib missing from Depends"; exit 1; }
done
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/feedwatch ./etc/feedwatch/feedwatch.toml ./usr/lib/systemd/system/feedwatch.service \
         ./usr/share/feedwatch/rules/ai-export-controls.toml ./usr/share/man/man1/feedwatch.1; do
  echo "$files" | grep -qx "$f" || { echo "FAIL: $f not in the package"; exit 1; }
done
mkdir "$tmp/ctl" && dpkg-deb -e "$deb" "$tmp/ctl"
grep -qx /etc/feedwatch/feedwatch.toml "$tmp/ctl/conffiles" || { echo "FAIL: config is not a conffile"; exit 1; }
echo ok
