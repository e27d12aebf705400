#!/usr/bin/env bash
# Assemble a kernel tree: pinned base + patches/series + overlay files.
#
#   tooling/tree.sh TREE_DIR
#
# The first run extracts the base into TREE_DIR and commits it there as git
# tag "oom-ext-base" (so later runs, and the series export, can read pristine
# files). Later runs rewrite only the files that the patches or the overlay
# touch, and only when their content changes, so an incremental kernel build
# stays incremental.
#
# Base lookup order (SPEC §2): $LINUX_BASE (a tree or a tarball), the cache
# ($OOM_EXT_CACHE, default ~/.cache/oom_ext), ../shared/debs, and finally
# `apt-get download linux-source-7.2` from Debian unstable through the mirror
# configured in this machine's apt sources, into a private apt state dir.
set -euo pipefail

DEB_VER=7.2.13-1
DEB_SHA=30a8c5fc63f9028a62e6d7b3f7f43bee67425dbce2a05fceba83f9b87c92083d
TAR_SHA=ecb3877b9988c936dcc64c63af8a54c2fa6df7f717d4e5ee429d0f4c4859e68b
BASE_TAG=oom-ext-base

top=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: tree.sh TREE_DIR}
cache=${OOM_EXT_CACHE:-$HOME/.cache/oom_ext}
tarball=$cache/linux-source-7.2.tar.xz

# Kernel top-level entries: everything under these in the repository is an
# overlay file (SPEC §1).
KTOP="arch block certs crypto Documentation drivers fs include init io_uring ipc
kernel lib mm net rust samples scripts security sound tools usr virt"

die() { echo "tree: $*" >&2; exit 1; }
log() { echo "tree: $*"; }

check_sha() { # file sha
	[ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ] || die "$1: sha256 mismatch"
}

tar_from_deb() { # deb
	check_sha "$1" "$DEB_SHA"
	mkdir -p "$cache"
	dpkg-deb --fsys-tarfile "$1" |
		tar -xO ./usr/src/linux-source-7.2.tar.xz >"$tarball.tmp"
	check_sha "$tarball.tmp" "$TAR_SHA"
	mv "$tarball.tmp" "$tarball"
}

# shellcheck source=tooling/unstable.sh
. "$top/tooling/unstable.sh"

apt_download() {
	local deb
	deb=$(unstable_download "$cache/apt" "$cache" linux-source-7.2 "$DEB_VER") ||
		die "could not download linux-source-7.2 from Debian unstable"
	[ "$deb" = "$cache/linux-source-7.2_${DEB_VER}_all.deb" ] ||
		die "linux-source-7.2 $DEB_VER is not in Debian unstable any more (got $deb)"
	tar_from_deb "$deb"
}

find_base() {
	if [ -n "${LINUX_BASE:-}" ]; then
		[ -e "$LINUX_BASE" ] || die "LINUX_BASE=$LINUX_BASE does not exist"
		echo "$LINUX_BASE"
		return
	fi
	if [ ! -f "$tarball" ]; then
		local deb
		deb=$(ls "$top"/../shared/debs/linux-source-7.2_${DEB_VER}_all.deb \
			"$cache"/linux-source-7.2_${DEB_VER}_all.deb 2>/dev/null | head -n1 || true)
		if [ -n "$deb" ]; then
			log "base from $deb" >&2
			tar_from_deb "$deb"
		else
			log "base from the Debian archive (apt-get download)" >&2
			apt_download
		fi
	fi
	check_sha "$tarball" "$TAR_SHA"
	echo "$tarball"
}

extract() {
	local base
	base=$(find_base)
	rm -rf "$tree.tmp"
	mkdir -p "$tree.tmp"
	log "extracting $base"
	if [ -d "$base" ]; then
		rsync -a --exclude=.git "$base"/ "$tree.tmp"/
	else
		tar -xf "$base" -C "$tree.tmp" --strip-components=1
	fi
	log "recording the base in git (tag $BASE_TAG)"
	(
		cd "$tree.tmp"
		git init -q
		git config user.name "oom_ext tree"
		git config user.email "oom_ext@localhost"
		git config core.autocrlf false
		git add -A -f .
		git commit -q -m "base: Linux 7.2.13 (Debian linux-source-7.2 $DEB_VER)"
		git tag "$BASE_TAG"
	)
	mv "$tree.tmp" "$tree"
}

overlay_files() {
	cd "$top"
	local d
	for d in $KTOP; do
		[ -d "$d" ] || continue
		if git rev-parse --git-dir >/dev/null 2>&1; then
			git ls-files --cached --others --exclude-standard -- "$d"
		else
			find "$d" -type f
		fi
	done | while read -r f; do if [ -f "$f" ]; then echo "$f"; fi; done | sort -u
}

patch_list() {
	if [ ! -f "$top/patches/series" ]; then return 0; fi
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/patches/series" | awk '{print $1}'
}

patched_files() {
	local p
	for p in $(patch_list); do
		sed -n 's/^+++ [ab]\/\([^\t ]*\).*/\1/p' "$top/patches/$p"
		sed -n 's/^--- a\/\([^\t ]*\).*/\1/p' "$top/patches/$p"
	done | sed '/^dev\/null$/d' | sort -u
}

[ -d "$tree/.git" ] || extract

git -C "$tree" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null ||
	die "$tree is not an assembled tree (no $BASE_TAG tag); remove it and rerun"

manifest=$tree/.oom_ext-manifest
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

overlay=$(overlay_files)
patched=$(patched_files)
old=$(cat "$manifest" 2>/dev/null || true)
all=$(printf '%s\n%s\n%s\n' "$overlay" "$patched" "$old" | sed '/^$/d' | sort -u)

# Pristine copies of every file we may touch.
for f in $all; do
	if git -C "$tree" cat-file -e "$BASE_TAG:$f" 2>/dev/null; then
		mkdir -p "$stage/$(dirname "$f")"
		git -C "$tree" show "$BASE_TAG:$f" >"$stage/$f"
	fi
done

for p in $(patch_list); do
	[ -f "$top/patches/$p" ] || die "patches/series names $p, which does not exist"
	patch -p1 -s -d "$stage" --no-backup-if-mismatch -r - <"$top/patches/$p" >/dev/null ||
		die "patches/$p does not apply"
done

for f in $overlay; do
	mkdir -p "$stage/$(dirname "$f")"
	cp -p "$top/$f" "$stage/$f"
done

n=0
for f in $all; do
	if [ -f "$stage/$f" ]; then
		if ! cmp -s "$stage/$f" "$tree/$f"; then
			mkdir -p "$tree/$(dirname "$f")"
			cp "$stage/$f" "$tree/$f"
			chmod --reference="$stage/$f" "$tree/$f"
			n=$((n + 1))
		fi
	elif [ -e "$tree/$f" ]; then
		rm -f "$tree/$f"
		n=$((n + 1))
	fi
done
printf '%s\n' "$overlay" "$patched" | sed '/^$/d' | sort -u >"$manifest"
log "$tree: $n file(s) updated ($(echo "$overlay" | sed '/^$/d' | wc -l) overlay, $(patch_list | wc -l) patch(es))"
