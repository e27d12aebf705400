// SPDX-License-Identifier: GPL-2.0
/*
 * The loader library (tools/oom_ext/lib) as a user meets it, through the
 * oom_simple binary: the dry run, bad input, --help and --version, running
 * with capabilities but not as root, surviving an OOM in its own domain,
 * --json, a second instance, SIGINT and the removal of its cgroup. The
 * fixture is simple.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include <oom_ext/oom_ext.h>

#include "simple.h"

/* Start the oom_simple loader with @args and wait until it attached. */
static enum oom_test_status start_attached(struct simple *t, const char *const args[])
{
	enum oom_test_status st = ot_loader_start(&t->loader, "oom_simple", args, 0);

	return st == OOM_TEST_PASS ? ot_loader_attached(&t->loader) : st;
}

static enum oom_test_status run_dry_run(void *ctx)
{
	const char *const args[] = { "-n", "-i", "0", "-c", ((struct simple *)ctx)->cg, NULL };
	struct ot_hog small = { .mib = 4 }, grow = { .grow = true };
	struct simple *t = ctx;
	enum oom_test_status st;
	char line[512], want[64], report[1024];
	int kmsg, sig, found, said;

	st = start_attached(t, args);
	if (st != OOM_TEST_PASS)
		return st;
	kmsg = ot_kmsg_open();
	OT_ASSERT(ot_child_spawn_hog(&t->s, t->cg, &small) == 0, "sleeper did not start");
	OT_ASSERT(ot_child_spawn_hog(&t->hog, t->cg, &grow) == 0, "hog did not start");
	sig = ot_child_wait_death(&t->hog, OT_TIMEOUT_MS);
	snprintf(want, sizeof(want), "would kill pid %d ", t->hog.pid);
	said = ot_proc_read_until(t->loader.out, "would kill pid", line, sizeof(line),
				  OT_TIMEOUT_MS);
	found = ot_kmsg_wait_for(kmsg, "Killed process", report, sizeof(report), OT_TIMEOUT_MS);
	close(kmsg);
	OT_ASSERT(sig == SIGKILL, "the hog ended with %d", sig);
	OT_ASSERT(said && strstr(line, want), "the loader said: %s", said ? line : "nothing");
	OT_ASSERT(found && strstr(report, "Memory cgroup out of memory: Killed process"),
		  "not the kernel's kill: %s", found ? report : "no report");
	OT_ASSERT(ot_child_alive(&t->s), "the sleeper died");
	return OOM_TEST_PASS;
}

static struct oom_test dry_run = {
	.name = "simple_loader_dry_run",
	.description =
		"oom_simple -n kills nothing itself, reports the task it would kill, the kernel kills",
	.setup = setup_simple,
	.run = run_dry_run,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&dry_run)

static enum oom_test_status bad_input(struct simple *t, const char *const args[],
				      uid_t uid, const char *expect)
{
	return ot_loader_rejects(&t->loader, "oom_simple", args, uid, expect);
}

static enum oom_test_status run_bad_input(void *ctx)
{
	const char *const unknown[] = { "-x", NULL };
	const char *const interval[] = { "-i", "abc", NULL };
	const char *const missing[] = { "-c", "/sys/fs/cgroup/oom_ext_test/nope", NULL };
	const char *const notcg[] = { "-c", "/tmp", NULL };
	const char *const ok[] = { "-c", ((struct simple *)ctx)->cg, NULL };
	struct simple *t = ctx;
	enum oom_test_status st;

	st = bad_input(t, unknown, 0, "unknown option");
	if (!st)
		st = bad_input(t, interval, 0, "not a number");
	if (!st)
		st = bad_input(t, missing, 0, "No such file");
	if (!st)
		st = bad_input(t, notcg, 0, "not a cgroup v2 directory");
	if (!st)
		st = bad_input(t, ok, 65534, "needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN");
	if (st)
		return st;
	OT_ASSERT(ot_listing_count() == 0, "something got attached");
	return OOM_TEST_PASS;
}

static struct oom_test bad = {
	.name = "simple_loader_bad_input",
	.description =
		"unknown flag, bad -i, missing or non-cgroup -c, no capabilities: one line, non-zero exit, nothing attached",
	.setup = setup_simple,
	.run = run_bad_input,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&bad)

