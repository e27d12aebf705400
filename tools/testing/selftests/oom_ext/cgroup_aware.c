// SPDX-License-Identifier: GPL-2.0
/*
 * tools/oom_ext oom_cgroup_aware, run as a user runs it: the built loader
 * attached to a test memcg, one rule per test.
 *
 * Each scenario is a small tree below the domain "ca" (no swap): tasks
 * that hold a fixed amount of memory, all started before the loader, then,
 * with the loader attached, the domain's memory.max lowered below their
 * sum. Nothing grows while the policy watches, so these are the size
 * rules (growth.c has the growth rule). The test waits for the victims to
 * die (waitpid), checks that every other task lives, and that the
 * domain's memory.events counted exactly those kills.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <bpf/bpf.h>

#include "oom_test.h"
#include "policy_util.h"
#include "util.h"

#define CA_MAX_GROUPS	8
#define CA_MAX_TASKS	8

struct ca_task {
	const char *cg;		/* below the domain */
	long mib;
	int adj;
};

struct ca_case {
	const char *max;			/* the domain's memory.max, set last */
	const char *groups[CA_MAX_GROUPS];	/* created in order */
	const char *set[4][3];			/* { group, file, value } */
	struct ca_task tasks[CA_MAX_TASKS];
	const char *args[12];			/* loader options; PATHs below the domain */
	const char *explains;			/* expected in the first level's line */
	unsigned int victims;			/* bit i: tasks[i] must die */
	/*
	 * memory.oom.group=1 on this group: the kernel kills the group in one
	 * go and counts it in oom_group_kill. Its oom_kill count may include
	 * the first victim twice (killed, then met again by the group scan
	 * if it has not exited yet).
	 */
	const char *oom_group;
	/* { group, name, value }: user.* xattrs set before the loader starts */
	const char *xattrs[3][3];
	/*
	 * { group, name, value }: an xattr set (or removed, NULL value) once
	 * the loader runs; then the test waits for the loader's line that
	 * contains late_seen.
	 */
	const char *late_xattr[3];
	const char *late_seen;
	const char *nobody_owns;	/* chown this group to nobody, who sets its xattrs */
	bool nobody_owns_domain;	/* the attach cgroup too */
};

struct ca {
	char *dom;
	struct ot_child kids[CA_MAX_TASKS];
	int nr_kids;
	struct ot_proc loader;
	char paths[12][256];
};

static enum oom_test_status setup_ca(void **ctx)
{
	struct ca *t = calloc(1, sizeof(*t));
	int i;

	if (!t)
		OT_FAIL("no memory");
	for (i = 0; i < CA_MAX_TASKS; i++)
		t->kids[i].pid = -1;
	t->loader.out = -1;
	t->loader.err = -1;
	t->dom = ot_cg_create("ca");
	if (!t->dom || ot_cg_write(t->dom, "memory.swap.max", "0") ||
	    ot_cg_write(t->dom, "cgroup.subtree_control", "+memory")) {
		if (t->dom)
			ot_cg_destroy(t->dom);
		OT_FAIL("cannot set up the domain memcg");
	}
	*ctx = t;
	return OOM_TEST_PASS;
}

static void cleanup_ca(void *ctx)
{
	struct ca *t = ctx;
	int i;

	ot_proc_kill(&t->loader);
	for (i = 0; i < CA_MAX_TASKS; i++)
		ot_child_reap(&t->kids[i]);
	ot_cg_destroy(t->dom);
	free(t->dom);
	free(t);
}

static const char *ca_path(struct ca *t, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->dom, rel);
	return buf;
}

#define NOBODY	65534

