#!/usr/bin/env bash
# oom_psi_proactive --grace against the kernel alone (make bench-graceful).
#
#   tooling/bench-graceful.sh [TREE]     boots the VM and runs itself there
#
# Two parts, PARTS="graceful pg" (the default: both, in this order, each in
# a VM boot of its own):
#
# graceful: in the VM, a memcg with memory.max 64M and no swap, and a batch
# job (tooling/bench/ckpt.c) that grows by 1 MiB every 50 ms to 80 MiB, more
# than the memcg has. RUNS (default 10) runs of each:
#   kernel      no policy: the kernel's OOM killer ends the job at memory.max
#   checkpoint  oom_psi_proactive --grace 2s --warn-usage 50: the job
#               writes its checkpoint on SIGTERM and exits
#   ignore      the same, but the job ignores SIGTERM and stops at 40 MiB:
#               it is killed at the deadline
# Measured: jobs that saved their checkpoint (of RUNS), the time from the
# rule seen to hold to the warning sent (the policy's after_rule_ms), and
# how late the kill came after the deadline (late_ms), both by the
# kernel's clock. Takes about 3 minutes under TCG.
#
# pg: tooling/bench-pg-peers.sh with RUNS=PG_RUNS (default 3) and its
# HANDLERS: PostgreSQL when the whole machine runs out, the kernel alone,
# earlyoom, nohang and --grace 5s --warn-signal INT. About 20 minutes.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-10}
PG_RUNS=${PG_RUNS:-3}
PARTS=${PARTS:-graceful pg}
# shellcheck source=tooling/bench-args.sh
. "$top/tooling/bench-args.sh"
bench_count bench-graceful RUNS "$RUNS"
bench_count bench-graceful PG_RUNS "$PG_RUNS"
bench_names bench-graceful PARTS "$PARTS" "graceful pg"
if [ "${1:-}" != --in-vm ]; then
	tree=${1:-$top/out/linux}
	case " $PARTS " in
	*" pg "*) RUNS=$PG_RUNS "$top/tooling/bench-pg-peers.sh" --check ;;
	esac
	case " $PARTS " in
	*" graceful "*) "$top/tooling/vm.sh" "$tree" -- env RUNS="$RUNS" "$0" --in-vm ;;
	esac
	case " $PARTS " in
	*" pg "*) RUNS=$PG_RUNS exec "$top/tooling/bench-pg-peers.sh" "$tree" ;;
	esac
	exit 0
fi

bin=$top/out/linux/tools/oom_ext/build/bin
cg=/sys/fs/cgroup/graceful
out=/tmp/graceful
log() { printf 'bench: %s\n' "$*" >&2; }

mkdir -p $out
gcc -O2 -Wall -o $out/ckpt "$top/tooling/bench/ckpt.c"
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir $cg
echo 0 >$cg/memory.swap.max
echo 64M >$cg/memory.max

# run MODE: one job; prints "saved" or how it ended.
run() {
	rm -f $out/ckpt.file
	local st=0
	if [ "$1" = ignore ]; then
		$out/ckpt $cg 40 ignore || st=$?
	else
		$out/ckpt $cg 80 checkpoint $out/ckpt.file || st=$?
	fi
	if [ "$st" = 0 ] && [ -f $out/ckpt.file ]; then echo saved; else echo "status $st"; fi
}

# median and max of the numbers on stdin
stats() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%s %s", v[int((NR + 1) / 2)], v[NR]; else printf "- -" }'; }

log "kernel alone: $RUNS runs"
kernel_saved=0
for _ in $(seq "$RUNS"); do
	[ "$(run checkpoint)" = saved ] && kernel_saved=$((kernel_saved + 1))
done
kernel_kills=$(awk '/^oom_kill /{print $2}' $cg/memory.events)

"$bin/oom_psi_proactive" -i 0 --json -c $cg --grace 2s --warn-usage 50 --kill-usage 99 \
	--prekill-hooks none --cooldown 1 >$out/loader.json 2>$out/loader.err &
lpid=$!
until grep -q '"event":"attached"' $out/loader.json; do sleep 0.1; done

log "--grace 2s, a job that checkpoints: $RUNS runs"
saved=0
for _ in $(seq "$RUNS"); do
	[ "$(run checkpoint)" = saved ] && saved=$((saved + 1))
	sleep 1.1	# the cool-down
done
log "--grace 2s, a job that ignores SIGTERM: $RUNS runs"
for _ in $(seq "$RUNS"); do
	run ignore >/dev/null
	sleep 1.1
done
kill -INT $lpid
wait $lpid || true
grep -q '"event":"warned"' $out/loader.json || {
	log "the loader warned nothing:"
	head -c 2000 $out/loader.json $out/loader.err >&2
	exit 1
}

warn=$(grep '"event":"warned"' $out/loader.json | sed -n 's/.*"after_rule_ms":\([0-9.]*\).*/\1/p' | stats)
late=$(grep '"event":"grace_kill"' $out/loader.json | sed -n 's/.*"late_ms":\([0-9.]*\).*/\1/p' | stats)
nwarn=$(grep -c '"event":"warned"' $out/loader.json || true)
nkill=$(grep -c '"event":"grace_kill"' $out/loader.json || true)

echo
echo "| $RUNS runs each                          | kernel alone | --grace 2s |"
echo "|------------------------------------------|--------------|------------|"
echo "| checkpoint saved (job grows past max)    | $kernel_saved/$RUNS ($kernel_kills OOM kills) | $saved/$RUNS |"
echo "| rule seen -> warning sent, median / max  | -            | ${warn% *} / ${warn#* } ms |"
echo "| deadline -> kill, median / max           | -            | ${late% *} / ${late#* } ms |"
echo "| warnings / kills at the deadline         | -            | $nwarn / $nkill |"
