#!/usr/bin/env bash
# Run the oom_ext selftests in a VM booted from TREE's kernel, stream their
# KTAP output, and end with one line "N passed, N failed, N skipped".
# OOM_EXT_DEBUG=1 adds the debug-kernel checks of tooling/guest-check.sh;
# OOM_EXT_STRESS_N sets the rounds of the stress tests.
# Exits non-zero if a test failed, a planned test did not report, or the VM
# did not come back with the runner's status.
#
#   tooling/test.sh TREE_DIR [FILTER]
#
# FILTER "host" runs only the checks that need no VM (the last block);
# "nosubsys", "numa", "memcg" and "pg" only the tests of those boots.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$(cd "${1:?usage: test.sh TREE_DIR [FILTER]}" && pwd)
filter=${2:-}
# Installed by tooling/selftests.sh (make -C tools/testing/selftests install).
runner=$tree/kselftest/oom_ext/runner
log=$(mktemp /tmp/oom_ext-test.XXXXXX)

args=()
[ -n "$filter" ] && args=(-t "$filter")
start=$(date +%s)
check=("$top/tooling/guest-check.sh")
rc=0
if [ "$filter" != host ]; then
	"$top/tooling/vm.sh" "$tree" -- env OOM_EXT_DEBUG="${OOM_EXT_DEBUG:-}" \
		OOM_EXT_STRESS_N="${OOM_EXT_STRESS_N:-}" "${check[@]}" "$runner" "${args[@]}" \
		2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
fi
# Tests that need another boot, each with its own kernel parameters; in the
# boot above they skip. nosubsys: no memory and pressure controllers. numa:
# two emulated NUMA nodes, for OOMs constrained by a mempolicy.
other_boot() { # filter kernel-parameters
	if [ -z "$filter" ] || [ "$filter" = "$1" ]; then
		VM_APPEND="$2" "$top/tooling/vm.sh" "$tree" -- \
			env OOM_EXT_DEBUG="${OOM_EXT_DEBUG:-}" "${check[@]}" "$runner" -t "$1" \
			2>&1 | tee -a "$log"
		local rc2=${PIPESTATUS[0]}
		# 4 (KSFT_SKIP): everything in the first boot skipped, not a failure.
		if [ "$rc" = 0 ] || [ "$rc" = 4 ]; then rc=$rc2; fi
	fi
}
other_boot nosubsys "cgroup_disable=memory,pressure"
other_boot numa "numa=fake=2"
# The kernel's own memcg selftests, without a policy and under each of ours
# (tooling/memcg-test.sh): a boot of their own, with ext4 and swap on zram.
# Not on the debug kernel unless asked for (T=memcg): there each of the five
# runs takes 4 min, and test_memcg_reclaim fails without any policy.
if [ "$filter" = memcg ] || { [ -z "$filter" ] && [ -z "${OOM_EXT_DEBUG:-}" ]; }; then
	OOM_EXT_DEBUG="${OOM_EXT_DEBUG:-}" "$top/tooling/memcg-test.sh" "$tree" 2>&1 | tee -a "$log"
	rc2=${PIPESTATUS[0]}
	if [ "$rc" = 0 ] || [ "$rc" = 4 ]; then rc=$rc2; fi
fi

# PostgreSQL 15 under a memory limit, the kernel alone and with
# oom_psi_proactive --grace --warn-signal INT (tooling/pg-test.sh): a boot of
# its own, about 2 min.
if [ -z "$filter" ] || [ "$filter" = pg ]; then
	OOM_EXT_DEBUG="${OOM_EXT_DEBUG:-}" "$top/tooling/pg-test.sh" "$tree" 2>&1 | tee -a "$log"
	rc2=${PIPESTATUS[0]}
	if [ "$rc" = 0 ] || [ "$rc" = 4 ]; then rc=$rc2; fi
fi

# On the host, each a test of its own in the count: the systemd units that
# `make install` writes, as systemd reads them; make new's refusals; the
# benchmarks' refusals of bad settings.
host_check() { # name command...
	local name=$1
	shift
	n=$((n + 1))
	if "$@" 2>&1 | sed 's/^/# /' | tee -a "$log" && [ "${PIPESTATUS[0]}" = 0 ]; then
		echo "ok $n $name" | tee -a "$log"
	else
		echo "not ok $n $name" | tee -a "$log"
	fi
}
if [ -z "$filter" ] || [ "$filter" = host ]; then
	echo "1..3" >>"$log"
	n=0
	host_check install_units_verify make -C "$tree/tools/oom_ext" -s check-install
	host_check template_new_refusals make -C "$tree/tools/oom_ext" -s check-new
	host_check bench_input_refusals "$top/tooling/check-bench-args.sh"
fi

planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | awk '{n += $1} END {if (NR) print n}')
skipped=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log")
passed=$(( $(grep -cE '^ok [0-9]+' "$log") - skipped ))
failed=$(grep -cE '^not ok [0-9]+' "$log")
reported=$((passed + skipped + failed))
if [ -z "$planned" ]; then
	echo "test: the runner printed no plan (VM exit status $rc)"
	failed=$((failed + 1))
elif [ "$reported" -lt "$planned" ]; then
	echo "test: $((planned - reported)) planned test(s) never reported (VM exit status $rc)"
	failed=$((failed + planned - reported))
fi
if [ "$rc" != 0 ] && [ "$failed" = 0 ] && ! { [ "$rc" = 4 ] && [ "$passed" = 0 ]; }; then
	echo "test: the VM run exited with status $rc"
	failed=$((failed + 1))
fi
rm -f "$log"
echo "test: $(( $(date +%s) - start ))s in the VM"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
