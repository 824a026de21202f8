#!/usr/bin/env bash
# Proves the Debian package on a clean host: a minimal Debian 12 root made by debootstrap (from the mirror
# this machine's apt uses), with no Swift in it, gets the .deb through `apt-get install ./lagwatch_*.deb`
# (its dependencies resolved from Debian), and then, chrooted: `lagwatch --version` names the version and
# the librdkafka it loaded; the installed configuration validates; `lagwatch demo` serves /metrics that
# promtool accepts; the unit is enabled and `systemd-analyze verify` accepts it; `apt-get remove` keeps an
# edited configuration and `apt-get purge` deletes it.
# The root has systemd installed (not running), as a host that runs services has; the unit's ExecReload
# needs /bin/kill, which the package brings through its dependency on procps.
# Usage: check-deb.sh [PATH-TO-DEB]   (default: build one with scripts/build-deb.sh)
# The bare root is kept as a tarball in $LAGWATCH_ROOTFS_CACHE (default .build/rootfs-cache), so later runs
# skip debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --packaging
deb=${1:-$(scripts/build-deb.sh)}
version=$(tr -d ' \n' < VERSION)
started=$(date +%s)

mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(http[^ ]*\/debian\) bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}

cache=${LAGWATCH_ROOTFS_CACHE:-.build/rootfs-cache}
tarball=$cache/bookworm-minbase-systemd.tar
mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
  echo "check-deb: debootstrap bookworm (minbase, with systemd as on any host that runs services) from $mirror"
  bare=$(mktemp -d)
  debootstrap --variant=minbase --include=systemd bookworm "$bare" "$mirror" > "$cache/debootstrap.log" 2>&1 \
    || { tail -20 "$cache/debootstrap.log"; exit 1; }
  tar -C "$bare" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$bare"
fi

root=$(mktemp -d)
demo_pid=""
cleanup() {
  [ -z "$demo_pid" ] || kill "$demo_pid" 2>/dev/null || true
  for mount in proc dev/pts dev; do umount -l "$root/$mount" 2>/dev/null || true; done
  # Never into a mount that is somehow still there (the host's /dev is bound into the root).
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$tarball"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
# apt in the root runs as root throughout (its _apt user cannot read the files copied in).
echo 'APT::Sandbox::User "root";' > "$root/etc/apt/apt.conf.d/99check-deb"
fail() { echo "check-deb: FAIL: $*"; exit 1; }

# The clean host really has no Swift, so nothing below can lean on the toolchain.
[ -z "$(find "$root" -xdev -name 'libswiftCore*' -print -quit)" ] || fail "the clean root has a Swift runtime"

cp "$deb" "$root/tmp/"
in_root apt-get update -qq
in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" > "$root/tmp/install.log" 2>&1 \
  || { cat "$root/tmp/install.log"; fail "apt-get install of the package"; }
echo "check-deb: installed $(basename "$deb") with its dependencies from Debian"

missing=$(in_root ldd /usr/bin/lagwatch | grep 'not found' || true)
[ -z "$missing" ] || fail "libraries not found: $missing"
outside=$(in_root ldd /usr/bin/lagwatch | awk '/=>/ {print $3}' | grep -v '^/lib/\|^/usr/lib/' || true)
[ -z "$outside" ] || fail "libraries outside Debian's folders: $outside"

version_line=$(in_root lagwatch --version)
echo "check-deb: lagwatch --version: $version_line"
case "$version_line" in "lagwatch $version "*"librdkafka "[0-9]*) ;; *) fail "--version: $version_line" ;; esac
in_root lagwatch --help | grep -q -- '--kafka.server' || fail "--help does not show the flags of run"
in_root lagwatch check-config /etc/lagwatch/lagwatch.yml || fail "the installed configuration does not validate"
in_root test -s /usr/share/man/man1/lagwatch.1.gz || fail "no man page"
in_root test -s /usr/share/lagwatch/alerts/lagwatch-rules.yml || fail "no alert rules"
in_root test -s /usr/share/lagwatch/dashboards/lagwatch-overview.json || fail "no dashboards"
[ "$(stat -c %a "$root/etc/lagwatch/lagwatch.env")" = 600 ] || fail "lagwatch.env is not mode 0600"

# Enabled on install, as dh_installsystemd does (no systemd runs in the root, so nothing is started).
[ -L "$root/etc/systemd/system/multi-user.target.wants/lagwatch.service" ] || fail "the unit was not enabled"
unit=$root/lib/systemd/system/lagwatch.service
grep -q '^ExecStart=/usr/bin/lagwatch ' "$unit" || fail "the unit does not run /usr/bin/lagwatch"
systemd-analyze verify --root="$root" /lib/systemd/system/lagwatch.service || fail "systemd-analyze verify"

# The demo, served from the root, scraped from outside and checked by promtool.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# chroot and env exec, so $! is lagwatch itself and gets the SIGTERM below.
chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin lagwatch demo --web.listen-address "127.0.0.1:$port" \
  > "$root/tmp/demo.log" 2>&1 &
demo_pid=$!
metrics=$root/tmp/metrics.txt
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/metrics" -o "$metrics" && grep -q '^kafka_consumergroup_lag{' "$metrics"; then break; fi
  kill -0 "$demo_pid" 2>/dev/null || { cat "$root/tmp/demo.log"; fail "lagwatch demo exited"; }
  sleep 0.2
done
grep -q '^kafka_consumergroup_lag{' "$metrics" || { cat "$root/tmp/demo.log"; fail "the demo served no lag"; }
grep -q "^lagwatch_build_info{version=\"$version\"" "$metrics" || fail "lagwatch_build_info does not carry $version"
promtool check metrics < "$metrics" || fail "promtool check metrics"
kill -TERM "$demo_pid"; wait "$demo_pid" || fail "lagwatch demo did not exit 0 on SIGTERM"
demo_pid=""
echo "check-deb: demo served $(grep -c '^[a-z]' "$metrics") series; promtool accepts them"

# remove keeps an edited configuration; purge deletes it.
echo "# edited by check-deb" >> "$root/etc/lagwatch/lagwatch.yml"
in_root apt-get remove -y -qq lagwatch > /dev/null
[ ! -e "$root/usr/bin/lagwatch" ] || fail "remove left the binary"
grep -q '^# edited by check-deb' "$root/etc/lagwatch/lagwatch.yml" || fail "remove did not keep the edited configuration"
in_root apt-get purge -y -qq lagwatch > /dev/null
[ ! -e "$root/etc/lagwatch" ] || fail "purge left /etc/lagwatch"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/lagwatch.service" ] || fail "purge left the enable link"
echo "check-deb: remove kept the edited configuration, purge deleted it"
echo "check-deb: passed in $(( $(date +%s) - started )) s; package $(du -k "$deb" | cut -f1) KiB, binary $(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/bin/lagwatch | wc -c) bytes"
