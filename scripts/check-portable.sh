#!/usr/bin/env bash
# Fails unless the binary $1 can run on a host without Swift: it must load no Swift runtime library
# (libswiftCore and the rest) — `swift build -c release` without --static-swift-stdlib loads them from the
# toolchain's folder, and such a binary does not start on a plain Debian host.
set -euo pipefail
binary=${1:?usage: check-portable.sh PATH-TO-LAGWATCH}
runtime=$(ldd "$binary" | awk '/libswift|libFoundation|libdispatch|libBlocksRuntime/ {print $1 " => " $3}')
if [ -n "$runtime" ]; then
  echo "$binary loads the Swift runtime from outside Debian; it would not start on a host without Swift:" >&2
  echo "$runtime" | sed 's/^/  /' >&2
  echo "build the shipped binary with 'make build' (scripts/build-release.sh, --static-swift-stdlib)" >&2
  exit 1
fi
