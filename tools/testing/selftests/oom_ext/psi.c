// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_psi_ops through tools/oom_ext oom_psi_proactive, run as a user runs
 * it, and the kernel's rules for PSI triggers owned by BPF.
 *
 * The thrashing load: a task that keeps allocating anonymous memory in a
 * memcg whose memory.high is far below what it wants and memory.max far
 * above, without swap. The kernel throttles it at memory.high (reclaim
 * finds nothing to free and the task sleeps), so it stalls on memory
 * without ever reaching memory.max: the kernel's OOM killer would not act
 * for minutes. Each test watches the loader's lines, waits for deaths with
 * waitpid, and checks memory.events and /sys/kernel/debug/bpf_psi.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "oom_test.h"
#include "policy_util.h"
#include "util.h"
#include "psi_ops.h"
#include "psi_deny.bpf.skel.h"
#include "psi_ops.bpf.skel.h"
#include "tcp_ca.bpf.skel.h"

#define PSI_LISTING	"/sys/kernel/debug/bpf_psi"
#define PSI_MEM		1		/* enum psi_res */

struct psi {
	char *top;		/* --children parent */
	char hog_cg[256], calm_cg[256];
	struct ot_child hog, hog2, calm;
	struct ot_proc loader;
};

static enum oom_test_status setup_psi(void **ctx)
{
	struct psi *t = calloc(1, sizeof(*t));

	if (!t)
		OT_FAIL("no memory");
	t->hog.pid = -1;
	t->hog2.pid = -1;
	t->calm.pid = -1;
	t->loader.out = -1;
	t->loader.err = -1;
	t->top = ot_cg_create("psi");
	if (!t->top || ot_cg_write(t->top, "memory.swap.max", "0") ||
	    ot_cg_write(t->top, "cgroup.subtree_control", "+memory")) {
		if (t->top)
			ot_cg_destroy(t->top);
		free(t->top);
		free(t);
		OT_FAIL("cannot set up the parent memcg");
	}
	snprintf(t->hog_cg, sizeof(t->hog_cg), "%s/hog", t->top);
	snprintf(t->calm_cg, sizeof(t->calm_cg), "%s/calm", t->top);
	*ctx = t;
	return OOM_TEST_PASS;
}

static void cleanup_psi(void *ctx)
{
	struct psi *t = ctx;

	ot_proc_kill(&t->loader);
	ot_child_reap(&t->hog);
	ot_child_reap(&t->hog2);
	ot_child_reap(&t->calm);
	ot_cg_destroy(t->top);
	free(t->top);
	free(t);
}

/* Is cgroup id @cgid listed with a trigger in the debugfs listing? */
static int psi_listed(long long cgid, int *attachments)
{
	char line[256], want[32];
	int found = 0;
	FILE *f = fopen(PSI_LISTING, "r");

	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "  %lld ", cgid);
	*attachments = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] != ' ')
			(*attachments)++;
		else if (!strncmp(line, want, strlen(want)))
			found++;
	}
	fclose(f);
	return found;
}

/* Start the loader with @args and wait until it watches @nr cgroups. */
static enum oom_test_status start_loader(struct psi *t, const char *const args[], int nr)
{
	enum oom_test_status st;
	char line[512];
	int i;

	st = ot_loader_start(&t->loader, "oom_psi_proactive", args, 0);
	if (!st)
		st = ot_loader_attached(&t->loader);
	if (st)
		return st;
	for (i = 0; i < nr; i++) {
		OT_ASSERT(ot_proc_read_until(t->loader.out, ": watching ", line, sizeof(line),
					     OT_TIMEOUT_MS),
			  "the loader watches %d cgroups, not %d", i, nr);
		ot_info("%s", line);
	}
	return OOM_TEST_PASS;
}

/* Make @path a memcg that thrashes below memory.high and start @hog in it. */
static enum oom_test_status start_thrashing(const char *path, struct ot_child *hog)
{
	struct ot_hog h = { .mib = 8, .grow = true };

	OT_ASSERT(!ot_cg_write(path, "memory.high", "32M") &&
		  !ot_cg_write(path, "memory.max", "1G"), "memory.high/max on %s", path);
	OT_ASSERT(!ot_child_spawn_hog(hog, path, &h), "the hog did not start");
	return OOM_TEST_PASS;
}

