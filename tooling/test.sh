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
# FILTER "host" runs only the checks that need no VM (the last block).
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
# The nosubsys tests need a boot without the memory and pressure
# controllers; in the boot above they skip.
if [ -z "$filter" ] || [ "$filter" = nosubsys ]; then
	VM_APPEND="cgroup_disable=memory,pressure" "$top/tooling/vm.sh" "$tree" -- \
		env OOM_EXT_DEBUG="${OOM_EXT_DEBUG:-}" "${check[@]}" "$runner" -t nosubsys \
		2>&1 | tee -a "$log"
	rc2=${PIPESTATUS[0]}
	# 4 (KSFT_SKIP): everything in the first boot skipped, not a failure.
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
