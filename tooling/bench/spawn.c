// SPDX-License-Identifier: GPL-2.0
/*
 * spawn - fill cgroups with idle processes, for the OOM benchmarks.
 *
 *   spawn N CGROUP_DIR...
 *
 * Puts N processes that only sleep into each cgroup and exits; remove them
 * with cgroup.kill. The parent joins each cgroup in turn and forks there,
 * so a child costs one fork and no exec: a few pages of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int join(const char *dir)
{
	char path[4096], pid[32];
	int fd, n, ret;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = snprintf(pid, sizeof(pid), "%d", getpid());
	ret = write(fd, pid, n) == n ? 0 : -1;
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	int n, i, j, total = 0;

	if (argc < 3 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: spawn N CGROUP_DIR...\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (join(argv[i])) {
			fprintf(stderr, "spawn: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		for (j = 0; j < n; j++) {
			pid_t pid = fork();

			if (pid < 0) {
				fprintf(stderr, "spawn: fork: %s (after %d)\n", strerror(errno), total);
				return 1;
			}
			if (!pid) {
				/* Hold no pipe of the caller's open. */
				close(0);
				close(1);
				close(2);
				for (;;)
					pause();
			}
			total++;
		}
	}
	printf("%d\n", total);
	return 0;
}