/* Children created after attach are watched; the thrashing one is killed. */
static enum oom_test_status run_kill(void *ctx)
{
	struct ot_hog calm = { .mib = 4 };
	struct psi *t = ctx;
	const char *const args[] = { "-i", "0", "--children", t->top, "--full", "100ms/1s", NULL };
	enum oom_test_status st;
	char line[512];
	int sig, kmsg = ot_kmsg_open();

	st = start_loader(t, args, 0);
	if (st)
		return st;
	OT_ASSERT(!mkdir(t->calm_cg, 0755) && !mkdir(t->hog_cg, 0755), "mkdir: %s",
		  strerror(errno));
	OT_ASSERT(ot_proc_read_until(t->loader.out, "/psi/calm", line, sizeof(line),
				     OT_TIMEOUT_MS), "the new child calm is not watched");
	OT_ASSERT(ot_proc_read_until(t->loader.out, "/psi/hog", line, sizeof(line),
				     OT_TIMEOUT_MS), "the new child hog is not watched");
	OT_ASSERT(!ot_child_spawn_hog(&t->calm, t->calm_cg, &calm), "calm task did not start");
	st = start_thrashing(t->hog_cg, &t->hog);
	if (st)
		return st;

	sig = ot_child_wait_death(&t->hog, OT_TIMEOUT_MS);
	OT_ASSERT(sig == SIGKILL, "the thrashing task ended with %d", sig);
	OT_ASSERT(ot_proc_read_until(t->loader.out, "declared an OOM", line, sizeof(line),
				     OT_TIMEOUT_MS), "the loader reported no OOM");
	ot_info("%s", line);
	OT_ASSERT(strstr(line, "/psi/hog:") && strstr(line, "a task was killed (oom_kill 1)"),
		  "unexpected decision line");
	OT_ASSERT(kmsg >= 0 && ot_kmsg_wait_for(kmsg, "declared by a BPF program", line,
						sizeof(line), OT_TIMEOUT_MS) == 1,
		  "no BPF-declared OOM report in the kernel log");
	close(kmsg);
	OT_ASSERT(ot_cg_read_key(t->hog_cg, "memory.events", "oom_kill") == 1, "hog oom_kill");
	OT_ASSERT(ot_cg_read_key(t->hog_cg, "memory.events", "max") == 0,
		  "memory.max was reached: this was not a proactive kill");
	OT_ASSERT(ot_cg_read_key(t->hog_cg, "memory.events", "high") > 0,
		  "never above memory.high");
	OT_ASSERT(ot_child_alive(&t->calm), "the calm sibling died");
	OT_ASSERT(ot_cg_read_key(t->calm_cg, "memory.events", "oom_kill") == 0, "calm oom_kill");
	return OOM_TEST_PASS;
}

static struct oom_test kill_test = {
	.name = "psi_kills_thrashing",
	.description =
		"a task thrashing below memory.high in a child created after attach is killed before memory.max; its calm sibling lives",
	.setup = setup_psi,
	.run = run_kill,
	.cleanup = cleanup_psi,
};

REGISTER_OOM_TEST(&kill_test)

/*
 * The declared OOM goes to the memcg's bpf_oom_ops policy: oom_cgroup_aware
 * on the parent, told to prefer the thrashing sub-cgroup, kills the
 * thrashing task although the kernel would kill the larger idle one.
 */
static enum oom_test_status run_by_policy(void *ctx)
{
	struct ot_hog big = { .mib = 40 };
	struct psi *t = ctx;
	const char *const args[] = { "-i", "0", "-c", t->hog_cg, NULL };
	char a[300], b[300], line[512], want[64];
	const char *const ca_args[] = { "-i", "0", "-c", t->hog_cg, "--prefer", a, NULL };
	struct ot_proc ca = { .out = -1, .err = -1 };
	enum oom_test_status st;
	int sig;

