#!/usr/bin/env bash
# In the VM (tooling/pg-test.sh): Debian's PostgreSQL 15 in a memory cgroup,
# one query that needs more memory than the cgroup has and one idle session.
# The postmaster runs at oom_score_adj -1000 and its backends at 0, as
# PostgreSQL documents for Linux: without that the kernel's choice between
# the query's backend and the postmaster (the query's rows go to a tmpfs
# file, charged to the cgroup but in no process's rss) is close, and once,
# on 2026-12-06, it killed the postmaster. KTAP on stdout, one test per case:
#
#   pg_kernel_alone_resets_sessions   memory.max only, no policy: the kernel
#       SIGKILLs the backend, the postmaster logs "terminated by signal 9"
#       and resets every session (the motivating failure; it must hold for
#       the other cases to mean anything)
#   pg_grace_int_cancels_query        memory.max only, oom_psi_proactive
#       --grace 5s --warn-signal INT: the query is cancelled, the idle
#       session and the server live, no crash recovery, no oom_kill
#   pg_grace_int_memory_high          the same with memory.high below
#       memory.max, as systemd's MemoryHigh=/MemoryMax= set them
#
#   pg-guest.sh LOADER_DIR
set -uo pipefail

bin=${1:?usage: pg-guest.sh LOADER_DIR}
cg=/sys/fs/cgroup/oom_ext_pg
pg_dir=/tmp/oom_ext_pg
# shellcheck source=tooling/pg-lib.sh
. "$(dirname "$0")/pg-lib.sh"
n=0
failed=0

echo "TAP version 13"
echo "1..3"

ok() { # name
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() { # name reason
	n=$((n + 1))
	failed=$((failed + 1))
	echo "# $2"
	echo "not ok $n $1"
}

skip_all() { # reason
	echo "# SKIP $1"
	for t in pg_kernel_alone_resets_sessions pg_grace_int_cancels_query pg_grace_int_memory_high; do
		n=$((n + 1))
		echo "ok $n $t # SKIP $1"
	done
	exit 4
}

[ -x "$pgbin/postgres" ] || skip_all "PostgreSQL 15 is not installed (tooling/deps.sh)"
[ -x "$bin/oom_psi_proactive" ] || skip_all "oom_psi_proactive is not built"

echo "# initdb"
pg_initdb || skip_all "initdb failed"
echo "+memory" > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$cg"
echo 0 > "$cg/memory.swap.max"

# One incident: an idle session, then the query (pg_incident).
incident() {
	# 100M rows of generate_series: the planner drops the array_agg
	# (count(*) does not need it), and the rows spill to a temporary file
	# in the VM's in-memory /tmp, charged to the cgroup: far more than it
	# has. bench-pg-peers.sh, with no limit, builds a real array instead.
	pg_incident "select count(*) from (select array_agg(g) from generate_series(1, 100000000) g) s"
	echo "# query: $query_out"
	echo "# idle session backend: $idle_before, then: $idle_after"
}

case_kernel_alone() {
	local name=pg_kernel_alone_resets_sessions
	echo max > "$cg/memory.high"
	echo 256M > "$cg/memory.max"
	pg_start "$cg" protect || { not_ok $name "the server did not start"; return; }
	incident
	if ! grep -q "terminated by signal 9" "$pg_log"; then
		not_ok $name "no backend terminated by signal 9 in the server log"
	elif [ -n "$idle_after" ] && [ "$idle_after" = "$idle_before" ]; then
		not_ok $name "the idle session survived the kernel's kill"
	else
		grep -E "terminated by signal|terminating any other|reinitializing" "$pg_log" | sed 's/^/# log: /'
		ok $name
	fi
	pg_stop "$cg"
}

case_grace() { # name memory.high
	local name=$1 oom_kill lpid
	echo "$2" > "$cg/memory.high"
	echo 256M > "$cg/memory.max"
	pg_start "$cg" protect || { not_ok "$name" "the server did not start"; return; }
	oom_kill=$(awk '/^oom_kill /{print $2}' "$cg/memory.events")
	"$bin/oom_psi_proactive" -i 0 -c "$cg" --grace 5s --warn-signal INT --warn-usage 70 \
		--prekill-hooks none > /tmp/oom_ext_pg/loader.log 2>&1 &
	lpid=$!
	for _ in $(seq 600); do
		grep -q "attached to" /tmp/oom_ext_pg/loader.log && break
		sleep 0.1
	done
	incident
	# The deadline passes with the rule no longer holding: no kill.
	for _ in $(seq 300); do
		grep -q "no longer holds" /tmp/oom_ext_pg/loader.log && break
		sleep 0.1
	done
	kill -INT $lpid
	wait $lpid
	sed 's/^/# loader: /' /tmp/oom_ext_pg/loader.log
	if ! grep -q "sent SIGINT to 1 process" /tmp/oom_ext_pg/loader.log; then
		not_ok "$name" "no SIGINT warning to one process"
	elif ! grep -q "canceling statement due to user request" <<<"$query_out"; then
		not_ok "$name" "the query was not cancelled"
	elif ! grep -q "no longer holds at the deadline" /tmp/oom_ext_pg/loader.log; then
		not_ok "$name" "no calm at the deadline"
	elif [ -z "$idle_after" ] || [ "$idle_after" != "$idle_before" ]; then
		not_ok "$name" "the idle session did not survive"
	elif grep -qE "terminated by signal|reinitializing|database system was not properly shut down" "$pg_log"; then
		grep -E "terminated by signal|reinitializing" "$pg_log" | sed 's/^/# log: /'
		not_ok "$name" "the server crashed or ran crash recovery"
	elif [ "$(awk '/^oom_kill /{print $2}' "$cg/memory.events")" != "$oom_kill" ]; then
		not_ok "$name" "a process was OOM-killed"
	else
		ok "$name"
	fi
	pg_stop "$cg"
}

case_kernel_alone
case_grace pg_grace_int_cancels_query max
case_grace pg_grace_int_memory_high 224M

rmdir "$cg" 2>/dev/null
echo "# Totals: pass:$((n - failed)) fail:$failed"
[ "$failed" = 0 ]
