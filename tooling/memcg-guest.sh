#!/usr/bin/env bash
# In the guest (tooling/memcg-test.sh boots it): run the kernel's own memcg
# selftests, tools/testing/selftests/cgroup/test_memcontrol and test_kill,
# from an ext4 filesystem on zram with zram swap, first with no OOM policy,
# then with each of tools/oom_ext's policies attached at the root. Prints
# KTAP: one test per run, ok when every subtest passed or was skipped, and
# a last test that every policy's run gave exactly the results of the run
# without one. A run with a failed subtest runs the suites once more and
# keeps the second results, after printing the first failures: some of
# the kernel's memcg tests are timing-sensitive (test_memcg_low failed once
# without any policy, under TCG, on 2026-12-06), and one such failure must
# not read as a policy's doing. A failure that comes back twice stays.
#
#   memcg-guest.sh CGROUP_SELFTESTS_DIR LOADERS_DIR
set -uo pipefail

sel=${1:?usage: memcg-guest.sh CGROUP_SELFTESTS_DIR LOADERS_DIR}
loaders=${2:?usage: memcg-guest.sh CGROUP_SELFTESTS_DIR LOADERS_DIR}
work=/run/oom_ext-memcg
fs=$work/ext4
out=$work/results

# name|loader and arguments ("" for none)
runs=(
	"none|"
	"oom_simple|oom_simple"
	"oom_cgroup_aware|oom_cgroup_aware"
	"oom_psi_proactive|oom_psi_proactive -c /sys/fs/cgroup --children /sys/fs/cgroup"
)
# The base kernel (MEMCG_BASE=1) has no policies: the first run only.
[ -n "${MEMCG_BASE:-}" ] && runs=("${runs[0]}")

die() { echo "Bail out! $*"; exit 1; }

zram_dev() { # size: a new zram device, its name on stdout
	local id
	id=$(cat /sys/class/zram-control/hot_add) || return 1
	echo "$1" >"/sys/block/zram$id/disksize" || return 1
	echo "/dev/zram$id"
}

mkdir -p "$fs" "$out" || die "mkdir $work"
dev=$(zram_dev 768M) || die "no zram device for the filesystem"
mkfs.ext4 -q "$dev" >/dev/null 2>&1 || die "mkfs.ext4 $dev"
mount -t ext4 "$dev" "$fs" || die "mount $dev"
swap=$(zram_dev 512M) || die "no zram device for swap"
{ mkswap "$swap" && swapon "$swap"; } >/dev/null 2>&1 || die "swapon $swap"
echo "# $(uname -r); page cache on ext4 ($dev), swap on $swap"

# A subtest's results, one "result name" line each, from KTAP on stdin.
results() {
	awk '/^(not )?ok [0-9]+ / {
		print ($1 == "not" ? "not ok" : (/# SKIP/ ? "skip" : "ok")), $NF }'
}

# suites NAME: the two suites, their KTAP in $work/NAME.ktap, results in $out/NAME.
suites() {
	(cd "$fs" && { "$sel/test_memcontrol"; "$sel/test_kill"; }) >"$work/$1.ktap" 2>&1
	results <"$work/$1.ktap" >"$out/$1"
}

cmp=$((${#runs[@]} > 1))
echo "1..$((${#runs[@]} + cmp))"
n=0
status=0
for run in "${runs[@]}"; do
	name=${run%%|*}
	cmd=${run#*|}
	n=$((n + 1))
	pid=
	if [ -n "$cmd" ]; then
		# shellcheck disable=SC2086
		"$loaders"/$cmd >"$work/$name.log" 2>&1 &
		pid=$!
		# Attached once it says so; a loader that exits has failed.
		for _ in $(seq 300); do
			grep -q "attached to" "$work/$name.log" && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if ! grep -q "attached to" "$work/$name.log"; then
			sed 's/^/# /' "$work/$name.log"
			echo "not ok $n memcg_selftests_$name # the loader did not attach"
			status=1
			kill -9 "$pid" 2>/dev/null
			continue
		fi
	fi
	start=$(date +%s)
	suites "$name"
	if grep -q '^not ok' "$out/$name"; then
		echo "# $name: failed at first: $(awk '/^not ok/ { printf "%s ", $3 }' "$out/$name")-" \
			"running the suites once more"
		suites "$name"
	fi
	if [ -n "$pid" ]; then
		kill -INT "$pid"
		wait "$pid"
		echo "# $name: the loader exited with $?; it reported" \
			"$(grep -cE 'OOM in |declared an OOM|would declare' "$work/$name.log")" \
			"OOM decision(s) during the run"
	fi
	fails=$(grep -c '^not ok' "$out/$name")
	echo "# $name: $(grep -c '^ok ' "$out/$name") passed, $fails failed," \
		"$(grep -c '^skip' "$out/$name") skipped, $(($(date +%s) - start)) s"
	grep '^not ok' "$out/$name" | sed 's/^/#   /'
	if [ "$fails" = 0 ] && [ -s "$out/$name" ]; then
		echo "ok $n memcg_selftests_$name"
	else
		grep -vE '^(ok|not ok) [0-9]|waitpid' "$work/$name.ktap" | sed 's/^/# /' | tail -20
		echo "not ok $n memcg_selftests_$name"
		status=1
	fi
done

finish() {
	swapoff "$swap"
	umount "$fs"
	exit $status
}
[ "$cmp" = 1 ] || finish
n=$((n + 1))
same=ok
for run in "${runs[@]:1}"; do
	name=${run%%|*}
	if ! diff -u "$out/none" "$out/$name" >"$work/diff"; then
		echo "# $name differs from the run without a policy:"
		sed 's/^/#   /' "$work/diff"
		same="not ok"
		status=1
	fi
done
echo "$same $n memcg_selftests_policies_change_nothing"
finish
