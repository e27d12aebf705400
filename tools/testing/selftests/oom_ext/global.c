// SPDX-License-Identifier: GPL-2.0
/*
 * The whole machine: bpf_oom_get_meminfo() against /proc/meminfo, a real
 * system-wide squeeze that oom_psi_proactive (watching the root) turns
 * into a declared OOM before the kernel's own, resolved by
 * oom_cgroup_aware system-wide, and loads under pressure that still make
 * progress, which nothing may kill.
 *
 * The runner and the loaders it starts run at oom_score_adj -1000 for the
 * duration (children inherit it); the tasks of a test set their own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <bpf/bpf.h>

#include "oom_test.h"
#include "policy_util.h"
#include "declare.bpf.skel.h"
#include "util.h"

#define NR_TENANTS	2

/* struct bpf_oom_meminfo (include/linux/bpf_oom.h), as the program fills it */
struct meminfo {
	__u64 total;
	__u64 available;
	__u64 free;
	__u64 swap_total;
	__u64 swap_free;
};

struct glob {
	char *cg[NR_TENANTS + 1];	/* tenants, then the job */
	struct ot_child task[NR_TENANTS + 1];
	struct ot_proc ca, psi;
	char adj[16];			/* the runner's oom_score_adj before */
	bool zram;			/* zram0 is swap */
	int zram_dev;			/* a zram disk added, or -1 */
};

static const char *const names[] = { "global/t1", "global/t2", "global/job" };

/* A /proc/meminfo or /proc/vmstat value; -1 if missing. */
static long long proc_key(const char *file, const char *key)
{
	char line[256];
	long long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && (line[n] == ':' || line[n] == ' '))
			v = atoll(line + n + 1);
	fclose(f);
	return v;
}

static enum oom_test_status setup_glob(void **ctx)
{
	struct glob *t = calloc(1, sizeof(*t));
	int i;

	if (!t)
		OT_FAIL("no memory");
	for (i = 0; i <= NR_TENANTS; i++)
		t->task[i].pid = -1;
	t->ca.out = -1;
	t->ca.err = -1;
	t->psi.out = -1;
	t->psi.err = -1;
	t->zram_dev = -1;
	if (ot_cg_read("/proc/self", "oom_score_adj", t->adj, sizeof(t->adj)) < 0 ||
	    ot_cg_write("/proc/self", "oom_score_adj", "-1000")) {
		free(t);
		OT_FAIL("cannot protect the runner: %s", strerror(errno));
	}
	free(ot_cg_create("global"));
	ot_cg_write(CG_TEST_ROOT "/global", "cgroup.subtree_control", "+memory");
	for (i = 0; i <= NR_TENANTS; i++)
		t->cg[i] = ot_cg_create(names[i]);
	*ctx = t;
	return OOM_TEST_PASS;
}

static void cleanup_glob(void *ctx)
{
	struct glob *t = ctx;
	int i;

	ot_proc_kill(&t->psi);
	ot_proc_kill(&t->ca);
	for (i = 0; i <= NR_TENANTS; i++) {
		ot_child_reap(&t->task[i]);
		if (t->cg[i])
			ot_cg_destroy(t->cg[i]);
		free(t->cg[i]);
	}
	ot_cg_destroy(CG_TEST_ROOT "/global");
	if (t->zram) {
		swapoff("/dev/zram0");
		ot_cg_write("/sys/block/zram0", "reset", "1");
	}
	if (t->zram_dev >= 0) {
		char id[16];

		snprintf(id, sizeof(id), "%d", t->zram_dev);
		ot_cg_write("/sys/class/zram-control", "hot_remove", "%s", id);
	}
	ot_cg_write("/proc/self", "oom_score_adj", "%s", t->adj);
	free(t);
}

/*
 * A squeeze that did not end: where memory and pressure stand, and what
 * oom_psi_proactive said, for the failure report.
 */
