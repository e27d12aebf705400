#!/usr/bin/env bash
# The kernel's own memcg selftests (tools/testing/selftests/cgroup:
# test_memcontrol, test_kill) in a VM booted from TREE's kernel, from ext4
# on zram with zram swap: without a policy, then under each oom_ext policy
# attached at the root (tooling/memcg-guest.sh). KTAP on stdout; exits
# non-zero if a run failed.
#
#   tooling/memcg-test.sh TREE_DIR          our kernel: every run
#   tooling/memcg-test.sh --base TREE_DIR   the unpatched 7.2.13 base, built in
#                                           out/linux-base: the run without a
#                                           policy only (make test-memcg BASE=1)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
base=
if [ "${1:-}" = --base ]; then
	base=1
	shift
fi
tree=$(cd "${1:?usage: memcg-test.sh [--base] TREE_DIR}" && pwd)
sel=$tree/tools/testing/selftests/cgroup

echo "memcg-test: building tools/testing/selftests/cgroup" >&2
make -C "$tree/tools/testing/selftests" -s TARGETS=cgroup >/dev/null || exit 1
if [ -n "$base" ]; then
	btree=$top/out/linux-base
	if [ ! -d "$btree" ]; then
		git -C "$tree" worktree add --quiet --detach "$btree" oom-ext-base >/dev/null ||
			{ echo "memcg-test: cannot check out the base into $btree" >&2; exit 1; }
	fi
	# The base has no BPF_OOM or BPF_PSI for the fragments to ask for.
	OOM_EXT_CONFIG_LAX=1 "$top/tooling/kernel.sh" "$btree" >&2 || exit 1
	export VM_KERNEL=$btree/arch/x86/boot/bzImage
fi
# guest-check.sh: with OOM_EXT_DEBUG=1 (make test-debug), a lockdep, KASAN
# or kmemleak report during the runs fails them too.
exec "$top/tooling/vm.sh" "$tree" -- env MEMCG_BASE="$base" OOM_EXT_DEBUG="${OOM_EXT_DEBUG:-}" \
	"$top/tooling/guest-check.sh" "$top/tooling/memcg-guest.sh" "$sel" "$tree/kselftest/oom_ext"
