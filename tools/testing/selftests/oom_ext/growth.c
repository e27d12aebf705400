// SPDX-License-Identifier: GPL-2.0
/*
 * oom_cgroup_aware's growth rule: a cgroup that grew by a quarter or more
 * of the level's usage in the last 4 s is chosen over a larger steady
 * one; growth within protection is protected; growth that stopped earlier
 * does not count; without growth the size rule is unchanged. A job that
 * keeps causing OOMs after a kill keeps the growth it had from before it
 * (a spell), until it stops growing. Time a cgroup spent stalled on memory
 * (PSI "full") is not time in which it could have grown: the window and
 * the spell leave it out.
 *
 * A domain "gr" (no swap) with tenants below it. Steady tenants fill their
 * memory before the loader starts, so the sampler never sees them grow.
 * The OOM comes from a tenant that grows until it is killed, or, where
 * nothing may grow, from lowering the domain's memory.max below its usage.
 * Each test waits for deaths (waitpid), checks the others live, and reads
 * the loader's explanation: which cgroup won the level, and "by growth"
 * or "by size".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "oom_test.h"
#include "policy_util.h"
#include "util.h"

/* More than the growth window (4 s), with a margin for a slow guest. */
#define WINDOW_PASSED_S	6

struct gr {
	char *dom;
	struct ot_child a, b;	/* the steady tenant, the other */
	struct ot_child w;	/* a second worker in b */
	struct ot_proc loader;
};

static enum oom_test_status setup_gr(void **ctx)
{
	struct gr *t = calloc(1, sizeof(*t));

	if (!t)
		OT_FAIL("no memory");
	t->a.pid = -1;
	t->b.pid = -1;
	t->w.pid = -1;
	t->loader.out = -1;
	t->loader.err = -1;
	t->dom = ot_cg_create("gr");
	if (!t->dom || ot_cg_write(t->dom, "memory.swap.max", "0") ||
	    ot_cg_write(t->dom, "memory.max", "100M") ||
	    ot_cg_write(t->dom, "cgroup.subtree_control", "+memory") || !ot_cg_create("gr/a") ||
	    !ot_cg_create("gr/b")) {
		if (t->dom)
			ot_cg_destroy(t->dom);
		free(t->dom);
		free(t);
		OT_FAIL("cannot set up the memcgs");
	}
	*ctx = t;
	return OOM_TEST_PASS;
}

static void cleanup_gr(void *ctx)
{
	struct gr *t = ctx;

	ot_proc_kill(&t->loader);
	ot_child_reap(&t->a);
	ot_child_reap(&t->b);
	ot_child_reap(&t->w);
	ot_cg_destroy(t->dom);
	free(t->dom);
	free(t);
}

#define GR_TEST(_var, _name, _desc, _run)				\
	static struct oom_test _var = {					\
		.name = _name,						\
		.description = _desc,					\
		.setup = setup_gr,					\
		.run = _run,						\
		.cleanup = cleanup_gr,					\
	};								\
	REGISTER_OOM_TEST(&_var)

static const char *sub(struct gr *t, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", t->dom, name);
	return buf;
}

/* @mib MiB in cgroup @name, held still; or, with @grow, then growing. */
static enum oom_test_status tenant(struct gr *t, struct ot_child *c, const char *name, long mib,
				   bool grow)
{
	struct ot_hog hog = { .mib = mib, .grow = grow };
	char path[512];

	OT_ASSERT(!ot_child_spawn_hog(c, sub(t, name, path, sizeof(path)), &hog),
		  "the tenant in %s did not start", name);
	return OOM_TEST_PASS;
}

static enum oom_test_status start_loader(struct gr *t, bool dry_run)
{
	const char *args[] = { "-i", "0", "-c", t->dom, dry_run ? "-n" : NULL, NULL };
	enum oom_test_status st = ot_loader_start(&t->loader, "oom_cgroup_aware", args, 0);

	return st ?: ot_loader_attached(&t->loader);
}

/*
 * The loader's decision (@what: "killed pid N " or "would kill pid N ")
 * and the level's explanation, which must contain @explains and say what
 * decided it: @by, "by growth" or "by size".
 */
