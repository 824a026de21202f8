#!/usr/bin/env bash
# Checks systemd/lagwatch.service with systemd's own tools: `systemd-analyze verify` (with ExecStart pointed
# at the lagwatch binary given as $1, since verify requires the executable to exist) and
# `systemd-analyze security --offline=true`, whose overall exposure must be 1.5 or lower.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(realpath "${1:?usage: check-systemd.sh PATH-TO-LAGWATCH}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|/usr/local/bin/lagwatch|$binary|" systemd/lagwatch.service > "$work/lagwatch.service"
systemd-analyze verify "$work/lagwatch.service"
echo "systemd-analyze verify: clean"
report=$(systemd-analyze security --offline=true "$work/lagwatch.service")
score=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for lagwatch.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security: exposure $score (limit 1.5)"
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 1.5) }' || { printf '%s\n' "$report"; exit 1; }
