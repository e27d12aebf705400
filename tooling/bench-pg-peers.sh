#!/usr/bin/env bash
# PostgreSQL when the whole machine runs out: the kernel alone, earlyoom,
# nohang and ours, side by side (make bench-graceful runs it after its own
# part; issue 27).
#
#   tooling/bench-pg-peers.sh [TREE]     boots the VM and runs itself there
#   tooling/bench-pg-peers.sh --check    only checks the settings below
#
# Environment: RUNS (default 3) repetitions per handler; HANDLERS
# (space-separated, default all four, listed below); VM_MEM (default 2G);
# CONSOLE_LOGLEVEL (default 4, as tooling/bench-peers.sh says why).
#
# In the VM (2 vCPUs under TCG, no swap, no memory limit on any cgroup):
# Debian's PostgreSQL 15 (tooling/pg-lib.sh) in a cgroup of its own, an idle
# session, and one query whose memory grows until the machine has none:
#
#   select array_length(array_agg(repeat(md5(g::text), 31)), 1)
#       from (select generate_series(1, 10000000) g) s
#
# about 1 KiB per row, 10 GiB in all. (Not pg-guest.sh's query: its
# count(*) over a subquery lets the planner drop the array_agg, EXPLAIN
# shows "Output: NULL::integer[]", and what fills memory there is the
# tuplestore of generate_series in FROM, a temporary file in the VM's
# /tmp, which is in memory. An array_agg of integers that is used would
# not do either: accumArrayResult() stops at 64M elements, its Datum array
# at PostgreSQL's 1 GiB allocation limit, "array size exceeds the maximum
# allowed", with about 600 MiB in use.)
# A fresh server for every run, then one handler:
#   kernel     nothing but the kernel's OOM killer
#   earlyoom   Debian 12's earlyoom 1.7 with its defaults (SIGTERM at 10 %
#              MemAvailable and 10 % free swap, SIGKILL at 5 %)
#   nohang     Debian 12's nohang 0.2 with its packaged /etc/nohang/nohang.conf
#              (SIGTERM at 5 % available, SIGKILL at 2 %)
#   grace      oom_cgroup_aware attached at the root, and oom_psi_proactive
#              -c /sys/fs/cgroup --grace 5s --warn-signal INT (the system-wide
#              rule: warn under 10 % available, kill at the deadline if it
#              still holds or at once under 5 %)
# From the server log, the sessions, the kernel log and the handlers' own
# output: what ended the query's backend (SIGKILL: the postmaster resets every
# session; SIGTERM: "terminating connection due to administrator command",
# only that session ends; SIGINT: "canceling statement due to user
# request"), whether the idle session kept its backend, whether the
# postmaster lived and ran crash recovery, and whom else a handler or the
# kernel signalled. Prints one markdown table. Takes about 20 minutes with
# RUNS=3 (the query fills 2 GiB in 1.5 to 2.5 minutes under TCG).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
all_handlers="kernel earlyoom nohang grace"
RUNS=${RUNS:-3}
HANDLERS=${HANDLERS:-$all_handlers}
CONSOLE_LOGLEVEL=${CONSOLE_LOGLEVEL:-4}
# shellcheck source=tooling/bench-args.sh
. "$top/tooling/bench-args.sh"
bench_count bench-pg-peers RUNS "$RUNS"
bench_names bench-pg-peers HANDLERS "$HANDLERS" "$all_handlers"
case $CONSOLE_LOGLEVEL in
[1-8]) ;;
*) echo "bench-pg-peers: CONSOLE_LOGLEVEL must be 1 to 8, not '$CONSOLE_LOGLEVEL'" >&2; exit 2 ;;
esac
[ "${1:-}" != --check ] || exit 0
if [ "${1:-}" != --in-vm ]; then
	tree=${1:-$top/out/linux}
	VM_MEM=${VM_MEM:-2G} VM_TIMEOUT=${VM_TIMEOUT:-5400} \
		exec "$top/tooling/vm.sh" "$tree" -- env RUNS="$RUNS" HANDLERS="$HANDLERS" \
		CONSOLE_LOGLEVEL="$CONSOLE_LOGLEVEL" "$0" --in-vm
fi

# One stream, in order: the run log (log()), then the table.
exec 2>&1
bin=$top/out/linux/tools/oom_ext/build/bin
cg=/sys/fs/cgroup/oom_ext_pg
res=/tmp/bench-pg-peers
pg_dir=/tmp/oom_ext_pg
# shellcheck source=tooling/pg-lib.sh
. "$top/tooling/pg-lib.sh"
query="select array_length(array_agg(repeat(md5(g::text), 31)), 1) from (select generate_series(1, 10000000) g) s"
log() { printf 'bench: %s\n' "$*" >&2; }

