#!/usr/bin/env bash
# Export the patch set as a git format-patch series against the base.
#
#   tooling/series.sh TREE_DIR OUT_DIR [--check]
#
# Each entry of patches/series becomes one commit: the patch's changes to
# upstream files plus the new files that patches/overlay assigns to it.
# The commit message is the patch header; the author and Signed-off-by come
# from your git identity (git config user.name / user.email). The cover
# letter's subject and body come from patches/cover-letter.
# With --check, each commit is built (kernel, and the oom_ext selftests once
# they exist) before the next is applied.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$(cd "${1:?usage: series.sh TREE_DIR OUT_DIR [--check]}" && pwd)
out=$(realpath -m "${2:?usage: series.sh TREE_DIR OUT_DIR [--check]}")
check=${3:-}
die() { echo "series: $*" >&2; exit 1; }

name=$(git -C "$top" config user.name || true)
email=$(git -C "$top" config user.email || true)
[ -n "$name" ] && [ -n "$email" ] ||
	die "set your identity first: git config user.name 'Your Name'; git config user.email you@example.org"

wt=$(mktemp -d /tmp/oom_ext-series.XXXXXX)
cleanup() { git -C "$tree" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"; }
trap cleanup EXIT
git -C "$tree" worktree add -q --detach "$wt" oom-ext-base
git -C "$wt" config user.name "$name"
git -C "$wt" config user.email "$email"

patches=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/patches/series" | awk '{print $1}')

# Overlay files by patch: "patch-name: path-or-dir/ ..." lines.
assigned=$(mktemp)
for p in $patches; do
	sed -n "s/^$p:[[:space:]]*//p" "$top/patches/overlay" | tr ' ' '\n' |
		sed '/^$/d' | while read -r prefix; do
			(cd "$top" && git ls-files -- "$prefix") | sed "s|^|$p |"
		done
done >"$assigned"
# Every overlay file must belong to exactly one patch.
bad=$(cd "$top" && git ls-files | grep -E "^($(echo arch block certs crypto \
	Documentation drivers fs include init io_uring ipc kernel lib mm net rust \
	samples scripts security sound tools usr virt | tr ' ' '|'))/" |
	while read -r f; do
		n=$(awk -v f="$f" '$2 == f' "$assigned" | wc -l)
		[ "$n" = 1 ] || echo "$f ($n)"
	done)
[ -z "$bad" ] || die "overlay files not assigned to exactly one patch in patches/overlay: $bad"

i=0
for p in $patches; do
	i=$((i + 1))
	patch -p1 -s -d "$wt" --no-backup-if-mismatch <"$top/patches/$p" >/dev/null ||
		die "patches/$p does not apply"
	awk -v p="$p" '$1 == p {print $2}' "$assigned" | while read -r f; do
		mkdir -p "$wt/$(dirname "$f")"
		cp -p "$top/$f" "$wt/$f"
		# The Debian base's .gitignore ignores everything: add by name.
		git -C "$wt" add -f -- "$f"
	done
	msg=$(mktemp)
	sed -n '/^Subject:/,/^---$/p' "$top/patches/$p" | sed '$d' |
		sed '1s/^Subject: *\(\[[^]]*\] *\)\?//' >"$msg"
	git -C "$wt" add -u
	git -C "$wt" commit -q -s -F "$msg"
	rm -f "$msg"
	echo "series: $i $(git -C "$wt" log -1 --format=%s)"
	if [ "$check" = --check ]; then
		OOM_EXT_CONFIG_LAX=1 "$top/tooling/kernel.sh" "$wt" >/dev/null 2>&1 ||
			die "the kernel does not build after patch $i ($p)"
		echo "series: $i builds"
	fi
done
rm -f "$assigned"

rm -rf "$out"
mkdir -p "$out"
git -C "$wt" format-patch -q --cover-letter -o "$out" oom-ext-base..HEAD
cover=$(ls "$out"/0000-cover-letter.patch)
subject=$(sed -n 1p "$top/patches/cover-letter")
python3 - "$cover" "$subject" "$top/patches/cover-letter" <<'PY'
import sys
path, subject, body = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
blurb = open(body).read().split("\n", 2)[2] if open(body).read().count("\n") >= 2 else ""
text = text.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", blurb.rstrip())
open(path, "w").write(text)
PY
echo "series: $(ls "$out" | wc -l) files in $out"
