#!/usr/bin/env bash
# Reaction time of oom_psi_proactive to a thrashing cgroup (make bench-psi).
#
#   tooling/bench-psi-reaction.sh [TREE]     boots the VM and runs itself there
#
# In the VM: memcgs below /sys/fs/cgroup/react with memory.high 32M,
# memory.max 1G and no swap. tooling/bench/thrash.c starts a task that
# allocates and touches anonymous memory forever; the kernel throttles it
# at memory.high, where reclaim finds nothing to free, so it stalls on
# memory without reaching memory.max. The time measured runs from the
# moment the cgroup first goes over memory.high (its memory.events "high"
# count leaves 0: it starts to thrash) to the task's death by SIGKILL
# (CLOCK_MONOTONIC, waited for with a pidfd).
#   baseline  no policy: the same load, one run of TIMEOUT seconds
#   policy    oom_psi_proactive --children react (its default trigger,
#             unless PSI_ARGS gives others, e.g. PSI_ARGS='--full 25ms/250ms'),
#             RUNS runs,
#             each in a fresh child cgroup (so the cool-down of one run does
#             not delay the next)
# Prints each run and the median. Takes about 4 minutes under TCG.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-7}
# shellcheck source=tooling/bench-args.sh
. "$top/tooling/bench-args.sh"
bench_count bench-psi RUNS "$RUNS"
if [ "${1:-}" != --in-vm ]; then
	tree=${1:-$top/out/linux}
	VM_MEM=${VM_MEM:-2G} exec "$top/tooling/vm.sh" "$tree" -- \
		env RUNS="$RUNS" PSI_ARGS="${PSI_ARGS:-}" "$0" --in-vm
fi

TIMEOUT=${TIMEOUT:-60}
bin=$top/out/linux/tools/oom_ext/build/bin
cg=/sys/fs/cgroup/react
log() { printf 'bench: %s\n' "$*" >&2; }

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
gcc -O2 -Wall -o /tmp/thrash "$top/tooling/bench/thrash.c"
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir $cg
echo +memory >$cg/cgroup.subtree_control
echo 0 >$cg/memory.swap.max

# episode NAME [LOADER_OUT]: one thrashing run in a new $cg/NAME, after the
# loader (if any) watches it; prints thrash's line.
episode() {
	mkdir $cg/$1
	echo 32M >$cg/$1/memory.high
	echo 1G >$cg/$1/memory.max
	if [ -n "${2:-}" ]; then
		until grep -q "watching /react/$1\$" "$2"; do sleep 0.1; done
	fi
	/tmp/thrash $cg/$1 "$TIMEOUT"
}

log "baseline: no policy, up to $TIMEOUT s"
base=$(episode base)
base_full=$(awk '/^full/ { print $2 }' $cg/base/memory.pressure)
base_events=$(tr '\n' ' ' <$cg/base/memory.events)
log "baseline: $base ($base_full; memory.events: $base_events)"
rmdir $cg/base

# shellcheck disable=SC2086 # PSI_ARGS is a list of options
"$bin/oom_psi_proactive" -i 0 ${PSI_ARGS:-} --children $cg >/tmp/bench-psi.out &
loader=$!
until grep -q "attached to" /tmp/bench-psi.out 2>/dev/null; do sleep 0.2; done
: >/tmp/bench-psi-ms
for run in $(seq 1 "$RUNS"); do
	r=$(episode r$run /tmp/bench-psi.out)
	log "oom_psi_proactive run $run: $r ($(grep -c 'oom_kill 1' /tmp/bench-psi.out) kills reported so far)"
	set -- $r
	[ "$1" = killed ] && echo "$2" >>/tmp/bench-psi-ms
done
kill -INT $loader
wait $loader || true
grep -m1 "declared an OOM" /tmp/bench-psi.out >&2 || true
# Its counters: events that did not confirm, or found the memcg progressing.
grep "watching [0-9]*, events" /tmp/bench-psi.out | tail -n1 >&2 || true

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "none" }'; }
killed=$(wc -l </tmp/bench-psi-ms)
echo
echo "time from first going over memory.high (thrashing) to death by SIGKILL (TCG)"
set -- $base
if [ "$1" = killed ]; then
	echo "no policy:                        killed after $2 ms"
else
	echo "no policy:                        not killed within $2 s ($3 MiB allocated; memory.pressure $base_full)"
fi
echo "oom_psi_proactive ${PSI_ARGS:-(defaults)}: median $(median </tmp/bench-psi-ms) ms over $killed of $RUNS runs" \
     "(runs: $(sort -n /tmp/bench-psi-ms | tr '\n' ' '))"