[ -x "$pgbin/postgres" ] || { log "PostgreSQL 15 is not installed (tooling/deps.sh)"; exit 1; }
dmesg -n "$CONSOLE_LOGLEVEL"
# The benchmark and the handlers are off limits to every killer; pg() puts
# the server and its clients back to 0.
echo -1000 >/proc/self/oom_score_adj
mkdir -p $res
swapoff -a
if [ "$(awk '/^SwapTotal:/ { print $2 }' /proc/meminfo)" != 0 ]; then
	log "the VM has swap; this bench needs none"; exit 1
fi
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p $cg
if [ "$(cat $cg/memory.max)" != max ] || [ "$(cat $cg/memory.high)" != max ]; then
	log "$cg has a memory limit"; exit 1
fi
pg_initdb || { log "initdb failed"; exit 1; }

# wait_for FILE PATTERN SECS: until FILE has a line matching PATTERN.
wait_for() {
	for _ in $(seq $(($3 * 10))); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

pids=()
start_handler() {
	: >$res/handler.out
	: >$res/psi.out
	pids=()
	case $1 in
	kernel) ;;
	earlyoom)
		earlyoom -r 0 >$res/handler.out 2>&1 & pids+=($!)
		wait_for $res/handler.out "sending SIGTERM when" 30 || { log "earlyoom did not start:"; cat $res/handler.out >&2; exit 1; }
		;;
	nohang)
		nohang --monitor --config /etc/nohang/nohang.conf >$res/handler.out 2>&1 & pids+=($!)
		wait_for $res/handler.out "Monitoring has started" 60 || { log "nohang did not start:"; cat $res/handler.out >&2; exit 1; }
		;;
	grace)
		"$bin/oom_cgroup_aware" -i 0 >$res/handler.out 2>&1 & pids+=($!)
		wait_for $res/handler.out attached 30 || { log "oom_cgroup_aware did not attach:"; cat $res/handler.out >&2; exit 1; }
		"$bin/oom_psi_proactive" -i 0 -c /sys/fs/cgroup --grace 5s --warn-signal INT \
			--prekill-hooks none >$res/psi.out 2>&1 & pids+=($!)
		wait_for $res/psi.out attached 30 || { log "oom_psi_proactive did not attach:"; cat $res/psi.out >&2; exit 1; }
		;;
	esac
	sleep 1	# the daemons' first poll
}

# stop_handler: tooling/bench-args.sh

# signals HANDLER: "pid signal by comm" for every process the kernel or the
# handler signalled in this run, one a line.
signals() {
	# The kernel's kills, also those our policies made through it.
	dmesg | sed -nE 's/.*Killed process ([0-9]+) \(([^)]*)\).*/\1 SIGKILL kernel \2/p'
	case $1 in
	earlyoom)
		sed -nE 's/.*sending (SIG[A-Z]+) to process ([0-9]+) uid [0-9]+ "([^"]*)".*/\2 \1 earlyoom \3/p' \
			$res/handler.out ;;
	nohang)
		# "Victim status ...", "  PID:       123, name: postgres, ...", then
		# "Sending SIGTERM to the victim".
		awk '/^ *PID: / { pid = $2; name = $4; sub(/,$/, "", pid); sub(/,$/, "", name) }
		     /Sending SIG[A-Z]+ to the victim/ { for (i = 1; i <= NF; i++) if ($i ~ /^SIG/) print pid, $i, "nohang", name }' \
			$res/handler.out ;;
	grace)
		sed -nE 's/.*an OOM would kill .*pid ([0-9]+).*sent (SIG[A-Z]+) to.*/\1 \2 oom_psi_proactive ?/p' \
			$res/psi.out ;;
	esac
}

# fate PID: what ended the query's backend PID, from the server log.
fate() {
	local p=$1 s
	if s=$(sed -nE "s/.*server process \\(PID $p\\) was terminated by signal ([0-9]+).*/\\1/p" "$pg_log") && [ -n "$s" ]; then
		echo "killed by signal $s"
	elif grep -q "\\[$p\\] FATAL:  terminating connection due to administrator command" "$pg_log"; then
		echo "terminated (SIGTERM)"
	elif grep -q "\\[$p\\] ERROR:  canceling statement due to user request" "$pg_log"; then
		echo "cancelled (SIGINT)"
	elif grep -q "\\[$p\\] ERROR:  out of memory" "$pg_log"; then
		echo "failed: out of memory (malloc)"
	elif grep -qE "^[0-9]+$" <<<"$query_out"; then
		echo "completed"
	else
		echo "unknown"
	fi
}

