// SPDX-License-Identifier: GPL-2.0
/*
 * A batch job for make bench-graceful: joins a cgroup, then grows by 1 MiB
 * every 50 ms up to a size and stays there.
 *
 *   ckpt CGROUP MIB checkpoint FILE   on SIGTERM: write FILE, free, exit 0
 *   ckpt CGROUP MIB ignore            SIGTERM is ignored
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t term;

static void on_term(int sig)
{
	term = 1;
}

int main(int argc, char **argv)
{
	struct timespec step = { 0, 50 * 1000 * 1000 };
	char path[512];
	long mib, i;
	FILE *f;

	if (argc < 4 || (strcmp(argv[3], "ignore") && argc < 5)) {
		fprintf(stderr, "usage: ckpt CGROUP MIB checkpoint FILE | ckpt CGROUP MIB ignore\n");
		return 2;
	}
	mib = atol(argv[2]);
	signal(SIGTERM, strcmp(argv[3], "ignore") ? on_term : SIG_IGN);
	snprintf(path, sizeof(path), "%s/cgroup.procs", argv[1]);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		return 3;
	for (i = 0; i < mib && !term; i++) {
		char *p = malloc(1 << 20);

		if (!p)
			return 4;
		memset(p, 1, 1 << 20);
		nanosleep(&step, NULL);
	}
	while (!term)
		pause();
	f = fopen(argv[4], "w");
	if (!f || fputs("checkpoint\n", f) < 0 || fclose(f))
		return 5;
	return 0;
}
