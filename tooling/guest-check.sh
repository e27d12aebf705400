#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the VM around a test command: with OOM_EXT_DEBUG=1, clears the
# kmemleak suspects of boot first, and after the command forces a kmemleak
# scan and searches the whole kernel log for lockdep, KASAN, RCU, atomic
# sleep and debugobjects reports. Any finding is printed and makes the exit
# status non-zero. Without OOM_EXT_DEBUG it only runs the command.
#
#   tooling/guest-check.sh CMD...
set -u
leak=/sys/kernel/debug/kmemleak
debug=${OOM_EXT_DEBUG:-}

[ -n "$debug" ] && [ -w "$leak" ] && echo clear >"$leak"
"$@"
rc=$?
[ -n "$debug" ] || exit $rc

bad=0
if [ -w "$leak" ]; then
	# Objects must be older than kmemleak's minimum age to be reported.
	sleep 6
	echo scan >"$leak"
	echo scan >"$leak"
	if [ -s "$leak" ]; then
		echo "# kmemleak reports:"
		sed 's/^/# /' "$leak" | head -n 80
		bad=1
	fi
else
	echo "# no kmemleak in this kernel"
	bad=1
fi
marks='BUG:|WARNING:|possible circular|possible recursive|KASAN|Oops'
marks+='|sleeping function called|suspicious RCU|ODEBUG:|inconsistent lock state'
marks+='|general protection'
if dmesg | grep -E "$marks" >/dev/null; then
	echo "# kernel log reports:"
	dmesg | grep -E -A 12 "$marks" | sed 's/^/# /' | head -n 120
	bad=1
fi
[ $bad = 0 ] || { echo "# guest-check: debug reports found"; [ $rc = 0 ] && rc=1; }
echo "# guest-check: done (exit $rc)"
exit $rc