/* setxattr() as root, or as nobody in a child when @as_nobody. */
static int set_xattr(const char *path, const char *name, const char *value, bool as_nobody)
{
	int status;
	pid_t pid;

	if (!as_nobody)
		return setxattr(path, name, value, strlen(value), 0);
	fflush(stdout);
	pid = fork();
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(100);
		_exit(setxattr(path, name, value, strlen(value), 0) ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	errno = WEXITSTATUS(status);
	return errno ? -1 : 0;
}

/* Create the groups and apply the settings of @c; the memory stays free. */
static enum oom_test_status build_tree(struct ca *t, const struct ca_case *c)
{
	char path[512], parent[512];
	int i;

	OT_ASSERT(!ot_cg_write(t->dom, "memory.max", "max"), "memory.max");
	for (i = 0; i < CA_MAX_GROUPS && c->groups[i]; i++) {
		char *slash;

		ca_path(t, c->groups[i], path, sizeof(path));
		OT_ASSERT(!mkdir(path, 0755), "mkdir %s: %s", path, strerror(errno));
		snprintf(parent, sizeof(parent), "%s", path);
		slash = strrchr(parent, '/');
		*slash = '\0';
		if (strcmp(parent, t->dom))
			ot_cg_write(parent, "cgroup.subtree_control", "+memory");
	}
	for (i = 0; i < 4 && c->set[i][0]; i++) {
		ca_path(t, c->set[i][0], path, sizeof(path));
		OT_ASSERT(!ot_cg_write(path, c->set[i][1], "%s", c->set[i][2]), "%s/%s",
			  c->set[i][0], c->set[i][1]);
	}
	if (c->nobody_owns_domain)
		OT_ASSERT(!chown(t->dom, NOBODY, NOBODY), "chown: %s", strerror(errno));
	if (c->nobody_owns) {
		ca_path(t, c->nobody_owns, path, sizeof(path));
		OT_ASSERT(!chown(path, NOBODY, NOBODY), "chown: %s", strerror(errno));
	}
	for (i = 0; i < 3 && c->xattrs[i][0]; i++) {
		bool nobody = c->nobody_owns && !strcmp(c->xattrs[i][0], c->nobody_owns);

		ca_path(t, c->xattrs[i][0], path, sizeof(path));
		OT_ASSERT(!set_xattr(path, c->xattrs[i][1], c->xattrs[i][2], nobody),
			  "setxattr %s %s as %s: %s", c->xattrs[i][0], c->xattrs[i][1],
			  nobody ? "nobody" : "root", strerror(errno));
	}
	return OOM_TEST_PASS;
}

/* Start every task of @c. */
static enum oom_test_status start_tasks(struct ca *t, const struct ca_case *c)
{
	char path[512];
	int i;

	for (i = 0; i < CA_MAX_TASKS && c->tasks[i].cg; i++) {
		struct ot_hog hog = { .mib = c->tasks[i].mib, .adj = c->tasks[i].adj };

		ca_path(t, c->tasks[i].cg, path, sizeof(path));
		OT_ASSERT(!ot_child_spawn_hog(&t->kids[i], path, &hog),
			  "task %d (%s) did not start", i, c->tasks[i].cg);
	}
	t->nr_kids = i;
	return OOM_TEST_PASS;
}

/*
 * The OOM: the domain's memory.max lowered below what its tasks hold. The
 * write reclaims (nothing: no swap), then declares the memcg OOM and
 * returns once the kill brought the usage under the limit.
 */
static void squeeze(struct ca *t, const struct ca_case *c)
{
	if (ot_cg_write(t->dom, "memory.max", "%s", c->max))
		ot_info("memory.max %s: %s", c->max, strerror(errno));
}

/* The loader's argv: -c DOMAIN -i 0, then @c's options with PATHs resolved. */
static void loader_args(struct ca *t, const struct ca_case *c, bool dry_run,
			const char *argv[16])
{
	int i, n = 0;

	argv[n++] = "-i";
	argv[n++] = "0";
	argv[n++] = "-c";
	argv[n++] = t->dom;
	if (dry_run)
		argv[n++] = "-n";
	for (i = 0; i < 10 && c->args[i]; i++) {
		if (c->args[i][0] == '-') {
			argv[n++] = c->args[i];
		} else {
			ca_path(t, c->args[i], t->paths[i], sizeof(t->paths[i]));
			argv[n++] = t->paths[i];
		}
	}
	argv[n] = NULL;
}

/*
 * Run scenario @c with the loader: the tasks in c->victims die by SIGKILL,
 * all others live, the domain counted that many kills, and the loader
 * named the first victim.
 */
static enum oom_test_status run_case(struct ca *t, const struct ca_case *c)
{
	int i, sig, nr_victims = 0, first = -1;
	const char *argv[16];
	enum oom_test_status st;
	char path[512], line[512], want[64];
	long long kills, before;

	before = ot_cg_read_key(t->dom, "memory.events", "oom_kill");
	st = build_tree(t, c);
	if (!st)
		st = start_tasks(t, c);
	if (st)
		return st;
	loader_args(t, c, false, argv);
	st = ot_loader_start(&t->loader, "oom_cgroup_aware", argv, 0);
	if (!st)
		st = ot_loader_attached(&t->loader);
	if (st)
		return st;
	if (c->late_xattr[0]) {
		ca_path(t, c->late_xattr[0], path, sizeof(path));
		OT_ASSERT(c->late_xattr[2] ?
			  !set_xattr(path, c->late_xattr[1], c->late_xattr[2], false) :
			  !removexattr(path, c->late_xattr[1]),
			  "%s %s: %s", c->late_xattr[0], c->late_xattr[1], strerror(errno));
		OT_ASSERT(ot_proc_read_until(t->loader.out, c->late_seen, line, sizeof(line),
					     OT_TIMEOUT_MS),
			  "the loader did not report \"%s\"", c->late_seen);
		ot_info("%s", line);
	}
	squeeze(t, c);

	for (i = 0; i < t->nr_kids; i++) {
		if (!(c->victims & (1U << i)))
			continue;
		if (first < 0)
			first = i;
		nr_victims++;
		sig = ot_child_wait_death(&t->kids[i], OT_TIMEOUT_MS);
		OT_ASSERT(sig == SIGKILL, "task %d (%s, %ld MiB) ended with %d", i,
			  c->tasks[i].cg, c->tasks[i].mib, sig);
	}
	OT_ASSERT(ot_proc_read_until(t->loader.out, "killed pid", line, sizeof(line),
				     OT_TIMEOUT_MS), "the loader reported no kill");
	ot_info("%s", line);
	snprintf(want, sizeof(want), "killed pid %d ", t->kids[first].pid);
	OT_ASSERT(strstr(line, want), "expected \"%s\"", want);
	if (c->explains) {
		OT_ASSERT(ot_proc_read_until(t->loader.out, "  in ", line, sizeof(line),
					     OT_TIMEOUT_MS), "no explanation line");
		ot_info("%s", line);
		OT_ASSERT(strstr(line, c->explains), "expected \"%s\"", c->explains);
	}
	for (i = 0; i < t->nr_kids; i++)
		OT_ASSERT((c->victims & (1U << i)) || ot_child_alive(&t->kids[i]),
			  "task %d (%s, %ld MiB) died", i, c->tasks[i].cg, c->tasks[i].mib);
	kills = ot_cg_read_key(t->dom, "memory.events", "oom_kill") - before;
	if (c->oom_group) {
		ca_path(t, c->oom_group, path, sizeof(path));
		OT_ASSERT(ot_cg_read_key(path, "memory.events", "oom_group_kill") == 1,
			  "%s: memory.events oom_group_kill", c->oom_group);
		OT_ASSERT(kills == nr_victims || kills == nr_victims + 1,
			  "memory.events oom_kill %lld, expected %d (+1)", kills, nr_victims);
	} else {
		OT_ASSERT(kills == nr_victims, "memory.events oom_kill %lld, expected %d", kills,
			  nr_victims);
	}
	return OOM_TEST_PASS;
}

#define CA_TEST(_name, _desc, _case)				\
static enum oom_test_status run_##_name(void *ctx)		\
{								\
	static const struct ca_case c = _case;			\
	return run_case(ctx, &c);				\
}								\
static struct oom_test test_##_name = {				\
	.name = "cgroup_aware_" #_name,				\
	.description = _desc,					\
	.setup = setup_ca,					\
	.run = run_##_name,					\
	.cleanup = cleanup_ca,					\
};								\
REGISTER_OOM_TEST(&test_##_name)

/* The kernel alone would kill B's 60 MiB task, the largest process. */
CA_TEST(split_does_not_evade,
	"a workload split into three 30 MiB sub-cgroups loses to nothing smaller: A's subtree is chosen over a 60 MiB B",
	((struct ca_case){
		.max = "160M",
		.groups = { "A", "A/a1", "A/a2", "A/a3", "B", "T" },
		.tasks = { { "A/a1", 32 }, { "A/a2", 30 }, { "A/a3", 28 }, { "B", 60 },
			   { "T", 20 } },
		.explains = "ca: chose A (",
		.victims = 1 << 0,
	}))

CA_TEST(memory_low_protects,
	"memory.low covering A's usage moves the choice from A (60 MiB) to B (40 MiB)",
	((struct ca_case){
		.max = "110M",
		.groups = { "A", "B", "T" },
		.set = { { "A", "memory.low", "64M" } },
		.tasks = { { "A", 60 }, { "B", 40 }, { "T", 20 } },
		.victims = 1 << 1,
	}))

CA_TEST(prefer,
	"--prefer B makes B (30 MiB) the victim over A (60 MiB)",
	((struct ca_case){
		.max = "100M",
		.groups = { "A", "B", "T" },
		.tasks = { { "A", 60 }, { "B", 30 }, { "T", 20 } },
		.args = { "--prefer", "B" },
		.explains = "chose B [prefer] (",
		.victims = 1 << 1,
	}))

CA_TEST(avoid,
	"--avoid A makes B (30 MiB) the victim over A (60 MiB)",
	((struct ca_case){
		.max = "100M",
		.groups = { "A", "B", "T" },
		.tasks = { { "A", 60 }, { "B", 30 }, { "T", 20 } },
		.args = { "--avoid", "A" },
		.victims = 1 << 1,
	}))

CA_TEST(omit,
	"--omit A: A (60 MiB) is never chosen, B (30 MiB) is",
	((struct ca_case){
		.max = "100M",
		.groups = { "A", "B", "T" },
		.tasks = { { "A", 60 }, { "B", 30 }, { "T", 20 } },
		.args = { "--omit", "A" },
		.victims = 1 << 1,
	}))

CA_TEST(oom_group,
	"memory.oom.group=1 on the chosen A kills its three tasks and nothing else",
	((struct ca_case){
		.max = "110M",
		.groups = { "A", "A/a1", "B", "T" },
		.set = { { "A", "memory.oom.group", "1" } },
		.tasks = { { "A/a1", 24 }, { "A/a1", 20 }, { "A/a1", 16 }, { "B", 40 },
			   { "T", 20 } },
		.victims = 1 << 0 | 1 << 1 | 1 << 2,
		.oom_group = "A",
	}))

CA_TEST(group_kill,
	"--group-kill A kills every task of A and its sub-cgroups, and nothing else",
	((struct ca_case){
		.max = "110M",
		.groups = { "A", "A/a1", "A/a2", "B", "T" },
		.tasks = { { "A/a1", 24 }, { "A/a1", 20 }, { "A/a2", 16 }, { "B", 40 },
			   { "T", 20 } },
		.args = { "--group-kill", "A" },
		.victims = 1 << 0 | 1 << 1 | 1 << 2,
	}))

CA_TEST(group_kill_all,
	"--group-kill-all kills every task of the leaf the choice ends in, and nothing else",
	((struct ca_case){
		.max = "115M",
		.groups = { "A", "B", "T" },
		.tasks = { { "A", 25 }, { "A", 20 }, { "A", 20 }, { "B", 40 }, { "T", 20 } },
		.args = { "--group-kill-all" },
		.victims = 1 << 0 | 1 << 1 | 1 << 2,
	}))

CA_TEST(single_task,
	"without group kill, only the largest task of the chosen cgroup dies",
	((struct ca_case){
		.max = "115M",
		.groups = { "A", "B", "T" },
		.tasks = { { "A", 20 }, { "A", 25 }, { "A", 20 }, { "B", 40 }, { "T", 20 } },
		.victims = 1 << 1,
	}))

CA_TEST(oom_score_adj_min_survives,
	"a 40 MiB oom_score_adj=-1000 task in the chosen cgroup survives; its 20 MiB neighbour dies",
	((struct ca_case){
		.max = "100M",
		.groups = { "A", "B", "T" },
		.tasks = { { "A", 40, -1000 }, { "A", 20 }, { "B", 30 }, { "T", 20 } },
		.victims = 1 << 1,
	}))

/*
 * The marks systemd writes for ManagedOOMPreference= count as --avoid and
 * --omit: A (160 MiB) scores 20 and is runner-up to B; C is out. Without
 * them A goes.
 */
#define XATTR_TREE							\
	.max = "262M",							\
	.groups = { "A", "B", "C", "T" },				\
	.xattrs = { { "A", "user.oomd_avoid", "1" },			\
		    { "C", "user.oomd_omit", "1" } },			\
	.tasks = { { "A", 160 }, { "B", 30 }, { "C", 60 }, { "T", 16 } }

CA_TEST(xattr_avoid_omit,
	"user.oomd_avoid on A (160 MiB) and user.oomd_omit on C (60 MiB): B (30 MiB) dies",
	((struct ca_case){
		XATTR_TREE,
		.explains = "over A [avoid: xattr]",
		.victims = 1 << 1,
	}))

CA_TEST(xattr_no_xattrs,
	"--no-xattrs: the same marks are ignored and A (160 MiB) dies",
	((struct ca_case){
		XATTR_TREE,
		.args = { "--no-xattrs" },
		.victims = 1 << 0,
	}))

/*
 * oomd's trusted.oomd_* marks, which the loader copies into the policy's
 * settings: A (160 MiB) avoided scores 20, below C (60 MiB). Without the
 * mark A goes.
 */
#define TRUSTED_TREE							\
	.max = "242M",							\
	.groups = { "A", "B", "C", "T" },				\
	.tasks = { { "A", 160 }, { "B", 10 }, { "C", 60 }, { "T", 16 } }

CA_TEST(xattr_trusted_avoid,
	"trusted.oomd_avoid on A (160 MiB), set before the loader starts: C (60 MiB) dies",
	((struct ca_case){
		TRUSTED_TREE,
		.xattrs = { { "A", "trusted.oomd_avoid", "1" } },
		.explains = "over A [avoid: xattr]",
		.victims = 1 << 2,
	}))

CA_TEST(xattr_trusted_no_xattrs,
	"--no-xattrs: the same trusted.oomd_avoid is ignored and A dies",
	((struct ca_case){
		TRUSTED_TREE,
		.xattrs = { { "A", "trusted.oomd_avoid", "1" } },
		.args = { "--no-xattrs" },
		.victims = 1 << 0,
	}))

CA_TEST(xattr_trusted_set_later,
	"trusted.oomd_avoid set on A while the loader runs is picked up by its rescan: C dies",
	((struct ca_case){
		TRUSTED_TREE,
		.late_xattr = { "A", "trusted.oomd_avoid", "1" },
		.late_seen = "(trusted.oomd_avoid)",
		.explains = "over A [avoid: xattr]",
		.victims = 1 << 2,
	}))

CA_TEST(xattr_trusted_removed,
	"trusted.oomd_avoid removed from A while the loader runs no longer counts: A dies",
	((struct ca_case){
		TRUSTED_TREE,
		.xattrs = { { "A", "trusted.oomd_avoid", "1" } },
		.late_xattr = { "A", "trusted.oomd_avoid", NULL },
		.late_seen = "unmarked",
		.victims = 1 << 0,
	}))

CA_TEST(xattr_untrusted_owner,
	"user.oomd_omit set by nobody on A, which nobody owns below a root-owned domain, is ignored: A (60 MiB) dies",
	((struct ca_case){
		.max = "110M",
		.groups = { "A", "B", "T" },
		.nobody_owns = "A",
		.xattrs = { { "A", "user.oomd_omit", "1" } },
		.tasks = { { "A", 60 }, { "B", 30 }, { "T", 20 } },
		.victims = 1 << 0,
	}))

CA_TEST(xattr_delegated_owner,
	"the same mark counts when nobody also owns the attach cgroup: B (30 MiB) dies",
	((struct ca_case){
		.max = "110M",
		.groups = { "A", "B", "T" },
		.nobody_owns = "A",
		.nobody_owns_domain = true,
		.xattrs = { { "A", "user.oomd_omit", "1" } },
		.tasks = { { "A", 60 }, { "B", 30 }, { "T", 20 } },
		.victims = 1 << 1,
	}))

/*
 * A dry run names the victim and lets the kernel act; the same tree with a
 * real run then kills that victim. The kernel's own choice differs (B's
 * 40 MiB task is the largest process), which shows the dry run killed
 * nothing itself.
 */
static const struct ca_case dry_case = {
	.max = "110M",
	.groups = { "A", "A/a1", "A/a2", "B", "T" },
	.tasks = { { "A/a1", 32 }, { "A/a2", 28 }, { "B", 40 }, { "T", 20 } },
	.victims = 1 << 0,
};

static enum oom_test_status run_dry_run(void *ctx)
{
	struct ca *t = ctx;
	const char *argv[16];
	enum oom_test_status st;
	char path[512], line[512], want[64], report[1024], kernel_kill[64];
	int kmsg, sig, i, said, found;

	st = build_tree(t, &dry_case);
	if (!st)
		st = start_tasks(t, &dry_case);
	if (st)
		return st;
	loader_args(t, &dry_case, true, argv);
	st = ot_loader_start(&t->loader, "oom_cgroup_aware", argv, 0);
	if (!st)
		st = ot_loader_attached(&t->loader);
	if (st)
		return st;
	kmsg = ot_kmsg_open();
	squeeze(t, &dry_case);
	sig = ot_child_wait_death(&t->kids[2], OT_TIMEOUT_MS);
	said = ot_proc_read_until(t->loader.out, "would kill pid", line, sizeof(line),
				  OT_TIMEOUT_MS);
	found = ot_kmsg_wait_for(kmsg, "Killed process", report, sizeof(report), OT_TIMEOUT_MS);
	close(kmsg);
	ot_info("%s", said ? line : "no decision line");
	snprintf(want, sizeof(want), "would kill pid %d ", t->kids[0].pid);
	snprintf(kernel_kill, sizeof(kernel_kill), "Killed process %d ", t->kids[2].pid);
	OT_ASSERT(said && strstr(line, want), "the dry run did not name A/a1's task");
	OT_ASSERT(sig == SIGKILL, "the kernel's victim (B) ended with %d", sig);
	OT_ASSERT(found && strstr(report, kernel_kill) &&
		  strstr(report, "Memory cgroup out of memory"),
		  "not the kernel's own kill of B: %s", found ? report : "no report");
	OT_ASSERT(ot_child_alive(&t->kids[0]) && ot_child_alive(&t->kids[1]),
		  "A's tasks died in a dry run");

	/* The same tree again, for real. */
	ot_proc_kill(&t->loader);
	for (i = 0; i < CA_MAX_TASKS; i++)
		ot_child_reap(&t->kids[i]);
	ot_cg_write(t->dom, "cgroup.kill", "1");
	for (i = 4; i >= 0; i--) {
		ca_path(t, dry_case.groups[i], path, sizeof(path));
		ot_cg_wait_unpopulated(path, OT_TIMEOUT_MS);
		rmdir(path);
	}
	return run_case(t, &dry_case);
}

static struct oom_test dry_run = {
	.name = "cgroup_aware_dry_run",
	.description =
		"-n names A/a1's task and the kernel kills its own choice (B); a real run then kills the named one",
	.setup = setup_ca,
	.run = run_dry_run,
	.cleanup = cleanup_ca,
};

REGISTER_OOM_TEST(&dry_run)

/* Only an oom_score_adj=-1000 task in the chosen cgroup: pass, the kernel acts. */
static enum oom_test_status run_nothing_eligible(void *ctx)
{
	static const struct ca_case c = {
		.max = "100M",
		.groups = { "A", "B", "T" },
		.tasks = { { "A", 60, -1000 }, { "B", 30 }, { "T", 20 } },
	};
	struct ca *t = ctx;
	const char *argv[16];
	enum oom_test_status st;
	char line[512], report[1024], kernel_kill[64];
	int kmsg, sig, said, found;

	st = build_tree(t, &c);
	if (!st)
		st = start_tasks(t, &c);
	if (st)
		return st;
	loader_args(t, &c, false, argv);
	st = ot_loader_start(&t->loader, "oom_cgroup_aware", argv, 0);
	if (!st)
		st = ot_loader_attached(&t->loader);
	if (st)
		return st;
	kmsg = ot_kmsg_open();
	squeeze(t, &c);
	sig = ot_child_wait_death(&t->kids[1], OT_TIMEOUT_MS);
	said = ot_proc_read_until(t->loader.out, "passed", line, sizeof(line), OT_TIMEOUT_MS);
	found = ot_kmsg_wait_for(kmsg, "Killed process", report, sizeof(report), OT_TIMEOUT_MS);
	close(kmsg);
	snprintf(kernel_kill, sizeof(kernel_kill), "Killed process %d ", t->kids[1].pid);
	OT_ASSERT(said && strstr(line, "nothing killable"), "the loader said: %s",
		  said ? line : "nothing");
	OT_ASSERT(sig == SIGKILL, "B ended with %d", sig);
	OT_ASSERT(found && strstr(report, kernel_kill) &&
		  strstr(report, "Memory cgroup out of memory"),
		  "not the kernel's kill of B: %s", found ? report : "no report");
	OT_ASSERT(ot_child_alive(&t->kids[0]), "the oom_score_adj=-1000 task died");
	return OOM_TEST_PASS;
}

static struct oom_test nothing_eligible = {
	.name = "cgroup_aware_nothing_eligible",
	.description =
		"when the chosen cgroup holds only an oom_score_adj=-1000 task the policy passes and the kernel kills",
	.setup = setup_ca,
	.run = run_nothing_eligible,
	.cleanup = cleanup_ca,
};

REGISTER_OOM_TEST(&nothing_eligible)

/* How many "cgroup_config" maps hold an entry for @cgid. */
static int config_entries(__u64 cgid)
{
	__u32 id = 0, flags;
	int found = 0;

	while (!bpf_map_get_next_id(id, &id)) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (!bpf_map_get_info_by_fd(fd, &info, &len) &&
		    !strcmp(info.name, "cgroup_config") &&
		    !bpf_map_lookup_elem(fd, &cgid, &flags))
			found++;
		close(fd);
	}
	return found;
}