	snprintf(a, sizeof(a), "%s/a", t->hog_cg);
	snprintf(b, sizeof(b), "%s/b", t->hog_cg);
	OT_ASSERT(!mkdir(t->hog_cg, 0755) &&
		  !ot_cg_write(t->hog_cg, "cgroup.subtree_control", "+memory") &&
		  !mkdir(a, 0755) && !mkdir(b, 0755), "mkdir: %s", strerror(errno));
	OT_ASSERT(!ot_child_spawn_hog(&t->calm, b, &big), "the idle 40 MiB task did not start");
	OT_ASSERT(!ot_cg_write(t->hog_cg, "memory.high", "48M") &&
		  !ot_cg_write(t->hog_cg, "memory.max", "1G"), "memory.high/max");
	st = ot_loader_start(&ca, "oom_cgroup_aware", ca_args, 0);
	if (!st)
		st = ot_loader_attached(&ca);
	if (!st)
		st = start_loader(t, args, 1);
	if (!st) {
		struct ot_hog grow = { .mib = 4, .grow = true };

		if (ot_child_spawn_hog(&t->hog, a, &grow))
			st = OOM_TEST_FAIL;
	}
	if (!st) {
		sig = ot_child_wait_death(&t->hog, OT_TIMEOUT_MS);
		if (sig != SIGKILL) {
			ot_info("the thrashing task ended with %d", sig);
			st = OOM_TEST_FAIL;
		}
	}
	if (!st && !ot_proc_read_until(ca.out, "killed pid", line, sizeof(line), OT_TIMEOUT_MS)) {
		ot_info("oom_cgroup_aware reported no kill");
		st = OOM_TEST_FAIL;
	}
	ot_proc_kill(&ca);
	if (st)
		return st;
	ot_info("%s", line);
	snprintf(want, sizeof(want), "killed pid %d ", t->hog.pid);
	OT_ASSERT(strstr(line, want), "expected \"%s\"", want);
	OT_ASSERT(ot_child_alive(&t->calm), "the larger idle task died: the kernel chose");
	OT_ASSERT(ot_cg_read_key(t->hog_cg, "memory.events", "oom_kill") == 1, "oom_kill");
	OT_ASSERT(ot_cg_read_key(t->hog_cg, "memory.events", "max") == 0, "memory.max reached");
	return OOM_TEST_PASS;
}

static struct oom_test by_policy_test = {
	.name = "psi_victim_by_memcg_policy",
	.description =
		"the OOM declared for a thrashing memcg goes to its bpf_oom_ops policy (oom_cgroup_aware), which kills the thrashing task, not the larger idle one",
	.setup = setup_psi,
	.run = run_by_policy,
	.cleanup = cleanup_psi,
};

REGISTER_OOM_TEST(&by_policy_test)

/* Pressure again inside the cool-down: no second kill until it ends. */
static enum oom_test_status run_cooldown(void *ctx)
{
	struct psi *t = ctx;
	const char *const args[] = { "-i", "0", "-c", t->hog_cg, "--cooldown", "8", NULL };
	enum oom_test_status st;
	char line[512];
	int sig;

	OT_ASSERT(!mkdir(t->hog_cg, 0755), "mkdir: %s", strerror(errno));
	st = start_loader(t, args, 1);
	if (!st)
		st = start_thrashing(t->hog_cg, &t->hog);
	if (st)
		return st;
	sig = ot_child_wait_death(&t->hog, OT_TIMEOUT_MS);
	OT_ASSERT(sig == SIGKILL, "the first thrashing task ended with %d", sig);
	ot_child_reap(&t->hog);

	/* A second incident right away, inside the cool-down. */
	st = start_thrashing(t->hog_cg, &t->hog2);
	if (st)
		return st;
	OT_ASSERT(ot_proc_read_until(t->loader.out, "during the cool-down", line, sizeof(line),
				     OT_TIMEOUT_MS), "no pressure seen during the cool-down");
	ot_info("%s", line);
	OT_ASSERT(ot_child_alive(&t->hog2), "killed during the cool-down");
	OT_ASSERT(ot_cg_read_key(t->hog_cg, "memory.events", "oom_kill") == 1,
		  "more than one kill during the cool-down");

	/* After it, the pressure that still holds is acted upon again. */
	sig = ot_child_wait_death(&t->hog2, OT_TIMEOUT_MS);
	OT_ASSERT(sig == SIGKILL, "the second thrashing task ended with %d", sig);
	OT_ASSERT(ot_cg_read_key(t->hog_cg, "memory.events", "oom_kill") == 2, "oom_kill after");
	return OOM_TEST_PASS;
}

