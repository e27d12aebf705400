# shellcheck shell=bash
# The benchmarks' settings, checked on the host before the VM boots: a bad
# value is one line on stderr and exit 2, and nothing runs.
#
#   . tooling/bench-args.sh
#   bench_count PREFIX NAME VALUE            a positive whole number
#   bench_names PREFIX NAME "VALUE" "ALLOWED" space-separated, each allowed
#
# And, in the VM, what the benchmarks that start OOM handlers share:
#   stop_handler                             SIGTERM and reap every pid in pids[]

bench_count() { # prefix name value
	case $3 in
	'' | *[!0-9]* | 0 | 0*)
		echo "$1: $2 must be a positive whole number, not '$3'" >&2
		exit 2 ;;
	esac
}

bench_names() { # prefix name value allowed
	local v
	for v in $3; do
		case " $4 " in
		*" $v "*) ;;
		*)	echo "$1: $2: no such name '$v' (one of: $4)" >&2
			exit 2 ;;
		esac
	done
}

stop_handler() {
	local p
	# SIGTERM: background jobs of a script ignore SIGINT, and a daemon
	# that does not handle it itself (earlyoom) would never exit.
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
