// SPDX-License-Identifier: GPL-2.0
/*
 * After a kill, the records that tools/oom_ext leaves for the rest of the
 * system (lib/notify.c): the oomd xattrs systemd reads, a journal entry,
 * --exec-after, --metrics; one kill id across them and the JSON line.
 *
 * The victim grows in "app.service" below a memcg with memory.max (no
 * swap) until the OOM, so the unit name is known; the loader runs with
 * --json. A kill's records are written before its line is printed, so
 * each test reads the line and then checks what the kernel and the files
 * hold: the pid that died (waitpid), the xattrs' values, the datagram
 * journald would have got, the environment the command saw, the metrics
 * as Prometheus' own parser reads them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "oom_test.h"
#include "policy_util.h"
#include "util.h"

#define APP		"app.service"
#define APP_CGROUP	"/oom_ext_test/notify/" APP
#define JOURNAL_DIR	"/run/systemd/journal"
#define MSG_KILL	"MESSAGE_ID=fac5b1e51e464949abcc25983f5e7fe8"
#define MSG_WARNING	"MESSAGE_ID=015db1bceac04430bf0f98652720281a"

struct notify {
	char *dom, *app;
	char tmp[64];		/* a scratch directory of the test's own */
	struct ot_child job;
	struct ot_proc loader;
	struct ot_proc policy;	/* a second loader, when a test has one */
	int mnt_ns;		/* the runner's mount namespace, to go back to */
	bool mounted;		/* a tmpfs on tmp */
};

static enum oom_test_status setup_notify(void **ctx)
{
	struct notify *t = calloc(1, sizeof(*t));

	if (!t)
		OT_FAIL("no memory");
	t->job.pid = -1;
	t->loader.out = -1;
	t->loader.err = -1;
	t->policy.out = -1;
	t->policy.err = -1;
	t->mnt_ns = -1;
	snprintf(t->tmp, sizeof(t->tmp), "/tmp/oom_ext_notify.%d", getpid());
	mkdir(t->tmp, 0700);
	t->dom = ot_cg_create("notify");
	t->app = ot_cg_create("notify/" APP);
	if (!t->dom || !t->app || ot_cg_write(t->dom, "memory.swap.max", "0") ||
	    ot_cg_write(t->dom, "memory.max", "48M")) {
		if (t->dom)
			ot_cg_destroy(t->dom);
		free(t->dom);
		free(t->app);
		free(t);
		OT_FAIL("cannot set up the memcg");
	}
	*ctx = t;
	return OOM_TEST_PASS;
}

static void cleanup_notify(void *ctx)
{
	struct notify *t = ctx;
	char cmd[128];

	ot_proc_kill(&t->loader);
	ot_proc_kill(&t->policy);
	ot_child_reap(&t->job);
	ot_cg_destroy(t->dom);
	if (t->mnt_ns >= 0) {
		setns(t->mnt_ns, CLONE_NEWNS);
		close(t->mnt_ns);
	}
	if (t->mounted)
		umount2(t->tmp, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->tmp);
	if (system(cmd))
		ot_info("could not remove %s", t->tmp);
	free(t->dom);
	free(t->app);
	free(t);
}

#define NOTIFY_TEST(_var, _name, _desc, _run)				\
	static struct oom_test _var = {					\
		.name = _name,						\
		.description = _desc,					\
		.setup = setup_notify,					\
		.run = _run,						\
		.cleanup = cleanup_notify,				\
	};								\
	REGISTER_OOM_TEST(&_var)

/* Start @tool as @p with --json and @args; wait for its attached record. */
static enum oom_test_status start_as(struct ot_proc *p, const char *tool,
				     const char *const args[])
{
	const char *argv[24] = { "--json" };
	enum oom_test_status st;
	char line[1024];
	int i;

	for (i = 0; args[i] && i < 22; i++)
		argv[i + 1] = args[i];
	st = ot_loader_start(p, tool, argv, 0);
	if (st)
		return st;
	if (!ot_proc_read_until(p->out, "\"event\":\"attached\"", line, sizeof(line),
				OT_TIMEOUT_MS)) {
		ot_proc_slurp(p->err, line, sizeof(line));
		OT_FAIL("%s did not attach: %s", tool, line);
	}
	return OOM_TEST_PASS;
}

