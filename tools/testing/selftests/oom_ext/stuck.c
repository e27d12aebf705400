// SPDX-License-Identifier: GPL-2.0
/*
 * Victims that do not go away. A FUSE file whose reads are never answered
 * (fuse_util.c) makes them on demand:
 *
 * - a victim with an AIO read pending cannot finish exiting: exit_aio()
 *   waits for the read, with the victim still TIF_MEMDIE and PF_EXITING.
 *   The OOM reaper frees its memory and sets MMF_OOM_SKIP; from then on it
 *   must not hold up the OOMs of its domain, or every later OOM there is
 *   "handled" with nothing killed, forever;
 * - a process sharing the victim's mm (CLONE_VM), blocked in a read the
 *   server already has, survives SIGKILL: its mm is reaped, yet it is no
 *   OOM victim itself. Killing it frees nothing: bpf_oom_kill_process()
 *   refuses it.
 *
 * - the grace an exiting, reaped victim gets (exit_mmap() sets
 *   MMF_OOM_SKIP before it uncharges) belongs to that victim: OOMs in
 *   another memcg, under the same root policy, neither extend nor end it;
 * - a multithreaded victim whose marked thread exited first (TIF_MEMDIE
 *   cleared) while the others, blocked on the file, keep its mm is still
 *   the victim the next OOM waits for, as in oom_evaluate_task().
 *
 * The OOMs are declared (bpf_out_of_memory()), so that nothing else
 * happens in the reaper's window.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "oom_test.h"
#include "policy_util.h"
#include "declare.bpf.skel.h"
#include "fuse_util.h"
#include "util.h"

struct stuck {
	char *cg;
	char *cg_b;		/* a sibling memcg, for stuck_grace_per_victim */
	pid_t b_loop;		/* declares OOMs in cg_b */
	struct ot_fuse fuse;
	struct declare *decl;
	struct ot_child victim, other;
	int kmsg;
};

static enum oom_test_status setup_stuck(void **ctx)
{
	struct stuck *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		OT_FAIL("no memory");
	t->victim.pid = -1;
	t->other.pid = -1;
	t->kmsg = -1;
	err = ot_fuse_start(&t->fuse);
	if (err) {
		free(t);
		OT_FAIL("cannot mount the FUSE file: %s", strerror(-err));
	}
	t->cg = ot_cg_create("stuck");
	t->decl = declare__open_and_load();
	if (!t->cg || !t->decl || ot_cg_write(t->cg, "memory.max", "256M")) {
		ot_fuse_stop(&t->fuse);
		if (t->cg)
			ot_cg_destroy(t->cg);
		declare__destroy(t->decl);
		free(t->cg);
		free(t);
		OT_FAIL("cannot set up the memcg");
	}
	*ctx = t;
	return OOM_TEST_PASS;
}

static void cleanup_stuck(void *ctx)
{
	struct stuck *t = ctx;

	/* Aborting the connection lets the stuck tasks finish. */
	ot_fuse_stop(&t->fuse);
	ot_child_reap(&t->victim);
	ot_child_reap(&t->other);
	if (t->b_loop > 0) {
		kill(t->b_loop, SIGKILL);
		waitpid(t->b_loop, NULL, 0);
	}
	if (t->cg_b) {
		ot_cg_destroy(t->cg_b);
		free(t->cg_b);
	}
	if (t->kmsg >= 0)
		close(t->kmsg);
	declare__destroy(t->decl);
	ot_cg_destroy(t->cg);
	free(t->cg);
	free(t);
}

/* In the victim: leave an AIO read pending on the FUSE file. */
static int pending_aio(const void *arg)
{
	const struct ot_fuse *f = arg;

	close(f->dev);
	return ot_fuse_aio_read(f->path);
}

static int sharer_main(void *arg)
{
	ot_fuse_sync_read(arg);
	return 0;
}

/* In the victim: start a process on this mm that blocks reading the file. */
static int blocked_sharer(const void *arg)
{
	/* clone() aligns the top of the stack itself. */
	static char stack[64 << 10];
	const struct ot_fuse *f = arg;

	close(f->dev);
	return clone(sharer_main, stack + sizeof(stack), CLONE_VM | SIGCHLD,
		     (void *)f->path) < 0;
}

/* The declared OOM with the test policy attached; its result. */
static int declared(struct stuck *t, int *ret)
{
	return ot_declare(t->decl, ot_cg_id(t->cg), 0, BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK, ret);
}

/* Wait for the OOM reaper to have reaped @pid's mm (MMF_OOM_SKIP). */
static int wait_reaped(struct stuck *t, pid_t pid)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "oom_reaper: reaped process %d ", pid);
	return ot_kmsg_wait_for(t->kmsg, needle, NULL, 0, OT_TIMEOUT_MS);
}

