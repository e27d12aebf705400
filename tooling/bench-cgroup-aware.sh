#!/usr/bin/env bash
# Cost of one OOM decision: oom_cgroup_aware against the kernel's own victim
# selection, on the same OOMs (make bench).
#
#   tooling/bench-cgroup-aware.sh [TREE]     boots the VM and runs itself there
#
# In the VM: a memcg "bench" with 10 tenants x 10 services x 10 leaves
# (1 110 memcgs) and 10 idle processes per leaf (10 000 tasks), memory.max
# just above its usage. A hog in one leaf then grows until the memcg OOMs,
# RUNS times per policy (default 7), after one warm-up OOM that is not
# counted. The policy runs in dry-run mode: it makes its whole decision,
# reports it and passes, so the kernel then runs its own
# select_bad_process() on the same OOM. Three times per OOM:
#   program   the BPF policy's handler alone: run_time_ns / run_cnt of
#             the program (kernel.bpf_stats_enabled), read from the
#             loader's fdinfo before and after the OOM
#   dispatch  bpf_oom_handle() (kprobe pair) minus the program: the
#             framework's own cost (pending-victim check, SRCU, links)
#   kernel    mem_cgroup_scan_tasks() (kprobe pair): select_bad_process()
#             on a memcg OOM
# Each OOM's first bpf_oom_handle() and first kernel selection are paired;
# the hog is waited for, so the previous victim is gone before the next.
# Why the warm-up: QEMU's TCG translates guest code the first time it runs.
# A program's first call runs its JIT image and most of its kfuncs for the
# first time, and translating them costs 5 to 10 times what running them
# does (measured with bpf_ktime_get_ns() around each phase of the program:
# every phase was that much slower, alike), where select_bad_process()
# translates its loop once and runs it 10 000 times. Counting that call
# would time the emulator, not the policy; on hardware a cold call costs
# cache misses, not retranslation. The kernel's selection gets the same
# warm-up (the same OOM). A later OOM is now and then slow the same way
# (one in five to seven when measured, every phase alike): hence the median.
# vm.oom_dump_tasks is 0 so that the OOM report does not scan the tasks too.
# oom_simple, which scans every task from BPF, is measured the same way for
# comparison. Prints min, median and max of each, and program/kernel.
# Takes about 8 minutes under TCG (starting 10 000 processes is most of it).
# Run it on an otherwise idle host: with both host cores busy, the kernel's
# selection took twice as long (the program did not), which flatters the ratio.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-7}
# shellcheck source=tooling/bench-args.sh
. "$top/tooling/bench-args.sh"
bench_count bench RUNS "$RUNS"
if [ "${1:-}" != --in-vm ]; then
	tree=${1:-$top/out/linux}
	VM_MEM=${VM_MEM:-4G} exec "$top/tooling/vm.sh" "$tree" -- \
		env RUNS="$RUNS" "$0" --in-vm
fi

bin=$top/out/linux/tools/oom_ext/build/bin
cg=/sys/fs/cgroup/bench
tr=/sys/kernel/tracing
log() { printf 'bench: %s\n' "$*" >&2; }

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
mountpoint -q $tr || mount -t tracefs none $tr
sysctl -q vm.oom_dump_tasks=0
sysctl -q kernel.bpf_stats_enabled=1
gcc -O2 -Wall -o /tmp/spawn "$top/tooling/bench/spawn.c"

log "building 1 110 memcgs"
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir $cg
echo 0 >$cg/memory.swap.max
leaves=()
for t in $(seq 0 9); do
	mkdir $cg/t$t
	for s in $(seq 0 9); do
		mkdir $cg/t$t/s$s
		for l in $(seq 0 9); do
			mkdir $cg/t$t/s$s/l$l
			leaves+=($cg/t$t/s$s/l$l)
		done
	done
done
echo +memory >$cg/cgroup.subtree_control
for t in $(seq 0 9); do
	echo +memory >$cg/t$t/cgroup.subtree_control
	for s in $(seq 0 9); do
		echo +memory >$cg/t$t/s$s/cgroup.subtree_control
	done
done
log "starting 10 000 idle processes"
n=$(/tmp/spawn 10 "${leaves[@]}")
echo $(( $(cat $cg/memory.current) + 48 * 1024 * 1024 )) >$cg/memory.max
log "$n processes, $(( $(cat $cg/memory.current) >> 20 )) MiB; memory.max $(( $(cat $cg/memory.max) >> 20 )) MiB"