static enum oom_test_status start(struct notify *t, const char *tool, const char *const args[])
{
	return start_as(&t->loader, tool, args);
}

/* The string value of "key" in a JSON line, into @buf; false if absent. */
static bool json_str(const char *line, const char *key, char *buf, size_t len)
{
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(line, pat);
	if (!p)
		return false;
	p += strlen(pat);
	n = strcspn(p, "\"");
	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
	return true;
}

/*
 * One OOM: a job that grows in app.service until the memcg's limit. The
 * loader must report it killed (@event in its JSON) with a kill id, into
 * @id; the job must die of SIGKILL.
 */
static enum oom_test_status one_kill(struct notify *t, const char *event, char *id, size_t len)
{
	struct ot_hog hog = { .mib = 8, .grow = true };
	char line[4096];

	t->job.pid = -1;
	t->job.reaped = false;
	OT_ASSERT(!ot_child_spawn_hog(&t->job, t->app, &hog), "the job did not start");
	if (!ot_proc_read_until(t->loader.out, event, line, sizeof(line), OT_TIMEOUT_MS)) {
		ot_proc_slurp(t->loader.err, line, sizeof(line));
		OT_FAIL("no %s line; stderr: %s", event, line);
	}
	OT_ASSERT(json_str(line, "kill_id", id, len) && strlen(id) == 16, "no kill id: %s", line);
	OT_ASSERT(ot_child_wait_death(&t->job, OT_TIMEOUT_MS) == SIGKILL,
		  "the job was not killed");
	ot_child_reap(&t->job);
	return OOM_TEST_PASS;
}

#define KILLED	"\"action\":\"kill\""

/* An xattr of app.service as a string ("" if it is not set). */
static const char *app_xattr(struct notify *t, const char *name, char *buf, size_t len)
{
	ssize_t n = getxattr(t->app, name, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* One kill by @t's loader; then app.service's xattrs read @ooms and @kills. */
static enum oom_test_status kill_counted(struct notify *t, const char *ooms, const char *kills)
{
	enum oom_test_status st;
	char id[32], v[32];

	st = one_kill(t, KILLED, id, sizeof(id));
	if (st)
		return st;
	OT_ASSERT(!strcmp(app_xattr(t, "user.oomd_ooms", v, sizeof(v)), ooms),
		  "user.oomd_ooms is '%s', not %s", v, ooms);
	OT_ASSERT(!strcmp(app_xattr(t, "user.oomd_kill", v, sizeof(v)), kills),
		  "user.oomd_kill is '%s', not %s", v, kills);
	return OOM_TEST_PASS;
}

static enum oom_test_status run_xattrs(void *ctx)
{
	struct notify *t = ctx;
	const char *const args[] = { "-i", "0", "-c", t->dom, NULL };
	const char *const off[] = { "-i", "0", "-c", t->dom, "--no-oomd-xattrs", NULL };
	enum oom_test_status st;

	st = start(t, "oom_simple", args);
	if (!st)
		st = kill_counted(t, "1", "1");
	if (!st)
		st = kill_counted(t, "2", "2");
	if (st)
		return st;
	/* --no-oomd-xattrs: a third kill leaves them as they are. */
	ot_proc_kill(&t->loader);
	st = start(t, "oom_simple", off);
	return st ?: kill_counted(t, "2", "2");
}

NOTIFY_TEST(xattrs_test, "notify_oomd_xattrs",
	    "each kill counts in the killed cgroup's user.oomd_ooms (1, then 2) and user.oomd_kill, as systemd-oomd's do; --no-oomd-xattrs leaves them",
	    run_xattrs)

/*
 * A FIFO in the test's directory and, in @cmd, a command that writes its
 * environment there: returns the FIFO's read end (or -1), for read_fifo().
 */
static int env_fifo(struct notify *t, char *cmd, size_t len)
{
	char fifo[96];

	snprintf(fifo, sizeof(fifo), "%s/env", t->tmp);
	snprintf(cmd, len, "env > %s", fifo);
	if (mkfifo(fifo, 0600))
		return -1;
	return open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

/* Read what a command wrote to the FIFO @fd until it closes it. */
static void read_fifo(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len - 1) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, OT_TIMEOUT_MS) != 1)
			break;
		n = read(fd, buf + got, len - 1 - got);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;
		if (n > 0)
			got += n;
	}
	buf[got] = '\0';
}

