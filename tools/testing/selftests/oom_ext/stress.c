// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: many OOMs under each reference policy, attach and detach while
 * OOMs run, loaders SIGKILLed in the middle of OOMs, cgroup mkdir/rmdir
 * storms racing detach, and policies that lie, stall or return garbage.
 * The kernel must resolve every OOM, and each test ends with nothing
 * attached, no PSI trigger left and every removed cgroup released.
 *
 * OOM_EXT_STRESS_N sets the rounds: 10 by default (a smoke run in `make
 * test`), 1000 for `make stress`. Rounds that start a loader, which loads
 * its BPF object each time, and those that stall in a handler, run a tenth
 * as often.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>

#include "holders.h"
#include "oom_test.h"
#include "policy_util.h"
#include "psi_ops.h"
#include "psi_ops.bpf.skel.h"
#include "util.h"

#define PSI_LISTING	"/sys/kernel/debug/bpf_psi"

static int rounds(int div)
{
	const char *s = getenv("OOM_EXT_STRESS_N");
	int n = s ? atoi(s) : 0;

	n = (n > 0 ? n : 10) / div;
	return n > 3 ? n : 3;
}

static enum oom_test_status setup_stress(void **ctx)
{
	char *cg = ot_cg_create("stress");

	if (!cg || ot_cg_write(cg, "cgroup.subtree_control", "+memory")) {
		if (cg)
			ot_cg_destroy(cg);
		free(cg);
		OT_FAIL("cannot create the stress cgroup");
	}
	*ctx = cg;
	return OOM_TEST_PASS;
}

static void cleanup_stress(void *ctx)
{
	ot_cg_destroy(ctx);
	free(ctx);
}

/* A memcg of 16M without swap under @parent; NULL on failure. */
static char *small_memcg(const char *parent, const char *name)
{
	char rel[128], *cg;

	snprintf(rel, sizeof(rel), "%s/%s", parent + strlen(CG_TEST_ROOT "/"), name);
	cg = ot_cg_create(rel);
	if (cg && !ot_cg_write(cg, "memory.max", "16M") && !ot_cg_write(cg, "memory.swap.max", "0"))
		return cg;
	free(cg);
	return NULL;
}

/* One memcg OOM: a task grows in @cg until something kills it. */
static int one_oom(const char *cg)
{
	struct ot_hog grow = { .grow = true };
	struct ot_child hog;
	int sig;

	if (ot_child_spawn_hog(&hog, cg, &grow))
		return -1;
	sig = ot_child_wait_death(&hog, OT_TIMEOUT_MS);
	ot_child_reap(&hog);
	return sig;
}

/* Attachments and triggers in the bpf_psi listing. */
static void psi_counts(int *att, int *trig)
{
	char line[256];
	FILE *f = fopen(PSI_LISTING, "r");

	*att = *trig = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (line[0] == ' ')
			(*trig)++;
		else
			(*att)++;
	}
	if (f)
		fclose(f);
}

/*
 * Nothing attached, no trigger, and every cgroup removed under @parent
 * released. None of them has an event to wait on: bounded polling.
 */
static enum oom_test_status check_clean(const char *parent)
{
	int oom = -1, att = -1, trig = -1, i;
	long long dying = -1;

