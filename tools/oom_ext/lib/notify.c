// SPDX-License-Identifier: GPL-2.0
/*
 * After a kill: tell the people and systems that already listen, each in
 * its own way, all with the incident's kill id.
 *
 *  - the cgroup's user.oomd_ooms and user.oomd_kill xattrs, counted up as
 *    systemd-oomd does, which systemd's PID 1 turns into the unit's
 *    journal record and result (README);
 *  - one journal entry of our own MESSAGE_ID (journald's native protocol);
 *  - --exec-after (and --exec-before, before a kill) in earlyoom's style;
 *  - --metrics, Prometheus' text format for node_exporter's textfile
 *    collector.
 *
 * None of them may hold the loop up: commands are not waited for (the loop
 * reaps them through pidfds, and at most OOM_EXT_HOOKS_MAX run at once),
 * a failed xattr or metrics write is reported once and retried with the
 * next kill or interval.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <oom_ext/oom_ext.h>
#include "lib.h"

/* journalctl MESSAGE_ID=...: ours, stable (README). */
#define MESSAGE_ID_KILL		"fac5b1e51e464949abcc25983f5e7fe8"
#define MESSAGE_ID_WARNING	"015db1bceac04430bf0f98652720281a"

/* Kills are counted per cgroup for the first this many cgroups, then as "_other". */
#define METRICS_CGROUPS		64

static const char *exec_after;
static const char *metrics;
static bool oomd_xattrs = true;

void oom_ext_notify_setup(const struct oom_ext_opts *opts)
{
	exec_after = opts->exec_after;
	metrics = opts->metrics;
	oomd_xattrs = !opts->no_oomd_xattrs;
}

/* The deepest systemd unit in a cgroup path, or "". */
const char *oom_ext_cgroup_unit(const char *cgroup, char *buf, size_t len)
{
	static const char *const kinds[] = { ".service", ".scope", ".slice", ".socket",
					     ".mount", ".swap" };
	const char *p = cgroup, *end;
	unsigned int i;
	size_t n;

	buf[0] = '\0';
	while (*p == '/')
		p++;
	for (; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, '/');
		n = end - p;
		for (i = 0; i < ARRAY_SIZE(kinds); i++) {
			size_t k = strlen(kinds[i]);

			if (n > k && n < len && !strncmp(end - k, kinds[i], k)) {
				memcpy(buf, p, n);
				buf[n] = '\0';
			}
		}
	}
	return buf;
}

void oom_ext_proc_read(unsigned int pid, const char *file, char *buf, size_t len)
{
	char path[64];
	ssize_t n = -1;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%u/%s", pid, file);
	fd = pid ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	buf[n] = 0;
	for (i = 0; i < n; i++)
		if (!buf[i] || buf[i] == '\n')
			buf[i] = i == n - 1 ? 0 : ' ';
}

/*
 * Commands. Each runs in a child of its own session; the loop watches
 * its pidfd and reaps it when it exits. A kill that finds every slot
 * taken (hooks that hang) runs nothing and says so.
 */
struct child {
	struct oom_ext_watch w;
	pid_t pid;
};

static struct child children[OOM_EXT_HOOKS_MAX];
static __u64 hooks_run, hooks_skipped;

static void child_exited(struct oom_ext_loop *loop, struct oom_ext_watch *w, __u32 events)
{
	struct child *c = (struct child *)w;

	waitpid(c->pid, NULL, WNOHANG);
	oom_ext_loop_del(loop, w);
	close(w->fd);
	c->pid = 0;
}