static struct oom_test cooldown_test = {
	.name = "psi_cooldown",
	.description =
		"pressure during the cool-down after a kill kills nothing; after it, the next incident is acted upon",
	.setup = setup_psi,
	.run = run_cooldown,
	.cleanup = cleanup_psi,
};

REGISTER_OOM_TEST(&cooldown_test)

static enum oom_test_status run_dry(void *ctx)
{
	struct psi *t = ctx;
	const char *const args[] = { "-i", "0", "-n", "-c", t->hog_cg, NULL };
	enum oom_test_status st;
	char line[512];

	OT_ASSERT(!mkdir(t->hog_cg, 0755), "mkdir: %s", strerror(errno));
	st = start_loader(t, args, 1);
	if (!st)
		st = start_thrashing(t->hog_cg, &t->hog);
	if (st)
		return st;
	OT_ASSERT(ot_proc_read_until(t->loader.out, "would declare an OOM", line, sizeof(line),
				     OT_TIMEOUT_MS), "no dry-run decision");
	ot_info("%s", line);
	OT_ASSERT(ot_child_alive(&t->hog), "the dry run killed");
	OT_ASSERT(ot_cg_read_key(t->hog_cg, "memory.events", "oom_kill") == 0, "oom_kill");
	return OOM_TEST_PASS;
}

static struct oom_test dry_test = {
	.name = "psi_dry_run",
	.description = "with -n the thrashing task is reported and lives; no OOM is declared",
	.setup = setup_psi,
	.run = run_dry,
	.cleanup = cleanup_psi,
};

REGISTER_OOM_TEST(&dry_test)

/*
 * Removed cgroups lose their triggers (debugfs) before the policy hears of
 * it; the last round removes the cgroup and detaches at the same time.
 * Detach drops every trigger. The runner fails the test on any splat.
 */
static enum oom_test_status run_removed(void *ctx)
{
	struct psi *t = ctx;
	const char *const args[] = { "-i", "0", "--children", t->top, "--some", "50ms/1s", NULL };
	enum oom_test_status st;
	char path[512], line[512], gone[512];
	long long cgid;
	int i, n, att;

	st = start_loader(t, args, 0);
	if (st)
		return st;
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "%s/c%d", t->top, i);
		OT_ASSERT(!mkdir(path, 0755), "mkdir %s: %s", path, strerror(errno));
		OT_ASSERT(ot_proc_read_until(t->loader.out, ": watching ", line, sizeof(line),
					     OT_TIMEOUT_MS), "round %d: not watched", i);
		cgid = ot_cg_id(path);
		n = psi_listed(cgid, &att);
		OT_ASSERT(n == 1 && att == 1, "round %d: %d triggers, %d attachments listed", i,
			  n, att);
		OT_ASSERT(!rmdir(path), "rmdir %s: %s", path, strerror(errno));
		if (i == 7)
			break;
		snprintf(gone, sizeof(gone), "/c%d was removed", i);
		OT_ASSERT(ot_proc_read_until(t->loader.out, gone, line, sizeof(line),
					     OT_TIMEOUT_MS), "round %d: removal not reported", i);
		n = psi_listed(cgid, &att);
		OT_ASSERT(n == 0, "round %d: the removed cgroup still has %d triggers", i, n);
	}
	/* The last cgroup is going away while the policy detaches. */
	kill(t->loader.pid, SIGINT);
	OT_ASSERT(ot_proc_wait(&t->loader, OT_TIMEOUT_MS) == 0, "the loader did not exit");
	OT_ASSERT(WIFEXITED(t->loader.status) && !WEXITSTATUS(t->loader.status),
		  "loader exit status %d", t->loader.status);
	n = psi_listed(cgid, &att);
	OT_ASSERT(n == 0 && att == 0, "after detach: %d triggers, %d attachments", n, att);
	return OOM_TEST_PASS;
}

static struct oom_test removed_test = {
	.name = "psi_removed_cgroup",
	.description =
		"a removed cgroup's triggers are gone before the policy hears of it, eight times, and detach drops the rest",
	.setup = setup_psi,
	.run = run_removed,
	.cleanup = cleanup_psi,
};

