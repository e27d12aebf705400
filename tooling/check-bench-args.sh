#!/usr/bin/env bash
# The benchmarks refuse bad settings on the host, before any VM boots: one
# line on stderr from the benchmark itself and exit 2 (make test runs this
# as bench_input_refusals). VM_KERNEL points nowhere, so a setting that got
# past the check would end in vm.sh's "no kernel" line instead, and fail.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
err=$(mktemp)
trap 'rm -f "$err"' EXIT
bad=0

refuses() { # script prefix VAR=value...
	local script=$1 prefix=$2 rc
	shift 2
	env VM_KERNEL=/nonexistent "$@" "$top/tooling/$script" /nonexistent \
		>/dev/null 2>"$err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "^$prefix: " "$err"; then
		return
	fi
	echo "check-bench-args: $script with $*: exit $rc, stderr: $(head -c 300 "$err")"
	bad=1
}

refuses bench-cgroup-aware.sh bench RUNS=x
refuses bench-cgroup-aware.sh bench RUNS=0
refuses bench-psi-reaction.sh bench-psi RUNS=-1
refuses bench-graceful.sh bench-graceful RUNS=none
refuses bench-graceful.sh bench-graceful PG_RUNS=0
refuses bench-graceful.sh bench-graceful PARTS="graceful postgres"
refuses bench-graceful.sh bench-pg-peers HANDLERS="kernel earlyom"
refuses bench-pg-peers.sh bench-pg-peers RUNS=3x
refuses bench-pg-peers.sh bench-pg-peers HANDLERS="grace oomd"
refuses bench-pg-peers.sh bench-pg-peers CONSOLE_LOGLEVEL=0
refuses bench-peers.sh bench-peers RUNS=2x
refuses bench-peers.sh bench-peers GLOBAL_RUNS=0
refuses bench-peers.sh bench-peers SCENARIOS="global globl"
refuses bench-peers.sh bench-peers HANDLERS="psi earlyom"
refuses bench-peers.sh bench-peers CONSOLE_LOGLEVEL=9
[ $bad = 0 ] && echo "check-bench-args: every benchmark refuses bad settings before booting"
exit $bad