/* Run @tool with @args to its end: exit 0 and stdout containing @want. */
static enum oom_test_status prints(const char *tool, const char *const args[],
				   const char *want, const char *not)
{
	struct ot_proc p;
	char out[4096];
	enum oom_test_status st = ot_loader_start(&p, tool, args, 0);

	if (st != OOM_TEST_PASS)
		return st;
	OT_ASSERT(ot_proc_wait(&p, OT_TIMEOUT_MS) == 0, "%s %s kept running", tool, args[0]);
	ot_proc_slurp(p.out, out, sizeof(out));
	ot_proc_kill(&p);
	OT_ASSERT(WIFEXITED(p.status) && !WEXITSTATUS(p.status), "%s %s: status %d", tool,
		  args[0], p.status);
	OT_ASSERT(strstr(out, want), "%s %s printed: %.200s", tool, args[0], out);
	OT_ASSERT(!not || !strstr(out, not), "%s %s printed \"%s\"", tool, args[0], not);
	return OOM_TEST_PASS;
}

static enum oom_test_status run_help(void *ctx)
{
	static const char *const tools[] = { "oom_simple", "oom_cgroup_aware",
					     "oom_psi_proactive" };
	const char *const help[] = { "--help", NULL }, *const h[] = { "-h", NULL };
	const char *const version[] = { "--version", NULL };
	enum oom_test_status st;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tools); i++) {
		/* oom_psi_proactive attaches to no cgroup: its help says so. */
		const char *wrong = i == 2 ? "attach to the memory cgroup" : NULL;

		st = prints(tools[i], help, "--oom-score-adj", wrong);
		if (!st)
			st = prints(tools[i], h, "Usage:", wrong);
		if (!st)
			st = prints(tools[i], version, "(oom_ext)", NULL);
		if (st)
			return st;
	}
	return OOM_TEST_PASS;
}

static struct oom_test help = {
	.name = "simple_loader_help_version",
	.description = "every loader: --help and -h print its usage, --version its version, exit 0",
	.setup = setup_simple,
	.run = run_help,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&help)

#define CAP(n)	(1ULL << (n))

/* Exactly CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN, as user nobody: it works. */
static enum oom_test_status run_caps(void *ctx)
{
	struct simple *t = ctx;
	const char *const args[] = { "-i", "0", "-c", t->cg, NULL };
	struct ot_hog grow = { .grow = true };
	enum oom_test_status st;
	char line[512], want[64];

	/* A cgroup delegated to it: attaching needs write access to it. */
	OT_ASSERT(!chown(t->cg, 65534, 65534), "chown: %s", strerror(errno));
	st = ot_loader_start_caps(&t->loader, "oom_simple", args, 65534,
				  CAP(CAP_BPF) | CAP(CAP_PERFMON) | CAP(CAP_SYS_ADMIN));
	if (!st)
		st = ot_loader_attached(&t->loader);
	if (st)
		return st;
	OT_ASSERT(ot_child_spawn_hog(&t->hog, t->cg, &grow) == 0, "hog did not start");
	OT_ASSERT(ot_child_wait_death(&t->hog, OT_TIMEOUT_MS) == SIGKILL, "the hog was not killed");
	snprintf(want, sizeof(want), "killed pid %d ", t->hog.pid);
	OT_ASSERT(ot_proc_read_until(t->loader.out, "killed pid", line, sizeof(line),
				     OT_TIMEOUT_MS) && strstr(line, want),
		  "the policy did not kill the hog");
	return OOM_TEST_PASS;
}

static struct oom_test caps = {
	.name = "simple_loader_capabilities_not_root",
	.description =
		"oom_simple as user nobody with exactly CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN attaches and kills",
	.setup = setup_simple,
	.run = run_caps,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&caps)

/* A value from /proc/PID/@file's line starting with @key, or -1. */
static long proc_pid_key(pid_t pid, const char *file, const char *key)
{
	char path[64], buf[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	f = fopen(path, "r");
	while (f && fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, key, strlen(key)))
			v = atol(buf + strlen(key));
	if (f)
		fclose(f);
	return v;
}