static enum oom_test_status run_stuck_victim(void *ctx)
{
	struct ot_hog victim = { .mib = 16, .then = pending_aio };
	struct ot_hog other = { .mib = 8 };
	struct stuck *t = ctx;
	unsigned long long calls;
	struct bpf_link *link;
	struct policy *pol;
	int r1 = -1, r2 = -1, e1, e2 = -1, sig = 0, kret, i;
	bool was_reaped;

	victim.arg = &t->fuse;
	OT_ASSERT(!ot_child_spawn_hog(&t->victim, t->cg, &victim), "the victim did not start");
	OT_ASSERT(ot_fuse_wait_read(&t->fuse, OT_TIMEOUT_MS), "its AIO read never arrived");
	OT_ASSERT(!ot_child_spawn_hog(&t->other, t->cg, &other), "the other task did not start");
	pol = ot_policy_start(t->cg, MODE_KILL, t->victim.pid, &link);
	OT_ASSERT(pol, "attach failed");
	t->kmsg = ot_kmsg_open();
	e1 = declared(t, &r1);
	/* The victim is stuck in exit_aio(); the reaper frees its memory. */
	was_reaped = !e1 && r1 == 1 && wait_reaped(t, t->victim.pid);
	if (was_reaped) {
		/*
		 * The policy still targets the stuck victim: it is no
		 * victim to wait for any more, and the kill refuses it.
		 */
		e2 = declared(t, &r2);
		/*
		 * An exiting victim with a reaped mm is waited for a bounded
		 * grace (exit_mmap() sets MMF_OOM_SKIP before it uncharges):
		 * -EAGAIN until then. Nothing signals its end: poll, bounded.
		 */
		for (i = 0; i < 300 && !e2 && r2 == -EAGAIN; i++) {
			usleep(50000);
			e2 = declared(t, &r2);
		}
		sig = ot_child_wait_death(&t->other, OT_TIMEOUT_MS);
	}
	kret = pol->data->kill_ret;
	calls = pol->bss->calls;
	ot_policy_stop(pol, link);
	OT_ASSERT(!e1 && r1 == 1, "the first OOM: %d, %d", e1, r1);
	OT_ASSERT(was_reaped, "the victim's mm was never reaped");
	OT_ASSERT(ot_child_alive(&t->victim), "the victim is gone: it was not stuck");
	OT_ASSERT(!e2 && r2 == 1, "the OOM after the stuck victim was reaped: %d, %d", e2, r2);
	OT_ASSERT(sig == SIGKILL, "the other task ended with %d: the stuck victim held the OOM up",
		  sig);
	OT_ASSERT(calls == 2, "the policy was called %llu times, want 2", calls);
	OT_ASSERT(kret == -EALREADY, "killing the stuck victim again returned %d, want %d",
		  kret, -EALREADY);
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 2, "oom_kill %lld",
		  ot_cg_read_key(t->cg, "memory.events", "oom_kill"));
	return OOM_TEST_PASS;
}

static struct oom_test stuck_victim = {
	.name = "stuck_victim_does_not_block",
	.description =
		"a victim stuck in exit whose mm was reaped (MMF_OOM_SKIP) does not hold up later OOMs in its memcg",
	.setup = setup_stuck,
	.run = run_stuck_victim,
	.cleanup = cleanup_stuck,
};

REGISTER_OOM_TEST(&stuck_victim)