REGISTER_OOM_TEST(&removed_test)

/* The loader exits, detached, once every cgroup it was given is gone. */
static enum oom_test_status run_all_gone(void *ctx)
{
	struct psi *t = ctx;
	const char *const args[] = { "-i", "0", "-c", t->hog_cg, "--children", t->calm_cg, NULL };
	enum oom_test_status st;
	char line[512];
	int n, att;

	OT_ASSERT(!mkdir(t->hog_cg, 0755) && !mkdir(t->calm_cg, 0755), "mkdir: %s",
		  strerror(errno));
	st = start_loader(t, args, 1);
	if (st)
		return st;
	OT_ASSERT(!rmdir(t->hog_cg), "rmdir hog: %s", strerror(errno));
	OT_ASSERT(ot_proc_read_until(t->loader.out, "/psi/hog was removed", line, sizeof(line),
				     OT_TIMEOUT_MS), "hog's removal not reported");
	n = psi_listed(0, &att);
	OT_ASSERT(att == 1, "the loader detached with --children %s still there", t->calm_cg);
	OT_ASSERT(!rmdir(t->calm_cg), "rmdir calm: %s", strerror(errno));
	OT_ASSERT(ot_proc_read_until(t->loader.out, "is gone", line, sizeof(line), OT_TIMEOUT_MS),
		  "no exit message");
	ot_info("%s", line);
	OT_ASSERT(ot_proc_wait(&t->loader, OT_TIMEOUT_MS) == 0, "the loader did not exit");
	OT_ASSERT(WIFEXITED(t->loader.status) && !WEXITSTATUS(t->loader.status),
		  "loader exit status %d", t->loader.status);
	n = psi_listed(0, &att);
	OT_ASSERT(n == 0 && att == 0, "after exit: %d triggers, %d attachments", n, att);
	return OOM_TEST_PASS;
}

static struct oom_test all_gone_test = {
	.name = "psi_loader_exits_when_cgroups_gone",
	.description =
		"oom_psi_proactive exits and detaches once every cgroup given with -c and --children is removed, not before",
	.setup = setup_psi,
	.run = run_all_gone,
	.cleanup = cleanup_psi,
};

REGISTER_OOM_TEST(&all_gone_test)

/* Only bpf_psi_ops programs may create PSI triggers. */
static enum oom_test_status run_deny(void *ctx)
{
	struct psi_deny *skel = psi_deny__open();
	enum oom_test_status st;

	OT_ASSERT(skel, "cannot open psi_deny.bpf.o");
	st = ot_expect_kfunc_refused(skel->obj, "bpf_psi_create_trigger");
	psi_deny__destroy(skel);
	return st;
}

static struct oom_test deny_test = {
	.name = "psi_trigger_rejected_outside_psi_ops",
	.description = "the verifier rejects bpf_psi_create_trigger() in a bpf_oom_ops handler",
	.run = run_deny,
};

REGISTER_OOM_TEST(&deny_test)