static void squeeze_state(struct glob *t)
{
	char path[64], buf[4096], *line, *save = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", t->task[2].pid);
	ot_info("grower VmRSS %lld kB, VmSwap %lld kB; MemAvailable %lld kB, SwapFree %lld kB",
		proc_key(path, "VmRSS"), proc_key(path, "VmSwap"),
		proc_key("/proc/meminfo", "MemAvailable"), proc_key("/proc/meminfo", "SwapFree"));
	f = fopen("/proc/pressure/memory", "r");
	while (f && fgets(buf, sizeof(buf), f))
		ot_info("memory pressure: %.*s", (int)strcspn(buf, "\n"), buf);
	if (f)
		fclose(f);
	fcntl(t->psi.out, F_SETFL, fcntl(t->psi.out, F_GETFL) | O_NONBLOCK);
	ot_proc_slurp(t->psi.out, buf, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		ot_info("  %s", line);
}

/*
 * oom_cgroup_aware system-wide and oom_psi_proactive on the root and on
 * the children of CG_TEST_ROOT/global.
 */
static enum oom_test_status start_policies(struct glob *t)
{
	const char *const ca_args[] = { "-i", "0", NULL };
	const char *const psi_args[] = { "-i", "0", "-c", CG_MNT,
				   "--children", CG_TEST_ROOT "/global", NULL };
	enum oom_test_status st;

	st = ot_loader_start(&t->ca, "oom_cgroup_aware", ca_args, 0);
	if (!st)
		st = ot_loader_attached(&t->ca);
	if (!st)
		st = ot_loader_start(&t->psi, "oom_psi_proactive", psi_args, 0);
	if (!st)
		st = ot_loader_attached(&t->psi);
	return st;
}

static enum oom_test_status run_meminfo(void *ctx)
{
	long long kib = sysconf(_SC_PAGESIZE) / 1024, avail;
	struct declare *skel = declare__open_and_load();
	struct meminfo mi = {};
	struct {
		__s32 small, large;
		__u64 tail;
	} sizes = {};
	int err;
	/* A syscall program's context is copied back into ctx_in. */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &mi, .ctx_size_in = sizeof(mi));

	OT_ASSERT(skel, "load: %s", ot_libbpf_log());
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.read_meminfo), &opts);
	if (!err && !opts.retval) {
		opts.ctx_in = &sizes;
		opts.ctx_size_in = sizeof(sizes);
		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.meminfo_sizes), &opts);
	}
	declare__destroy(skel);
	OT_ASSERT(!err && !opts.retval, "BPF_PROG_RUN: %s", strerror(errno));
	/* The size argument: too small is refused, larger gets a zeroed tail. */
	OT_ASSERT(sizes.small == -EINVAL, "8 bytes: %d", sizes.small);
	OT_ASSERT(sizes.large == sizeof(mi), "64 bytes: %d", sizes.large);
	OT_ASSERT(sizes.tail == 0, "the tail beyond the kernel's struct: %llx", sizes.tail);
	avail = proc_key("/proc/meminfo", "MemAvailable");
	ot_info("bpf_oom_get_meminfo: total %llu available %llu free %llu swap %llu/%llu pages",
		mi.total, mi.available, mi.free, mi.swap_free, mi.swap_total);
	OT_ASSERT((long long)mi.total * kib == proc_key("/proc/meminfo", "MemTotal"),
		  "MemTotal %lld kB, total %llu pages", proc_key("/proc/meminfo", "MemTotal"),
		  mi.total);
	OT_ASSERT((long long)mi.swap_total * kib == proc_key("/proc/meminfo", "SwapTotal"),
		  "SwapTotal");
	/* A quiet machine: within 16 MiB of each other. */
	OT_ASSERT(llabs((long long)mi.available * kib - avail) < 16384,
		  "MemAvailable %lld kB, available %llu pages", avail, mi.available);
	OT_ASSERT(mi.free > 0 && mi.free <= mi.total && mi.available <= mi.total,
		  "free %llu, available %llu", mi.free, mi.available);
	return OOM_TEST_PASS;
}

static struct oom_test meminfo = {
	.name = "global_meminfo_matches_proc",
	.description =
		"bpf_oom_get_meminfo() gives /proc/meminfo's MemTotal and SwapTotal and, on a quiet machine, its MemAvailable",
	.run = run_meminfo,
};

REGISTER_OOM_TEST(&meminfo)

/* Run declare_async with @flags; its result, or -1000 if the run failed. */
static int declare_async(struct declare *skel, __u64 flags)
{
	struct {
		__u64 cgid, flags;
		__s32 order, ret;
	} args = { .flags = flags, .ret = -1000 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.declare_async), &opts))
		return -1000;
	return args.ret;
}