static enum oom_test_status decided(struct gr *t, const char *what, pid_t pid,
				    const char *explains, const char *by)
{
	char line[1024], level[1024], want[64];

	snprintf(want, sizeof(want), "%s pid %d ", what, pid);
	OT_ASSERT(ot_proc_read_until(t->loader.out, what, line, sizeof(line), OT_TIMEOUT_MS),
		  "the loader reported no \"%s\"", what);
	ot_info("%s", line);
	OT_ASSERT(ot_proc_read_until(t->loader.out, "  in ", level, sizeof(level), OT_TIMEOUT_MS),
		  "no explanation line");
	ot_info("%s", level);
	OT_ASSERT(strstr(line, want), "expected \"%s\"", want);
	strcpy(line, level);
	OT_ASSERT(strstr(line, explains), "expected \"%s\"", explains);
	OT_ASSERT(strstr(line, by), "expected \"%s\"", by);
	/* The grower's growth is shown wherever it won. */
	OT_ASSERT(pid != t->b.pid || (strstr(line, "chose b (") && strstr(line, ", grew ")),
		  "no growth shown for the grower");
	return OOM_TEST_PASS;
}

/* @dead died of SIGKILL, @alive lives. */
static enum oom_test_status outcome(struct ot_child *dead, struct ot_child *alive)
{
	OT_ASSERT(ot_child_wait_death(dead, OT_TIMEOUT_MS) == SIGKILL, "the victim lives");
	OT_ASSERT(ot_child_alive(alive), "the other tenant died");
	return OOM_TEST_PASS;
}

/*
 * A steady 60 MiB tenant, then a grower: the OOM comes when the grower
 * has about 40 MiB, less than the steady one, and it is the one chosen.
 * With @dry_run the choice is only reported, and the kernel kills the
 * largest; the grower, spared, grows on.
 */
static enum oom_test_status smaller_grower(struct gr *t, bool dry_run)
{
	enum oom_test_status st;

	st = tenant(t, &t->a, "a", 60, false);
	if (!st)
		st = start_loader(t, dry_run);
	if (!st)
		st = tenant(t, &t->b, "b", 4, true);
	if (!st)
		st = decided(t, dry_run ? "would kill" : "killed", t->b.pid, "chose b (",
			     " by growth");
	if (st || !dry_run)
		return st ?: outcome(&t->b, &t->a);
	OT_ASSERT(ot_child_wait_death(&t->a, OT_TIMEOUT_MS) == SIGKILL,
		  "the kernel did not kill the largest");
	return OOM_TEST_PASS;
}

static enum oom_test_status run_smaller(void *ctx)
{
	return smaller_grower(ctx, false);
}

GR_TEST(smaller_test, "ca_growth_smaller_grower_chosen",
	"a cgroup growing to the OOM is chosen though a steady tenant is larger (60 MiB against about 40), by growth",
	run_smaller)

static enum oom_test_status run_dry(void *ctx)
{
	return smaller_grower(ctx, true);
}

GR_TEST(dry_test, "ca_growth_dry_run",
	"-n reports the grower as its choice, by growth, and kills nothing itself: the kernel kills the largest",
	run_dry)

/* A tenant whose usage swings: *@arg MiB more, then less, every 100 ms. */
static int swing(const void *arg)
{
	long page = sysconf(_SC_PAGESIZE), off, len = *(const long *)arg << 20;
	char *p;

	for (;;) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 3;
		for (off = 0; off < len; off += page)
			p[off] = 1;
		usleep(50000);
		munmap(p, len);
		usleep(50000);
	}
}

static const long swing_10 = 10, swing_1 = 1;

/*
 * A 50 MiB tenant that swings by 10 MiB all the time, and a grower: the
 * swings are no growth (they go up and down), the grower is chosen.
 */
static enum oom_test_status run_swing(void *ctx)
{
	struct gr *t = ctx;
	struct ot_hog hog = { .mib = 50, .after = swing, .arg = &swing_10 };
	enum oom_test_status st;
	char path[512];