/* The child's side: the environment, then /bin/sh. Never returns. */
static void exec_child(const char *cmd, const struct oom_ext_victim *v, const char *name,
		       const char *cmdline, int uid)
{
	char num[32], unit[256];
	sigset_t none;
	int fd;

	/* The loop's signals are blocked for its signalfd: not the hook's. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	/*
	 * stdin from /dev/null; stdout to the loader's stderr, so that the
	 * command's output never lands in a --json stream; stderr as is.
	 */
	fd = open("/dev/null", O_RDONLY);
	if (fd > STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	dup2(STDERR_FILENO, STDOUT_FILENO);
	/* Nor the loader's oom_score_adj, which keeps the loader alive. */
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0", 1) != 1)
			perror("oom_score_adj");
		close(fd);
	}
	snprintf(num, sizeof(num), "%u", v->pid);
	setenv("OOM_EXT_PID", num, 1);
	setenv("OOM_EXT_NAME", name, 1);
	setenv("OOM_EXT_CMDLINE", cmdline, 1);
	snprintf(num, sizeof(num), "%d", uid);
	setenv("OOM_EXT_UID", num, 1);
	setenv("OOM_EXT_CGROUP", v->cgroup, 1);
	setenv("OOM_EXT_UNIT", oom_ext_cgroup_unit(v->cgroup, unit, sizeof(unit)), 1);
	setenv("OOM_EXT_REASON", v->reason, 1);
	snprintf(num, sizeof(num), "%u", v->nr);
	setenv("OOM_EXT_N_PROCESSES", num, 1);
	setenv("OOM_EXT_KILL_ID", v->kill_id, 1);
	if (v->deadline_ns) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)(v->deadline_ns / 1000));
		setenv("OOM_EXT_DEADLINE_USEC", num, 1);
	}
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* The victim's uid from /proc/PID/status, or -1. */
static int proc_uid(unsigned int pid)
{
	char status[4096], *uid;

	oom_ext_proc_read(pid, "status", status, sizeof(status));
	uid = strstr(status, "Uid:");
	return uid ? atoi(uid + 4) : OOM_EXT_UID_UNKNOWN;
}

int oom_ext_task_info(unsigned int pid, char *cgroup, size_t cgroup_len, char *comm,
		      size_t comm_len)
{
	char buf[PATH_MAX + 8], *path;

	oom_ext_proc_read(pid, "cgroup", buf, sizeof(buf));
	/* cgroup v2: "0::/path" */
	path = strstr(buf, "0::");
	snprintf(cgroup, cgroup_len, "%s", path ? path + 3 : "");
	oom_ext_proc_read(pid, "comm", comm, comm_len);
	return proc_uid(pid);
}

void oom_ext_exec_hook(struct oom_ext_loop *loop, const char *opt, const char *cmd,
		       const struct oom_ext_victim *v)
{
	char name[64], cmdline[4096];
	struct child *c = NULL;
	unsigned int i;
	int uid = v->uid;
	pid_t pid;

	for (i = 0; i < ARRAY_SIZE(children) && !c; i++) {
		/* A child the loop does not watch (no pidfd) is reaped here. */
		if (children[i].pid && children[i].w.fd < 0 &&
		    waitpid(children[i].pid, NULL, WNOHANG) == children[i].pid)
			children[i].pid = 0;
		if (!children[i].pid)
			c = &children[i];
	}
	if (!c) {
		hooks_skipped++;
		oom_ext_err("%s: %d commands are still running; not run for kill %s", opt,
			    OOM_EXT_HOOKS_MAX, v->kill_id);
		return;
	}
	/* Read before the fork: after a kill, the process may be going. */
	if (v->comm)
		snprintf(name, sizeof(name), "%s", v->comm);
	else
		oom_ext_proc_read(v->pid, "comm", name, sizeof(name));
	oom_ext_proc_read(v->pid, "cmdline", cmdline, sizeof(cmdline));
	if (uid == OOM_EXT_UID_UNKNOWN)
		uid = proc_uid(v->pid);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		oom_ext_err("%s: fork: %s", opt, strerror(errno));
		return;
	}
	if (!pid)
		exec_child(cmd, v, name, cmdline, uid);
	hooks_run++;
	c->pid = pid;
	c->w.ready = child_exited;
	c->w.fd = syscall(SYS_pidfd_open, pid, 0);
	if (c->w.fd >= 0 && oom_ext_loop_add(loop, &c->w, EPOLLIN)) {
		close(c->w.fd);
		c->w.fd = -1;
	}
	/* Without a watch, the slot stays taken until a later call reaps it. */
}

/*
 * The xattrs systemd-oomd counts its kills in, on the killed cgroup:
 * user.oomd_ooms, one per kill, and user.oomd_kill, the processes killed.
 * Decimal text, read, added to and written back, as systemd-oomd does.
 */
static int bump_xattr(const char *dir, const char *name, unsigned long long by)
{
	unsigned long long v = 0;
	char buf[32];
	ssize_t n;

	n = getxattr(dir, name, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		v = strtoull(buf, NULL, 10);
	} else if (n < 0 && errno != ENODATA) {
		return -errno;
	}
	n = snprintf(buf, sizeof(buf), "%llu", v + by);
	return setxattr(dir, name, buf, n, 0) ? -errno : 0;
}