/*
 * bpf_out_of_memory_async() from a program that cannot wait: the kernel
 * declares the system-wide OOM from its workqueue and kills the task with
 * the highest badness, which has oom_score_adj 1000; unknown flags queue
 * nothing. Eight requests back to back mostly merge (-EBUSY) into the one
 * queued, and however many ran, the victim exiting holds the others off:
 * one kill.
 */
static enum oom_test_status run_async(void *ctx)
{
	struct ot_hog hog = { .mib = 32, .adj = 1000 };
	long long kills = proc_key("/proc/vmstat", "oom_kill");
	struct declare *skel = declare__open_and_load();
	struct {
		__u32 n, queued, merged;
	} burst = { .n = 8 };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &burst, .ctx_size_in = sizeof(burst));
	struct glob *t = ctx;
	int kmsg, ret, bad, sig, declared;

	OT_ASSERT(skel, "load: %s", ot_libbpf_log());
	bad = declare_async(skel, 1);
	kmsg = ot_kmsg_open();
	if (ot_child_spawn_hog(&t->task[2], t->cg[2], &hog)) {
		close(kmsg);
		declare__destroy(skel);
		OT_FAIL("the task did not start");
	}
	ret = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.declare_async_burst), &opts);
	sig = ot_child_wait_death(&t->task[2], OT_TIMEOUT_MS);
	declared = ot_kmsg_wait_for(kmsg, "declared by a BPF program", NULL, 0, OT_TIMEOUT_MS);
	close(kmsg);
	declare__destroy(skel);
	OT_ASSERT(bad == -EINVAL, "flags 1: %d, expected -EINVAL", bad);
	OT_ASSERT(ret == 0, "BPF_PROG_RUN: %s", strerror(errno));
	ot_info("8 requests: %u queued, %u merged", burst.queued, burst.merged);
	OT_ASSERT(burst.queued >= 1 && burst.merged >= 1 && burst.queued + burst.merged == 8,
		  "%u queued and %u merged of 8 requests", burst.queued, burst.merged);
	OT_ASSERT(sig == SIGKILL, "the task ended with %d", sig);
	OT_ASSERT(declared, "the kernel's report does not say BPF declared the OOM");
	OT_ASSERT(proc_key("/proc/vmstat", "oom_kill") == kills + 1,
		  "oom_kill went from %lld to %lld", kills, proc_key("/proc/vmstat", "oom_kill"));
	return OOM_TEST_PASS;
}

static struct oom_test async = {
	.name = "global_declare_async_kills",
	.description =
		"bpf_out_of_memory_async() from a syscall program: the kernel declares a system-wide OOM from its workqueue and kills the task of highest badness; back-to-back requests merge (-EBUSY) and kill once; unknown flags are refused",
	.setup = setup_glob,
	.run = run_async,
	.cleanup = cleanup_glob,
};

REGISTER_OOM_TEST(&async)

/*
 * Two tenants hold 300 MiB in all; a third task grows without bound. The
 * policy declares a system-wide OOM before the kernel's own, and
 * oom_cgroup_aware, attached system-wide, kills the grower and nothing else.
 */
static enum oom_test_status run_squeeze(void *ctx)
{
	struct ot_hog t1 = { .mib = 200, .adj = 1, .churn = true };
	struct ot_hog t2 = { .mib = 100, .adj = 1, .churn = true };
	struct ot_hog grow = { .mib = 1, .adj = 1, .grow = true };
	long long kills = proc_key("/proc/vmstat", "oom_kill");
	char line[512], want[64];
	struct glob *t = ctx;
	enum oom_test_status st;
	int kmsg, declared, sig;

