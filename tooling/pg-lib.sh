# shellcheck shell=bash
# Debian's PostgreSQL 15 in the VM, for tooling/pg-guest.sh and
# tooling/bench-pg-peers.sh: a throwaway cluster, the server started in a
# cgroup, and one incident (an idle session, then a query).
#
#   pg_dir=/tmp/DIR; . tooling/pg-lib.sh    sets pgbin, pg_data, pg_sock, pg_log
#   pg CMD...              run CMD as postgres, at oom_score_adj $pg_adj (0)
#   pg_initdb              a new cluster in $pg_data (returns non-zero on failure)
#   pg_start CGROUP [protect]  start the server with its postmaster in CGROUP;
#                          protect: the postmaster at oom_score_adj -1000, its
#                          backends at 0, as PostgreSQL documents for Linux
#   pg_stop CGROUP         clean shutdown; waits for CGROUP to empty
#   pg_postmaster_pid      the running postmaster's pid, from postmaster.pid
#   pg_incident QUERY      see below

pgbin=/usr/lib/postgresql/15/bin
pg_dir=${pg_dir:?set pg_dir before sourcing pg-lib.sh}
pg_data=$pg_dir/data
pg_sock=$pg_dir
pg_log=$pg_dir/server.log

# A caller that protects itself (oom_score_adj -1000) must not pass that to
# the server and its clients: they are what the OOM handlers choose among.
pg() { (echo "${pg_adj:-0}" >/proc/self/oom_score_adj && exec runuser -u postgres -- "$@"); }

pg_initdb() {
	rm -rf "$pg_dir"
	mkdir -p "$pg_sock" && chown postgres "$pg_sock" || return 1
	pg "$pgbin/initdb" -D "$pg_data" -A trust --no-sync -E UTF8 >/dev/null 2>&1
}

pg_start() { # cgroup [protect]
	local adj=0

	[ "${2:-}" = protect ] && adj=-1000
	: >"$pg_log"
	chown postgres "$pg_log"
	# pg_ctl forks the postmaster from here: it and every backend are in $1.
	# Each backend writes PG_OOM_ADJUST_VALUE to PG_OOM_ADJUST_FILE as it
	# forks (PostgreSQL's "Linux Memory Overcommit" advice).
	(echo $BASHPID >"$1/cgroup.procs" &&
		pg_adj=$adj PG_OOM_ADJUST_FILE=/proc/self/oom_score_adj PG_OOM_ADJUST_VALUE=0 \
		pg "$pgbin/pg_ctl" -D "$pg_data" -l "$pg_log" -w -t 120 \
			-o "-k $pg_sock -c listen_addresses= -c shared_buffers=16MB -c max_connections=10 -c fsync=off" \
			start >/dev/null)
}

pg_stop() { # cgroup
	# A clean shutdown: the next start's log must show no crash recovery.
	pg "$pgbin/pg_ctl" -D "$pg_data" -m fast -w -t 120 stop >/dev/null 2>&1
	# Backends of a crashed server may linger a moment.
	for _ in $(seq 100); do
		[ -z "$(cat "$1/cgroup.procs")" ] && return
		sleep 0.1
	done
}

pg_postmaster_pid() { head -n 1 "$pg_data/postmaster.pid" 2>/dev/null; }

# pg_idle_send FD: ask the idle session for its backend's pid. SIGPIPE is
# ignored meanwhile: a session that died must not end the caller. (Not in a
# subshell: bash closes a coprocess's descriptors there.)
pg_idle_send() {
	trap '' PIPE
	{ echo "select pg_backend_pid();" >&"$1"; } 2>/dev/null || true
	trap - PIPE
}

# pg_incident QUERY: an idle session, then QUERY in a second one. Sets
# $idle_before and $idle_after (the idle session's backend pid before and
# after, or what psql printed instead), $query_pid (the query's backend)
# and $query_out (what the query's psql printed after that pid).
# shellcheck disable=SC2034  # the caller reads them
pg_incident() {
	local in out pid
	coproc IDLE { pg "$pgbin/psql" -h "$pg_sock" -X -q -t -A -d postgres 2>&1; }
	in=${IDLE[1]}
	out=${IDLE[0]}
	pid=$IDLE_PID
	pg_idle_send "$in"
	idle_before=
	read -r -t 60 idle_before <&"$out" || true
	# One session: its backend's pid, then the query.
	query_out=$(pg "$pgbin/psql" -h "$pg_sock" -X -q -t -A -d postgres \
		-c "select pg_backend_pid()" -c "$1" 2>&1) || true
	query_pid=${query_out%%$'\n'*}
	query_out=${query_out#"$query_pid"}
	query_out=${query_out#$'\n'}
	idle_after=
	pg_idle_send "$in"
	read -r -t 60 idle_after <&"$out" || true
	exec {in}>&-
	wait "$pid" 2>/dev/null || true
}
