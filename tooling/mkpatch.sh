#!/usr/bin/env bash
# Refresh a patch in patches/ from files edited in the assembled tree.
#
#   tooling/mkpatch.sh TREE_DIR patches/NNNN-name.patch FILE...
#
# FILEs are paths inside the tree, upstream files only (new files belong in
# the overlay). The patch keeps its header (From/Subject/description, up to
# the first "---" line) and gets a fresh diff against the pristine base.
# Add a new patch's name to patches/series yourself.
set -euo pipefail

tree=${1:?usage: mkpatch.sh TREE_DIR PATCH FILE...}
out=${2:?usage: mkpatch.sh TREE_DIR PATCH FILE...}
shift 2
[ $# -gt 0 ] || { echo "mkpatch: name the files the patch changes" >&2; exit 1; }

hdr=$(mktemp)
if [ -f "$out" ]; then
	sed '/^---$/,$d' "$out" >"$hdr"
else
	printf 'Subject: [PATCH] %s\n\nDESCRIBE THE CHANGE.\n' "$(basename "$out" .patch)" >"$hdr"
fi
{
	cat "$hdr"
	echo "---"
	git -C "$tree" diff --stat=72 oom-ext-base -- "$@"
	echo
	git -C "$tree" diff --no-color oom-ext-base -- "$@"
} >"$out"
rm -f "$hdr"
echo "mkpatch: wrote $out"