static enum oom_test_status run_bad_input(void *ctx)
{
	static const struct {
		const char *args[10];
		const char *expect;
	} cases[] = {
		{ { "-i", "0", NULL }, "nothing to watch" },
		{ { "-c", "/sys/fs/cgroup/oom_ext_test/nonexistent", NULL }, "No such file" },
		{ { "-c", "/proc", NULL }, "not a cgroup v2 directory" },
		{ { "--children", "/tmp", NULL }, "not a cgroup v2 directory" },
		{ { "-c", CG_TEST_ROOT, "--full", "2s/1s", NULL }, "at most the window" },
		{ { "-c", CG_TEST_ROOT, "--some", "100ms/20s", NULL }, "at most 10s" },
		{ { "-c", CG_TEST_ROOT, "--full", "lots", NULL }, "expected STALL/WINDOW" },
		{ { "-c", CG_TEST_ROOT, "--cooldown", "-1", NULL }, "not a number of seconds" },
		{ { "-c", CG_MNT, "--stall", "on", NULL }, "--stall on: expected STALL/WINDOW" },
		{ { "-c", CG_MNT, "--stall", "2s/1s", NULL }, "--stall 2s/1s: the stall time" },
		{ { "-c", CG_TEST_ROOT, "-c", CG_TEST_ROOT, NULL }, "given twice" },
		{ { "-c", CG_TEST_ROOT, "--bogus", NULL }, "unknown option" },
		{ { "-c", CG_TEST_ROOT, "--warn-usage", "50", NULL }, "need --grace" },
		{ { "-c", CG_TEST_ROOT, "--grace", "2h", NULL }, "--grace 2h: expected a duration" },
		{ { "-c", CG_TEST_ROOT, "--grace", "5x", NULL }, "--grace 5x: expected a duration" },
		{ { "-c", CG_TEST_ROOT, "--grace", "1s", "--warn-signal", "FOO", NULL },
		  "--warn-signal FOO: not a signal" },
		{ { "-c", CG_TEST_ROOT, "--grace", "1s", "--warn-usage", "95", "--kill-usage", "90",
		    NULL }, "--warn-usage must be below --kill-usage" },
	};
	struct ot_proc p;
	enum oom_test_status st;
	unsigned int i;
	int n, att;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		st = ot_loader_rejects(&p, "oom_psi_proactive", cases[i].args, 0,
				       cases[i].expect);
		if (st)
			return st;
		n = psi_listed(0, &att);
		OT_ASSERT(n >= 0 && att == 0, "%s: something was attached", cases[i].expect);
	}
	return OOM_TEST_PASS;
}

/*
 * Every refusal of bpf_psi_create_trigger(), from init(): bad resource,
 * threshold or window, an unknown cgroup id. Only the good trigger exists.
 */
static enum oom_test_status run_refusals(void *ctx)
{
	struct psi *t = ctx;
	long long cgid = ot_cg_id(t->top);
	const struct {
		unsigned long long cgid;
		unsigned int resource, threshold_us, window_us;
		int ret;
		const char *what;
	} c[] = {
		{ cgid, PSI_MEM | BPF_PSI_FULL, 100000, 1000000, 0, "a good trigger" },
		{ cgid, 9, 100000, 1000000, -EINVAL, "resource 9" },
		{ cgid, PSI_MEM, 0, 1000000, -EINVAL, "threshold 0" },
		{ cgid, PSI_MEM, 2000000, 1000000, -EINVAL, "threshold above the window" },
		{ cgid, PSI_MEM, 100000, 0, -EINVAL, "window 0" },
		{ cgid, PSI_MEM, 100000, 20000000, -EINVAL, "window 20 s" },
		{ cgid, PSI_MEM, 10000, 50000, -EINVAL, "window below 100 ms" },
		{ 1ULL << 40, PSI_MEM, 100000, 1000000, -ENOENT, "no such cgroup" },
	};
	struct bpf_link *link;
	struct psi_ops *skel;
	unsigned int i;
	int n, att;

	skel = psi_ops__open_and_load();
	OT_ASSERT(skel, "cannot load psi_ops.bpf.o");
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		skel->bss->cases[i].cgid = c[i].cgid;
		skel->bss->cases[i].resource = c[i].resource;
		skel->bss->cases[i].threshold_us = c[i].threshold_us;
		skel->bss->cases[i].window_us = c[i].window_us;
		skel->bss->cases[i].ret = 1;
	}
	skel->bss->nr_cases = i;
	link = bpf_map__attach_struct_ops(skel->maps.psi_test_ops);
	if (!link) {
		psi_ops__destroy(skel);
		OT_FAIL("attach: %s", strerror(errno));
	}
	n = psi_listed(cgid, &att);
	bpf_link__destroy(link);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		if (skel->bss->cases[i].ret != c[i].ret) {
			ot_info("%s: %d, expected %d",
				c[i].what, skel->bss->cases[i].ret, c[i].ret);
			psi_ops__destroy(skel);
			return OOM_TEST_FAIL;
		}
	}
	psi_ops__destroy(skel);
	OT_ASSERT(n == 1 && att == 1, "while attached: %d triggers, %d attachments", n, att);
	n = psi_listed(cgid, &att);
	OT_ASSERT(n == 0 && att == 0, "after detach: %d triggers, %d attachments", n, att);
	return OOM_TEST_PASS;
}

