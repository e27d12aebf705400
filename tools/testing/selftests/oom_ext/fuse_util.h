/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oom_ext selftests: a FUSE file whose reads never complete, to make tasks
 * that cannot finish exiting (an AIO read pending in exit_aio()) or that
 * are stuck in a syscall despite SIGKILL (a synchronous read already sent
 * to the server). The server answers everything else; aborting the
 * connection releases every stuck task.
 */
#ifndef __OOM_FUSE_UTIL_H__
#define __OOM_FUSE_UTIL_H__

#include <stdbool.h>
#include <sys/types.h>

struct ot_fuse {
	char path[64];	/* the mount point: a regular file, 1 MiB */
	int dev;	/* /dev/fuse */
	int reads;	/* a byte per READ request the server holds */
	pid_t server;
	bool mounted;
};

/* Mount a one-file FUSE filesystem at a fresh path; 0 or -errno. */
int ot_fuse_start(struct ot_fuse *f);
/* Wait until the server holds a READ request; 1 if it does. */
int ot_fuse_wait_read(struct ot_fuse *f, int timeout_ms);
/* Abort the connection (every held request fails) and unmount. */
void ot_fuse_stop(struct ot_fuse *f);

/* In a child: submit an AIO read of @path that stays pending; 0 or -1. */
int ot_fuse_aio_read(const char *path);
/* In a child: a read() of @path that blocks; returns only on abort. */
void ot_fuse_sync_read(const char *path);
/*
 * In a child: start @n threads that each block in a read() of @path and
 * return once the connection is aborted; 0, or -1 if one did not start.
 */
int ot_fuse_block_threads(const char *path, int n);

#endif /* __OOM_FUSE_UTIL_H__ */