	OT_ASSERT(!ot_child_spawn_hog(&t->task[0], t->cg[0], &t1) &&
		  !ot_child_spawn_hog(&t->task[1], t->cg[1], &t2), "the tenants did not start");
	st = start_policies(t);
	if (st)
		return st;
	kmsg = ot_kmsg_open();
	OT_ASSERT(!ot_child_spawn_hog(&t->task[2], t->cg[2], &grow), "the grower did not start");
	sig = ot_child_wait_death(&t->task[2], OT_TIMEOUT_MS);
	if (sig == -ETIMEDOUT)
		squeeze_state(t);
	declared = ot_kmsg_wait_for(kmsg, "declared by a BPF program", NULL, 0, OT_TIMEOUT_MS);
	close(kmsg);
	OT_ASSERT(sig == SIGKILL, "the grower ended with %d", sig);
	OT_ASSERT(ot_child_alive(&t->task[0]) && ot_child_alive(&t->task[1]), "a tenant died");
	OT_ASSERT(declared, "the kernel's report does not say BPF declared the OOM");
	/*
	 * The first OOM declared is the system-wide one: the tenants' memcgs
	 * have no limit below RAM, so their stall is the whole machine's,
	 * never theirs to declare.
	 */
	OT_ASSERT(ot_proc_read_until(t->psi.out, "declared", line, sizeof(line), OT_TIMEOUT_MS),
		  "oom_psi_proactive reported no declared OOM");
	ot_info("%s", line);
	OT_ASSERT(strstr(line, "system-wide OOM declared"),
		  "an OOM was declared in a memcg without a limit below RAM");
	OT_ASSERT(ot_proc_read_until(t->ca.out, "killed pid", line, sizeof(line), OT_TIMEOUT_MS),
		  "oom_cgroup_aware reported no kill");
	ot_info("%s", line);
	snprintf(want, sizeof(want), "killed pid %d ", t->task[2].pid);
	OT_ASSERT(strstr(line, want), "expected \"%s\"", want);
	OT_ASSERT(proc_key("/proc/vmstat", "oom_kill") == kills + 1,
		  "oom_kill went from %lld to %lld", kills, proc_key("/proc/vmstat", "oom_kill"));
	return OOM_TEST_PASS;
}

static struct oom_test squeeze = {
	.name = "global_squeeze_kills_grower",
	.description =
		"a machine-wide squeeze: oom_psi_proactive on the root declares a system-wide OOM first and none in the unlimited memcgs, oom_cgroup_aware kills the grower, both tenants live",
	.setup = setup_glob,
	.run = run_squeeze,
	.cleanup = cleanup_glob,
};

REGISTER_OOM_TEST(&squeeze)

/*
 * A shortage that killing does not end: the threshold is set 64 MiB above
 * what is available, so the rule holds from the start and no kill frees
 * enough. The kernel kills one of two tasks at oom_score_adj 1000, whose
 * 16 MiB do not help; the rule then stands back ("killing does not end
 * it") instead of killing one task after another while every allocation
 * still succeeds. The other task lives.
 */
static enum oom_test_status run_short_one_victim(void *ctx)
{
	struct ot_hog small = { .mib = 16, .adj = 1000 };
	long long kills = proc_key("/proc/vmstat", "oom_kill"), total, avail;
	char line[512], report[512], pct[16];
	struct glob *t = ctx;
	int kmsg, found, victim, i;
	char *killed;

	OT_ASSERT(!ot_child_spawn_hog(&t->task[1], t->cg[1], &small) &&
		  !ot_child_spawn_hog(&t->task[2], t->cg[2], &small), "the tasks did not start");
	total = proc_key("/proc/meminfo", "MemTotal");
	avail = proc_key("/proc/meminfo", "MemAvailable");
	snprintf(pct, sizeof(pct), "%.1f", (avail + 65536) * 100.0 / total);
	{
		const char *const args[] = { "-i", "0", "-c", CG_MNT, "--avail", pct,
					     "--stall", "off", "--cooldown", "30", NULL };
		enum oom_test_status st = ot_loader_start(&t->psi, "oom_psi_proactive", args, 0);

		kmsg = ot_kmsg_open();
		if (!st)
			st = ot_loader_attached(&t->psi);
		if (st) {
			close(kmsg);
			return st;
		}
	}
	OT_ASSERT(ot_proc_read_until(t->psi.out, "system-wide OOM declared", line,
				     sizeof(line), OT_TIMEOUT_MS),
		  "no system-wide OOM declared at --avail %s", pct);
	ot_info("%s", line);
	found = ot_kmsg_wait_for(kmsg, "Killed process", report, sizeof(report), OT_TIMEOUT_MS);
	close(kmsg);
	OT_ASSERT(found, "no OOM kill in the kernel's log");
	killed = strstr(report, "Killed process ");
	victim = killed ? atoi(killed + strlen("Killed process ")) : 0;
	i = victim == t->task[1].pid ? 1 : 2;
	OT_ASSERT(victim == t->task[i].pid, "the kernel killed pid %d, not one of ours", victim);
	OT_ASSERT(ot_child_wait_death(&t->task[i], OT_TIMEOUT_MS) == SIGKILL,
		  "pid %d was not SIGKILLed", victim);
	OT_ASSERT(ot_proc_read_until(t->psi.out, "killing does not end it", line, sizeof(line),
				     OT_TIMEOUT_MS), "the rule did not stand back");
	ot_info("%s", line);
	OT_ASSERT(strstr(line, "after 1 kill(s)"), "expected one kill");
	OT_ASSERT(ot_child_alive(&t->task[3 - i]), "the second task was killed too");
	OT_ASSERT(proc_key("/proc/vmstat", "oom_kill") == kills + 1,
		  "oom_kill went from %lld to %lld", kills, proc_key("/proc/vmstat", "oom_kill"));
	return OOM_TEST_PASS;
}