	for (i = 0; i < 600; i++) {
		oom = ot_listing_count();
		psi_counts(&att, &trig);
		dying = ot_cg_read_key(parent, "cgroup.stat", "nr_dying_descendants");
		if (!oom && !att && !trig && !dying)
			break;
		usleep(50000);
	}
	/*
	 * A removed memcg also stays while pages are still charged to it
	 * (folios waiting in a per-CPU LRU batch, page cache): the kernel
	 * frees it once they are gone, which reclaim forces. A leaked
	 * reference survives reclaim.
	 */
	if (dying > 0) {
		ot_info("%lld removed cgroups left after 30 s; reclaiming the parent", dying);
		ot_cg_write(parent, "memory.reclaim", "1G");
		for (i = 0; i < 200 && dying > 0; i++) {
			usleep(50000);
			dying = ot_cg_read_key(parent, "cgroup.stat", "nr_dying_descendants");
		}
	}
	if (dying > 0)
		dying = ot_explain_dying(parent);
	OT_ASSERT(oom == 0, "%d bpf_oom_ops still attached", oom);
	OT_ASSERT(att == 0 && trig == 0, "%d bpf_psi_ops attached, %d triggers left", att, trig);
	OT_ASSERT(dying == 0, "%lld removed cgroups not released", dying);
	return OOM_TEST_PASS;
}

/* Read what a loader printed so far, so that its pipe never fills. */
static void drain(int fd)
{
	char buf[4096];

	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/*
 * @n OOMs in @cg; each must end with the task SIGKILLed. @p is the loader
 * that handles them, or NULL.
 */
static enum oom_test_status ooms(const char *cg, int n, const char *what, struct ot_proc *p)
{
	int i, sig;

	for (i = 0; i < n; i++) {
		sig = one_oom(cg);
		OT_ASSERT(sig == SIGKILL, "%s: OOM %d ended with %d", what, i, sig);
		if (p) {
			drain(p->out);
			drain(p->err);
		}
	}
	return OOM_TEST_PASS;
}

static enum oom_test_status stop_loader(struct ot_proc *p)
{
	kill(p->pid, SIGINT);
	OT_ASSERT(ot_proc_wait(p, OT_TIMEOUT_MS) == 0, "the loader did not exit on SIGINT");
	OT_ASSERT(WIFEXITED(p->status) && !WEXITSTATUS(p->status), "the loader failed: %#x",
		  p->status);
	return OOM_TEST_PASS;
}

/* Many memcg OOMs under each reference policy, run as a user runs it. */
static enum oom_test_status run_policy_ooms(void *ctx)
{
	static const char *const tools[] = { "oom_simple", "oom_cgroup_aware" };
	enum oom_test_status st = OOM_TEST_PASS;
	unsigned int i;
	int n = rounds(1);

	for (i = 0; i < 2 && st == OOM_TEST_PASS; i++) {
		char *cg = small_memcg(ctx, tools[i]);
		const char *const args[] = { "-c", cg, NULL };
		struct ot_proc p;

		OT_ASSERT(cg, "cannot create the memcg");
		st = ot_loader_start(&p, tools[i], args, 0);
		if (st == OOM_TEST_PASS) {
			st = ot_loader_attached(&p);
			if (st == OOM_TEST_PASS)
				st = ooms(cg, n, tools[i], &p);
			if (st == OOM_TEST_PASS)
				st = stop_loader(&p);
			else
				ot_proc_kill(&p);
		}
		if (st == OOM_TEST_PASS && ot_cg_read_key(cg, "memory.events", "oom_kill") != n) {
			ot_info("%s: oom_kill %lld after %d OOMs", tools[i],
				ot_cg_read_key(cg, "memory.events", "oom_kill"), n);
			st = OOM_TEST_FAIL;
		}
		ot_cg_destroy(cg);
		free(cg);
	}
	ot_info("%d OOMs under each of oom_simple and oom_cgroup_aware", n);
	return st ?: check_clean(ctx);
}

static struct oom_test policy_ooms = {
	.name = "stress_policy_ooms",
	.description = "memcg OOMs under oom_simple, then oom_cgroup_aware: one kill each",
	.setup = setup_stress,
	.run = run_policy_ooms,
	.cleanup = cleanup_stress,
};

REGISTER_OOM_TEST(&policy_ooms)

/*
 * Kill the oomer and the hog it was running, and reap both: the hog, an
 * orphan once the oomer is dead, is ours because the runner is a child
 * subreaper. A hog left to init stays a zombie, with its cgroups, until
 * init reaps it. Returns the oomer's wait status.
 */
static int stop_oomer(pid_t oomer)
{
	int status = 0, st;
	pid_t pid;

	kill(-oomer, SIGKILL);
	while ((pid = waitpid(-oomer, &st, 0)) > 0)
		if (pid == oomer)
			status = st;
	return status;
}

/*
 * A child that keeps causing OOMs in @cg until killed, leader of its own
 * process group so that stop_oomer() kills its current hog with it.
 */
static pid_t start_oomer(const char *cg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid > 0)
		setpgid(pid, pid);
	if (!pid) {
		setpgid(0, 0);
		for (;;)
			if (one_oom(cg) != SIGKILL)
				_exit(1);
	}
	return pid;
}

