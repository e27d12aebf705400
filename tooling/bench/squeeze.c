// SPDX-License-Identifier: GPL-2.0
/*
 * squeeze - one whole-machine (or one-cgroup) memory squeeze, timed, for
 * the peer benchmark (tooling/bench-peers.sh).
 *
 *   squeeze [-a AVAIL:SWAP] [-r MIB_PER_S] [-t TIMEOUT_S] [-s SUB | -w N] CULPRIT_CG [TENANT_CG:MIB ...]
 *   squeeze -c N -f FILE [-t TIMEOUT_S] JOB_CG     (benign: stream a file)
 *   squeeze -j MIB [-t TIMEOUT_S] JOB_CG           (benign: steady job)
 *
 * Starts one tenant per TENANT_CG:MIB that touches MIB MiB of anonymous
 * memory, says it is ready, then re-touches it every second (a working
 * set, not idle memory that swap could take for free). Then starts the
 * culprit in CULPRIT_CG: it allocates MIB_PER_S (default 100) MiB per
 * second, 1 MiB at a time, forever; each page holds 512 bytes of noise
 * and zeros, so that zram cannot store it for free as it does zero pages.
 * With -s SUB the culprit forks into SUB sub-cgroups of CULPRIT_CG
 * (named g0, g1, ...), one grower each, at MIB_PER_S / SUB each; with
 * -w N it runs N growers in CULPRIT_CG itself (a batch job's workers
 * growing together), at MIB_PER_S / N each.
 *
 * The benign loads have no culprit: with -c the job reads FILE N times
 * through the page cache and exits; with -j it holds MIB MiB and touches
 * all of it, over and over, until TIMEOUT_S. Any kill there is a false one.
 *
 * With -a AVAIL:SWAP it also watches a kill rule, earlyoom's kind:
 * MemAvailable under AVAIL % of MemTotal and SwapFree at most SWAP % of
 * SwapTotal, and reports how long before the death the rule first held
 * (rule_ms; -1 if it never held), and, for a kill by the kernel (the
 * kernel's own, or one a BPF policy makes; not a daemon's SIGKILL), how
 * long after the rule first held /proc/vmstat's oom_kill went up
 * (kill_ms; -1 without such a kill). The death comes later: a victim of
 * 1 GiB takes about 0.4 s to exit under TCG.
 *
 * Every 10 ms it samples MemAvailable, then waits for the culprit's death
 * (every grower, with -s) or TIMEOUT_S (default 60) and prints one line:
 *
 *   result=killed|done|alive ms=MS used_mib=U innocent=N stall_ms=S full_ms=F
 *
 * ms: from the culprit's start to its (last grower's) death; used_mib:
 * the most MemTotal - MemAvailable of any sample before that death (the
 * OOM reaper frees a victim's memory before it can be reaped); innocent:
 * tenants that died; stall_ms: the tenants' cgroups' memory "full" stall
 * during the run (the most of any tenant); full_ms: the system's memory
 * "full" stall during the run (/proc/pressure/memory). Everything left is
 * killed before it exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define MAX_PIDS	64

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

static void join(const char *cg)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	if (write_str(path, "0")) {
		perror(path);
		_exit(1);
	}
	/* The benchmark protects itself with -1000; the load is fair game. */
	write_str("/proc/self/oom_score_adj", "0");
}

/* "total" of the "full" line of a pressure file, in us; -1 if unreadable. */
static long long full_us(const char *path)
{
	char buf[512], *p;
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, "full", 4) && (p = strstr(buf, "total=")))
			v = atoll(p + 6);
	fclose(f);
	return v;
}

/* The percentages of a kill rule: MemAvailable and SwapFree (-a). */
static double rule_avail = -1, rule_swap = -1;

/*
 * MemTotal - MemAvailable, in MiB; *@rule: MemAvailable under rule_avail %
 * of MemTotal and SwapFree at most rule_swap % of SwapTotal.
 */
/* @path's contents in @buf (no allocation: see main()); NULL on error. */
static char *slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	return buf;
}

static long used_mib(bool *rule)
{
	long total = -1, avail = -1, swap_total = 0, swap_free = 0;
	static char buf[4096];
	char *line = slurp("/proc/meminfo", buf, sizeof(buf));

	*rule = false;
	if (!line)
		return -1;
	for (; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		sscanf(line, "MemTotal: %ld kB", &total);
		sscanf(line, "MemAvailable: %ld kB", &avail);
		sscanf(line, "SwapTotal: %ld kB", &swap_total);
		sscanf(line, "SwapFree: %ld kB", &swap_free);
	}
	*rule = rule_avail >= 0 && avail < total * rule_avail / 100 &&
		swap_free <= swap_total * rule_swap / 100;
	return (total - avail) / 1024;
}