	OT_ASSERT(!ot_child_spawn_hog(&t->a, sub(t, "a", path, sizeof(path)), &hog),
		  "the swinging tenant did not start");
	st = start_loader(t, false);
	if (!st)
		st = tenant(t, &t->b, "b", 4, true);
	if (!st)
		st = decided(t, "killed", t->b.pid, "chose b (", " by growth");
	return st ?: outcome(&t->b, &t->a);
}

GR_TEST(swing_test, "ca_growth_swings_are_not_growth",
	"a 50 MiB tenant whose usage swings by 10 MiB every 100 ms is not taken for a grower: the cgroup growing to the OOM (about 40 MiB) is chosen",
	run_swing)

/* Growth after SIGUSR1: a grower that waits for its turn. */
static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	go = 1;
}

static int catch_usr1(const void *arg)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	return sigaction(SIGUSR1, &sa, NULL);
}

/* Touch 1 MiB more, then wait @pause_us; until killed. */
static int grow_paced(useconds_t pause_us)
{
	long page = sysconf(_SC_PAGESIZE), off;
	char *p;

	for (;;) {
		p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 3;
		for (off = 0; off < 1 << 20; off += page)
			p[off] = 1;
		if (pause_us)
			usleep(pause_us);
	}
}

static int grow_on_usr1(const void *arg)
{
	while (!go)
		pause();
	return grow_paced(0);
}

/*
 * The grower first: 10 MiB, then a 30 MiB tenant arrives and stays still
 * past the window; then the grower grows to the OOM and is the larger.
 */
static enum oom_test_status run_larger(void *ctx)
{
	struct gr *t = ctx;
	struct ot_hog hog = { .mib = 10, .before = catch_usr1, .after = grow_on_usr1 };
	enum oom_test_status st;
	char path[512];

	st = start_loader(t, false);
	if (st)
		return st;
	OT_ASSERT(!ot_child_spawn_hog(&t->b, sub(t, "b", path, sizeof(path)), &hog),
		  "the grower did not start");
	st = tenant(t, &t->a, "a", 30, false);
	if (st)
		return st;
	/* The arrival's own growth must leave the window. */
	sleep(WINDOW_PASSED_S);
	kill(t->b.pid, SIGUSR1);
	/* Size and growth agree: the level says size, and shows the growth. */
	st = decided(t, "killed", t->b.pid, "chose b (", " by size");
	if (st)
		return st;
	return outcome(&t->b, &t->a);
}

GR_TEST(larger_test, "ca_growth_larger_grower_chosen",
	"the grower arrives first, a 30 MiB tenant after it and stays still: the grower, now the larger too, is chosen",
	run_larger)

/* Lower the domain's memory.max below its usage: an OOM with nothing growing. */
static enum oom_test_status squeeze(struct gr *t, const char *max)
{
	OT_ASSERT(!ot_cg_write(t->dom, "memory.max", "%s", max), "memory.max %s: %s", max,
		  strerror(errno));
	return OOM_TEST_PASS;
}

/*
 * @wait_s later (growth leaves the window with time, nothing else to
 * wait for), the limit goes down to @max: a must be chosen, by size, and
 * @alive live.
 */
static enum oom_test_status a_goes_later(struct gr *t, unsigned int wait_s, const char *max,
					 struct ot_child *alive)
{
	enum oom_test_status st;

	if (wait_s)
		sleep(wait_s);
	st = squeeze(t, max);
	if (!st)
		st = decided(t, "killed", t->a.pid, "chose a (", " by size");
	return st ?: outcome(&t->a, alive);
}

/*
 * Tenant a (@a_mib) before the loader, b (@b_mib) before it too or, with
 * @b_after, once it runs; @wait_s later the limit goes down to @max. a
 * must be chosen, by size, and b live.
 */
static enum oom_test_status steady_a_goes(struct gr *t, long a_mib, long b_mib, bool b_after,
					  unsigned int wait_s, const char *max)
{
	enum oom_test_status st;

	st = tenant(t, &t->a, "a", a_mib, false);
	if (!st && !b_after)
		st = tenant(t, &t->b, "b", b_mib, false);
	if (!st)
		st = start_loader(t, false);
	if (!st && b_after)
		st = tenant(t, &t->b, "b", b_mib, false);
	if (st)
		return st;
	return a_goes_later(t, wait_s, max, &t->b);
}