static enum oom_test_status run_exec_after(void *ctx)
{
	struct notify *t = ctx;
	char cmd[160], env[8192], want[128], id[32];
	const char *const args[] = { "-i", "0", "-c", t->dom, "--exec-after", cmd, NULL };
	static const char *const vars[] = {
		"OOM_EXT_NAME=runner\n", "OOM_EXT_UID=0\n", "OOM_EXT_CGROUP=" APP_CGROUP "\n",
		"OOM_EXT_UNIT=" APP "\n", "OOM_EXT_N_PROCESSES=1\n",
		"OOM_EXT_REASON=largest task\n",
	};
	enum oom_test_status st;
	unsigned int i;
	pid_t pid = -1;
	int fd;

	fd = env_fifo(t, cmd, sizeof(cmd));
	OT_ASSERT(fd >= 0, "the FIFO: %s", strerror(errno));
	st = start(t, "oom_simple", args);
	if (!st) {
		st = one_kill(t, KILLED, id, sizeof(id));
		pid = t->job.pid;
	}
	if (!st)
		read_fifo(fd, env, sizeof(env));
	close(fd);
	if (st)
		return st;
	snprintf(want, sizeof(want), "OOM_EXT_PID=%d\n", pid);
	OT_ASSERT(strstr(env, want), "no %s in the command's environment: %s", want, env);
	snprintf(want, sizeof(want), "OOM_EXT_KILL_ID=%s\n", id);
	OT_ASSERT(strstr(env, want), "no %s (the JSON line's) in: %s", want, env);
	for (i = 0; i < ARRAY_SIZE(vars); i++)
		OT_ASSERT(strstr(env, vars[i]), "no %s in the command's environment: %s", vars[i],
			  env);
	OT_ASSERT(!strstr(env, "OOM_EXT_DEADLINE_USEC="), "a deadline after a kill without one");
	/* Read after the kill: the job's (the runner's) command line, or empty if it was gone. */
	OT_ASSERT(strstr(env, "OOM_EXT_CMDLINE=\n") || strstr(env, "OOM_EXT_CMDLINE=/"),
		  "OOM_EXT_CMDLINE is neither empty nor the job's: %s", env);
	OT_ASSERT(!strstr(env, "OOM_EXT_CMDLINE=/") || strstr(strstr(env, "OOM_EXT_CMDLINE=/"),
								"runner"),
		  "OOM_EXT_CMDLINE is not the job's: %s", env);
	return OOM_TEST_PASS;
}

NOTIFY_TEST(exec_after_test, "notify_exec_after_env",
	    "--exec-after runs after the kill with OOM_EXT_PID (the pid that died), _NAME, _CMDLINE, _UID, _CGROUP, _UNIT, _REASON, _N_PROCESSES and the JSON line's _KILL_ID",
	    run_exec_after)

/*
 * journald's place: this test's own mount namespace with a tmpfs on /run,
 * and a datagram socket where sd_journal_send() writes. The loader
 * started from here inherits the namespace.
 */
