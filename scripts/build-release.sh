#!/usr/bin/env bash
# Builds the shipped binary: release mode with the Swift runtime linked in (--static-swift-stdlib; the
# product imports no Foundation, see README "Design"), so that it needs only Debian's shared libraries
# (librdkafka, libmicrohttpd, libyaml, zlib, libcrypt, libc, libstdc++), with the version (VERSION) and the
# git revision compiled in. A new revision changes a compiler flag, so each commit rebuilds the release
# modules (about a minute here).
# Prints the path of the binary: .build/release/lagwatch.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(tr -d ' \n' < VERSION)
revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && ! git diff --quiet HEAD -- Sources Package.swift VERSION 2>/dev/null; then
  revision="$revision-dirty"
fi
swift build -c release --static-swift-stdlib --product lagwatch \
  -Xcc "-DLAGWATCH_VERSION=\"$version\"" -Xcc "-DLAGWATCH_REVISION=\"$revision\"" >&2
echo .build/release/lagwatch