static void oomd_xattrs_bump(const struct oom_ext_victim *v)
{
	static bool warned;
	char dir[PATH_MAX];
	int err;

	/* A removed cgroup's path is "cgroup#ID": there is nothing to mark. */
	if (!oomd_xattrs || v->cgroup[0] != '/')
		return;
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", v->cgroup);
	err = bump_xattr(dir, "user.oomd_ooms", 1);
	if (!err)
		err = bump_xattr(dir, "user.oomd_kill", v->nr ?: 1);
	if (err && err != -ENOENT && !warned) {
		warned = true;
		oom_ext_err("warning: cannot count the kill in %s's oomd xattrs: %s",
			    v->cgroup, strerror(-err));
	}
}

/*
 * The journal, in journald's native protocol: one datagram of "KEY=value"
 * lines to its socket (a newline in a value becomes a space, so no value
 * needs the protocol's length framing). Written directly rather than through libsystemd's
 * sd_journal_send(): linking it would map libsystemd, libgcrypt, liblz4,
 * liblzma and libgpg-error, about 2.7 MiB that mlockall() keeps resident
 * in a process meant to stay small under memory pressure. Never blocks:
 * a journald that does not keep up (it may be stuck in reclaim itself)
 * loses the entry, and the loader says so once.
 */
#define JOURNAL_SOCKET	"/run/systemd/journal/socket"

static void journal_field(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s=", key);
	for (; *value; value++)
		fputc(*value == '\n' ? ' ' : *value, f);
	fputc('\n', f);
}

static void journal(const char *id, int prio, const char *what, const struct oom_ext_victim *v)
{
	static const struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
	const char *tool = program_invocation_short_name;
	static int fd = -1;
	static bool dropped;
	char *msg = NULL, *entry = NULL, unit[256], num[32];
	size_t len = 0;
	FILE *f;

	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	f = open_memstream(&entry, &len);
	if (fd < 0 || !f || asprintf(&msg, "%s %s %u process(es) in %s, first pid %u (%s): %s",
				     tool, what, v->nr ?: 1, v->cgroup, v->pid, v->comm ?: "?",
				     v->reason) < 0) {
		if (f)
			fclose(f);
		free(entry);
		return;
	}
	journal_field(f, "MESSAGE", msg);
	journal_field(f, "MESSAGE_ID", id);
	snprintf(num, sizeof(num), "%d", prio);
	journal_field(f, "PRIORITY", num);
	journal_field(f, "SYSLOG_IDENTIFIER", tool);
	journal_field(f, "TOOL", tool);
	journal_field(f, "CGROUP", v->cgroup);
	journal_field(f, "UNIT", oom_ext_cgroup_unit(v->cgroup, unit, sizeof(unit)));
	/* journalctl -u UNIT matches this field in entries from root. */
	if (unit[0])
		journal_field(f, "OBJECT_SYSTEMD_UNIT", unit);
	snprintf(num, sizeof(num), "%u", v->pid);
	journal_field(f, "PID", num);
	journal_field(f, "COMM", v->comm ?: "");
	snprintf(num, sizeof(num), "%u", v->nr ?: 1);
	journal_field(f, "N_PROCESSES", num);
	journal_field(f, "REASON", v->reason);
	journal_field(f, "KILL_ID", v->kill_id);
	if (v->deadline_ns) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)(v->deadline_ns / 1000));
		journal_field(f, "DEADLINE_USEC", num);
	}
	fclose(f);
	/* No journald here (ENOENT, ECONNREFUSED): nothing to say. */
	if (sendto(fd, entry, len, MSG_NOSIGNAL, (const struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    (errno == EAGAIN || errno == ENOBUFS) && !dropped) {
		dropped = true;
		oom_ext_err("warning: journald is not keeping up: a journal entry was dropped");
	}
	free(msg);
	free(entry);
}

/* Kills per cgroup, for --metrics: a bounded set of labels. */
struct cgroup_kills {
	char *cgroup;
	__u64 kills, processes;
};

static struct cgroup_kills kills[METRICS_CGROUPS + 1];	/* the last: "_other" */

static void count_kill(const struct oom_ext_victim *v)
{
	struct cgroup_kills *k = &kills[METRICS_CGROUPS];
	unsigned int i;

	for (i = 0; i < METRICS_CGROUPS; i++) {
		if (!kills[i].cgroup)
			kills[i].cgroup = strdup(v->cgroup);
		if (kills[i].cgroup && !strcmp(kills[i].cgroup, v->cgroup)) {
			k = &kills[i];
			break;
		}
	}
	k->kills++;
	k->processes += v->nr ?: 1;
}

void oom_ext_killed(struct oom_ext_loop *loop, const struct oom_ext_victim *v)
{
	count_kill(v);
	oomd_xattrs_bump(v);
	journal(MESSAGE_ID_KILL, LOG_WARNING, "killed", v);
	if (exec_after)
		oom_ext_exec_hook(loop, "--exec-after", exec_after, v);
	oom_ext_metrics_write(loop);
}

void oom_ext_warned(struct oom_ext_loop *loop, const struct oom_ext_victim *v)
{
	journal(MESSAGE_ID_WARNING, LOG_NOTICE, "warned; at the deadline it kills", v);
}

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void metric_head(FILE *f, const char *name, const char *help)
{
	size_t n = strlen(name);
	bool counter = n > 6 && !strcmp(name + n - 6, "_total");

	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		counter ? "counter" : "gauge");
}