static enum oom_test_status run_attach_detach(void *ctx)
{
	char *cg = small_memcg(ctx, "ad");
	long long before, after;
	struct bpf_link *link;
	struct policy *skel;
	int i, j, n = rounds(1), err = 0, status = 0;
	pid_t oomer;

	OT_ASSERT(cg, "cannot create the memcg");
	skel = policy__open_and_load();
	OT_ASSERT(skel, "cannot load the test policy");
	before = ot_cg_read_key(cg, "memory.events", "oom_kill");
	oomer = start_oomer(cg);
	for (i = 0; i < n && !err && oomer > 0; i++) {
		long long kills = ot_cg_read_key(cg, "memory.events", "oom_kill");
		int j;

		skel->bss->mode = i % 3 == 0 ? MODE_CLAIM : MODE_PASS;
		err = ot_attach(skel->maps.test_ops, cg, &link);
		/*
		 * Stay attached through one OOM kill, then detach at once:
		 * the detach races the next OOM of the loop. (Bounded poll:
		 * memory.events does notify, but a kill is a few ms away.)
		 */
		for (j = 0; !err && j < 2000; j++) {
			if (ot_cg_read_key(cg, "memory.events", "oom_kill") != kills)
				break;
			usleep(2000);
		}
		bpf_link__destroy(link);
	}
	/* Let OOMs go on after the last detach: the kernel alone resolves them. */
	after = ot_cg_read_key(cg, "memory.events", "oom_kill");
	for (j = 0; j < 600 && after < before + n + 3; j++) {
		usleep(50000);
		after = ot_cg_read_key(cg, "memory.events", "oom_kill");
	}
	if (oomer > 0)
		status = stop_oomer(oomer);
	policy__destroy(skel);
	ot_cg_destroy(cg);
	free(cg);
	OT_ASSERT(oomer > 0, "fork failed");
	OT_ASSERT(!err, "attach %d failed: %s", i, strerror(-err));
	OT_ASSERT(WIFSIGNALED(status), "the OOM loop stopped: an OOM was not resolved");
	OT_ASSERT(after >= before + n + 3, "%lld OOM kills for %d attach/detach cycles",
		  after - before, n);
	ot_info("%d attach/detach cycles, %lld OOM kills meanwhile", n, after - before);
	return check_clean(ctx);
}

static struct oom_test attach_detach = {
	.name = "stress_attach_detach_during_ooms",
	.description = "attach/detach cycles while OOMs keep coming in the memcg",
	.setup = setup_stress,
	.run = run_attach_detach,
	.cleanup = cleanup_stress,
};

REGISTER_OOM_TEST(&attach_detach)

static enum oom_test_status run_loader_sigkill(void *ctx)
{
	char *cg = small_memcg(ctx, "kill");
	struct ot_hog grow = { .grow = true };
	enum oom_test_status st = OOM_TEST_PASS;
	const char *const args[] = { "-c", cg, NULL };
	int i, n = rounds(10), sig;

