#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests need (C libraries, Prometheus/promtool, noida-db),
# then `swift test`. Set LAGWATCH_TEST_BOOTSTRAP=host:port to also run the tests against a real Kafka.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --with-test-tools
# librdkafka aborts on some broker faults; Swift's backtracer can then hang the process instead of letting
# it die, so a crash fails the run at once rather than after a timeout.
export SWIFT_BACKTRACE=enable=no
swift build --build-tests
swift test --skip-build "$@"
scripts/check-systemd.sh .build/debug/lagwatch
scripts/check-install.sh .build/debug/lagwatch
# The shipped package: built, checked by lintian, installed into a clean Debian 12 root and run there.
scripts/check-deb.sh