/*
 * The loader lives in the memcg it guards, the largest task there but for
 * the hog. It locked itself in memory and set oom_score_adj -1000, so its
 * own policy kills the hog and it lives on; --oom-score-adj sets another.
 */
static enum oom_test_status run_survives(void *ctx)
{
	struct simple *t = ctx;
	const char *const args[] = { "-i", "0", "-c", t->cg, NULL };
	const char *const adj[] = { "-i", "0", "--oom-score-adj", "500", "-c", t->cg, NULL };
	struct ot_hog grow = { .grow = true };
	enum oom_test_status st;
	char line[512], pid[16], want[64];

	st = ot_loader_start(&t->loader, "oom_simple", args, 0);
	if (!st)
		st = ot_loader_attached(&t->loader);
	if (st)
		return st;
	snprintf(pid, sizeof(pid), "%d", t->loader.pid);
	OT_ASSERT(!ot_cg_write(t->cg, "cgroup.procs", pid), "cannot move the loader");
	OT_ASSERT(proc_pid_key(t->loader.pid, "oom_score_adj", "") == -1000,
		  "the loader's oom_score_adj is %ld",
		  proc_pid_key(t->loader.pid, "oom_score_adj", ""));
	OT_ASSERT(proc_pid_key(t->loader.pid, "status", "VmLck:") > 0, "the loader is not locked");
	OT_ASSERT(ot_child_spawn_hog(&t->hog, t->cg, &grow) == 0, "hog did not start");
	OT_ASSERT(ot_child_wait_death(&t->hog, OT_TIMEOUT_MS) == SIGKILL, "the hog was not killed");
	snprintf(want, sizeof(want), "killed pid %d ", t->hog.pid);
	OT_ASSERT(ot_proc_read_until(t->loader.out, "killed pid", line, sizeof(line),
				     OT_TIMEOUT_MS) && strstr(line, want), "not the hog: %s", line);
	OT_ASSERT(ot_proc_wait(&t->loader, 0) == -ETIMEDOUT, "the loader died in the OOM");
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 1, "oom_kill != 1");
	ot_proc_kill(&t->loader);

	st = ot_loader_start(&t->loader, "oom_simple", adj, 0);
	if (!st)
		st = ot_loader_attached(&t->loader);
	if (st)
		return st;
	OT_ASSERT(proc_pid_key(t->loader.pid, "oom_score_adj", "") == 500,
		  "--oom-score-adj 500: %ld", proc_pid_key(t->loader.pid, "oom_score_adj", ""));
	return OOM_TEST_PASS;
}

static struct oom_test survives = {
	.name = "simple_loader_survives_oom_in_its_domain",
	.description =
		"a loader inside the memcg it guards is locked in memory at oom_score_adj -1000: the OOM kills the hog, not it; --oom-score-adj sets another value",
	.setup = setup_simple,
	.run = run_survives,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&survives)

/*
 * Check a loader's --json output (@first, the line already read, then
 * @out) with python3's json module: every line is one object with time,
 * tool and event; the @events named are all present; each event has
 * exactly the fields of README's table for these settings (those printed
 * before the loaders printed from field tables, and uid and kill_id since);
 * and, if @pid, a decision killed it.
 */
