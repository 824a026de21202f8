#!/usr/bin/env bash
# Builds the shipped binary: release mode with the Swift runtime linked in (--static-swift-stdlib; the
# product imports no Foundation, see README "Design"), so that it needs only Debian's shared libraries
# (librdkafka, libmicrohttpd, libyaml, zlib, libcrypt, libc, libstdc++), with the version (VERSION) and the
# git revision compiled in. A new revision changes a compiler flag, so each commit rebuilds the release
# modules (about a minute here).
# Builds in a folder of its own, .build/ship, so that a plain `swift build -c release` (whose binary loads
# the Swift runtime from the toolchain and does not start on a host without Swift) never stands where the
# shipped binary is looked for; checks the result with scripts/check-portable.sh.
# Prints the path of the binary: .build/ship/release/lagwatch.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(tr -d ' \n' < VERSION)
revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && ! git diff --quiet HEAD -- Sources Package.swift VERSION 2>/dev/null; then
  revision="$revision-dirty"
fi
swift build -c release --static-swift-stdlib --scratch-path .build/ship --product lagwatch \
  -Xcc "-DLAGWATCH_VERSION=\"$version\"" -Xcc "-DLAGWATCH_REVISION=\"$revision\"" >&2
scripts/check-portable.sh .build/ship/release/lagwatch
echo .build/ship/release/lagwatch