/* The kernel's count of OOM kills (/proc/vmstat oom_kill); -1 if unknown. */
static long oom_kills(void)
{
	static char buf[16384];
	char *p = slurp("/proc/vmstat", buf, sizeof(buf));

	p = p ? strstr(p, "\noom_kill ") : NULL;
	return p ? atol(p + 10) : -1;
}

static unsigned int seed = 1;

/* One MiB, touched: 512 bytes of noise and zeros per page. */
static char *grab_mib(void)
{
	long page = sysconf(_SC_PAGESIZE), off, i;
	char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (off = 0; off < (1 << 20); off += page)
		for (i = 0; i < 512; i += 4) {
			seed = seed * 1103515245 + 12345;
			memcpy(p + off + i, &seed, 4);
		}
	return p;
}

/*
 * Hold @mib MiB in @cg and keep touching all of it: a working set. A
 * tenant says it is ready on @ready and touches it once a second; the
 * benign job (@ready < 0) touches it without a pause.
 */
static void hold(const char *cg, long mib, int ready)
{
	long page = sysconf(_SC_PAGESIZE), i, off;
	char **chunk = calloc(mib, sizeof(*chunk));

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	join(cg);
	for (i = 0; i < mib; i++)
		if (!(chunk[i] = grab_mib()))
			_exit(3);
	if (ready >= 0 && write(ready, "r", 1) != 1)
		_exit(4);
	for (;;) {
		if (ready >= 0)
			sleep(1);
		for (i = 0; i < mib; i++)
			for (off = 0; off < (1 << 20); off += page)
				chunk[i][off]++;
	}
}

static void grower(const char *cg, long rate)
{
	double start = now_ms();
	long n = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	join(cg);
	for (;;) {
		double due = start + n * 1000.0 / rate;

		while (now_ms() < due)
			usleep(1000);
		if (!grab_mib())
			_exit(3);
		n++;
	}
}