/* Two steady tenants, 60 and 30 MiB, the limit lowered to 80: the 60 goes. */
static enum oom_test_status run_steady(void *ctx)
{
	return steady_a_goes(ctx, 60, 30, false, 0, "80M");
}

GR_TEST(steady_test, "ca_growth_steady_by_size",
	"nothing grows (the limit is lowered under two steady tenants): the larger is chosen, by size, as before",
	run_steady)

/*
 * b has memory.low 64M and grows 40 MiB, all within it, once the loader
 * runs, beside a steady 50 MiB a; the limit goes down to 80M. b's growth
 * would outweigh a, but it is protected: a goes.
 */
static enum oom_test_status run_protected(void *ctx)
{
	struct gr *t = ctx;
	char path[512];

	OT_ASSERT(!ot_cg_write(sub(t, "b", path, sizeof(path)), "memory.low", "64M"),
		  "memory.low");
	return steady_a_goes(t, 50, 40, true, 0, "80M");
}

GR_TEST(protected_test, "ca_growth_protected",
	"a tenant that grows 40 MiB within its memory.low of 64M stays protected: the steady 50 MiB one is chosen",
	run_protected)

/*
 * b grows 30 MiB once the loader runs and then stays still past the
 * window, beside a steady 50 MiB a; the limit goes down to 70M: b's old
 * growth no longer counts, the larger goes.
 */
static enum oom_test_status run_old(void *ctx)
{
	return steady_a_goes(ctx, 50, 30, true, WINDOW_PASSED_S, "70M");
}

GR_TEST(old_test, "ca_growth_old_growth_forgotten",
	"a tenant that grew 30 MiB and then stayed still for 5 s is not chosen for it: the larger steady tenant is",
	run_old)

/*
 * Wait until the tasks in @cg have all been stalled on memory for
 * @stall_us of the last @win_us: a PSI trigger on its memory.pressure.
 * Then read the file, which has the kernel sum the stall into the totals
 * the policy reads (as systemd-oomd's reads do), rather than leave the
 * last 2 s of it to the next round of PSI's averaging.
 */
static enum oom_test_status stalled(const char *cg, long stall_us, long win_us)
{
	char path[600], trig[64], buf[256];
	struct pollfd pfd = { .events = POLLPRI };
	long start;
	int n;

	snprintf(path, sizeof(path), "%s/memory.pressure", cg);
	pfd.fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	OT_ASSERT(pfd.fd >= 0, "%s: %s", path, strerror(errno));
	n = snprintf(trig, sizeof(trig), "full %ld %ld", stall_us, win_us);
	if (write(pfd.fd, trig, n + 1) != n + 1) {
		close(pfd.fd);
		OT_FAIL("%s: \"%s\": %s", path, trig, strerror(errno));
	}
	start = ot_now_ms();
	n = poll(&pfd, 1, OT_TIMEOUT_MS);
	close(pfd.fd);
	ot_info("%s: stalled %ld ms in %ld ms, seen after %ld ms", cg, stall_us / 1000,
		win_us / 1000, ot_now_ms() - start);
	OT_ASSERT(n == 1 && (pfd.revents & POLLPRI), "%s: no stall of %ld ms in %ld ms", cg,
		  stall_us / 1000, win_us / 1000);
	OT_ASSERT(ot_cg_read(cg, "memory.pressure", buf, sizeof(buf)) > 0, "%s", path);
	ot_info("%s", strstr(buf, "full") ?: buf);
	return OOM_TEST_PASS;
}

/*
 * Once b (@cg) has stalled (stalled()), the limit goes down to @max: b must
 * be chosen, by growth, its worker @victim killed, and a live.
 */
static enum oom_test_status b_goes_after_stall(struct gr *t, const char *cg, long stall_us,
					       long win_us, const char *max,
					       struct ot_child *victim)
{
	enum oom_test_status st = stalled(cg, stall_us, win_us);

	if (!st)
		st = squeeze(t, max);
	if (!st)
		st = decided(t, "killed", victim->pid, "chose b (", " by growth");
	return st ?: outcome(victim, &t->a);
}

