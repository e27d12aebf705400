#!/usr/bin/env bash
# The demo, run inside the VM (make demo): oom_simple in the foreground
# handles a real memory cgroup OOM. Three tenants of 4, 8 and 32 MiB sit in a
# memcg with memory.max=64M; a fourth process then asks for 24 MiB more.
# oom_simple kills the largest tenant, the newcomer gets its memory, and the
# demo shows the kernel's report, memory.events and who survived.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tool=$top/out/linux/tools/oom_ext/build/bin/oom_simple
cg=/sys/fs/cgroup/oom_ext_demo
say() { printf '\n== %s\n' "$*"; }

[ -x "$tool" ] || { echo "demo: $tool is not built (make selftests builds it)" >&2; exit 1; }
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
[ -d $cg ] && rmdir $cg
mkdir $cg
echo 64M >$cg/memory.max
echo 0 >$cg/memory.swap.max
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

# A process in $cg that holds $1 MiB, prints "ready", then sleeps.
tenant() {
	exec python3 -c '
import sys, time
open(sys.argv[1] + "/cgroup.procs", "w").write("0")
hold = [bytearray(1 << 20) for _ in range(int(sys.argv[2]))]
print("ready", flush=True)
time.sleep(3600)' "$cg" "$1"
}

driver() {
	# Wait until the policy is attached (it is listed in debugfs).
	until grep -q "^oom_simple .* /oom_ext_demo " /sys/kernel/debug/bpf_oom 2>/dev/null; do
		sleep 0.2
	done
	local pids=() size
	for size in 4 8 32; do
		exec {fd}< <(tenant $size)
		pids+=("$!:$size")
		read -r -u $fd _	# "ready": it holds its memory
	done
	say "tenants of 4, 8 and 32 MiB in $cg (memory.max 64M); a newcomer asks for 24 MiB"
	tenant 24 >/dev/null &
	local newcomer=$!
	# The newcomer either gets its memory (someone else was killed) or dies.
	wait_for_kill
	say "after the OOM"
	for p in "${pids[@]}"; do
		if kill -0 "${p%%:*}" 2>/dev/null; then
			echo "  ${p#*:} MiB tenant (pid ${p%%:*}): alive"
		else
			echo "  ${p#*:} MiB tenant (pid ${p%%:*}): killed"
		fi
	done
	kill -0 $newcomer 2>/dev/null && echo "  newcomer (pid $newcomer): alive, got its 24 MiB"
	say "the kernel's OOM report (dmesg)"
	dmesg | grep -E 'BPF OOM policy|invoked oom-killer|Killed process' | tail -n 3
	say "$cg/memory.events"
	cat $cg/memory.events
	say "stopping oom_simple (SIGINT)"
	kill -INT "$loader"
}

# Wait until memory.events counts the kill.
wait_for_kill() {
	until [ "$(awk '$1 == "oom_kill" {print $2}' $cg/memory.events)" -ge 1 ]; do
		sleep 0.2
	done
	sleep 1
}

say "oom_simple, attached to $cg, in the foreground"
"$tool" -c $cg -i 0 &
loader=$!
driver
wait $loader || true
# Remove the remaining tenants quietly (bash would report each as Killed).
disown -a
echo 1 >$cg/cgroup.kill
while grep -q "populated 1" $cg/cgroup.events; do sleep 0.1; done
rmdir $cg
