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
	# a real workload for --grace (tooling/pg-test.sh); its service stays
	# off on the host too
	postgresql-15
	# systemd-analyze, for `make -C tools/oom_ext check-install`
	systemd
	# the parser the --metrics test reads the file with
	python3-prometheus-client
	# virtme-ng's own dependencies (its .deb comes from ../shared/debs or
	# Debian unstable)
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
			postgresql-15) $SUDO systemctl disable --now postgresql >/dev/null 2>&1 || true ;;
			nohang) $SUDO systemctl disable --now nohang nohang-desktop >/dev/null 2>&1 || true ;;
			esac
		done
	fi
fi

# virtme-ng is not in Debian 12: from ../shared/debs when present, else
# the pinned version from Debian unstable (SPEC section 2), checked by
# sha256; if that version has left unstable, the newest one there. Its
# dependencies are all in Debian 12.
VNG_VER=1.41-1
VNG_SHA=45b8fdb8e7202b679aba086d8792fe0a49c438a259cec90f336f92364c68decd
if ! command -v vng >/dev/null 2>&1; then
	deb=$(ls "$top"/../shared/debs/virtme-ng_${VNG_VER}_all.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		# shellcheck source=tooling/unstable.sh
		. "$here/unstable.sh"
		cache=${OOM_EXT_CACHE:-$HOME/.cache/oom_ext}
		echo "deps: virtme-ng $VNG_VER from Debian unstable"
		deb=$(unstable_download "$cache/apt" "$cache" virtme-ng "$VNG_VER") ||
			{ echo "deps: cannot get virtme-ng" >&2; exit 1; }
		if [ "$deb" = "$cache/virtme-ng_${VNG_VER}_all.deb" ] &&
		   [ "$(sha256sum "$deb" | cut -d' ' -f1)" != "$VNG_SHA" ]; then
			echo "deps: $deb: sha256 mismatch" >&2
			exit 1
		fi
	fi
	echo "deps: installing $(basename "$deb")"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends "$deb" >/dev/null
fi

# virtme-ng talks to the guest through ports created by systemd-udevd.
if ! pgrep -x systemd-udevd >/dev/null 2>&1; then
	udevd=$(command -v systemd-udevd || echo /lib/systemd/systemd-udevd)
	if [ -x "$udevd" ]; then
		$SUDO "$udevd" --daemon >/dev/null 2>&1 || true
	fi
fi

echo "deps: ok"