static void reader(const char *cg, const char *file, long n)
{
	static char buf[1 << 20];
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	join(cg);
	while (n-- > 0) {
		fd = open(file, O_RDONLY);
		if (fd < 0)
			_exit(3);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	_exit(0);
}

static pid_t spawn(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (!pid) {
		munlockall();	/* the load is reclaimable as usual */
		fn();
		_exit(0);
	}
	return pid;
}

static const char *g_cg;
static long g_mib, g_rate;
static int g_ready;
static const char *g_file;

static void run_reader(void)
{
	reader(g_cg, g_file, g_mib);
}

static void run_job(void)
{
	hold(g_cg, g_mib, -1);
}

static void run_tenant(void)
{
	hold(g_cg, g_mib, g_ready);
}

static void run_grower(void)
{
	grower(g_cg, g_rate);
}

int main(int argc, char **argv)
{
	long rate = 100, timeout = 60, subs = 0, workers = 0, used = 0, last_used = -1;
	long reads = 0, job_mib = 0;
	const char *file = NULL;
	bool signaled = false;
	pid_t tenants[MAX_PIDS], growers[MAX_PIDS];
	long long t_full0[MAX_PIDS], full0, stall = 0;
	char *tcg[MAX_PIDS], path[4096];
	int nt = 0, ng = 0, left, innocent = 0, opt, i, p[2];
	double start, end = 0, rule_since = -1, kill_at = -1;
	long kills0;
	const char *culprit;
	bool rule = false;

	while ((opt = getopt(argc, argv, "a:r:t:s:w:c:f:j:")) != -1) {
		switch (opt) {
		case 'a':
			if (sscanf(optarg, "%lf:%lf", &rule_avail, &rule_swap) != 2)
				return 2;
			break;
		case 'c': reads = atol(optarg); break;
		case 'f': file = optarg; break;
		case 'j': job_mib = atol(optarg); break;
		case 'r': rate = atol(optarg); break;
		case 't': timeout = atol(optarg); break;
		case 's': subs = atol(optarg); break;
		case 'w': workers = atol(optarg); break;
		default:
			fprintf(stderr, "usage: squeeze [-r MIB_PER_S] [-t TIMEOUT_S] [-s SUB | -w N] CULPRIT_CG [TENANT_CG:MIB ...]\n");
			return 2;
		}
	}
	if (optind >= argc || rate <= 0 || subs < 0 || subs > MAX_PIDS || workers < 0 ||
	    workers > MAX_PIDS || (subs && workers) || (reads && !file)) {
		fprintf(stderr, "squeeze: bad arguments (see the head of squeeze.c)\n");
		return 2;
	}
	culprit = argv[optind++];
	if (pipe(p))
		return 1;
	/*
	 * The samples must not lag behind the load they measure. They did,
	 * by seconds: near the end of a squeeze this process's own text was
	 * evicted and read back from the VM's 9p root. So it locks itself in
	 * memory (its children unlock) and takes real-time priority for
	 * itself only.
	 */
	{
		struct sched_param sp = { .sched_priority = 10 };

		if (mlockall(MCL_CURRENT | MCL_FUTURE))
			perror("squeeze: mlockall (samples may be late)");
		if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp))
			perror("squeeze: sched_setscheduler (samples may be late)");
	}
	for (; optind < argc && nt < MAX_PIDS; optind++) {
		char *colon = strrchr(argv[optind], ':');
		char c;

		if (!colon)
			return 2;
		*colon = 0;
		tcg[nt] = argv[optind];
		g_cg = tcg[nt];
		g_mib = atol(colon + 1);
		g_ready = p[1];
		tenants[nt++] = spawn(run_tenant);
		if (read(p[0], &c, 1) != 1) {
			fprintf(stderr, "squeeze: a tenant died while starting\n");
			return 1;
		}
	}
	for (i = 0; i < nt; i++) {
		snprintf(path, sizeof(path), "%s/memory.pressure", tcg[i]);
		t_full0[i] = full_us(path);
	}
	full0 = full_us("/proc/pressure/memory");

	kills0 = oom_kills();
	start = now_ms();
	if (reads) {
		g_cg = culprit;
		g_file = file;
		g_mib = reads;
		growers[ng++] = spawn(run_reader);
	} else if (job_mib) {
		g_cg = culprit;
		g_mib = job_mib;
		growers[ng++] = spawn(run_job);
	} else if (subs) {
		for (i = 0; i < subs; i++) {
			static char sub[MAX_PIDS][4096];

			snprintf(sub[i], sizeof(sub[i]), "%s/g%d", culprit, i);
			mkdir(sub[i], 0755);
			g_cg = sub[i];
			g_rate = rate / subs ?: 1;
			growers[ng++] = spawn(run_grower);
		}
	} else {
		g_cg = culprit;
		g_rate = workers ? rate / workers ?: 1 : rate;
		for (i = 0; i < (workers ?: 1); i++)
			growers[ng++] = spawn(run_grower);
	}

	left = ng;
	while (left && now_ms() - start < timeout * 1000.0) {
		int status;
		pid_t pid;

		used = used_mib(&rule);
		/* The kernel's kill (any OOM kill: ours, or the kernel's own). */
		if (kill_at < 0 && left && oom_kills() != kills0)
			kill_at = now_ms();
		/* The first time it held: memory only grows until the kill. */
		if (rule && rule_since < 0 && left)
			rule_since = now_ms();
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (i = 0; i < ng; i++)
				if (growers[i] == pid) {
					growers[i] = 0;
					left--;
					signaled |= WIFSIGNALED(status);
					end = now_ms();
				}
			for (i = 0; i < nt; i++)
				if (tenants[i] == pid) {
					tenants[i] = 0;
					innocent++;
				}
		}
		/* The peak: after the kill, memory is freed before the reap. */
		if (left && used > last_used)
			last_used = used;
		usleep(10000);
	}
	for (i = 0; i < nt; i++) {
		snprintf(path, sizeof(path), "%s/memory.pressure", tcg[i]);
		if (t_full0[i] >= 0 && full_us(path) - t_full0[i] > stall)
			stall = full_us(path) - t_full0[i];
	}
	printf("result=%s ms=%.0f used_mib=%ld innocent=%d stall_ms=%lld full_ms=%lld rule_ms=%.0f kill_ms=%.0f\n",
	       left ? "alive" : signaled ? "killed" : "done", left ? now_ms() - start : end - start,
	       last_used, innocent, stall / 1000,
	       (full_us("/proc/pressure/memory") - full0) / 1000,
	       !left && rule_since >= 0 ? end - rule_since : -1,
	       kill_at >= 0 && rule_since >= 0 ? kill_at - rule_since : -1);
	fflush(stdout);
	for (i = 0; i < ng; i++)
		if (growers[i])
			kill(growers[i], SIGKILL);
	for (i = 0; i < nt; i++)
		if (tenants[i])
			kill(tenants[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return 0;
}