	OT_ASSERT(cg, "cannot create the memcg");
	srand(time(NULL));
	for (i = 0; i < n && st == OOM_TEST_PASS; i++) {
		struct ot_child hog;
		struct ot_proc p;

		st = ot_loader_start(&p, "oom_cgroup_aware", args, 0);
		if (st != OOM_TEST_PASS)
			break;
		st = ot_loader_attached(&p);
		if (st == OOM_TEST_PASS && ot_child_spawn_hog(&hog, cg, &grow) == 0) {
			/* Somewhere in the OOM: before, while or after it is handled. */
			usleep(rand() % 40000);
			ot_proc_kill(&p);
			sig = ot_child_wait_death(&hog, OT_TIMEOUT_MS);
			ot_child_reap(&hog);
			if (sig != SIGKILL) {
				ot_info("round %d: the task ended with %d", i, sig);
				st = OOM_TEST_FAIL;
			}
		} else {
			ot_proc_kill(&p);
		}
	}
	ot_cg_destroy(cg);
	free(cg);
	ot_info("%d loaders SIGKILLed during OOMs", i);
	return st ?: check_clean(ctx);
}

static struct oom_test loader_sigkill = {
	.name = "stress_loader_sigkill",
	.description = "oom_cgroup_aware SIGKILLed mid-OOM: the OOM is still resolved",
	.setup = setup_stress,
	.run = run_loader_sigkill,
	.cleanup = cleanup_stress,
};

REGISTER_OOM_TEST(&loader_sigkill)

/* Create and remove children of @parent until killed. */
static pid_t start_storm(const char *parent)
{
	char path[256];
	pid_t pid;
	int i;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		for (i = 0;; i++) {
			snprintf(path, sizeof(path), "%s/s%d", parent, i % 8);
			if (mkdir(path, 0755) && errno != EEXIST)
				_exit(1);
			rmdir(path);
		}
	}
	return pid;
}

static enum oom_test_status run_cgroup_storm(void *ctx)
{
	const char *const ca_args[] = { "-c", ctx, NULL };
	const char *const psi_args[] = { "--children", ctx, NULL };
	struct ot_proc ca, psi;
	enum oom_test_status st;
	char path[256];
	int i, n = rounds(1), status;
	pid_t storm;

	st = ot_loader_start(&ca, "oom_cgroup_aware", ca_args, 0);
	if (st != OOM_TEST_PASS)
		return st;
	st = ot_loader_attached(&ca);
	if (st == OOM_TEST_PASS)
		st = ot_loader_start(&psi, "oom_psi_proactive", psi_args, 0);
	if (st != OOM_TEST_PASS) {
		ot_proc_kill(&ca);
		return st;
	}
	st = ot_loader_attached(&psi);
	for (i = 0; i < n && st == OOM_TEST_PASS; i++) {
		snprintf(path, sizeof(path), "%s/c%d", (char *)ctx, i % 16);
		if (mkdir(path, 0755) || rmdir(path)) {
			ot_info("round %d: %s", i, strerror(errno));
			st = OOM_TEST_FAIL;
		}
	}
	/* The last storm races the detach of both policies. */
	storm = start_storm(ctx);
	ot_proc_kill(&psi);
	ot_proc_kill(&ca);
	if (storm > 0) {
		kill(storm, SIGKILL);
		waitpid(storm, &status, 0);
	}
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "%s/s%d", (char *)ctx, i);
		rmdir(path);
	}
	if (st != OOM_TEST_PASS)
		return st;
	ot_info("%d mkdir/rmdir rounds under oom_cgroup_aware and oom_psi_proactive --children", n);
	return check_clean(ctx);
}

static struct oom_test cgroup_storm = {
	.name = "stress_cgroup_storm",
	.description = "mkdir/rmdir storms under two policies, racing their detach",
	.setup = setup_stress,
	.run = run_cgroup_storm,
	.cleanup = cleanup_stress,
};

REGISTER_OOM_TEST(&cgroup_storm)