static struct oom_test refusals_test = {
	.name = "psi_trigger_refusals",
	.description =
		"bpf_psi_create_trigger() refuses a bad resource, threshold, window (0, below 100 ms, above 10 s) or cgroup id; only the good trigger is listed, and detach drops it",
	.setup = setup_psi,
	.run = run_refusals,
	.cleanup = cleanup_psi,
};

REGISTER_OOM_TEST(&refusals_test)

/* init() failing fails the attach, and leaves nothing behind. */
static enum oom_test_status run_init_fails(void *ctx)
{
	struct psi *t = ctx;
	long long cgid = ot_cg_id(t->top);
	struct bpf_link *link;
	struct psi_ops *skel;
	int n, att, err, first, second;

	skel = psi_ops__open_and_load();
	OT_ASSERT(skel, "cannot load psi_ops.bpf.o");
	skel->bss->cases[0].cgid = cgid;
	skel->bss->cases[0].resource = PSI_MEM;
	skel->bss->cases[0].threshold_us = 100000;
	skel->bss->cases[0].window_us = 1000000;
	skel->bss->cases[1] = skel->bss->cases[0];
	skel->bss->cases[1].cgid = 1ULL << 40;
	skel->bss->nr_cases = 2;
	skel->bss->fail_init = 1;
	link = bpf_map__attach_struct_ops(skel->maps.psi_test_ops);
	err = errno;
	n = psi_listed(cgid, &att);
	bpf_link__destroy(link);
	first = skel->bss->cases[0].ret;
	second = skel->bss->cases[1].ret;
	psi_ops__destroy(skel);
	OT_ASSERT(!link && err == ENOENT, "attach with init() failing: %s",
		  link ? "attached" : strerror(err));
	OT_ASSERT(first == 0 && second == -ENOENT, "init() created %d, %d", first, second);
	OT_ASSERT(n == 0 && att == 0, "after the failed attach: %d triggers, %d attachments",
		  n, att);
	return OOM_TEST_PASS;
}

static struct oom_test init_fails_test = {
	.name = "psi_init_failure_fails_attach",
	.description =
		"when init() returns an error the attach fails with it, and the trigger init() had created is gone",
	.setup = setup_psi,
	.run = run_init_fails,
	.cleanup = cleanup_psi,
};

REGISTER_OOM_TEST(&init_fails_test)

static struct oom_test bad_input_test = {
	.name = "psi_bad_input",
	.description =
		"bad input to oom_psi_proactive: one line on stderr, exit 2, nothing attached",
	.run = run_bad_input,
};

REGISTER_OOM_TEST(&bad_input_test)

/*
 * In a child: attach and detach a tcp_congestion_ops link until @stop has
 * something to read, saying so on @ready after the first; write the
 * longest attach, in ms, to @out.
 */
static void __attribute__((noreturn)) ca_attach_loop(int stop, int ready, int out)
{
	struct pollfd pfd = { .fd = stop, .events = POLLIN };
	struct tcp_ca *ca = tcp_ca__open();
	long longest = -1, t;
	struct bpf_link *l;

	/* Only the do-nothing one: deny_ca is attach.c's, refused at load. */
	if (!ca || bpf_map__set_autocreate(ca->maps.deny_ca, false) ||
	    bpf_program__set_autoload(ca->progs.deny_ssthresh, false) || tcp_ca__load(ca))
		_exit(1);
	while (poll(&pfd, 1, 0) == 0) {
		t = ot_now_ms();
		l = bpf_map__attach_struct_ops(ca->maps.oom_ext_ca);
		t = ot_now_ms() - t;
		if (!l)
			_exit(2);
		if (longest < 0 && write(ready, "r", 1) != 1)
			_exit(4);
		if (t > longest)
			longest = t;
		bpf_link__destroy(l);
	}
	tcp_ca__destroy(ca);
	_exit(write(out, &longest, sizeof(longest)) == sizeof(longest) ? 0 : 3);
}

/*
 * Detaching a bpf_psi_ops with 4096 triggers takes one RCU grace period,
 * not one per trigger, under the struct_ops update_mutex: the detach and a
 * tcp_congestion_ops attach racing it both finish within a bound.
 */