static int fake_journald(struct notify *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	t->mnt_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (t->mnt_ns < 0 || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") ||
	    mkdir("/run/systemd", 0755) || mkdir(JOURNAL_DIR, 0755))
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), JOURNAL_DIR "/socket");
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * The next journal entry that has @want, in journald's native protocol:
 * "KEY=value\n", or "KEY\n", a 64-bit little-endian size, the value and
 * "\n". Its fields as "KEY=value\n" lines in @out.
 */
static bool journal_entry(int fd, const char *want, char *out, size_t len)
{
	char dgram[16384];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		size_t o = 0, i = 0, n;
		ssize_t got;

		if (poll(&pfd, 1, OT_TIMEOUT_MS) != 1)
			return false;
		got = recv(fd, dgram, sizeof(dgram), 0);
		if (got <= 0)
			return false;
		n = got;
		while (i < n && o < len - 1) {
			char *nl = memchr(dgram + i, '\n', n - i);
			size_t key = nl ? (size_t)(nl - dgram - i) : n - i;
			char *eq = memchr(dgram + i, '=', key);
			unsigned long long size = 0;

			if (!nl)
				break;
			if (eq) {
				o += snprintf(out + o, len - o, "%.*s\n", (int)key, dgram + i);
				i += key + 1;
				continue;
			}
			if (nl + 1 + 8 > dgram + n)
				break;
			memcpy(&size, nl + 1, 8);	/* little-endian, as the host */
			if (nl + 9 + size > dgram + n)
				break;
			o += snprintf(out + o, len - o, "%.*s=%.*s\n", (int)key, dgram + i,
				      (int)size, nl + 9);
			i += key + 1 + 8 + size + 1;
		}
		out[o < len ? o : len - 1] = '\0';
		if (strstr(out, want))
			return true;
	}
}

/* Every "KEY=value\n" of @want must be in @entry. */
static enum oom_test_status has_fields(const char *entry, const char *const want[], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		OT_ASSERT(strstr(entry, want[i]), "no %s in the journal entry:\n%s", want[i], entry);
	return OOM_TEST_PASS;
}

static enum oom_test_status run_journal(void *ctx)
{
	struct notify *t = ctx;
	const char *const args[] = { "-i", "0", "-c", t->dom, NULL };
	char entry[8192], id[32], want[3][64];
	const char *const fields[] = {
		MSG_KILL "\n", "CGROUP=" APP_CGROUP "\n", "UNIT=" APP "\n",
		"OBJECT_SYSTEMD_UNIT=" APP "\n", "COMM=runner\n",
		"N_PROCESSES=1\n", "REASON=largest task\n", "TOOL=oom_simple\n",
		"PRIORITY=4\n", want[0], want[1],
	};
	enum oom_test_status st;
	bool found;
	int fd;

	fd = fake_journald(t);
	OT_ASSERT(fd >= 0, "cannot stand in for journald: %s", strerror(errno));
	st = start(t, "oom_simple", args);
	if (!st)
		st = one_kill(t, KILLED, id, sizeof(id));
	found = !st && journal_entry(fd, MSG_KILL, entry, sizeof(entry));
	close(fd);
	if (st)
		return st;
	OT_ASSERT(found, "no journal entry of ours for the kill");
	snprintf(want[0], sizeof(want[0]), "PID=%d\n", t->job.pid);
	snprintf(want[1], sizeof(want[1]), "KILL_ID=%s\n", id);
	return has_fields(entry, fields, ARRAY_SIZE(fields));
}

NOTIFY_TEST(journal_test, "notify_journal_entry",
	    "a kill is one journal entry (native protocol) with our MESSAGE_ID and CGROUP, UNIT, PID (the pid that died), COMM, N_PROCESSES, REASON, TOOL and the JSON line's KILL_ID",
	    run_journal)

/* SIGTERM does nothing to the job: the grace ends in a kill. */
static int ignore_term(const void *arg)
{
	return signal(SIGTERM, SIG_IGN) == SIG_ERR;
}

/*
 * --grace: the warning and the kill are two journal entries, the JSON
 * lines of both and --exec-after's environment carry one kill id.
 */