static enum oom_test_status run_removed(void *ctx)
{
	struct ca *t = ctx;
	char a[512], b[512];
	const char *const argv[] = { "-i", "0", "-c", t->dom, "--avoid", a, "--prefer", b,
				     NULL };
	enum oom_test_status st;
	long long ida, idb;
	int round;

	/* A few rounds: each loader run stores, each rmdir must drop. */
	for (round = 0; round < 3; round++) {
		ca_path(t, "A", a, sizeof(a));
		ca_path(t, "B", b, sizeof(b));
		OT_ASSERT(!mkdir(a, 0755) && !mkdir(b, 0755), "mkdir: %s", strerror(errno));
		ida = ot_cg_id(a);
		idb = ot_cg_id(b);
		st = ot_loader_start(&t->loader, "oom_cgroup_aware", argv, 0);
		if (!st)
			st = ot_loader_attached(&t->loader);
		if (st)
			return st;
		OT_ASSERT(config_entries(ida) == 1 && config_entries(idb) == 1,
			  "round %d: the configuration is not stored", round);
		OT_ASSERT(!rmdir(a) && !rmdir(b), "rmdir: %s", strerror(errno));
		OT_ASSERT(config_entries(ida) == 0 && config_entries(idb) == 0,
			  "round %d: a removed cgroup left its entry", round);
		ot_proc_kill(&t->loader);
	}
	return OOM_TEST_PASS;
}

