// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal FUSE server in a child process: a single regular file at the
 * mount point, opened with FOPEN_DIRECT_IO so that every read reaches the
 * server, and READ requests that are held, never answered, until the
 * connection is aborted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/aio_abi.h>
#include <linux/fuse.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "fuse_util.h"

#define FILE_SIZE	(1024 * 1024)

static void reply(int dev, __u64 unique, int error, const void *arg, size_t len)
{
	char buf[sizeof(struct fuse_out_header) + 256];
	struct fuse_out_header *out = (void *)buf;

	out->len = sizeof(*out) + len;
	out->error = error;
	out->unique = unique;
	memcpy(buf + sizeof(*out), arg, len);
	if (write(dev, buf, out->len) < 0 && errno != ENOENT)
		_exit(3);
}

static void serve(int dev, int reads)
{
	static char buf[FUSE_MIN_READ_BUFFER + 65536];
	struct fuse_in_header *in = (void *)buf;

	for (;;) {
		ssize_t n = read(dev, buf, sizeof(buf));

		if (n < 0 && (errno == EINTR || errno == ENOENT || errno == EAGAIN))
			continue;
		if (n < (ssize_t)sizeof(*in))
			_exit(0);	/* ENODEV: aborted or unmounted */
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_in *ii = (void *)(in + 1);
			struct fuse_init_out io = {
				.major = FUSE_KERNEL_VERSION,
				.minor = FUSE_KERNEL_MINOR_VERSION,
				.max_readahead = ii->max_readahead,
				.flags = ii->flags & FUSE_ASYNC_DIO,
				.max_background = 16,
				.congestion_threshold = 12,
				.max_write = 4096,
			};

			reply(dev, in->unique, 0, &io, sizeof(io));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out ao = { .attr_valid = 3600 };

			ao.attr.ino = FUSE_ROOT_ID;
			ao.attr.size = FILE_SIZE;
			ao.attr.blocks = FILE_SIZE / 512;
			ao.attr.mode = S_IFREG | 0644;
			ao.attr.nlink = 1;
			ao.attr.blksize = 4096;
			reply(dev, in->unique, 0, &ao, sizeof(ao));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out oo = { .fh = 1, .open_flags = FOPEN_DIRECT_IO };

			reply(dev, in->unique, 0, &oo, sizeof(oo));
			break;
		}
		case FUSE_READ:
			/* Held: the reader waits until the connection is aborted. */
			if (write(reads, "r", 1) != 1)
				_exit(4);
			break;
		case FUSE_INTERRUPT:
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
			break;	/* no reply expected (or wanted) */
		case FUSE_FLUSH:
		case FUSE_RELEASE:
			reply(dev, in->unique, 0, NULL, 0);
			break;
		default:
			/* FUSE's own "not implemented" */
			reply(dev, in->unique, -ENOSYS, NULL, 0);
			break;
		}
	}
}

int ot_fuse_start(struct ot_fuse *f)
{
	char opts[128];
	int p[2], fd;

	memset(f, 0, sizeof(*f));
	f->dev = -1;
	f->reads = -1;
	snprintf(f->path, sizeof(f->path), "/tmp/oom_ext_fuse.%d", getpid());
	fd = open(f->path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	f->dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (f->dev < 0 || pipe2(p, O_CLOEXEC))
		goto fail;
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=100644,user_id=0,group_id=0", f->dev);
	if (mount("oom_ext", f->path, "fuse", MS_NOSUID | MS_NODEV, opts))
		goto fail_pipe;
	f->mounted = true;
	fflush(stdout);
	f->server = fork();
	if (!f->server) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		serve(f->dev, p[1]);
	}
	close(p[1]);
	f->reads = p[0];
	if (f->server < 0)
		goto fail;
	return 0;
fail_pipe:
	close(p[0]);
	close(p[1]);
fail:
	fd = -errno;
	ot_fuse_stop(f);
	return fd ?: -EIO;
}

int ot_fuse_wait_read(struct ot_fuse *f, int timeout_ms)
{
	struct pollfd pfd = { .fd = f->reads, .events = POLLIN };
	char b;

	return poll(&pfd, 1, timeout_ms) == 1 && read(f->reads, &b, 1) == 1;
}

void ot_fuse_stop(struct ot_fuse *f)
{
	struct stat st;
	char abort_path[96];
	int fd;

	/* fusectl names a connection by the minor number of its device. */
	if (f->mounted && !stat(f->path, &st)) {
		mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0, NULL);
		snprintf(abort_path, sizeof(abort_path), "/sys/fs/fuse/connections/%u/abort",
			 minor(st.st_dev));
		fd = open(abort_path, O_WRONLY | O_CLOEXEC);
		/* Should that fail, the umount and close below abort too. */
		if (fd >= 0 && write(fd, "1", 1) == 1)
			f->mounted = true;
		if (fd >= 0)
			close(fd);
	}
	if (f->mounted)
		umount2(f->path, MNT_DETACH);
	f->mounted = false;
	if (f->server > 0) {
		kill(f->server, SIGKILL);
		waitpid(f->server, NULL, 0);
		f->server = 0;
	}
	if (f->dev >= 0)
		close(f->dev);
	if (f->reads >= 0)
		close(f->reads);
	f->dev = -1;
	f->reads = -1;
	unlink(f->path);
}

int ot_fuse_aio_read(const char *path)
{
	static char raw[2 * 4096];
	/* O_DIRECT wants an aligned buffer. */
	char *buf = (char *)(((unsigned long)raw + 4095) & ~4095UL);
	struct iocb cb = {}, *cbs[1] = { &cb };
	aio_context_t ctx = 0;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECT);
	/* fstat() fetches the size: a read past i_size would not be sent. */
	if (fd < 0 || fstat(fd, &st) || syscall(SYS_io_setup, 1, &ctx))
		return -1;
	cb.aio_lio_opcode = IOCB_CMD_PREAD;
	cb.aio_fildes = fd;
	cb.aio_buf = (unsigned long)buf;
	cb.aio_nbytes = 4096;
	return syscall(SYS_io_submit, ctx, 1, cbs) == 1 ? 0 : -1;
}

void ot_fuse_sync_read(const char *path)
{
	char buf[512];
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		_exit(5);
	if (read(fd, buf, sizeof(buf)) < 0)
		_exit(6);
	_exit(0);
}

static void *blocked_reader(void *arg)
{
	char buf[512];
	int fd = open(arg, O_RDONLY);

	/* Blocks until the connection is aborted; then just end the thread. */
	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) < 0)
			buf[0] = 0;
		close(fd);
	}
	return NULL;
}

int ot_fuse_block_threads(const char *path, int n)
{
	pthread_attr_t attr;
	pthread_t tid;
	int i, err = 0;

	/* Small stacks: the threads only wait. */
	if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, 64 << 10) ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED))
		return -1;
	for (i = 0; i < n && !err; i++)
		err = pthread_create(&tid, &attr, blocked_reader, (void *)path);
	pthread_attr_destroy(&attr);
	return err ? -1 : 0;
}