static struct oom_test short_one_victim = {
	.name = "global_short_one_victim",
	.description =
		"a system-wide shortage that a kill does not end: oom_psi_proactive declares one OOM, sees its victim die without relief and stands back; the second candidate lives",
	.setup = setup_glob,
	.run = run_short_one_victim,
	.cleanup = cleanup_glob,
};

REGISTER_OOM_TEST(&short_one_victim)

/* No kill anywhere, and neither loader decided anything. */
static enum oom_test_status assert_no_kill(struct glob *t, long long kills)
{
	char line[512];

	OT_ASSERT(!ot_proc_read_until(t->psi.out, "declare", line, sizeof(line), 100),
		  "oom_psi_proactive: %s", line);
	OT_ASSERT(!ot_proc_read_until(t->ca.out, "killed pid", line, sizeof(line), 100),
		  "oom_cgroup_aware: %s", line);
	OT_ASSERT(proc_key("/proc/vmstat", "oom_kill") == kills, "oom_kill went from %lld to %lld",
		  kills, proc_key("/proc/vmstat", "oom_kill"));
	return OOM_TEST_PASS;
}

/* What the reader streams: a block device, read through its page cache. */
struct stream {
	char path[64];
	long mib;
	int passes;
};

static int stream_dev(const void *arg)
{
	const struct stream *sa = arg;
	static char buf[1 << 16];
	long long left;
	ssize_t n;
	int fd, i;

	for (i = 0; i < sa->passes; i++) {
		fd = open(sa->path, O_RDONLY);
		if (fd < 0)
			return 1;
		for (left = (long long)sa->mib << 20; left > 0; left -= n) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
		}
		close(fd);
		if (left > 0)
			return 1;
	}
	return 0;
}

/*
 * A job in a memcg of 32M reads a 256 MiB disk (a zram device, so that the
 * reads cost no I/O) twice, through the page cache: its cache turns over
 * 16 times, reclaim keeps up, the job finishes.
 */
static enum oom_test_status run_cache(void *ctx)
{
	struct stream sa = { .mib = 256, .passes = 2 };
	struct ot_hog reader = { .mib = 1, .adj = 1, .after = stream_dev, .arg = &sa };
	long long kills = proc_key("/proc/vmstat", "oom_kill");
	struct glob *t = ctx;
	enum oom_test_status st;
	char id[16];
	int sig;

