#!/usr/bin/env bash
# Brings a current librdkafka next to Debian 12's 2.0.2, for running the suite against both: the
# confluent-kafka wheel on PyPI carries librdkafka as one shared object that needs only glibc. The wheel is
# downloaded once (pip, no install), its librdkafka is unpacked as librdkafka.so.1 into a folder under
# .build, and the folder is printed: put it first in LD_LIBRARY_PATH to load that librdkafka instead of
# Debian's. CONFLUENT_KAFKA_VERSION picks the wheel (default 2.16.1, which carries librdkafka 2.16.0).
set -euo pipefail
cd "$(dirname "$0")/.."
wheel_version=${CONFLUENT_KAFKA_VERSION:-2.16.1}
dir=$PWD/.build/librdkafka-wheel-$wheel_version
if [ ! -s "$dir/librdkafka.so.1" ]; then
  mkdir -p "$dir/download"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --dest "$dir/download" "confluent-kafka==$wheel_version" >&2
  python3 - "$dir" <<'PY'
import glob, sys, zipfile
folder = sys.argv[1]
wheel = glob.glob(folder + "/download/confluent_kafka-*.whl")[0]
with zipfile.ZipFile(wheel) as archive:
    names = [n for n in archive.namelist() if n.startswith("confluent_kafka.libs/librdkafka")]
    if len(names) != 1:
        sys.exit(f"{wheel}: expected one librdkafka in confluent_kafka.libs, found {names}")
    with archive.open(names[0]) as source, open(folder + "/librdkafka.so.1", "wb") as target:
        target.write(source.read())
PY
fi
echo "$dir"
