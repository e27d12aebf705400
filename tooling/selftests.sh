#!/usr/bin/env bash
# Build tools/testing/selftests/oom_ext inside an assembled tree, the way a
# kernel developer would: through the selftests Makefile with TARGETS=oom_ext.
set -euo pipefail
tree=$(cd "${1:?usage: selftests.sh TREE_DIR}" && pwd)
jobs=${JOBS:-$(nproc)}
echo "selftests: building tools/testing/selftests/oom_ext"
make -C "$tree" -s headers >/dev/null
make -C "$tree/tools/oom_ext" -s -j"$jobs"
# oom_ext is in SKIP_TARGETS, as bpf and sched_ext are (clang and BTF).
make -C "$tree/tools/testing/selftests" -s -j"$jobs" TARGETS=oom_ext SKIP_TARGETS=
# The tests run from an installed kselftest tree, as CI systems run them:
# the runner and the loaders it runs, side by side.
rm -rf "$tree/kselftest"
make -C "$tree/tools/testing/selftests" -s TARGETS=oom_ext SKIP_TARGETS= \
	INSTALL_PATH="$tree/kselftest" install >/dev/null
