#!/usr/bin/env bash
# Quick start: installs what lagwatch needs, builds it, and runs it on the embedded demo cluster.
# Then open http://localhost:9308/ or scrape http://localhost:9308/metrics. Extra flags are passed on.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
binary=$(scripts/build-release.sh)
exec "$binary" demo "$@"