static enum oom_test_status run_one_id(void *ctx)
{
	struct notify *t = ctx;
	char cmd[160], env[8192], entry[8192], line[4096], warned[32], killed[32];
	char want[96];
	const char *const args[] = { "-i", "0", "-c", t->dom, "--grace", "1s", "--warn-usage", "50",
				     "--kill-usage", "99", "--prekill-hooks", "none",
				     "--exec-after", cmd, NULL };
	struct ot_hog hog = { .mib = 30, .before = ignore_term };
	enum oom_test_status st;
	int fd, jfd;

	jfd = fake_journald(t);
	OT_ASSERT(jfd >= 0, "cannot stand in for journald: %s", strerror(errno));
	fd = env_fifo(t, cmd, sizeof(cmd));
	OT_ASSERT(fd >= 0, "the FIFO: %s", strerror(errno));
	st = start(t, "oom_psi_proactive", args);
	if (!st && ot_child_spawn_hog(&t->job, t->app, &hog))
		st = OOM_TEST_FAIL;
	if (!st && (!ot_proc_read_until(t->loader.out, "\"event\":\"warned\"", line, sizeof(line),
					OT_TIMEOUT_MS) || !json_str(line, "kill_id", warned,
								    sizeof(warned))))
		st = OOM_TEST_FAIL;
	if (!st && (!ot_proc_read_until(t->loader.out, "\"event\":\"grace_kill\"", line,
					sizeof(line), OT_TIMEOUT_MS) ||
		    !json_str(line, "kill_id", killed, sizeof(killed))))
		st = OOM_TEST_FAIL;
	if (!st)
		read_fifo(fd, env, sizeof(env));
	close(fd);
	if (st) {
		close(jfd);
		ot_proc_slurp(t->loader.err, line, sizeof(line));
		OT_FAIL("no warning and grace kill; stderr: %s", line);
	}
	OT_ASSERT(!strcmp(warned, killed), "the warning's kill id %s, the kill's %s", warned,
		  killed);
	OT_ASSERT(ot_child_wait_death(&t->job, OT_TIMEOUT_MS) == SIGKILL, "the job lives");
	snprintf(want, sizeof(want), "OOM_EXT_KILL_ID=%s\n", warned);
	OT_ASSERT(strstr(env, want), "--exec-after: no %s in %s", want, env);
	snprintf(want, sizeof(want), "OOM_EXT_PID=%d\n", t->job.pid);
	OT_ASSERT(strstr(env, want), "--exec-after: no %s in %s", want, env);
	OT_ASSERT(strstr(env, "OOM_EXT_CGROUP=" APP_CGROUP "\n"), "--exec-after: %s", env);
	snprintf(want, sizeof(want), "KILL_ID=%s\n", warned);
	st = journal_entry(jfd, MSG_WARNING, entry, sizeof(entry)) ? OOM_TEST_PASS :
	     OOM_TEST_FAIL;
	if (!st && !strstr(entry, want))
		st = OOM_TEST_FAIL;
	if (!st && !(journal_entry(jfd, MSG_KILL, entry, sizeof(entry)) && strstr(entry, want)))
		st = OOM_TEST_FAIL;
	close(jfd);
	OT_ASSERT(!st, "the journal has no warning and kill with %s (last: %s)", want, entry);
	return OOM_TEST_PASS;
}

NOTIFY_TEST(one_id_test, "notify_one_kill_id",
	    "--grace: the warning's and the kill's JSON lines, their two journal entries and --exec-after's OOM_EXT_KILL_ID carry the same kill id",
	    run_one_id)

/*
 * oom_cgroup_aware attached where oom_psi_proactive --grace warns: the
 * warning's bpf_oom_choose() runs the policy without killing. Its loader
 * must report that choice as chosen, not as a kill, and leave no kill
 * record: after the one kill at the deadline the xattrs count one.
 */
