#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by tree.sh and deps.sh: fetch one package from Debian unstable
# through the Debian mirror this machine's apt sources already name (never
# a mirror written here), with a private apt state, so that the machine's
# own apt configuration and package lists are left alone.
#
#   unstable_download STATE_DIR DEST_DIR PACKAGE [VERSION]
#
# Downloads PACKAGE=VERSION into DEST_DIR; if VERSION is not (or no longer)
# in unstable, the newest version there instead, and says so on stderr.
# Prints the path of the .deb. Needs root for apt-get's sandbox settings.

unstable_mirror() {
	local m
	m=$(sed -n 's/^URIs:[[:space:]]*\(http[^ ]*\/debian\)[[:space:]]*$/\1/p' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
	[ -n "$m" ] || m=$(awk '$1=="deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' \
		/etc/apt/sources.list 2>/dev/null)
	echo "$m"
}

unstable_download() {
	local st=$1 dest=$2 pkg=$3 ver=${4:-} mirror src have deb
	mirror=$(unstable_mirror)
	if [ -z "$mirror" ]; then
		echo "unstable: no Debian mirror in the apt sources" >&2
		return 1
	fi
	mkdir -p "$st/lists/partial" "$st/cache/archives/partial" "$dest"
	src=$(mktemp)
	echo "deb $mirror unstable main" >"$src"
	local opts=(-o Dir::State="$st" -o Dir::State::status=/var/lib/dpkg/status
		-o Dir::Cache="$st/cache" -o Dir::Etc::SourceList="$src"
		-o Dir::Etc::SourceParts=/dev/null -o APT::Sandbox::User=root)
	apt-get "${opts[@]}" update -qq >&2 || { rm -f "$src"; return 1; }
	have=$(apt-cache "${opts[@]}" madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $2); print $2}')
	if [ -n "$ver" ] && ! grep -qxF "$ver" <<<"$have"; then
		local newest
		newest=$(head -n1 <<<"$have")
		if [ -z "$newest" ]; then
			echo "unstable: $pkg is not in Debian unstable" >&2
			rm -f "$src"
			return 1
		fi
		echo "unstable: $pkg $ver has left Debian unstable; taking $newest, the newest there" >&2
		ver=$newest
	fi
	(cd "$dest" && apt-get "${opts[@]}" download "$pkg${ver:+=$ver}") >&2
	rm -f "$src"
	deb=$(ls "$dest/${pkg}_${ver/*:/}"_*.deb 2>/dev/null | head -n1)
	[ -n "$deb" ] || { echo "unstable: apt-get download produced no $pkg .deb" >&2; return 1; }
	echo "$deb"
}