/* Policies that lie, stall or return garbage: the kernel resolves every OOM. */
static enum oom_test_status run_misbehaving(void *ctx)
{
	static const struct {
		int mode, div;
		const char *what;
	} m[] = {
		{ MODE_CLAIM, 1, "claims without freeing" },
		{ MODE_GARBAGE, 1, "returns 42" },
		{ MODE_HOLD, 50, "stalls as long as the verifier allows" },
	};
	enum oom_test_status st = OOM_TEST_PASS;
	struct ot_listing l = {};
	long old_timeout = -1;
	unsigned int i;

	for (i = 0; i < 3 && st == OOM_TEST_PASS; i++) {
		char *cg = small_memcg(ctx, "bad");
		struct bpf_link *link;
		struct policy *skel;
		int n = rounds(m[i].div);

		OT_ASSERT(cg, "cannot create the memcg");
		/* A stall this long would be ejected: let it run its whole length. */
		if (m[i].mode == MODE_HOLD)
			ot_sysctl_set("vm/bpf_oom_handler_timeout_ms", 60000, &old_timeout);
		skel = ot_policy_start(cg, m[i].mode, 0, &link);
		if (!skel) {
			if (old_timeout > 0)
				ot_sysctl_set("vm/bpf_oom_handler_timeout_ms", old_timeout, NULL);
			ot_cg_destroy(cg);
			free(cg);
			OT_FAIL("attach failed");
		}
		st = ooms(cg, n, m[i].what, NULL);
		if (ot_listing_find(ot_cg_id(cg), &l) != 1 || l.kills || l.handled ||
		    (m[i].mode == MODE_CLAIM && l.false_claims != l.calls)) {
			ot_info("%s: calls %lld handled %lld false claims %lld kills %lld",
				m[i].what, l.calls, l.handled, l.false_claims, l.kills);
			st = OOM_TEST_FAIL;
		}
		ot_policy_stop(skel, link);
		if (old_timeout > 0)
			ot_sysctl_set("vm/bpf_oom_handler_timeout_ms", old_timeout, NULL);
		old_timeout = -1;
		ot_cg_destroy(cg);
		free(cg);
		ot_info("a policy that %s: %d OOMs resolved by the kernel", m[i].what, n);
	}
	return st ?: check_clean(ctx);
}

static struct oom_test misbehaving = {
	.name = "stress_misbehaving_policies",
	.description = "policies that lie, stall or return garbage: the kernel kills",
	.setup = setup_stress,
	.run = run_misbehaving,
	.cleanup = cleanup_stress,
};

REGISTER_OOM_TEST(&misbehaving)

/* The "dropped" count of attachment @name in the bpf_psi listing; -1 if none. */
static long long psi_dropped(const char *name)
{
	long long events, dropped = -1;
	char line[256], n[64];
	FILE *f = fopen(PSI_LISTING, "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (line[0] != ' ' && sscanf(line, "%63s %lld %lld", n, &events, &dropped) == 3 &&
		    !strcmp(n, name))
			break;
		dropped = -1;
	}
	if (f)
		fclose(f);
	return dropped;
}

/*
 * A bpf_psi_ops whose cgroup-creation handler is stuck while cgroups come
 * and go: at most 1024 events wait for it (each creation pins its cgroup),
 * the rest are dropped and counted, and every cgroup is released once the
 * handler moves on.
 */
#define STORM_PAIRS	1500
static enum oom_test_status run_psi_queue(void *ctx)
{
	long long dropped = -1, pinned = -1, left = -1, taken = 0, floor;
	struct bpf_link *link = NULL;
	int i, held = 0, err, made = 0;
	char path[256], first[256];
	struct psi_ops *skel;

