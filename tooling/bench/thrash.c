// SPDX-License-Identifier: GPL-2.0
/*
 * thrash - one thrashing episode, timed, for the PSI reaction benchmark.
 *
 *   thrash CGROUP_DIR TIMEOUT_S
 *
 * Forks a child into CGROUP_DIR that allocates and touches anonymous
 * memory 1 MiB at a time, forever. It starts to thrash when the cgroup
 * first goes over memory.high: the parent watches the "high" count of the
 * cgroup's memory.events (every 5 ms) and notes that moment
 * (CLOCK_MONOTONIC). It then waits for the child's death, at most
 * TIMEOUT_S seconds, and prints one line:
 *   killed MS      the child died by SIGKILL MS milliseconds after that
 *   alive S MIB    it still ran after S seconds, with MIB allocated
 * The child is killed in the second case.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The "high" count of @cg's memory.events, or -1. */
static long high_events(const char *cg)
{
	char path[4096], key[64];
	long v, ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.events", cg);
	f = fopen(path, "r");
	while (f && fscanf(f, "%63s %ld", key, &v) == 2) {
		if (!strcmp(key, "high"))
			ret = v;
	}
	if (f)
		fclose(f);
	return ret;
}

static void child(const char *cg, int progress)
{
	char path[4096];
	long mib;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "0", 1) != 1)
		_exit(1);
	close(fd);
	for (mib = 1;; mib++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(2);
		memset(p, 1, 1 << 20);
		/* Non-blocking: a full pipe only loses progress reports. */
		if (write(progress, &mib, sizeof(mib)) < 0)
			continue;
	}
}

int main(int argc, char **argv)
{
	int prog[2], pidfd, status;
	long timeout, mib = 0, m;
	double start;
	pid_t pid;

	if (argc != 3) {
		fprintf(stderr, "usage: thrash CGROUP_DIR TIMEOUT_S\n");
		return 2;
	}
	timeout = atol(argv[2]);
	if (high_events(argv[1]) != 0) {
		fprintf(stderr, "thrash: %s: no memory.events, or not a fresh cgroup\n", argv[1]);
		return 2;
	}
	if (pipe2(prog, O_NONBLOCK))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		close(prog[0]);
		child(argv[1], prog[1]);
	}
	close(prog[1]);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	while (high_events(argv[1]) == 0) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

		if (poll(&pfd, 1, 5) > 0) {
			fprintf(stderr, "thrash: the child died before memory.high\n");
			return 1;
		}
	}
	start = now_ms();
	for (;;) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
		int left = timeout * 1000 - (now_ms() - start);

		while (read(prog[0], &m, sizeof(m)) == sizeof(m))
			mib = m;
		if (left <= 0 || poll(&pfd, 1, left < 200 ? left : 200) < 0)
			break;
		if (pfd.revents) {
			waitpid(pid, &status, 0);
			if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
				printf("killed %.0f\n", now_ms() - start);
				return 0;
			}
			printf("exited %d\n", status);
			return 1;
		}
	}
	printf("alive %ld %ld\n", timeout, mib);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 0;
}
