#!/usr/bin/env bash
# Boot an assembled tree's kernel under QEMU with virtme-ng, sharing the
# host's root filesystem read-only (writable overlays on top), so Debian tools
# installed on the host run in the guest unchanged.
#
#   tooling/vm.sh TREE_DIR              interactive shell
#   tooling/vm.sh TREE_DIR -- CMD...    run CMD, exit with its status
#
# Environment: VM_MEM (default 2G), VM_CPUS (2), VM_TIMEOUT seconds for a
# command run (default 1800), OOM_EXT_ACCEL=kvm|tcg to skip the KVM probe,
# VM_KERNEL to boot another bzImage (the debug kernel) with TREE's tools,
# VM_APPEND for more kernel parameters.
#
# KVM is used only if a probe boot prints the kernel banner within a few
# seconds: on some hosts /dev/kvm exists but a KVM guest hangs silently.
# A command run that times out, panics or loses its exit status fails and
# prints the tail of the guest console.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$(cd "${1:?usage: vm.sh TREE_DIR [-- CMD...]}" && pwd)
shift
bzimage=${VM_KERNEL:-$tree/arch/x86/boot/bzImage}
cache=${OOM_EXT_CACHE:-$HOME/.cache/oom_ext}
mem=${VM_MEM:-2G}
cpus=${VM_CPUS:-2}
tmo=${VM_TIMEOUT:-1800}

[ -f "$bzimage" ] || { echo "vm: no kernel at $bzimage (run: make kernel)" >&2; exit 2; }
command -v vng >/dev/null || { echo "vm: virtme-ng missing (run: tooling/deps.sh)" >&2; exit 2; }

# virtme-ng's guest I/O ports need systemd-udevd on the host.
if ! pgrep -x systemd-udevd >/dev/null 2>&1; then
	udevd=$(command -v systemd-udevd || echo /lib/systemd/systemd-udevd)
	[ -x "$udevd" ] && "$udevd" --daemon >/dev/null 2>&1
fi

probe_kvm() {
	local log pid i
	[ -w /dev/kvm ] || return 1
	log=$(mktemp)
	qemu-system-x86_64 -accel kvm -cpu host -m 256 -smp 1 -display none \
		-monitor none -no-reboot -serial "file:$log" -kernel "$bzimage" \
		-append "console=ttyS0 earlyprintk=serial panic=-1 rdinit=/none root=/dev/none" \
		>/dev/null 2>&1 &
	pid=$!
	for i in $(seq 40); do	# 8 s
		grep -q "Linux version" "$log" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.2
	done
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	grep -q "Linux version" "$log"
	local ok=$?
	rm -f "$log"
	return $ok
}

accel=${OOM_EXT_ACCEL:-}
if [ -z "$accel" ]; then
	key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"
	mkdir -p "$cache"
	if [ -f "$cache/accel" ] && [ "$(sed -n 1p "$cache/accel")" = "$key" ]; then
		accel=$(sed -n 2p "$cache/accel")
	else
		if probe_kvm 2>/dev/null; then accel=kvm; else accel=tcg; fi
		printf '%s\n%s\n' "$key" "$accel" >"$cache/accel"
	fi
fi

opts=(--run "$bzimage" --memory "$mem" --cpus "$cpus" --cwd "$top"
      --append "panic=-1")
[ -n "${VM_APPEND:-}" ] && opts+=(--append "$VM_APPEND")
[ "$accel" = kvm ] || opts+=(--disable-kvm)

if [ "${1:-}" != "--" ]; then
	echo "vm: interactive shell ($accel, $mem, $cpus CPUs); exit with Ctrl-D"
	exec vng "${opts[@]}"
fi
shift
[ $# -gt 0 ] || { echo "vm: no command after --" >&2; exit 2; }

# virtme-ng sends the guest's serial console to /dev/null unless --verbose,
# which mixes it into the command's output. Keep it in a log instead, through
# a QEMU wrapper, and show its tail only when something went wrong.
console=$(mktemp /tmp/oom_ext-console.XXXXXX)
qemu=$(mktemp /tmp/oom_ext-qemu.XXXXXX)
cat >"$qemu" <<QEMU
#!/bin/bash
args=()
for a in "\$@"; do args+=("\${a/id=console,path=\/dev\/null/id=console,path=$console}"); done
exec qemu-system-x86_64 "\${args[@]}"
QEMU
chmod +x "$qemu"
echo "vm: booting $(basename "$tree") kernel ($accel, $mem, $cpus CPUs)" >&2
timeout -k 10 "$tmo" vng "${opts[@]}" --qemu "$qemu" --append "loglevel=5" \
	--exec "$(printf '%q ' "$@")" </dev/null
rc=$?
fail=
if [ $rc = 124 ] || [ $rc = 137 ]; then
	fail="timed out after ${tmo}s"
elif grep -q "Kernel panic" "$console"; then
	fail="guest kernel panicked"
elif [ $rc = 255 ]; then
	fail="virtme-ng lost the guest (exit 255)"
fi
if [ -n "$fail" ]; then
	echo "vm: $fail; last console lines:" >&2
	tail -n 40 "$console" >&2
	[ $rc = 0 ] && rc=1
fi
rm -f "$console" "$qemu"
exit $rc
