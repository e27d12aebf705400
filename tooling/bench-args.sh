# shellcheck shell=bash
# The benchmarks' settings, checked on the host before the VM boots: a bad
# value is one line on stderr and exit 2, and nothing runs.
#
#   . tooling/bench-args.sh
#   bench_count PREFIX NAME VALUE            a positive whole number
#   bench_names PREFIX NAME "VALUE" "ALLOWED" space-separated, each allowed

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
