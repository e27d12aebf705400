#!/usr/bin/env bash
# In the VM (tooling/pg-test.sh): Debian's PostgreSQL 15 in a memory cgroup,
# one query that needs more memory than the cgroup has and one idle session.
# KTAP on stdout, one test per case:
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
pgbin=/usr/lib/postgresql/15/bin
cg=/sys/fs/cgroup/oom_ext_pg
data=/tmp/oom_ext_pg/data
sock=/tmp/oom_ext_pg
log=/tmp/oom_ext_pg/server.log
n=0
failed=0

echo "TAP version 13"
echo "1..3"

pg() { runuser -u postgres -- "$@"; }

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

mkdir -p "$sock" && chown postgres "$sock" || skip_all "cannot create $sock"
echo "# initdb"
pg "$pgbin/initdb" -D "$data" -A trust --no-sync -E UTF8 >/dev/null 2>&1 ||
	skip_all "initdb failed"
echo "+memory" > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$cg"
echo 0 > "$cg/memory.swap.max"

start_server() {
	: > "$log"
	chown postgres "$log"
	# pg_ctl forks the postmaster from here: it and every backend are in $cg.
	(echo $BASHPID > "$cg/cgroup.procs" &&
		pg "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 120 \
			-o "-k $sock -c listen_addresses= -c shared_buffers=16MB -c max_connections=10 -c fsync=off" \
			start >/dev/null)
}

stop_server() {
	# A clean shutdown: the next case's log must show no crash recovery.
	pg "$pgbin/pg_ctl" -D "$data" -m fast -w -t 120 stop >/dev/null 2>&1
	# Backends of a crashed server may linger a moment.
	for _ in $(seq 100); do
		[ -z "$(cat "$cg/cgroup.procs")" ] && return
		sleep 0.1
	done
}

# One incident: an idle session, then the query. Sets $idle_before,
# $idle_after (the idle session's backend pid before and after, or empty)
# and $query_out (what the query's psql printed).
incident() {
	local in out
	coproc IDLE { pg psql -h "$sock" -X -q -t -A -d postgres 2>&1; }
	in=${IDLE[1]}
	out=${IDLE[0]}
	echo "select pg_backend_pid();" >&"$in"
	idle_before=
	read -r -t 60 idle_before <&"$out"
	# array_agg of 100M integers: far more than the cgroup has.
	query_out=$(pg psql -h "$sock" -X -q -t -A -d postgres -c \
		"select count(*) from (select array_agg(g) from generate_series(1, 100000000) g) s" 2>&1)
	idle_after=
	echo "select pg_backend_pid();" >&"$in" 2>/dev/null
	read -r -t 60 idle_after <&"$out"
	exec {in}>&- 2>/dev/null
	wait "$IDLE_PID" 2>/dev/null
	echo "# query: $query_out"
	echo "# idle session backend: $idle_before, then: $idle_after"
}

case_kernel_alone() {
	local name=pg_kernel_alone_resets_sessions
	echo max > "$cg/memory.high"
	echo 256M > "$cg/memory.max"
	start_server || { not_ok $name "the server did not start"; return; }
	incident
	if ! grep -q "terminated by signal 9" "$log"; then
		not_ok $name "no backend terminated by signal 9 in the server log"
	elif [ -n "$idle_after" ] && [ "$idle_after" = "$idle_before" ]; then
		not_ok $name "the idle session survived the kernel's kill"
	else
		grep -E "terminated by signal|terminating any other|reinitializing" "$log" | sed 's/^/# log: /'
		ok $name
	fi
	stop_server
}

case_grace() { # name memory.high
	local name=$1 oom_kill lpid
	echo "$2" > "$cg/memory.high"
	echo 256M > "$cg/memory.max"
	start_server || { not_ok "$name" "the server did not start"; return; }
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
	elif grep -qE "terminated by signal|reinitializing|database system was not properly shut down" "$log"; then
		grep -E "terminated by signal|reinitializing" "$log" | sed 's/^/# log: /'
		not_ok "$name" "the server crashed or ran crash recovery"
	elif [ "$(awk '/^oom_kill /{print $2}' "$cg/memory.events")" != "$oom_kill" ]; then
		not_ok "$name" "a process was OOM-killed"
	else
		ok "$name"
	fi
	stop_server
}

case_kernel_alone
case_grace pg_grace_int_cancels_query max
case_grace pg_grace_int_memory_high 224M

rmdir "$cg" 2>/dev/null
echo "# Totals: pass:$((n - failed)) fail:$failed"
[ "$failed" = 0 ]