echo >$tr/kprobe_events
echo 'p:oomb/policy_in bpf_oom_handle' >>$tr/kprobe_events
echo 'r:oomb/policy_out bpf_oom_handle' >>$tr/kprobe_events
echo 'p:oomb/kernel_in mem_cgroup_scan_tasks' >>$tr/kprobe_events
echo 'r:oomb/kernel_out mem_cgroup_scan_tasks' >>$tr/kprobe_events
echo 1 >$tr/events/oomb/enable

# Pair each *_in with the next *_out: microseconds per pair, in order.
durations() {
	awk -v want="$1" '{
		for (i = 1; i <= NF; i++)
			if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = substr($i, 1, length($i) - 1); ev = $(i + 1) }
		if (ev == want "_in:") start = ts
		else if (ev == want "_out:" && start != "") { printf "%d\n", (ts - start) * 1e6; start = "" }
	}' $tr/trace
}
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%d %d %d", v[1], v[int((NR + 1) / 2)], v[NR] }'; }

# run_time_ns and run_cnt summed over the struct_ops programs @1 holds.
prog_stats() {
	local f t=0 c=0 rt rc
	for f in /proc/"$1"/fdinfo/*; do
		grep -q '^prog_type:[[:space:]]*27$' "$f" 2>/dev/null || continue
		rt=$(awk '/^run_time_ns:/ { print $2 }' "$f")
		rc=$(awk '/^run_cnt:/ { print $2 }' "$f")
		t=$((t + rt)) c=$((c + rc))
	done
	echo "$t $c"
}

hog() {
	exec python3 -c '
import sys
open(sys.argv[1] + "/cgroup.procs", "w").write("0")
hold = []
while True:
    hold.append(bytearray(1 << 20))' "$1"
}

results=()
for policy in oom_cgroup_aware oom_simple; do
	"$bin/$policy" -n -i 0 -c $cg >/tmp/bench-$policy.out &
	loader=$!
	until grep -q "^$policy .* /bench " /sys/kernel/debug/bpf_oom 2>/dev/null; do sleep 0.2; done
	: >/tmp/bench-prog; : >/tmp/bench-disp; : >/tmp/bench-k
	for run in $(seq 0 "$RUNS"); do
		echo >$tr/trace
		read -r t0 c0 < <(prog_stats $loader)
		hog ${leaves[$((run * 137 % 1000))]} &
		{ wait $!; } 2>/dev/null || true	# until the kernel kills it
		read -r t1 c1 < <(prog_stats $loader)
		h=$(durations policy | head -n 1)
		k=$(durations kernel | head -n 1)
		# The program's mean over this OOM's calls (normally one).
		prog=$(( c1 > c0 ? (t1 - t0) / (c1 - c0) / 1000 : -1 ))
		log "$policy run $run$([ "$run" -gt 0 ] || echo ' (warm-up, not counted)'): program ${prog} us, bpf_oom_handle ${h:-?} us ($((c1 - c0)) calls), kernel selection ${k:-?} us"
		[ "$run" -gt 0 ] && [ -n "$h" ] && [ -n "$k" ] && [ "$prog" -ge 0 ] || continue
		echo "$prog" >>/tmp/bench-prog
		echo $((h - prog)) >>/tmp/bench-disp
		echo "$k" >>/tmp/bench-k
	done
	kill -INT $loader
	wait $loader || true
	grep -m1 "would kill" /tmp/bench-$policy.out >&2 || true
	results+=("$policy $(stats </tmp/bench-prog) $(stats </tmp/bench-disp) $(stats </tmp/bench-k)")
done
echo 0 >$tr/events/oomb/enable
echo >$tr/kprobe_events

echo
echo "one OOM decision, 1 110 memcgs, $n tasks, $RUNS OOMs each after a warm-up (TCG); us: min median max"
printf '%-17s %-20s %-20s %-22s %s\n' policy program dispatch "kernel selection" "program/kernel"
for r in "${results[@]}"; do
	set -- $r
	printf '%-17s %-20s %-20s %-22s %s\n' "$1" "$2 $3 $4" "$5 $6 $7" "$8 $9 ${10}" \
		"$(awk -v p="$3" -v k="$9" 'BEGIN { printf "%.3f", p / k }')"
done

disown -a
echo 1 >$cg/cgroup.kill
