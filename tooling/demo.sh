#!/usr/bin/env bash
# The demo, run inside the VM (make demo): a memory hog in a memory cgroup
# with a small memory.max, the kernel's OOM report, and memory.events.
set -euo pipefail

cg=/sys/fs/cgroup/oom_ext_demo
say() { printf '\n== %s\n' "$*"; }

grep -q memory /sys/fs/cgroup/cgroup.controllers ||
	{ echo "demo: no memory controller in this kernel" >&2; exit 1; }
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
[ -d $cg ] && rmdir $cg
mkdir $cg
trap 'rmdir $cg 2>/dev/null || true' EXIT
echo 64M >$cg/memory.max
echo 0 >$cg/memory.swap.max

say "memcg $cg: memory.max=64M, no swap; starting a hog that grows by 1 MiB at a time"
seen=$(dmesg | wc -l)
python3 - "$cg" <<'PY' &
import sys
open(sys.argv[1] + "/cgroup.procs", "w").write("0")
hog = []
while True:
    hog.append(bytearray(1 << 20))
PY
pid=$!
st=0
{ wait $pid; } 2>/dev/null || st=$?
[ $st = 137 ] && echo "hog (pid $pid) was killed by SIGKILL" || echo "hog exited with status $st"

say "the kernel's OOM report (dmesg)"
dmesg | tail -n +$((seen + 1)) | grep -E 'invoked oom-killer|oom-kill:|Memory cgroup out of memory|Killed process|memory: usage' || true

say "$cg/memory.events"
cat $cg/memory.events
