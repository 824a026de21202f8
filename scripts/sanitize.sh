#!/usr/bin/env bash
# Runs the whole test suite under ThreadSanitizer and AddressSanitizer, each in a build directory of its own
# (.build-tsan, .build-asan), and prints how long each took and how many reports each made. Not part of
# .ci/run: an instrumented build and run take minutes per sanitizer (the README's "Sanitizers" section has
# the figures and what the options below are for).
#   scripts/sanitize.sh [thread|address]...   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --with-test-tools >/dev/null
export SWIFT_BACKTRACE=enable=no
# Uninstrumented C libraries (librdkafka) free memory the Swift side allocated and the other way round only
# through their own allocators; leak checking would report librdkafka's process-lifetime caches.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
# Threads still running at exit are by design (a poll loop releases its client only after its admin
# requests are answered, and the process does not wait for that), so thread-leak reports are off.
# TSan's reports are printed and counted below rather than turned into a failed run (exitcode=0): the ones
# it makes today are explained in the README, and a new one is read, not hidden.
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0 second_deadlock_stack=1 report_thread_leaks=0 exitcode=0}
status=0
for sanitizer in "${@:-thread address}"; do
  for kind in $sanitizer; do
    directory=.build-${kind:0:1}san
    started=$(date +%s)
    swift build --build-tests --sanitize="$kind" --build-path "$directory"
    preload=
    if [ "$kind" = thread ]; then
      # librdkafka starts its threads with C11 thrd_create, which TSan does not know (it crashes on their
      # first allocation): preload a thrd_create that goes through pthread_create.
      cc -shared -fPIC -O2 -o "$directory/c11-threads.so" scripts/tsan-c11-threads.c -lpthread
      preload=$PWD/$directory/c11-threads.so
    fi
    built=$(date +%s)
    if LD_PRELOAD=$preload swift test --skip-build --sanitize="$kind" --build-path "$directory" 2>&1 \
        | tee "$directory/test.log"; then
      result=passed
    else
      result=FAILED
      status=1
    fi
    finished=$(date +%s)
    reports=$(grep -c "^WARNING: ThreadSanitizer\|^==[0-9]*==ERROR: AddressSanitizer" "$directory/test.log" || true)
    echo "sanitizer $kind: tests $result; build $((built - started)) s, tests $((finished - built)) s; $reports reports (log: $directory/test.log)"
    if [ "$reports" != 0 ]; then
      # Where each report points in lagwatch's own sources (its first frame there), most frequent first.
      echo "  reports by first lagwatch source line:"
      awk '/^WARNING: ThreadSanitizer|^==[0-9]+==ERROR: AddressSanitizer/ { looking = 1; next }
           looking && match($0, /\/(Sources|Tests)\/[^ :]+:[0-9]+/) { print substr($0, RSTART + 1, RLENGTH - 1); looking = 0 }' \
        "$directory/test.log" | sort | uniq -c | sort -rn | sed 's/^/  /'
    fi
  done
done
exit $status
