#!/usr/bin/env bash
# Install what oom_ext needs on Debian 12 to build the kernel, the BPF tools and
# the selftests, and to boot the result under QEMU with virtme-ng.
# Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")

pkgs=(
	build-essential make gcc bc bison flex cpio kmod rsync xz-utils
	libelf-dev libssl-dev libcap-dev zlib1g-dev libzstd-dev dwarves
	clang-16 llvm-16 lld-16 ccache python3 git
	qemu-system-x86 busybox-static udev
	stress-ng procps util-linux iproute2
	# the peers that `make bench-peers` measures (their services stay off
	# on the host: the benchmark starts them inside the VM)
	earlyoom nohang oomd
	# virtme-ng's own dependencies (its .deb comes from ../shared/debs)
	python3-argcomplete python3-requests python3-setuptools
	file kbd util-linux-extra
)

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
	# Installing a peer enables its service: keep the host as it was.
	if [ -d /run/systemd/system ]; then
		for p in "${missing[@]}"; do
			case $p in
			earlyoom|oomd) $SUDO systemctl disable --now "$p" >/dev/null 2>&1 || true ;;
			nohang) $SUDO systemctl disable --now nohang nohang-desktop >/dev/null 2>&1 || true ;;
			esac
		done
	fi
fi

# virtme-ng: from shared/debs when present, else from the Debian archive.
if ! command -v vng >/dev/null 2>&1; then
	deb=$(ls "$top"/../shared/debs/virtme-ng_*_all.deb 2>/dev/null | head -n1 || true)
	if [ -n "$deb" ]; then
		echo "deps: installing $(basename "$deb")"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
			--no-install-recommends "$deb" >/dev/null
	else
		echo "deps: virtme-ng not found in ../shared/debs; trying the archive" >&2
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq virtme-ng >/dev/null
	fi
fi

# virtme-ng talks to the guest through ports created by systemd-udevd.
if ! pgrep -x systemd-udevd >/dev/null 2>&1; then
	udevd=$(command -v systemd-udevd || echo /lib/systemd/systemd-udevd)
	if [ -x "$udevd" ]; then
		$SUDO "$udevd" --daemon >/dev/null 2>&1 || true
	fi
fi

echo "deps: ok"