/*
 * b grows to its memory.high of 40M, beside a steady 80 MiB a, and is
 * held there, stalled, for 4.5 s; then the limit goes down under both.
 * Its growth was before the stall, more than 4 s ago, but in the time it
 * could run, less: it is chosen by growth. A wall-clock window would have
 * forgotten it and chosen a, by size, though b never stopped asking.
 */
static enum oom_test_status run_stalled(void *ctx)
{
	struct gr *t = ctx;
	enum oom_test_status st;
	char path[512];

	OT_ASSERT(!ot_cg_write(sub(t, "b", path, sizeof(path)), "memory.high", "40M"),
		  "memory.high");
	st = squeeze(t, "200M");
	if (!st)
		st = tenant(t, &t->a, "a", 80, false);
	if (!st)
		st = start_loader(t, false);
	if (!st)
		st = tenant(t, &t->b, "b", 4, true);
	return st ?: b_goes_after_stall(t, path, 4500000, 5000000, "110M", &t->b);
}

GR_TEST(stalled_test, "ca_growth_stall_is_not_time",
	"a tenant that grew 36 MiB to its memory.high and was then held there, stalled, for 4.5 s is chosen for that growth over a steady 80 MiB tenant when the limit is lowered",
	run_stalled)

/* 2 MiB/s: a worker of a job that grows slowly. */
static int grow_slowly(const void *arg)
{
	return grow_paced(500000);
}

/*
 * Job b's second worker in t->w (@w_mib, then with @slow growing 2 MiB/s),
 * then a fast one in t->b that grows to the OOM and, the larger of the
 * two, is killed first, by growth, over a steady @a_mib tenant.
 */
static enum oom_test_status job_first_kill(struct gr *t, long a_mib, long w_mib, bool slow)
{
	struct ot_hog hog = { .mib = w_mib, .after = slow ? grow_slowly : NULL };
	enum oom_test_status st;
	char path[512];

	st = tenant(t, &t->a, "a", a_mib, false);
	if (!st)
		st = start_loader(t, false);
	if (st)
		return st;
	OT_ASSERT(!ot_child_spawn_hog(&t->w, sub(t, "b", path, sizeof(path)), &hog),
		  "b's second worker did not start");
	st = tenant(t, &t->b, "b", 4, true);
	if (!st)
		st = decided(t, "killed", t->b.pid, "chose b (", " by growth");
	return st ?: outcome(&t->b, &t->a);
}

/*
 * The job keeps the OOMs coming after its first kill, more slowly: its
 * last 4 s alone (8 MiB) would weigh less than the steady 70 MiB tenant,
 * but the spell its kill began keeps its growth since before that kill.
 */
static enum oom_test_status run_spell(void *ctx)
{
	struct gr *t = ctx;
	enum oom_test_status st;
	char line[1024];

	st = job_first_kill(t, 70, 4, true);
	if (st)
		return st;
	OT_ASSERT(ot_proc_read_until(t->loader.out, "killed", line, sizeof(line), OT_TIMEOUT_MS),
		  "no second kill");
	ot_info("%s", line);
	OT_ASSERT(ot_proc_read_until(t->loader.out, "  in ", line, sizeof(line), OT_TIMEOUT_MS),
		  "no explanation line");
	ot_info("%s", line);
	OT_ASSERT(strstr(line, "chose b (") && strstr(line, " by growth"),
		  "the second OOM did not choose the job by growth");
	return outcome(&t->w, &t->a);
}

GR_TEST(spell_test, "ca_growth_spell_after_kill",
	"a job whose fast worker was killed grows on at 2 MiB/s and is chosen again over a steady 70 MiB tenant, for its growth since before the first kill",
	run_spell)

/*
 * The spell ends: after the first kill the job's other worker stays still;
 * a window later the limit goes down under both, and the steady 60 MiB
 * tenant goes, by size, not the 15 MiB job, which in a spell would weigh
 * 75 (its growth since before the kill, 25 MiB, at most its score).
 */
static enum oom_test_status run_spell_ends(void *ctx)
{
	struct gr *t = ctx;
	enum oom_test_status st;