#define BULK_TRIGGERS	4096
static enum oom_test_status run_detach_many(void *ctx)
{
	/* Generous for TCG; three times that on a debug kernel. */
	long bound = 3000L * OT_TIMEOUT_MS / 60000, detach = -1, longest = -1;
	int stop[2], out[2], ready[2], status = -1, n, att, err;
	struct pollfd pfd;
	struct psi *t = ctx;
	long long cgid = ot_cg_id(t->top);
	struct bpf_link *link;
	struct psi_ops *skel;
	unsigned int made;
	pid_t child;

	skel = psi_ops__open_and_load();
	OT_ASSERT(skel, "cannot load psi_ops.bpf.o");
	skel->bss->cases[0].cgid = cgid;
	skel->bss->cases[0].resource = PSI_MEM;
	skel->bss->cases[0].threshold_us = 100000;
	skel->bss->cases[0].window_us = 1000000;
	skel->bss->nr_cases = 1;
	skel->bss->bulk_n = BULK_TRIGGERS - 1;
	link = bpf_map__attach_struct_ops(skel->maps.psi_test_ops);
	if (!link) {
		psi_ops__destroy(skel);
		OT_FAIL("attach: %s", strerror(errno));
	}
	made = skel->bss->bulk_made + !skel->bss->cases[0].ret;
	n = psi_listed(cgid, &att);
	if (pipe(stop) || pipe(out) || pipe(ready)) {
		bpf_link__destroy(link);
		psi_ops__destroy(skel);
		OT_FAIL("pipe");
	}
	fflush(stdout);
	child = fork();
	if (!child) {
		close(stop[1]);
		ca_attach_loop(stop[0], ready[1], out[1]);
	}
	/*
	 * Once the child's attach loop has attached (loading its skeleton
	 * takes a while under TCG), detach under it: BPF_LINK_DETACH
	 * unregisters at once, where closing the last fd would leave that
	 * to a work item.
	 */
	close(ready[1]);
	pfd = (struct pollfd){ .fd = ready[0], .events = POLLIN };
	if (child > 0 && poll(&pfd, 1, OT_TIMEOUT_MS) != 1) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		close(stop[0]);
		close(stop[1]);
		close(out[0]);
		close(out[1]);
		close(ready[0]);
		bpf_link__destroy(link);
		psi_ops__destroy(skel);
		OT_FAIL("the tcp_congestion_ops attach loop did not attach");
	}
	close(ready[0]);
	detach = ot_now_ms();
	err = bpf_link__detach(link);
	detach = ot_now_ms() - detach;
	bpf_link__destroy(link);
	close(stop[1]);
	if (child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	    !WEXITSTATUS(status) && read(out[0], &longest, sizeof(longest)) != sizeof(longest))
		longest = -1;
	close(stop[0]);
	close(out[0]);
	close(out[1]);
	psi_ops__destroy(skel);
	OT_ASSERT(made == BULK_TRIGGERS, "%u of %d triggers made", made, BULK_TRIGGERS);
	OT_ASSERT(n == BULK_TRIGGERS, "%d triggers listed", n);
	OT_ASSERT(!err, "BPF_LINK_DETACH: %s", strerror(-err));
	OT_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
		  "the tcp_congestion_ops attach loop failed (status %d)", status);
	ot_info("detaching %d triggers: %ld ms; longest tcp_congestion_ops attach meanwhile: %ld ms",
		BULK_TRIGGERS, detach, longest);
	OT_ASSERT(detach >= 0 && detach < bound, "the detach took %ld ms (bound %ld)", detach,
		  bound);
	OT_ASSERT(longest >= 0 && longest < bound,
		  "a tcp_congestion_ops attach waited %ld ms (bound %ld)", longest, bound);
	n = psi_listed(cgid, &att);
	OT_ASSERT(n == 0 && att == 0, "after detach: %d triggers, %d attachments", n, att);
	return OOM_TEST_PASS;
}

static struct oom_test detach_many = {
	.name = "psi_detach_many_triggers_bounded",
	.description =
		"detaching a bpf_psi_ops with 4096 triggers, and a tcp_congestion_ops attach racing it, both finish within 3 s",
	.setup = setup_psi,
	.run = run_detach_many,
	.cleanup = cleanup_psi,
};

REGISTER_OOM_TEST(&detach_many)