static enum oom_test_status run_choice(void *ctx)
{
	struct notify *t = ctx;
	const char *const policy[] = { "-i", "0", "-c", t->dom, NULL };
	const char *const args[] = { "-i", "0", "-c", t->dom, "--grace", "1s", "--warn-usage", "50",
				     "--kill-usage", "99", "--prekill-hooks", "none", NULL };
	struct ot_hog hog = { .mib = 30, .before = ignore_term };
	char line[4096], want[32], v[32];
	enum oom_test_status st;

	st = start_as(&t->policy, "oom_cgroup_aware", policy);
	if (!st)
		st = start(t, "oom_psi_proactive", args);
	if (!st && ot_child_spawn_hog(&t->job, t->app, &hog))
		st = OOM_TEST_FAIL;
	if (st)
		return st;
	OT_ASSERT(ot_proc_read_until(t->policy.out, "\"event\":\"decision\"", line,
				     sizeof(line), OT_TIMEOUT_MS), "the policy decided nothing");
	ot_info("%s", line);
	snprintf(want, sizeof(want), "\"pid\":%d,", t->job.pid);
	OT_ASSERT(strstr(line, "\"action\":\"chosen\"") && strstr(line, want),
		  "the warning's choice is not reported as chosen, pid %d", t->job.pid);
	OT_ASSERT(ot_proc_read_until(t->loader.out, "\"event\":\"grace_kill\"", line,
				     sizeof(line), OT_TIMEOUT_MS), "no kill at the deadline");
	OT_ASSERT(ot_child_wait_death(&t->job, OT_TIMEOUT_MS) == SIGKILL, "the job lives");
	OT_ASSERT(!strcmp(app_xattr(t, "user.oomd_ooms", v, sizeof(v)), "1"),
		  "user.oomd_ooms is '%s' after one kill", v);
	return OOM_TEST_PASS;
}

NOTIFY_TEST(choice_test, "notify_grace_choice_is_not_a_kill",
	    "with oom_cgroup_aware attached, the --grace warning's dry run is reported by it as chosen (the job's pid), not killed; the one kill at the deadline counts once in user.oomd_ooms",
	    run_choice)

/*
 * The metrics file as Prometheus' own text parser reads it
 * (python3-prometheus-client): one "name{labels} value" line per sample.
 */
static bool parse_metrics(const char *file, char *out, size_t len)
{
	static const char prog[] =
		"import sys\n"
		"from prometheus_client.parser import text_string_to_metric_families as p\n"
		"for f in p(open(sys.argv[1]).read()):\n"
		"    for s in f.samples:\n"
		"        l = ','.join('%s=\"%s\"' % kv for kv in sorted(s.labels.items()))\n"
		"        print('%s{%s} %s' % (s.name, l, s.value))\n";
	char cmd[512], script[128];
	size_t got;
	FILE *f;

	snprintf(script, sizeof(script), "%s.py", file);
	f = fopen(script, "w");
	if (!f || fputs(prog, f) < 0 || fclose(f)) {
		snprintf(out, len, "cannot write %s", script);
		return false;
	}
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s 2>&1", script, file);
	f = popen(cmd, "r");
	if (!f)
		return false;
	got = fread(out, 1, len - 1, f);
	out[got] = '\0';
	return pclose(f) == 0;
}

/* The value of the sample that starts with @key ("name{labels}"); -1 if none. */
static double sample(const char *samples, const char *key)
{
	const char *p = samples;
	size_t n = strlen(key);

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ' ')
			return atof(p + n + 1);
	return -1;
}

/* Every sample of @before is in @after, and none went down. */
static enum oom_test_status only_grow(const char *before, const char *after)
{
	const char *p;

	for (p = before; *p; p = strchr(p, '\n') + 1) {
		const char *sp = strchr(p, ' ');
		char key[256];

		if (!sp || !strchr(p, '\n'))
			break;
		snprintf(key, sizeof(key), "%.*s", (int)(sp - p), p);
		OT_ASSERT(sample(after, key) >= atof(sp + 1), "%s went from %g to %g", key,
			  atof(sp + 1), sample(after, key));
	}
	return OOM_TEST_PASS;
}

