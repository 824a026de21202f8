#!/usr/bin/env bash
# Installs what lagwatch needs to build, run and test on Debian 12: the C libraries (librdkafka,
# libmicrohttpd, zlib, libcrypt, libyaml), Prometheus and promtool for the tool tests, and noida-db (a Kafka-protocol
# server that can list consumer groups) for the discovery test; systemd for `systemd-analyze`; curl and
# openssl for the HTTPS tests; with --packaging or --with-test-tools, the Debian packaging tools. Safe to run again: installed packages are skipped.
set -euo pipefail

packages=(pkg-config librdkafka-dev libmicrohttpd-dev zlib1g-dev libcrypt-dev libyaml-dev prometheus curl openssl systemd make)
# --packaging: the tools that build and check the Debian package (scripts/build-deb.sh) and the clean root
# it is installed into (scripts/check-deb.sh).
if [ "${1:-}" = "--packaging" ] || [ "${1:-}" = "--with-test-tools" ]; then
  packages+=(dpkg-dev lintian debootstrap binutils)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  # prometheus's package starts a service on :9090 where systemd runs; lagwatch's tests run their own.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--with-test-tools" ]; then
  if ! python3 -c "import noida_db" 2>/dev/null; then
    echo "installing noida-db from PyPI"
    python3 -m pip install --quiet --disable-pip-version-check noida-db
  fi
fi