	st = job_first_kill(t, 60, 15, false);
	if (st)
		return st;
	/* The victim, counted twice until freed, may rise a tick after the kill. */
	return a_goes_later(t, WINDOW_PASSED_S + 2, "65M", &t->w);
}

/*
 * The spell outlasts a stall. Job b: a 100 MiB worker growing 2 MiB/s and
 * a fast one, killed first, by growth, beside a steady 250 MiB a under a
 * 470M limit. The limit goes up; 5 s later b's memory.high goes a fifth
 * below its usage, and its worker is held, stalled, for 5 s (so far
 * above the line each charge batch waits 2 s: 256 KiB, less than the
 * 440 KiB a rise needs); then the limit goes down under both. The kill is
 * more than the ring's 8 s ago, and the job's last growth before the
 * stall is a few MiB: its 110 MiB plus 4 x that weigh less than a. Its
 * spell, which leaves the stall out as the window does, still counts its
 * growth since before the kill: the job is chosen, by growth. A spell
 * ended after 4 s of wall time would have let a go.
 */
static enum oom_test_status run_spell_stall(void *ctx)
{
	struct gr *t = ctx;
	enum oom_test_status st;
	char path[512], cur[32];

	st = squeeze(t, "470M");
	if (!st)
		st = job_first_kill(t, 250, 100, true);
	if (!st)
		st = squeeze(t, "600M");
	if (st)
		return st;
	/* The job grows on, its spell on; then it stalls. */
	sleep(5);
	sub(t, "b", path, sizeof(path));
	OT_ASSERT(ot_cg_read(path, "memory.current", cur, sizeof(cur)) > 0, "b's memory.current");
	OT_ASSERT(!ot_cg_write(path, "memory.high", "%lld", atoll(cur) / 5 * 4), "memory.high");
	return b_goes_after_stall(t, path, 5000000, 5500000, "330M", &t->w);
}

GR_TEST(spell_stall_test, "ca_growth_spell_outlasts_stall",
	"after the job's first kill its slow worker grows 5 s and is then held above its memory.high, stalled, for 5 s: its spell goes on, and when the limit is lowered the job (110 MiB) is chosen again, by growth, over a steady 250 MiB tenant",
	run_spell_stall)

GR_TEST(spell_ends_test, "ca_growth_spell_ends",
	"after the job's kill its other 15 MiB worker stays still: a window later its growth is forgotten and, the limit lowered, the steady 60 MiB tenant is chosen, by size",
	run_spell_ends)

/*
 * A kill decided by size starts no spell: b (60 MiB) is killed for its
 * size, restarts as a 40 MiB worker whose usage then swings by 1 MiB; a
 * window later the limit goes down again and the steady 55 MiB a goes, by
 * size. In a spell b would weigh about 200: its growth since before the
 * kill (its restart), at most its score, the swings keeping the spell on.
 */
static enum oom_test_status run_no_spell(void *ctx)
{
	struct ot_hog still = { .mib = 60 }, hog = { .mib = 40, .after = swing, .arg = &swing_1 };
	struct gr *t = ctx;
	enum oom_test_status st;
	char path[512];

	st = squeeze(t, "200M");
	if (!st)
		st = tenant(t, &t->a, "a", 55, false);
	if (st)
		return st;
	OT_ASSERT(!ot_child_spawn_hog(&t->w, sub(t, "b", path, sizeof(path)), &still),
		  "b's first worker did not start");
	st = start_loader(t, false);
	if (!st)
		st = squeeze(t, "110M");
	if (!st)
		st = decided(t, "killed", t->w.pid, "chose b (", " by size");
	if (!st)
		st = outcome(&t->w, &t->a);
	if (st)
		return st;
	OT_ASSERT(!ot_child_spawn_hog(&t->b, path, &hog), "b's restarted worker did not start");
	/* Its refill must leave the window. */
	return a_goes_later(t, WINDOW_PASSED_S, "90M", &t->b);
}

GR_TEST(no_spell_test, "ca_growth_no_spell_by_size",
	"a tenant killed for its size (60 MiB) restarts at 40 MiB and swings by 1 MiB: a window later, the limit lowered, the steady 55 MiB tenant is chosen, by size",
	run_no_spell)