: >$res/all
for h in $HANDLERS; do
	for run in $(seq "$RUNS"); do
		dmesg -C
		pg_start $cg || { log "the server did not start:"; cat "$pg_log" >&2; exit 1; }
		pm=$(pg_postmaster_pid)
		start_handler "$h"
		t0=$(date +%s%N)
		pg_incident "$query"
		secs=$((($(date +%s%N) - t0) / 100000000))
		secs=$((secs / 10)).$((secs % 10))
		# Let the aftermath happen: our deadline (5 s) or a crash recovery.
		if [ "$h" = grace ]; then
			wait_for $res/psi.out "no longer holds|killed what was warned|nothing killed" 15 || true
		fi
		for _ in $(seq 600); do
			pg "$pgbin/pg_isready" -q -h "$pg_sock" && break
			sleep 0.1
		done
		sleep 1
		stop_handler
		f=$(fate "$query_pid")
		sig=$(signals "$h")
		by=$(awk -v p="$query_pid" 'NF && $1 == p { printf "%s%s by %s", n++ ? ", " : "", $2, $3 }' <<<"$sig")
		[ -n "$by" ] && f="$f; $by"
		extra=$(awk -v p="$query_pid" 'NF && $1 != p { printf "%s%s %s (%s) by %s", n++ ? ", " : "", $2, $4, $1, $3 }' <<<"$sig")
		idle=0
		[ -n "$idle_before" ] && [ "$idle_after" = "$idle_before" ] && idle=1
		alive=0
		kill -0 "$pm" 2>/dev/null && [ "$(pg_postmaster_pid)" = "$pm" ] && alive=1
		crash=0
		grep -qE "terminating any other active server processes|reinitializing|not properly shut down" "$pg_log" && crash=1
		log "$h run $run: query backend $query_pid: $f; idle session $idle_before -> ${idle_after:-(none)}; postmaster $pm alive=$alive crash_recovery=$crash; others: ${extra:-none}; query ran ${secs}s"
		log "  query: $(head -c 300 <<<"$query_out" | tr '\n' ' ')"
		grep -E "terminated by signal|terminating|canceling|out of memory|reinitializing|recovery" "$pg_log" |
			sed 's/^/bench:   log: /' >&2 || true
		dmesg | grep -E "Killed process|invoked oom-killer" | sed 's/^/bench:   kernel: /' >&2 || true
		cat $res/handler.out $res/psi.out |
			grep -E "sending|escalat|exited|Sending|Victim|PID:|Name:|killed|would kill|no longer|declared|nothing" |
			sed 's/^/bench:   handler: /' >&2 || true
		if [ -s $res/handler.out ] && ! awk 'NF && $3 != "kernel"' <<<"$sig" | grep -q .; then
			log "  $h signalled nothing; its output ends:"
			tail -n 15 $res/handler.out | sed 's/^/bench:   handler: /' >&2
		fi
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$h" "$f" "$idle" "$alive" "$crash" "${extra:--}" "$secs" >>$res/all
		pg_stop $cg
	done
done
rmdir $cg 2>/dev/null || true

echo
echo "bench-pg-peers: $(nproc) vCPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), no swap, TCG, $RUNS runs each, console loglevel $CONSOLE_LOGLEVEL"
echo
echo "| handler | the query's backend | idle session kept its backend | postmaster lived / crash recovery | others signalled | query ran, s: median |"
echo "|---|---|---|---|---|---|"
for h in $HANDLERS; do
	case $h in
	kernel) name="kernel alone" ;;
	earlyoom) name="earlyoom 1.7, defaults" ;;
	nohang) name="nohang 0.2, packaged config" ;;
	grace) name="oom_cgroup_aware + oom_psi_proactive --grace 5s --warn-signal INT" ;;
	esac
	med=$(awk -F'\t' -v h="$h" '$1 == h { print $7 }' $res/all | sort -n |
		awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }')
	awk -F'\t' -v h="$h" -v name="$name" -v n="$RUNS" -v med="$med" '
		$1 != h { next }
		{
			if (!($2 in fate)) order[++nf] = $2
			fate[$2]++; idle += $3; alive += $4; crash += $5
			if ($6 != "-") { extra = extra (extra ? "; " : "") $6 }
		}
		END {
			for (i = 1; i <= nf; i++) f = f (i > 1 ? "; " : "") fate[order[i]] "/" n " " order[i]
			printf "| %s | %s | %d/%d | %d/%d / %d/%d | %s | %s |\n", name, f, idle, n,
				alive, n, crash, n, extra ? extra : "none", med
		}' $res/all
done