static void metric_kills(FILE *f, const char *name, const char *help, bool processes)
{
	const char *tool = program_invocation_short_name;
	unsigned int i;

	metric_head(f, name, help);
	for (i = 0; i <= METRICS_CGROUPS; i++) {
		const struct cgroup_kills *k = &kills[i];

		if (!k->kills)
			continue;
		fprintf(f, "%s{tool=\"%s\",cgroup=\"", name, tool);
		label(f, i < METRICS_CGROUPS ? k->cgroup : "_other");
		fprintf(f, "\"} %llu\n", (unsigned long long)(processes ? k->processes : k->kills));
	}
}

static void metrics_text(FILE *f, const struct oom_ext_loop *loop)
{
	const char *tool = program_invocation_short_name;
	static time_t start;
	const struct oom_ext_field *fl;

	if (!start)
		start = time(NULL);
	metric_head(f, "oom_ext_start_time_seconds", "When the tool started, in Unix time.");
	fprintf(f, "oom_ext_start_time_seconds{tool=\"%s\"} %lld\n", tool, (long long)start);
	metric_kills(f, "oom_ext_kills_total", "Kills, by the cgroup killed in.", false);
	metric_kills(f, "oom_ext_killed_processes_total",
		     "Processes killed, by the cgroup killed in.", true);
	metric_head(f, "oom_ext_hooks_run_total", "Commands started (--exec-before, --exec-after).");
	fprintf(f, "oom_ext_hooks_run_total{tool=\"%s\"} %llu\n", tool,
		(unsigned long long)hooks_run);
	metric_head(f, "oom_ext_hooks_skipped_total",
		    "Commands not started: too many still running.");
	fprintf(f, "oom_ext_hooks_skipped_total{tool=\"%s\"} %llu\n", tool,
		(unsigned long long)hooks_skipped);
	for (fl = loop->counters ? loop->counters->fields : NULL; fl && fl->name; fl++) {
		if (!fl->metric || (fl->when && !*fl->when))
			continue;
		metric_head(f, fl->metric, fl->metric_help);
		fprintf(f, "%s{tool=\"%s\"} %lld\n", fl->metric, tool,
			oom_ext_field_int(fl, loop->counters_rec));
	}
}

void oom_ext_metrics_write(const struct oom_ext_loop *loop)
{
	static bool failing;
	char tmp[PATH_MAX];
	size_t len = 0;
	char *text = NULL;
	FILE *mem;
	int fd, err = 0;

	if (!metrics)
		return;
	mem = open_memstream(&text, &len);
	if (!mem)
		return;
	metrics_text(mem, loop);
	fclose(mem);
	/* Not *.prom: the collector must never read a half-written file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", metrics);
	errno = 0;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		err = errno ?: ENOSPC;
	if (fd >= 0 && close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, metrics))
		err = errno;
	if (err)
		unlink(tmp);
	free(text);
	if (err && !failing)
		oom_ext_err("warning: --metrics %s: %s (tried again every interval)", metrics,
			    strerror(err));
	failing = err;
}