static enum oom_test_status run_metrics(void *ctx)
{
	struct notify *t = ctx;
	char file[96], one[8192], two[8192], id[32];
	const char *const args[] = { "-i", "0", "-c", t->dom, "--metrics", file, NULL };
	const char *kills = "oom_ext_kills_total{cgroup=\"" APP_CGROUP "\",tool=\"oom_simple\"}";
	enum oom_test_status st;

	if (access("/usr/lib/python3/dist-packages/prometheus_client/parser.py", R_OK))
		OT_SKIP("no Prometheus parser here (python3-prometheus-client)");
	snprintf(file, sizeof(file), "%s/oom_ext.prom", t->tmp);
	st = start(t, "oom_simple", args);
	if (st)
		return st;
	OT_ASSERT(parse_metrics(file, one, sizeof(one)), "at start: %s", one);
	OT_ASSERT(sample(one, "oom_ext_handler_calls_total{tool=\"oom_simple\"}") == 0,
		  "at start:\n%s", one);
	st = one_kill(t, KILLED, id, sizeof(id));
	if (st)
		return st;
	OT_ASSERT(parse_metrics(file, one, sizeof(one)), "after a kill: %s", one);
	OT_ASSERT(sample(one, kills) == 1, "after one kill:\n%s", one);
	OT_ASSERT(sample(one, "oom_ext_handler_calls_total{tool=\"oom_simple\"}") >= 1,
		  "after one kill:\n%s", one);
	st = one_kill(t, KILLED, id, sizeof(id));
	if (st)
		return st;
	OT_ASSERT(parse_metrics(file, two, sizeof(two)), "after two kills: %s", two);
	OT_ASSERT(sample(two, kills) == 2, "after two kills:\n%s", two);
	st = only_grow(one, two);
	if (st)
		return st;
	/* At exit too, and no temporary file is left for the collector. */
	kill(t->loader.pid, SIGINT);
	OT_ASSERT(!ot_proc_wait(&t->loader, OT_TIMEOUT_MS), "the loader did not exit");
	OT_ASSERT(parse_metrics(file, one, sizeof(one)), "at exit: %s", one);
	snprintf(file + strlen(file), sizeof(file) - strlen(file), ".tmp");
	OT_ASSERT(access(file, F_OK), "%s was left", file);
	return only_grow(two, one);
}

NOTIFY_TEST(metrics_test, "notify_metrics_prometheus",
	    "--metrics: the file parses with Prometheus' parser at start, after each kill and at exit; kills by cgroup go 1, 2; no counter goes down",
	    run_metrics)

static enum oom_test_status run_bad(void *ctx)
{
	struct notify *t = ctx;
	char noexec[96], missing[128];
	const char *const cases[][5] = {
		{ "--metrics", "/nonexistent/dir/oom.prom", "does not exist" },
		{ "--metrics", t->tmp, "not a regular file" },
		{ "--exec-after", "/nonexistent/hook", "not an executable file" },
		{ "--exec-after", noexec, "not an executable file" },
		{ "--exec-after", "no-such-command-here --flag", "not a command in PATH" },
		{ "--exec-after", "true", "--exec-after", "true", "given twice" },
	};
	unsigned int i;
	int fd;