/* The pid in @cg that is not @not, or -1. */
static pid_t other_pid(const char *cg, pid_t not)
{
	char buf[256], *line;
	pid_t pid = -1;

	if (ot_cg_read(cg, "cgroup.procs", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (atoi(line) != not)
			pid = atoi(line);
	return pid;
}

static enum oom_test_status run_reaped_mm(void *ctx)
{
	struct ot_hog victim = { .mib = 16, .then = blocked_sharer };
	struct stuck *t = ctx;
	struct bpf_link *link;
	struct policy *pol;
	int r1 = -1, r2 = -1, e1, e2 = -1, kret = 1, sig;
	pid_t sharer;

	victim.arg = &t->fuse;
	OT_ASSERT(!ot_child_spawn_hog(&t->victim, t->cg, &victim), "the victim did not start");
	OT_ASSERT(ot_fuse_wait_read(&t->fuse, OT_TIMEOUT_MS), "the sharer's read never arrived");
	sharer = other_pid(t->cg, t->victim.pid);
	OT_ASSERT(sharer > 0, "no sharer in the memcg");
	pol = ot_policy_start(t->cg, MODE_KILL, t->victim.pid, &link);
	OT_ASSERT(pol, "attach failed");
	t->kmsg = ot_kmsg_open();
	e1 = declared(t, &r1);
	sig = ot_child_wait_death(&t->victim, OT_TIMEOUT_MS);
	/* The sharer got SIGKILL too, but waits for the server: mm reaped. */
	if (!e1 && r1 == 1 && wait_reaped(t, t->victim.pid)) {
		pol->bss->target_pid = sharer;
		e2 = declared(t, &r2);
		kret = pol->data->kill_ret;
	}
	ot_policy_stop(pol, link);
	OT_ASSERT(!e1 && r1 == 1 && sig == SIGKILL, "the first OOM: %d, %d; the victim: %d",
		  e1, r1, sig);
	OT_ASSERT(!e2, "the victim's mm was never reaped");
	OT_ASSERT(!kill(sharer, 0), "the sharer is gone: it was not stuck");
	OT_ASSERT(kret == -ESRCH, "killing the sharer of a reaped mm returned %d, want %d", kret,
		  -ESRCH);
	OT_ASSERT(r2 == 0, "the second OOM returned %d: nothing was killable", r2);
	return OOM_TEST_PASS;
}

static struct oom_test reaped_mm = {
	.name = "stuck_kill_refuses_reaped_mm",
	.description =
		"bpf_oom_kill_process(a live task whose mm the reaper already reaped) is -ESRCH",
	.setup = setup_stuck,
	.run = run_reaped_mm,
	.cleanup = cleanup_stuck,
};

REGISTER_OOM_TEST(&reaped_mm)

static enum oom_test_status setup_two(void **ctx)
{
	enum oom_test_status st = setup_stuck(ctx);
	struct stuck *t;

	if (st != OOM_TEST_PASS)
		return st;
	t = *ctx;
	t->cg_b = ot_cg_create("stuck_b");
	if (!t->cg_b || ot_cg_write(t->cg_b, "memory.max", "64M")) {
		cleanup_stuck(t);
		OT_FAIL("cannot set up the second memcg");
	}
	return OOM_TEST_PASS;
}

/* In a child: declare an OOM in the memcg of @cgid every 300 ms. */
static void __attribute__((noreturn)) oom_every_300ms(struct declare *decl, long long cgid)
{
	int ret;

	for (;;) {
		ot_declare(decl, cgid, 0, BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK, &ret);
		usleep(300000);
	}
}

static enum oom_test_status run_grace_per_victim(void *ctx)
{
	struct ot_hog victim = { .mib = 16, .then = pending_aio };
	struct ot_hog other = { .mib = 8 };
	/* The grace is 1 s; a debug kernel runs three times slower. */
	long bound = 3000L * OT_TIMEOUT_MS / 60000, start, waited = -1;
	int r1 = -1, r2 = -1, e1, e2 = -1, sig = 0, n = 0;
	struct stuck *t = ctx;
	struct bpf_link *link;
	struct policy *pol;
	bool was_reaped;

	victim.arg = &t->fuse;
	OT_ASSERT(!ot_child_spawn_hog(&t->victim, t->cg, &victim), "the victim did not start");
	OT_ASSERT(ot_fuse_wait_read(&t->fuse, OT_TIMEOUT_MS), "its AIO read never arrived");
	OT_ASSERT(!ot_child_spawn_hog(&t->other, t->cg, &other), "the other task did not start");
	/* One policy at the root sees the OOMs of both memcgs. */
	pol = ot_policy_start(NULL, MODE_KILL, t->victim.pid, &link);
	OT_ASSERT(pol, "attach failed");
	t->kmsg = ot_kmsg_open();
	e1 = declared(t, &r1);
	was_reaped = !e1 && r1 == 1 && wait_reaped(t, t->victim.pid);
	if (was_reaped) {
		pol->bss->target_pid = t->other.pid;
		fflush(stdout);
		t->b_loop = fork();
		if (!t->b_loop)
			oom_every_300ms(t->decl, ot_cg_id(t->cg_b));
		/*
		 * A's OOMs wait for the stuck victim for its grace, then kill
		 * the other task, whatever happens in B meanwhile. Nothing
		 * signals the end of the grace: poll, bounded.
		 */
		start = ot_now_ms();
		do {
			e2 = declared(t, &r2);
			n++;
		} while (!e2 && r2 == -EAGAIN && ot_now_ms() - start < bound && !usleep(50000));
		waited = ot_now_ms() - start;
		sig = ot_child_wait_death(&t->other, OT_TIMEOUT_MS);
	}
	ot_policy_stop(pol, link);
	OT_ASSERT(!e1 && r1 == 1, "the first OOM: %d, %d", e1, r1);
	OT_ASSERT(was_reaped, "the victim's mm was never reaped");
	OT_ASSERT(ot_child_alive(&t->victim), "the victim is gone: it was not stuck");
	OT_ASSERT(!e2 && r2 == 1,
		  "A's OOMs still waited for its stuck victim after %ld ms and %d OOMs: %d, %d",
		  waited, n, e2, r2);
	OT_ASSERT(sig == SIGKILL, "the other task ended with %d", sig);
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 2, "oom_kill %lld",
		  ot_cg_read_key(t->cg, "memory.events", "oom_kill"));
	ot_info("A's OOM killed %ld ms after the first one that met the stuck victim (%d OOMs)",
		waited, n);
	return OOM_TEST_PASS;
}

static struct oom_test grace_per_victim = {
	.name = "stuck_grace_per_victim",
	.description =
		"a stuck victim's exit grace is its own: a sibling memcg OOMing every 300 ms under the same root policy does not hold the victim's memcg up",
	.setup = setup_two,
	.run = run_grace_per_victim,
	.cleanup = cleanup_stuck,
};

REGISTER_OOM_TEST(&grace_per_victim)

#define BLOCKED_THREADS	63

/* In the victim: threads blocked reading the FUSE file keep its mm. */
static int blocked_threads(const void *arg)
{
	const struct ot_fuse *f = arg;

	close(f->dev);
	return ot_fuse_block_threads(f->path, BLOCKED_THREADS);
}

/* Has thread @tid of process @pid exited (a zombie, or gone)? */
static bool thread_exited(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *s;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = 0;
	/* "pid (comm) S ...": the state follows the last ')'. */
	s = strrchr(buf, ')');
	return s && (s[2] == 'Z' || s[2] == 'X');
}

static enum oom_test_status run_threads_pending(void *ctx)
{
	struct ot_hog victim = { .mib = 16, .then = blocked_threads };
	struct ot_hog other = { .mib = 32 };
	int r1 = -1, r2 = -1, e1, e2 = -1, i;
	bool leader_gone = false, reaped = false;
	unsigned long long calls;
	struct stuck *t = ctx;
	struct bpf_link *link;
	struct policy *pol;
	char needle[64];
	long start;

	victim.arg = &t->fuse;
	OT_ASSERT(!ot_child_spawn_hog(&t->victim, t->cg, &victim), "the victim did not start");
	for (i = 0; i < BLOCKED_THREADS; i++)
		OT_ASSERT(ot_fuse_wait_read(&t->fuse, OT_TIMEOUT_MS), "%d of %d reads arrived", i,
			  BLOCKED_THREADS);
	OT_ASSERT(!ot_child_spawn_hog(&t->other, t->cg, &other), "the other task did not start");
	pol = ot_policy_start(t->cg, MODE_KILL, t->victim.pid, &link);
	OT_ASSERT(pol, "attach failed");
	t->kmsg = ot_kmsg_open();
	e1 = declared(t, &r1);
	if (!e1 && r1 == 1) {
		/*
		 * The kill marked the main thread (TIF_MEMDIE), which exits at
		 * once and drops the mark; the other threads keep the mm until
		 * the reaper runs, 2 s after the kill. The kernel reports the
		 * thread's state, not an event: poll it, bounded.
		 */
		start = ot_now_ms();
		while (!(leader_gone = thread_exited(t->victim.pid, t->victim.pid)) &&
		       ot_now_ms() - start < OT_TIMEOUT_MS)
			usleep(10000);
		/* The policy now goes for the largest task that is no victim. */
		pol->bss->target_pid = t->other.pid;
		e2 = declared(t, &r2);
		snprintf(needle, sizeof(needle), "oom_reaper: reaped process %d ", t->victim.pid);
		reaped = ot_kmsg_wait_for(t->kmsg, needle, NULL, 0, 0);
	}
	calls = pol->bss->calls;
	ot_policy_stop(pol, link);
	OT_ASSERT(!e1 && r1 == 1, "the first OOM: %d, %d", e1, r1);
	OT_ASSERT(leader_gone, "the victim's main thread did not exit");
	OT_ASSERT(ot_child_alive(&t->victim), "the victim is gone: its threads were not stuck");
	OT_ASSERT(!reaped, "the reaper ran before the second OOM: the test was too slow");
	OT_ASSERT(!e2 && r2 == -EAGAIN,
		  "the OOM while the victim's threads hold its mm: %d, %d (want %d: wait for it)",
		  e2, r2, -EAGAIN);
	OT_ASSERT(calls == 1, "the policy was called %llu times, want 1", calls);
	OT_ASSERT(ot_child_alive(&t->other), "the other task was killed too");
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 1, "oom_kill %lld",
		  ot_cg_read_key(t->cg, "memory.events", "oom_kill"));
	return OOM_TEST_PASS;
}

static struct oom_test threads_pending = {
	.name = "stuck_victim_threads_pending",
	.description =
		"a victim whose marked thread exited while 63 others keep its mm is still waited for (signal->oom_mm, not TIF_MEMDIE): one kill only",
	.setup = setup_stuck,
	.run = run_threads_pending,
	.cleanup = cleanup_stuck,
};

REGISTER_OOM_TEST(&threads_pending)
