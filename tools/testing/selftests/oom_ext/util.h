/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oom_ext selftests: helpers for memory cgroups, child processes and the
 * kernel log. Every wait here ends on an event (a pipe, a pidfd, a cgroup
 * file notification) or on its timeout, never on a fixed sleep.
 */
#ifndef __OOM_UTIL_H__
#define __OOM_UTIL_H__

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/compiler.h>	/* __printf */

#define CG_MNT		"/sys/fs/cgroup"
#define CG_TEST_ROOT	CG_MNT "/oom_ext_test"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * Generous: TCG guests are slow, and a debug kernel (OOM_EXT_DEBUG=1:
 * KASAN, lockdep) three times slower again.
 */
#define OT_TIMEOUT_MS	ot_timeout_ms()
int ot_timeout_ms(void);
/* CLOCK_MONOTONIC in milliseconds. */
long ot_now_ms(void);

/*
 * Set the sysctl at @path (under /proc/sys) to @val; the old value goes to
 * *@old when not NULL. 0 or -errno.
 */
int ot_sysctl_set(const char *path, long val, long *old);

/* Mount cgroup2 if needed and create the per-run root with +memory. */
int ot_cg_init(void);
/*
 * Create CG_TEST_ROOT/@name (a relative path, may be nested); returns a
 * malloc()ed absolute path or NULL. Parents must exist.
 */
char *ot_cg_create(const char *name);
/* Kill everything in @path and below, wait until unpopulated, rmdir. */
int ot_cg_destroy(const char *path);
int ot_cg_write(const char *path, const char *file, const char *fmt, ...)
	__printf(3, 4);
int ot_cg_read(const char *path, const char *file, char *buf, size_t len);
/* Value of "@key N" in a flat-keyed file such as memory.events; -1 on error. */
long long ot_cg_read_key(const char *path, const char *file, const char *key);
/* Wait until "populated 0" in @path/cgroup.events. */
int ot_cg_wait_unpopulated(const char *path, int timeout_ms);
/* The cgroup id of a cgroup v2 directory (its inode number); -1 on error. */
long long ot_cg_id(const char *path);

/* A child process started by ot_child_spawn_hog(). */
struct ot_child {
	pid_t pid;
	int pidfd;
	int ready_fd;	/* parent end: one byte when the child is set up */
	bool reaped;
	int status;	/* wait status once reaped */
	pid_t vfork_child;	/* with ot_hog.vfork: the child, in vfork() */
};

/* What a spawned memory user does. */
struct ot_hog {
	long mib;	/* touch this much anonymous memory, then report ready */
	bool grow;	/* afterwards keep allocating until killed */
	int adj;	/* oom_score_adj to set first (0 leaves it alone) */
	bool vfork;	/* then vfork(): the child reports ready and sleeps */
	bool churn;	/* afterwards keep rewriting its memory: a working set */
	/* In the child, before touching the memory: non-zero fails the spawn. */
	int (*before)(const void *arg);
	/* In the child, after touching the memory: non-zero fails the spawn. */
	int (*then)(const void *arg);
	/* In the child, once ready: the child exits with what it returns. */
	int (*after)(const void *arg);
	const void *arg;
};

/*
 * Fork a child that joins @cg (if not NULL), sets its oom_score_adj,
 * touches @hog->mib MiB, reports ready and then either sleeps or grows.
 * Returns 0 once the child reported ready, -1 if it died before that.
 */
int ot_child_spawn_hog(struct ot_child *c, const char *cg, const struct ot_hog *hog);
/*
 * Wait for @c to exit; returns the signal that killed it, 0 if it exited,
 * -ETIMEDOUT if it is still running after @timeout_ms.
 */
int ot_child_wait_death(struct ot_child *c, int timeout_ms);
/* Is the child still running (not yet exited)? */
bool ot_child_alive(struct ot_child *c);
/* SIGKILL and reap, for cleanup paths. Idempotent. */
void ot_child_reap(struct ot_child *c);

/* Kernel log: open /dev/kmsg positioned at its end. */
int ot_kmsg_open(void);
/*
 * Read what was logged since ot_kmsg_open(); returns the number of WARN, BUG,
 * oops or panic lines and prints each as a KTAP comment.
 */
int ot_kmsg_count_splats(int fd);
/*
 * Read new records until one contains @needle; 1 found, 0 timeout. The
 * matching record is copied to @line when non-NULL.
 */
int ot_kmsg_wait_for(int fd, const char *needle, char *line, size_t len, int timeout_ms);
/* How many of the records logged since ot_kmsg_open() contain @needle; -1 on error. */
int ot_kmsg_count(int fd, const char *needle);

#endif /* __OOM_UTIL_H__ */
