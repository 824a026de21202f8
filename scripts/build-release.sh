#!/usr/bin/env bash
# Builds the shipped binary: release mode with the Swift runtime and Foundation linked in
# (--static-swift-stdlib), so that it needs only Debian's shared libraries (librdkafka, libmicrohttpd, zlib,
# libcrypt, libc, libstdc++), and with the version (VERSION) and git revision compiled in.
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