	if (ot_cg_read("/sys/class/zram-control", "hot_add", id, sizeof(id)) < 0)
		OT_SKIP("no zram (CONFIG_ZRAM)");
	t->zram_dev = atoi(id);
	snprintf(sa.path, sizeof(sa.path), "/sys/block/zram%d", t->zram_dev);
	OT_ASSERT(!ot_cg_write(sa.path, "disksize", "%ldM", sa.mib), "%s/disksize: %s", sa.path,
		  strerror(errno));
	snprintf(sa.path, sizeof(sa.path), "/dev/zram%d", t->zram_dev);
	OT_ASSERT(!ot_cg_write(t->cg[2], "memory.max", "32M"), "memory.max");
	st = start_policies(t);
	if (st)
		return st;
	OT_ASSERT(!ot_child_spawn_hog(&t->task[2], t->cg[2], &reader), "the reader did not start");
	/* Slow on a debug kernel: minutes. */
	sig = ot_child_wait_death(&t->task[2], 5 * OT_TIMEOUT_MS);
	OT_ASSERT(sig != -ETIMEDOUT, "the reader did not finish in 5 min");
	OT_ASSERT(sig == 0, "the reader was killed by signal %d", sig);
	OT_ASSERT(WIFEXITED(t->task[2].status) && !WEXITSTATUS(t->task[2].status),
		  "the reader failed");
	ot_info("read %ld MiB twice in a 32M memcg; memory.events max %lld, file pages now %lld kB",
		sa.mib, ot_cg_read_key(t->cg[2], "memory.events", "max"),
		ot_cg_read_key(t->cg[2], "memory.stat", "file") / 1024);
	OT_ASSERT(ot_cg_read_key(t->cg[2], "memory.events", "max") > 0,
		  "the page cache never reached memory.max");
	OT_ASSERT(ot_cg_read_key(t->cg[2], "memory.events", "oom_kill") == 0,
		  "oom_kill in the memcg");
	return assert_no_kill(t, kills);
}

static struct oom_test cache = {
	.name = "global_benign_page_cache",
	.description =
		"a memcg of 32M streams a 256 MiB disk twice through the page cache under both policies: nothing is killed",
	.setup = setup_glob,
	.run = run_cache,
	.cleanup = cleanup_glob,
};

REGISTER_OOM_TEST(&cache)

/*
 * With 256M of zram swap, a job 8 MiB above its memory.high keeps
 * rewriting its 40 MiB for 15 s: it swaps and is throttled, and it makes
 * progress. Nothing may kill it.
 */
static enum oom_test_status run_zram(void *ctx)
{
	struct ot_hog job = { .mib = 40, .adj = 1, .churn = true };
	long long kills = proc_key("/proc/vmstat", "oom_kill");
	struct glob *t = ctx;
	enum oom_test_status st;
	int sig;

	if (access("/sys/block/zram0/disksize", W_OK))
		OT_SKIP("no zram0 (CONFIG_ZRAM)");
	OT_ASSERT(!ot_cg_write("/sys/block/zram0", "disksize", "256M"), "zram0 disksize");
	t->zram = true;
	{
		const char *const mkswap[] = { "/sbin/mkswap", "/dev/zram0", NULL };
		struct ot_proc p = { .out = -1, .err = -1 };

		OT_ASSERT(!ot_proc_start(&p, mkswap, 0) && !ot_proc_wait(&p, OT_TIMEOUT_MS) &&
			  WIFEXITED(p.status) && !WEXITSTATUS(p.status), "mkswap failed");
		ot_proc_kill(&p);
	}
	OT_ASSERT(!swapon("/dev/zram0", 0), "swapon: %s", strerror(errno));
	OT_ASSERT(!ot_cg_write(t->cg[2], "memory.high", "32M"), "memory.high");
	st = start_policies(t);
	if (st)
		return st;
	OT_ASSERT(!ot_child_spawn_hog(&t->task[2], t->cg[2], &job), "the job did not start");
	sig = ot_child_wait_death(&t->task[2], 15000);
	ot_info("after 15 s: memory.events high %lld, memory.stat pswpin %lld pswpout %lld",
		ot_cg_read_key(t->cg[2], "memory.events", "high"),
		ot_cg_read_key(t->cg[2], "memory.stat", "pswpin"),
		ot_cg_read_key(t->cg[2], "memory.stat", "pswpout"));
	/* First who decided what, then how the job ended. */
	st = assert_no_kill(t, kills);
	if (st)
		return st;
	OT_ASSERT(sig == -ETIMEDOUT, "the job ended with %d", sig);
	OT_ASSERT(ot_cg_read_key(t->cg[2], "memory.stat", "pswpout") > 0, "the job never swapped");
	return OOM_TEST_PASS;
}

static struct oom_test zram = {
	.name = "global_benign_zram_swap",
	.description =
		"with zram swap, a job a little above its memory.high swaps and makes progress for 15 s under both policies: nothing is killed",
	.setup = setup_glob,
	.run = run_zram,
	.cleanup = cleanup_glob,
};

REGISTER_OOM_TEST(&zram)
