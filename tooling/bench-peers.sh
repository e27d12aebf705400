#!/usr/bin/env bash
# Every OOM handler on the same loads, side by side, in one VM boot
# (make bench-peers).
#
#   tooling/bench-peers.sh [TREE]     boots the VM and runs itself there
#
# Environment: RUNS (default 5) repetitions of each scenario and handler,
# GLOBAL_RUNS (default RUNS) of the global* scenarios;
# SCENARIOS and HANDLERS (space-separated names, default: all, listed
# below) to run a subset; CONSOLE_LOGLEVEL (default 4) for the guest.
#
# The console log level is 4, what a distribution kernel booted with
# "quiet" uses: the kernel's OOM report (a stack, the memory state, the
# task list) then stays in the log buffer, and only "Out of memory:
# Killed process" reaches the console. At the VM's boot level 5 the
# whole report goes out through the emulated serial port, and under TCG
# that delayed a kernel kill's victim by about 150 ms (oom_psi_proactive's
# rule to death, global: 676 ms median at level 5, 527 ms with the console
# silenced; earlyoom, whose kills print nothing, 553 and 565 ms).
#
# Handlers: kernel (nothing but the kernel), earlyoom (defaults), nohang
# (its packaged config; for a memcg scenario its PSI check watches that
# memcg), oomd (Debian 12's 0.5; oomd_config below writes a config per
# scenario: pressure over 60 % for 10 s, or free swap under 10 %, in the
# scenario's cgroup kills its largest child), cgroup_aware
# (oom_cgroup_aware system-wide), psi (oom_psi_proactive: the root for
# the system-wide rule plus the children of the scenario's cgroup), both;
# and, only when named in HANDLERS, psi5 (psi with --avail 5, its default
# before a06b63c).
#
# Scenarios (tooling/bench/squeeze.c runs each load; the VM has 2 GiB):
#   global       tenants t1 (500 MiB) and t2 (250 MiB), a culprit growing by
#                100 MiB/s until the machine runs out; no swap
#   global_zram  the same with 1 GiB of zram swap
#   memcg_low    a memcg with memory.max 600M: tenant t1 (300 MiB, under
#                memory.low 300M), a leaker growing by 50 MiB/s
#   split        the culprit spreads over 4 sub-cgroups of a memcg with
#                memory.max 600M, next to tenant t1 (200 MiB)
#   high_thrash  a culprit under memory.high 64M (memory.max 1G), no swap
#   benign_cache a cgroup with memory.max 64M reads a 512 MiB disk 3 times
#   benign_zram  a job 24 MiB above its memory.high 96M, zram swap on
#   growth_global  tenants t1 (900 MiB, a database) and t2 (200 MiB), a batch
#                job of 16 workers growing together by 100 MiB/s in all; the
#                machine runs out while t1 is still the largest; no swap
#   growth_memcg the same in a memcg with memory.max 1200M: t1 (700 MiB),
#                t2 (200 MiB), the batch job; it runs out with the job at
#                about 300 MiB
#
# Prints one table: per scenario and handler, runs in which the culprit was
# killed, innocent deaths, time to the culprit's death (median, min, max),
# memory used at the death (median), the tenants' memory "full" stall and
# the system's, medians over the runs, and for earlyoom and
# oom_psi_proactive how long their kill rule (MemAvailable and SwapFree
# under their thresholds) had held when the culprit died. Takes about 40 minutes with RUNS=5.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
all_scenarios="global global_zram memcg_low split high_thrash benign_cache benign_zram growth_global growth_memcg"
all_handlers="kernel earlyoom nohang oomd cgroup_aware psi both"
RUNS=${RUNS:-5}
SCENARIOS=${SCENARIOS:-$all_scenarios}
HANDLERS=${HANDLERS:-$all_handlers}
CONSOLE_LOGLEVEL=${CONSOLE_LOGLEVEL:-4}
# shellcheck source=tooling/bench-args.sh
. "$top/tooling/bench-args.sh"
bench_count bench-peers RUNS "$RUNS"
[ -z "${GLOBAL_RUNS:-}" ] || bench_count bench-peers GLOBAL_RUNS "$GLOBAL_RUNS"
bench_names bench-peers SCENARIOS "$SCENARIOS" "$all_scenarios"
bench_names bench-peers HANDLERS "$HANDLERS" "$all_handlers psi5"
case $CONSOLE_LOGLEVEL in
[1-8]) ;;
*) echo "bench-peers: CONSOLE_LOGLEVEL must be 1 to 8, not '$CONSOLE_LOGLEVEL'" >&2; exit 2 ;;
esac
if [ "${1:-}" != --in-vm ]; then
	tree=${1:-$top/out/linux}
	VM_MEM=${VM_MEM:-2G} VM_TIMEOUT=${VM_TIMEOUT:-7200} \
		exec "$top/tooling/vm.sh" "$tree" -- env RUNS="$RUNS" GLOBAL_RUNS="${GLOBAL_RUNS:-}" \
		SCENARIOS="$SCENARIOS" HANDLERS="$HANDLERS" \
		CONSOLE_LOGLEVEL="$CONSOLE_LOGLEVEL" "$0" --in-vm
