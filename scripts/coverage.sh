#!/usr/bin/env bash
# Line coverage of lagwatch's own modules by the test suite, one line per module, from a build of its own
# (.build-cov). The executable target (lagwatch) is not counted: the tests run it as a child process.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --with-test-tools >/dev/null
export SWIFT_BACKTRACE=enable=no
swift build --build-tests --enable-code-coverage --build-path .build-cov
if ! swift test --skip-build --enable-code-coverage --build-path .build-cov >.build-cov/test.log 2>&1; then
  echo "coverage: some tests failed (.build-cov/test.log); the figures count what ran" >&2
fi
toolchain=$(dirname "$(readlink -f "$(command -v swift)")")
"$toolchain/llvm-profdata" merge -sparse .build-cov/debug/codecov/*.profraw -o .build-cov/debug/codecov/merged.profdata
"$toolchain/llvm-cov" report .build-cov/debug/lagwatchPackageTests.xctest \
    -instr-profile=.build-cov/debug/codecov/merged.profdata |
  awk '$1 ~ /^Sources\// { split($1, path, "/"); lines[path[2]] += $8; missed[path[2]] += $9 }
       END {
         for (module in lines) {
           printf "%-20s %6d lines %6.1f%%\n", module, lines[module], 100 * (lines[module] - missed[module]) / lines[module]
           total += lines[module]; totalMissed += missed[module]
         }
         printf "%-20s %6d lines %6.1f%%\n", "total", total, 100 * (total - totalMissed) / total
       }' | sort
