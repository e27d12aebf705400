#!/usr/bin/env bash
# Configure and build the kernel of an assembled tree: bzImage and vmlinux
# with BTF. The config is tinyconfig + tooling/vm.config + the selftest
# fragment; it is regenerated only when a fragment changes, and objects stay
# in the tree, so a one-file edit rebuilds in about a minute. Uses ccache.
#
#   tooling/kernel.sh TREE_DIR
#
# OOM_EXT_EXTRA_CONFIG names more fragments (space-separated paths), merged
# last: `make test-debug` builds its own tree with tooling/debug.config.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: kernel.sh TREE_DIR}
frags=("$top/tooling/vm.config" "$top/tools/testing/selftests/oom_ext/config")
# shellcheck disable=SC2206
[ -n "${OOM_EXT_EXTRA_CONFIG:-}" ] && frags+=($OOM_EXT_EXTRA_CONFIG)
jobs=${JOBS:-$(nproc)}

cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Share cache entries between trees at different paths (a CI clone, the
# per-patch trees of `tooling/series.sh --check`): kbuild compiles with
# relative paths, so only the working directory would differ.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd "$tree" && pwd)} CCACHE_NOHASHDIR=1
# The kernel embeds build time/host in version strings; keep them stable so
# ccache hits across trees.
export KBUILD_BUILD_TIMESTAMP="${KBUILD_BUILD_TIMESTAMP:-2026-01-01}"
export KBUILD_BUILD_HOST=oom-ext KBUILD_BUILD_USER=oom-ext
kmake() { make -C "$tree" -s CC="$cc" HOSTCC="$cc" LOCALVERSION=-oom_ext -j"$jobs" "$@"; }

want=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
have=$(cat "$tree/.oom_ext-config" 2>/dev/null || true)
if [ ! -f "$tree/.config" ] || [ "$want" != "$have" ]; then
	echo "kernel: configuring (tinyconfig + ${frags[*]##*/})"
	kmake tinyconfig >/dev/null
	(cd "$tree" && scripts/kconfig/merge_config.sh -m -Q .config "${frags[@]}" >/dev/null)
	kmake olddefconfig >/dev/null
	# Every option a fragment asks for must have survived olddefconfig.
	bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qx -- "$line" "$tree/.config" || {
			echo "kernel: config: $line did not stick" >&2; bad=1; } ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			grep -q "^$opt=" "$tree/.config" && {
				echo "kernel: config: $opt should be off" >&2; bad=1; } ;;
		esac
	done < <(cat "${frags[@]}")
	# tooling/series.sh --check builds trees that predate some options.
	[ $bad = 0 ] || [ -n "${OOM_EXT_CONFIG_LAX:-}" ] || exit 1
	echo "$want" >"$tree/.oom_ext-config"
fi

echo "kernel: building bzImage and vmlinux (-j$jobs)"
kmake bzImage
ls -l "$tree/arch/x86/boot/bzImage" "$tree/vmlinux" | awk '{print "kernel:", $NF, $5}'