static enum oom_test_status json_check(const char *first, const char *out,
				       const char *events, pid_t pid)
{
	static const char script[] =
		"import json, sys\n"
		"task = 'pid comm cgroup mib killed uid kill_id '\n"
		"want = {\n"
		"  ('oom_simple', 'attached'): 'cgroup dry_run',\n"
		"  ('oom_simple', 'decision', 'kill'): 'action domain reason levels ' + task,\n"
		"  ('oom_simple', 'decision', 'pass'): 'action domain reason levels',\n"
		"  ('oom_simple', 'counters'): 'calls kills passes refused',\n"
		"  ('oom_psi_proactive', 'attached'): 'dry_run full_ms full_window_ms cooldown_s',\n"
		"  ('oom_psi_proactive', 'watching'): 'cgroup rule',\n"
		"  ('oom_psi_proactive', 'counters'):\n"
		"    'watching events declared kills unconfirmed cooling progressing',\n"
		"}\n"
		"objs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]\n"
		"assert objs, 'no output'\n"
		"for o in objs:\n"
		"    assert {'time', 'tool', 'event'} <= o.keys(), o\n"
		"    key = (o['tool'], o['event']) + ((o['action'],) if 'action' in o else ())\n"
		"    fields = set(o.keys()) - {'time', 'tool', 'event'}\n"
		"    assert fields == set(want.get(key, '').split()), 'fields of %s: %s' % (key, fields)\n"
		"seen = {o['event'] for o in objs}\n"
		"missing = set(sys.argv[2].split()) - seen\n"
		"assert not missing, 'missing %s in %s' % (missing, seen)\n"
		"pid = int(sys.argv[3])\n"
		"assert not pid or any(o['event'] == 'decision' and o['action'] == 'kill' and\n"
		"                      o['pid'] == pid for o in objs), 'no kill of %d' % pid\n";
	char file[] = "/tmp/oom_ext_json.XXXXXX", pidstr[16], err[1024];
	const char *const argv[] = { "/usr/bin/python3", "-c", script, file, events, pidstr, NULL };
	struct ot_proc p;
	int fd = mkstemp(file), ok;

	OT_ASSERT(fd >= 0, "mkstemp: %s", strerror(errno));
	ok = dprintf(fd, "%s\n%s", first, out) > 0;
	close(fd);
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	if (!ok || access(argv[0], X_OK)) {
		unlink(file);
		OT_ASSERT(ok, "cannot write %s", file);
		OT_SKIP("no python3");
	}
	OT_ASSERT(ot_proc_start(&p, argv, 0) == 0, "cannot run python3");
	ok = ot_proc_wait(&p, OT_TIMEOUT_MS) == 0 && WIFEXITED(p.status) &&
	     !WEXITSTATUS(p.status);
	ot_proc_slurp(p.err, err, sizeof(err));
	ot_proc_kill(&p);
	unlink(file);
	OT_ASSERT(ok, "the JSON output does not hold: %s", err);
	return OOM_TEST_PASS;
}

/* Run the loader in @p until SIGINT; its whole stdout into @out. */
static enum oom_test_status stop_collect(struct ot_proc *p, char *out, size_t len)
{
	kill(p->pid, SIGINT);
	OT_ASSERT(ot_proc_wait(p, OT_TIMEOUT_MS) == 0, "the loader did not exit on SIGINT");
	ot_proc_slurp(p->out, out, len);
	return OOM_TEST_PASS;
}

static enum oom_test_status run_json(void *ctx)
{
	struct simple *t = ctx;
	const char *const args[] = { "--json", "-i", "0", "-c", t->cg, NULL };
	const char *const psi_args[] = { "--json", "-n", "-i", "0", "-c", t->cg, NULL };
	struct ot_hog grow = { .grow = true };
	static char out[65536];
	enum oom_test_status st;
	char line[512];

	st = ot_loader_start(&t->loader, "oom_simple", args, 0);
	if (st)
		return st;
	OT_ASSERT(ot_proc_read_until(t->loader.out, "\"event\":\"attached\"", line, sizeof(line),
				     OT_TIMEOUT_MS), "no attached event");
	OT_ASSERT(ot_child_spawn_hog(&t->hog, t->cg, &grow) == 0, "hog did not start");
	OT_ASSERT(ot_child_wait_death(&t->hog, OT_TIMEOUT_MS) == SIGKILL, "the hog was not killed");
	st = stop_collect(&t->loader, out, sizeof(out));
	if (!st)
		st = json_check(line, out, "attached decision counters detached", t->hog.pid);
	if (st)
		return st;
	/* The attached line was read above; the rest holds the decision. */
	st = ot_loader_start(&t->loader, "oom_psi_proactive", psi_args, 0);
	if (st)
		return st;
	OT_ASSERT(ot_proc_read_until(t->loader.out, "\"event\":\"watching\"", line,
				     sizeof(line), OT_TIMEOUT_MS), "no watching event");
	st = stop_collect(&t->loader, out, sizeof(out));
	if (!st)
		st = json_check(line, out, "watching counters detached", 0);
	return st;
}

static struct oom_test json = {
	.name = "simple_loader_json",
	.description =
		"--json: every line of oom_simple and oom_psi_proactive parses as one JSON object (python3's json) with the documented fields; the kill is a decision event with the victim's pid",
	.setup = setup_simple,
	.run = run_json,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&json)

