#!/usr/bin/env bash
# Build tools/testing/selftests/oom_ext inside an assembled tree, the way a
# kernel developer would: through the selftests Makefile with TARGETS=oom_ext.
set -euo pipefail
tree=${1:?usage: selftests.sh TREE_DIR}
jobs=${JOBS:-$(nproc)}
echo "selftests: building tools/testing/selftests/oom_ext"
make -C "$tree" -s headers >/dev/null
make -C "$tree/tools/oom_ext" -s -j"$jobs"
make -C "$tree/tools/testing/selftests" -s -j"$jobs" TARGETS=oom_ext