	skel = psi_ops__open();
	OT_ASSERT(skel, "open failed");
	skel->bss->hold_online = 1;
	err = psi_ops__load(skel);
	if (!err) {
		link = bpf_map__attach_struct_ops(skel->maps.psi_test_ops);
		err = link ? 0 : -errno;
	}
	if (err) {
		psi_ops__destroy(skel);
		OT_FAIL("attach: %s", strerror(-err));
	}
	/*
	 * The first creation event gets the handler stuck. The cgroup stays
	 * until then: the handler is not called for a cgroup already removed.
	 */
	snprintf(first, sizeof(first), "%s/q", (char *)ctx);
	mkdir(first, 0755);
	for (i = 0; i < OT_TIMEOUT_MS / 10 && !held; i++) {
		held = __atomic_load_n(&skel->bss->held, __ATOMIC_ACQUIRE) == 1;
		if (!held)
			usleep(10000);
	}
	/*
	 * Create them all, then remove them all: each creation event finds
	 * its cgroup alive and spins the handler again, so the queue only
	 * grows, however slow the kernel is. Removed, the cgroups whose
	 * creation events are still queued stay pinned (dying).
	 */
	for (i = 0; held && i < STORM_PAIRS; i++) {
		snprintf(path, sizeof(path), "%s/q%d", (char *)ctx, i);
		if (mkdir(path, 0755))
			break;
	}
	made = i;
	/* Creation events the stuck handler took meanwhile (one per spin). */
	taken = __atomic_load_n(&skel->bss->online_calls, __ATOMIC_ACQUIRE);
	for (i = 0; i < made; i++) {
		snprintf(path, sizeof(path), "%s/q%d", (char *)ctx, i);
		rmdir(path);
	}
	if (held) {
		dropped = psi_dropped("psi_test");
		/*
		 * A removed cgroup is released asynchronously (RCU, then a
		 * work item) even when nothing pins it: wait for those to go,
		 * the ones that queued events pin stay as long as the handler.
		 */
		for (i = 0; i < OT_TIMEOUT_MS / 100; i++) {
			pinned = ot_cg_read_key(ctx, "cgroup.stat", "nr_dying_descendants");
			if (pinned <= 1024)
				break;
			usleep(100000);
		}
	}
	__atomic_store_n(&skel->bss->release, 1, __ATOMIC_RELEASE);
	rmdir(first);
	if (held)
		left = ot_dying_after(ctx, OT_TIMEOUT_MS);
	bpf_link__destroy(link);
	psi_ops__destroy(skel);
	OT_ASSERT(held, "the creation handler never ran");
	OT_ASSERT(made == STORM_PAIRS, "mkdir %d: %s", made, strerror(errno));
	ot_info("%d cgroups created and removed behind a stuck handler (%lld creation events taken meanwhile): %lld events dropped, %lld removed cgroups pinned",
		STORM_PAIRS, taken, dropped, pinned);
	/*
	 * While the cgroups were created, the handler was stuck on one live
	 * cgroup after another and took only @taken events: of the @made
	 * creation events, all but 1024 queued and those taken were dropped,
	 * whatever happened to the removal events afterwards (a slow kernel
	 * drains the queue of removed cgroups' events while rmdir goes on).
	 */
	floor = made - 1024 - taken;
	OT_ASSERT(dropped >= floor,
		  "%lld events dropped, want at least %lld (%d created, %lld taken)",
		  dropped, floor, made, taken);
	OT_ASSERT(pinned >= 0 && pinned <= 1024, "%lld removed cgroups pinned by queued events",
		  pinned);
	ot_info("%lld removed cgroups left %d s after the handler moved on", left,
		OT_TIMEOUT_MS / 1000);
	/* Every one of them released: check_clean() tells a leak from a slow release. */
	return check_clean(ctx);
}

static struct oom_test psi_queue = {
	.name = "stress_psi_event_queue_bounded",
	.description =
		"cgroup events behind a stuck bpf_psi_ops handler: at most 1024 queued, the rest dropped and counted, every cgroup released",
	.setup = setup_stress,
	.run = run_psi_queue,
	.cleanup = cleanup_stress,
};

REGISTER_OOM_TEST(&psi_queue)
