#!/usr/bin/env bash
# The demo, run inside the VM (make demo): oom_cgroup_aware in the
# foreground handles a real memory cgroup OOM among three tenants of a
# memcg with memory.max=128M:
#   steady     holds 24 MiB
#   protected  holds 64 MiB, covered by memory.low=72M
#   leaker     grows by 1 MiB every 20 ms until something gives
# The kernel alone would kill the largest process, the protected tenant's.
# oom_cgroup_aware compares the tenants by usage above their protection and
# kills the leaker; the demo shows its decision, who survived, the kernel's
# report and each tenant's memory.events, then stops the tool and exits.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tool=$top/out/linux/tools/oom_ext/build/bin/oom_cgroup_aware
cg=/sys/fs/cgroup/oom_ext_demo
say() { printf '\n== %s\n' "$*"; }

[ -x "$tool" ] || { echo "demo: $tool is not built (make selftests builds it)" >&2; exit 1; }
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
[ -d $cg ] && { echo 1 >$cg/cgroup.kill; find $cg -depth -type d -exec rmdir {} +; }
mkdir $cg
echo 128M >$cg/memory.max
echo 0 >$cg/memory.swap.max
echo +memory >$cg/cgroup.subtree_control
for t in steady protected leaker; do mkdir $cg/$t; done
echo 72M >$cg/protected/memory.low
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

# A process in tenant $1 that holds $2 MiB and prints "ready"; with a third
# argument it then keeps growing by 1 MiB every 20 ms.
tenant() {
	exec python3 -c '
import sys, time
open(sys.argv[1] + "/cgroup.procs", "w").write("0")
hold = [bytearray(1 << 20) for _ in range(int(sys.argv[2]))]
print("ready", flush=True)
while len(sys.argv) > 3:
    hold.append(bytearray(1 << 20))
    time.sleep(0.02)
time.sleep(3600)' "$cg/$1" "$2" ${3:-}
}

declare -A pid
driver() {
	# Wait until the policy is attached (it is listed in debugfs).
	until grep -q "^oom_cgroup_aware .* /oom_ext_demo " /sys/kernel/debug/bpf_oom 2>/dev/null; do
		sleep 0.2
	done
	local t size fd
	for t in steady:24 protected:64; do
		exec {fd}< <(tenant ${t%%:*} ${t#*:})
		pid[${t%%:*}]=$!
		read -r -u $fd _	# "ready": it holds its memory
	done
	say "steady holds 24 MiB, protected 64 MiB (memory.low 72M); the leaker starts growing"
	tenant leaker 4 grow >/dev/null &
	pid[leaker]=$!
	{ wait ${pid[leaker]}; } 2>/dev/null || true	# until the OOM kills someone
	sleep 0.5			# let the tool print its decision
	say "after the OOM (the kernel alone kills the largest process: protected's 64 MiB)"
	for t in steady protected leaker; do
		if kill -0 ${pid[$t]} 2>/dev/null; then
			echo "  $t (pid ${pid[$t]}): alive, oom_kill $(awk '$1 == "oom_kill" {print $2}' $cg/$t/memory.events)"
		else
			echo "  $t (pid ${pid[$t]}): killed, oom_kill $(awk '$1 == "oom_kill" {print $2}' $cg/$t/memory.events)"
		fi
	done
	say "the kernel's OOM report (dmesg)"
	dmesg | grep -E 'BPF OOM policy|invoked oom-killer|Killed process' | tail -n 3
	say "stopping oom_cgroup_aware (SIGINT)"
	kill -INT "$loader"
}

say "oom_cgroup_aware, attached to $cg, in the foreground"
"$tool" -c $cg -i 0 &
loader=$!
driver
wait $loader || true
# Remove the remaining tenants quietly (bash would report each as Killed).
disown -a
echo 1 >$cg/cgroup.kill
while grep -q "populated 1" $cg/cgroup.events; do sleep 0.1; done
find $cg -depth -type d -exec rmdir {} +
