#!/usr/bin/env bash
# Renders the status pages of the embedded demo in headless Chromium and writes docs/status-page.png and
# docs/group-page.png: the check, by eye, that the pages read well on a laptop screen (1440 × 900).
# Needs Debian's chromium (apt-get install chromium); not run by the tests, which parse the pages instead.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "chromium is not installed: apt-get install chromium" >&2; exit 1; }
swift build --product lagwatch
port=19477
.build/debug/lagwatch demo --web.listen-address "127.0.0.1:$port" --poll.interval 2s --log.level warning &
demo=$!
trap 'kill $demo 2>/dev/null; wait $demo 2>/dev/null || true' EXIT
# The demo's audit-archiver stops committing after a minute; wait until the status rules have seen it.
sleep "${LAGWATCH_SCREENSHOT_WAIT:-90}"
shoot() {
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1440,"$2" \
        --screenshot="$3" "http://127.0.0.1:$port$1" 2>/dev/null
    echo "wrote $3"
}
mkdir -p docs
shoot / 900 docs/status-page.png
shoot /groups/analytics 1000 docs/group-page.png
