#!/usr/bin/env bash
# Checks `make install` and `make uninstall` into a staging DESTDIR with the binary given as $1: every file
# lands where documented, the unit points at the installed binary, the example config validates, and
# uninstall removes the binary and unit while keeping /etc/lagwatch; with CONFDIR set, the unit reads there.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:?usage: check-install.sh PATH-TO-LAGWATCH}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# A binary that loads the Swift runtime from the toolchain (any plain `swift build`) is refused, naming why.
if refused=$(make --no-print-directory install DESTDIR="$stage/refused" PREFIX=/usr BIN=.build/debug/lagwatch 2>&1); then
  echo "make install accepted .build/debug/lagwatch, which loads the Swift runtime from the toolchain"; exit 1
fi
grep -q "would not start on a host without Swift" <<<"$refused" || { echo "refusal does not say why: $refused"; exit 1; }
make --no-print-directory install DESTDIR="$stage" PREFIX=/usr BIN="$binary" >/dev/null
for file in usr/bin/lagwatch etc/systemd/system/lagwatch.service etc/lagwatch/lagwatch.yml etc/lagwatch/lagwatch.env \
  usr/share/lagwatch/alerts/lagwatch-rules.yml usr/share/lagwatch/dashboards/lagwatch-overview.json \
  usr/share/lagwatch/dashboards/provisioning/lagwatch.yml; do
  [ -e "$stage/$file" ] || { echo "make install did not install /$file"; exit 1; }
done
grep -q '^ExecStart=/usr/bin/lagwatch ' "$stage/etc/systemd/system/lagwatch.service" || { echo "unit does not run /usr/bin/lagwatch"; exit 1; }
grep -q 'path: /usr/share/lagwatch/dashboards$' "$stage/usr/share/lagwatch/dashboards/provisioning/lagwatch.yml" \
  || { echo "the Grafana provisioning file does not point at the installed dashboards"; exit 1; }
[ "$(stat -c %a "$stage/etc/lagwatch/lagwatch.env")" = 600 ] || { echo "lagwatch.env is not mode 0600"; exit 1; }
"$stage/usr/bin/lagwatch" check-config "$stage/etc/lagwatch/lagwatch.yml"
# Another configuration directory: the unit must read its files there, not in /etc/lagwatch.
make --no-print-directory install DESTDIR="$stage/other" PREFIX=/usr CONFDIR=/opt/lagwatch/etc BIN="$binary" >/dev/null
unit="$stage/other/etc/systemd/system/lagwatch.service"
[ -e "$stage/other/opt/lagwatch/etc/lagwatch.yml" ] || { echo "CONFDIR: no configuration installed there"; exit 1; }
grep -q -- '--config.file=/opt/lagwatch/etc/lagwatch.yml$' "$unit" && grep -q '^EnvironmentFile=-/opt/lagwatch/etc/lagwatch.env$' "$unit" \
  && ! grep -q '/etc/lagwatch/' "$unit" || { echo "CONFDIR=/opt/lagwatch/etc: the unit still reads another directory"; exit 1; }
make --no-print-directory uninstall DESTDIR="$stage" PREFIX=/usr >/dev/null
[ ! -e "$stage/usr/bin/lagwatch" ] && [ ! -e "$stage/etc/systemd/system/lagwatch.service" ] \
  && [ ! -e "$stage/usr/share/lagwatch" ] || { echo "uninstall left files"; exit 1; }
[ -e "$stage/etc/lagwatch/lagwatch.yml" ] || { echo "uninstall removed the configuration"; exit 1; }
echo "make install/uninstall: files in place, example config valid, unit follows CONFDIR, configuration kept on uninstall"
