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
# The same suite on a current librdkafka (2.16.0, from the confluent-kafka wheel) loaded in place of Debian's
# 2.0.2, as on hosts with newer packages. LAGWATCH_TEST_CURRENT_LIBRDKAFKA=0 skips it.
if [ "${LAGWATCH_TEST_CURRENT_LIBRDKAFKA:-1}" != 0 ]; then
  current=$(scripts/librdkafka-current.sh)
  echo "Running the suite again on librdkafka from $current"
  LD_LIBRARY_PATH=$current LAGWATCH_TEST_EXPECT_LIBRDKAFKA=${LAGWATCH_TEST_EXPECT_LIBRDKAFKA:-2.16.0} \
    swift test --skip-build "$@"
fi
scripts/check-systemd.sh .build/debug/lagwatch
# The shipped package: built, checked by lintian, installed into a clean Debian 12 root and run there.
scripts/check-deb.sh
# make install with the shipped binary check-deb built (and refusing the debug one).
scripts/check-install.sh "$(scripts/build-release.sh)"