static enum oom_test_status run_second(void *ctx)
{
	struct simple *t = ctx;
	const char *const args[] = { "-i", "0", "-c", t->cg, NULL };
	struct ot_proc first;
	enum oom_test_status st;

	st = start_attached(t, args);
	if (st != OOM_TEST_PASS)
		return st;
	first = t->loader;
	t->loader.pid = 0;
	st = bad_input(t, args, 0, "already attached");
	t->loader = first;
	if (st != OOM_TEST_PASS)
		return st;
	OT_ASSERT(ot_listing_count() == 1, "%d policies attached", ot_listing_count());
	return OOM_TEST_PASS;
}

static struct oom_test second = {
	.name = "simple_loader_second_instance",
	.description =
		"a second oom_simple on the same cgroup exits with one line; the first stays attached",
	.setup = setup_simple,
	.run = run_second,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&second)

static enum oom_test_status run_sigint(void *ctx)
{
	struct simple *t = ctx;
	const char *const args[] = { "-i", "0", "-c", t->cg, NULL };
	struct ot_hog grow = { .grow = true };
	enum oom_test_status st;
	char report[1024];
	int kmsg, sig, found;

	st = start_attached(t, args);
	if (st != OOM_TEST_PASS)
		return st;
	OT_ASSERT(ot_listing_count() == 1, "not attached");
	kill(t->loader.pid, SIGINT);
	OT_ASSERT(ot_proc_wait(&t->loader, OT_TIMEOUT_MS) == 0, "still running after SIGINT");
	if (!WIFEXITED(t->loader.status) || WEXITSTATUS(t->loader.status)) {
		char err[512];

		ot_proc_slurp(t->loader.err, err, sizeof(err));
		OT_FAIL("exit status %d after SIGINT: %s", t->loader.status, err);
	}
	OT_ASSERT(ot_listing_count() == 0, "still attached after SIGINT");

	kmsg = ot_kmsg_open();
	OT_ASSERT(ot_child_spawn_hog(&t->hog, t->cg, &grow) == 0, "hog did not start");
	sig = ot_child_wait_death(&t->hog, OT_TIMEOUT_MS);
	found = ot_kmsg_wait_for(kmsg, "Killed process", report, sizeof(report), OT_TIMEOUT_MS);
	close(kmsg);
	OT_ASSERT(sig == SIGKILL, "hog ended with %d", sig);
	OT_ASSERT(found && strstr(report, "Memory cgroup out of memory"),
		  "the next OOM was not the kernel's: %s", found ? report : "no report");
	return OOM_TEST_PASS;
}

static struct oom_test sigint = {
	.name = "simple_loader_sigint_detaches",
	.description = "SIGINT makes oom_simple detach and exit 0; the next OOM is the kernel's",
	.setup = setup_simple,
	.run = run_sigint,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&sigint)

static enum oom_test_status run_cgroup_gone(void *ctx)
{
	struct simple *t = ctx;
	const char *const args[] = { "-i", "0", "-c", t->cg, NULL };
	enum oom_test_status st;
	char line[512];
	int said;

	st = start_attached(t, args);
	if (st != OOM_TEST_PASS)
		return st;
	OT_ASSERT(rmdir(t->cg) == 0, "rmdir: %s", strerror(errno));
	said = ot_proc_read_until(t->loader.out, "was removed", line, sizeof(line),
				  OT_TIMEOUT_MS);
	OT_ASSERT(ot_proc_wait(&t->loader, OT_TIMEOUT_MS) == 0,
		  "the loader kept running after its cgroup was removed");
	OT_ASSERT(said, "the loader did not say its cgroup went away");
	OT_ASSERT(WIFEXITED(t->loader.status) && !WEXITSTATUS(t->loader.status),
		  "exit status %d", t->loader.status);
	OT_ASSERT(ot_listing_count() == 0, "still attached");
	return OOM_TEST_PASS;
}

static struct oom_test cgroup_gone = {
	.name = "simple_loader_exits_with_cgroup",
	.description = "when its cgroup is removed, oom_simple says so and exits 0",
	.setup = setup_simple,
	.run = run_cgroup_gone,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&cgroup_gone)