fi

bin=$top/out/linux/tools/oom_ext/build/bin
cg=/sys/fs/cgroup/bench
res=/tmp/bench-peers
log() { printf 'bench: %s\n' "$*" >&2; }
dmesg -n "$CONSOLE_LOGLEVEL"

# The benchmark and every handler are off limits to every killer;
# squeeze.c puts its load back to 0.
echo -1000 >/proc/self/oom_score_adj
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
gcc -O2 -Wall -o /tmp/squeeze "$top/tooling/bench/squeeze.c"
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p $cg $res
echo +memory >$cg/cgroup.subtree_control
# benign_cache streams a 512 MiB disk through the page cache: a zram
# device of its own, read without I/O cost (the VM's root, 9p, is slow).
disk=/dev/zram$(cat /sys/class/zram-control/hot_add)
echo 512M >/sys/block/${disk#/dev/}/disksize

zram_on() {
	swapoff /dev/zram0 2>/dev/null || true
	echo 1 >/sys/block/zram0/reset
	echo lzo >/sys/block/zram0/comp_algorithm 2>/dev/null || true
	echo 1G >/sys/block/zram0/disksize
	mkswap /dev/zram0 >/dev/null
	swapon /dev/zram0
}
zram_off() {
	swapoff /dev/zram0 2>/dev/null || true
	echo 1 >/sys/block/zram0/reset 2>/dev/null || true
}

# setup SCENARIO: create its cgroups; prints the squeeze arguments.
setup() {
	local s=$1
	rmdir_all
	mkdir $cg/t1 $cg/t2 $cg/job
	case $s in
	global) zram_off; echo "-r 100 -t 90 $cg/job $cg/t1:500 $cg/t2:250" ;;
	global_zram) zram_on; echo "-r 100 -t 120 $cg/job $cg/t1:500 $cg/t2:250" ;;
	memcg_low)
		zram_off
		echo +memory >$cg/job/cgroup.subtree_control
		echo 600M >$cg/job/memory.max
		mkdir $cg/job/t1 $cg/job/leak
		echo 300M >$cg/job/t1/memory.low
		echo "-r 50 -t 60 $cg/job/leak $cg/job/t1:300" ;;
	split)
		zram_off
		echo +memory >$cg/job/cgroup.subtree_control
		echo 600M >$cg/job/memory.max
		mkdir $cg/job/t1 $cg/job/grow
		echo +memory >$cg/job/grow/cgroup.subtree_control
		echo "-r 100 -s 4 -t 60 $cg/job/grow $cg/job/t1:200" ;;
	high_thrash)
		zram_off
		echo 64M >$cg/job/memory.high
		echo 1G >$cg/job/memory.max
		echo 0 >$cg/job/memory.swap.max
		echo "-r 50 -t 30 $cg/job" ;;
	benign_cache)
		zram_off
		echo 64M >$cg/job/memory.max
		echo "-c 3 -f $disk -t 120 $cg/job" ;;
	benign_zram)
		zram_on
		echo 96M >$cg/job/memory.high
		echo "-j 120 -t 40 $cg/job" ;;
	growth_global) zram_off; echo "-r 100 -w 16 -t 90 $cg/job $cg/t1:900 $cg/t2:200" ;;
	growth_memcg)
		zram_off
		echo +memory >$cg/job/cgroup.subtree_control
		echo 1200M >$cg/job/memory.max
		mkdir $cg/job/t1 $cg/job/t2 $cg/job/batch
		echo "-r 100 -w 16 -t 90 $cg/job/batch $cg/job/t1:700 $cg/job/t2:200" ;;
	esac
}

rmdir_all() {
	local d
	for d in $(find $cg -mindepth 1 -depth -type d 2>/dev/null); do
		rmdir "$d" 2>/dev/null || true
	done
}

# The cgroup that a psi handler watches the children of, per scenario.
psi_parent() {
	case $1 in
	memcg_low|split|growth_memcg) echo $cg/job ;;
	*) echo $cg ;;
	esac
}

# The scenario's cgroup for the peers that watch one (oomd, nohang's PSI).
watch_cg() {
	case $1 in
	global*|growth_global) echo bench ;;
	split) echo bench/job/grow ;;
	*) echo bench/job ;;
	esac
}