	snprintf(noexec, sizeof(noexec), "%s/hook.sh", t->tmp);
	fd = open(noexec, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	OT_ASSERT(fd >= 0 && write(fd, "#!/bin/sh\n", 10) == 10, "cannot write %s", noexec);
	close(fd);
	snprintf(missing, sizeof(missing), "%s/x.prom", t->tmp);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *args[8] = { "-c", t->dom };
		const char *expect = cases[i][2];
		enum oom_test_status st;

		args[2] = cases[i][0];
		args[3] = cases[i][1];
		if (cases[i][3]) {
			args[4] = cases[i][2];
			args[5] = cases[i][3];
			expect = cases[i][4];
		}
		st = ot_loader_rejects(&t->loader, "oom_cgroup_aware", args, 0, expect);
		ot_proc_kill(&t->loader);
		if (st)
			return st;
		OT_ASSERT(WEXITSTATUS(t->loader.status) == 2, "%s %s: exit %d", args[2], args[3],
			  WEXITSTATUS(t->loader.status));
	}
	OT_ASSERT(access(missing, F_OK), "a refused loader wrote %s", missing);
	return OOM_TEST_PASS;
}

NOTIFY_TEST(bad_test, "notify_bad_input",
	    "--metrics in a missing directory or on a directory, --exec-after not executable or not in PATH, given twice: one line, exit 2, before attaching",
	    run_bad)

/*
 * Hooks that never end and a metrics directory that is full: each of six
 * OOMs in a row is still killed and reported at once; the fifth and sixth
 * run no command (OOM_EXT_HOOKS_MAX are still running) and say so; the
 * full disk is said once.
 */
static enum oom_test_status run_stuck(void *ctx)
{
	struct notify *t = ctx;
	char cmd[160], file[96], pids[96], line[4096], id[32], err[4096];
	const char *const args[] = { "-i", "1", "-c", t->dom, "--exec-after", cmd, "--metrics", file,
				     NULL };
	enum oom_test_status st;
	long start_ms;
	FILE *f;
	int i, n = 0;

	OT_ASSERT(!mount("tmpfs", t->tmp, "tmpfs", 0, "size=64k"), "mount: %s", strerror(errno));
	t->mounted = true;
	snprintf(pids, sizeof(pids), "/tmp/oom_ext_notify_pids.%d", getpid());
	unlink(pids);
	snprintf(cmd, sizeof(cmd), "echo $$ >> %s; exec sleep 300", pids);
	snprintf(file, sizeof(file), "%s/oom_ext.prom", t->tmp);
	/* Fill the file system. */
	snprintf(line, sizeof(line), "dd if=/dev/zero of=%s/fill bs=4k 2>/dev/null", t->tmp);
	if (system(line) == -1)
		OT_FAIL("dd");
	st = start(t, "oom_simple", args);
	for (i = 0; !st && i < 6; i++) {
		start_ms = ot_now_ms();
		st = one_kill(t, KILLED, id, sizeof(id));
		if (!st)
			OT_ASSERT(ot_now_ms() - start_ms < 10000, "OOM %d took %ld ms", i + 1,
				  ot_now_ms() - start_ms);
	}
	/* The hooks that did run still hang: stop them. */
	f = fopen(pids, "r");
	while (f && fscanf(f, "%d", &i) == 1) {
		kill(i, SIGKILL);
		n++;
	}
	if (f)
		fclose(f);
	unlink(pids);
	if (st)
		return st;
	kill(t->loader.pid, SIGINT);
	OT_ASSERT(!ot_proc_wait(&t->loader, OT_TIMEOUT_MS), "the loader did not exit");
	ot_proc_slurp(t->loader.err, err, sizeof(err));
	OT_ASSERT(n == 4, "%d commands ran, not OOM_EXT_HOOKS_MAX (4)", n);
	OT_ASSERT(strstr(err, "commands are still running; not run for kill"),
		  "no line about the commands not run: %s", err);
	OT_ASSERT(strstr(err, "No space left on device"), "the full disk was not said: %s", err);
	OT_ASSERT(!strstr(strstr(err, "No space left") + 1, "No space left"),
		  "the full disk was said more than once: %s", err);
	return OOM_TEST_PASS;
}

NOTIFY_TEST(stuck_test, "notify_hung_hooks_full_disk",
	    "with --exec-after commands that hang and --metrics on a full file system, six OOMs in a row are each killed and reported at once; at most 4 commands run; each problem is one line",
	    run_stuck)