static struct oom_test removed = {
	.name = "cgroup_aware_config_removed",
	.description =
		"--avoid/--prefer entries are stored by cgroup id and dropped when the cgroup is removed",
	.setup = setup_ca,
	.run = run_removed,
	.cleanup = cleanup_ca,
};

REGISTER_OOM_TEST(&removed)

static enum oom_test_status run_bad_input(void *ctx)
{
	struct ca *t = ctx;
	char a[512], outside[512];
	const char *const missing[] = { "-c", t->dom, "--prefer", "/sys/fs/cgroup/nope", NULL };
	const char *const notcg[] = { "-c", t->dom, "--omit", "/tmp", NULL };
	const char *const notbelow[] = { "-c", a, "--avoid", outside, NULL };
	const char *const both[] = { "-c", t->dom, "--prefer", a, "--avoid", a, NULL };
	const char *const noarg[] = { "-c", t->dom, "--group-kill", NULL };
	const struct {
		const char *const *args;
		const char *why;	/* in the one line on stderr */
	} cases[] = {
		{ missing, "No such file" },
		{ notcg, "not a cgroup v2 directory" },
		{ notbelow, "not below the attach cgroup" },
		{ both, "also given to --prefer" },
		{ noarg, "needs an argument" },
	};
	enum oom_test_status st = OOM_TEST_PASS;
	unsigned int i;

	ca_path(t, "A", a, sizeof(a));
	ca_path(t, "B", outside, sizeof(outside));
	OT_ASSERT(!mkdir(a, 0755) && !mkdir(outside, 0755), "mkdir: %s", strerror(errno));
	for (i = 0; i < ARRAY_SIZE(cases) && !st; i++)
		st = ot_loader_rejects(&t->loader, "oom_cgroup_aware", cases[i].args, 0,
				       cases[i].why);
	if (st)
		return st;
	OT_ASSERT(ot_listing_count() == 0, "something got attached");
	OT_ASSERT(config_entries(ot_cg_id(a)) == 0, "a configuration was stored");
	return OOM_TEST_PASS;
}

static struct oom_test bad_input = {
	.name = "cgroup_aware_bad_input",
	.description =
		"missing, non-cgroup, outside and contradictory PATHs, a missing argument: one line, non-zero exit, nothing attached",
	.setup = setup_ca,
	.run = run_bad_input,
	.cleanup = cleanup_ca,
};

REGISTER_OOM_TEST(&bad_input)