# oomd_config SCENARIO: pressure or low swap in the scenario's cgroup kills
# its largest child (oomd 0.5 plugins).
oomd_config() {
	local w
	w=$(watch_cg "$1")
	cat <<-EOF
	{ "rulesets": [
	  { "name": "memory pressure in $w",
	    "detectors": [[ "pressure above 60 for 10s",
	      { "name": "pressure_above",
	        "args": { "cgroup": "$w", "resource": "memory",
	                  "threshold": "60", "duration": "10" } },
	      { "name": "memory_reclaim",
	        "args": { "cgroup": "$w", "duration": "10" } } ]],
	    "actions": [{ "name": "kill_by_memory_size_or_growth",
	                  "args": { "cgroup": "$w/*" } }] },
	  { "name": "low swap",
	    "detectors": [[ "free swap under 10 percent",
	      { "name": "swap_free", "args": { "threshold_pct": "10" } } ]],
	    "actions": [{ "name": "kill_by_memory_size_or_growth",
	                  "args": { "cgroup": "$w/*" } }] } ] }
	EOF
}

# nohang_config SCENARIO: the packaged config; PSI on the scenario's memcg.
nohang_config() {
	case $1 in
	global*|growth_global) cat /etc/nohang/nohang.conf ;;
	*) sed -e 's/^psi_checking_enabled.*/psi_checking_enabled = True/' \
	       -e "s|^psi_path.*|psi_path = /sys/fs/cgroup/$(watch_cg "$1")/memory.pressure|" \
	       -e 's/^psi_excess_duration.*/psi_excess_duration = 10/' \
	       /etc/nohang/nohang.conf ;;
	esac
}

# wait_attached FILE: a loader's "attached" line, or give up after 30 s.
wait_attached() {
	local i
	for i in $(seq 300); do
		grep -q "attached" "$1" && return 0
		sleep 0.1
	done
	log "no 'attached' line in $1:"; cat "$1" >&2
	exit 1
}

# rule_args HANDLER: the kill rule squeeze times the death against.
rule_args() {
	case $1 in
	earlyoom) echo "-a 10:10" ;;	# its defaults: -m 10 -s 10
	psi|both) echo "-a 10:10" ;;	# oom_psi_proactive --avail 10 --swap 10
	psi5) echo "-a 5:10" ;;		# the same at its earlier --avail 5
	esac
}

pids=()
start_handler() {
	local h=$1 s=$2 out=$res/handler.out
	pids=()
	: >$out
	case $h in
	kernel) ;;
	earlyoom) earlyoom -r 0 >$out 2>&1 & pids+=($!) ;;
	nohang)
		nohang_config "$s" >$res/nohang.conf
		# --monitor: without it nohang reads the config and exits.
		nohang --monitor --config $res/nohang.conf >$out 2>&1 & pids+=($!) ;;
	oomd)
		oomd_config "$s" >$res/oomd.json
		oomd --interval 1 --config $res/oomd.json --cgroup-fs /sys/fs/cgroup \
			>$out 2>&1 & pids+=($!) ;;
	cgroup_aware|both)
		"$bin/oom_cgroup_aware" -i 0 >$out 2>&1 & pids+=($!)
		wait_attached $out ;;
	esac
	: >$res/psi.out
	case $h in
	psi|both|psi5)
		"$bin/oom_psi_proactive" -i 0 -c /sys/fs/cgroup --children "$(psi_parent "$s")" \
			$([ "$h" = psi5 ] && echo --avail 5) >$res/psi.out 2>&1 & pids+=($!)
		wait_attached $res/psi.out ;;
	esac
	sleep 1	# the daemons' first poll
}

# stop_handler: tooling/bench-args.sh

: >$res/all
for s in $SCENARIOS; do
	for h in $HANDLERS; do
		n=$RUNS
		case $s in global*) n=${GLOBAL_RUNS:-$RUNS} ;; esac
		for run in $(seq 1 "$n"); do
			args=$(setup "$s")
			start_handler "$h" "$s"
			# shellcheck disable=SC2086
			line=$(/tmp/squeeze $(rule_args "$h") $args)
			stop_handler
			log "$s $h run $run: $line"
			# Who decided what (our loaders' decision lines and the levels that led there).
			cat $res/handler.out $res/psi.out 2>/dev/null |
				grep -E "killed pid|OOM declared|declared an OOM|would|:   in " |
				sed 's/^/bench:   /' >&2 || true
			echo "$s $h $line" >>$res/all
		done
	done
done
zram_off
rmdir_all

echo
echo "bench-peers: $(nproc) vCPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), TCG, $RUNS runs each (global*: ${GLOBAL_RUNS:-$RUNS}), console loglevel $CONSOLE_LOGLEVEL"
python3 "$top/tooling/bench/peers-table.py" <$res/all
