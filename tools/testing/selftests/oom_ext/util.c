// SPDX-License-Identifier: GPL-2.0
/*
 * oom_ext selftests: helpers for memory cgroups, child processes and the
 * kernel log.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "util.h"

long ot_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_file(const char *path, const char *buf)
{
	ssize_t len = strlen(buf), ret;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, buf, len);
	if (ret < 0)
		ret = -errno;
	close(fd);
	return ret == len ? 0 : (ret < 0 ? ret : -EIO);
}

int ot_cg_write(const char *path, const char *file, const char *fmt, ...)
{
	char name[PATH_MAX], buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	snprintf(name, sizeof(name), "%s/%s", path, file);
	return write_file(name, buf);
}

int ot_cg_read(const char *path, const char *file, char *buf, size_t len)
{
	char name[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(name, sizeof(name), "%s/%s", path, file);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

long long ot_cg_read_key(const char *path, const char *file, const char *key)
{
	char buf[4096], *line, *save;
	size_t klen = strlen(key);

	if (ot_cg_read(path, file, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
	}
	return -1;
}

int ot_timeout_ms(void)
{
	const char *debug = getenv("OOM_EXT_DEBUG");

	return debug && *debug && strcmp(debug, "0") ? 180000 : 60000;
}

long long ot_cg_id(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -1;
	return st.st_ino;
}

int ot_cg_wait_unpopulated(const char *path, int timeout_ms)
{
	long deadline = ot_now_ms() + timeout_ms;
	char name[PATH_MAX], buf[256];
	int fd, ret = -ETIMEDOUT;

	snprintf(name, sizeof(name), "%s/cgroup.events", path);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLPRI };
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		long left;

		if (n < 0) {
			ret = -errno;
			break;
		}
		buf[n] = '\0';
		if (strstr(buf, "populated 0")) {
			ret = 0;
			break;
		}
		left = deadline - ot_now_ms();
		if (left <= 0)
			break;
		/* kernfs signals POLLPRI on every change of cgroup.events. */
		poll(&pfd, 1, left);
	}
	close(fd);
	return ret;
}

static int rmdir_tree(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		rmdir_tree(sub);
	}
	closedir(d);
	return rmdir(path) && errno != ENOENT ? -errno : 0;
}

int ot_cg_destroy(const char *path)
{
	if (access(path, F_OK))
		return 0;
	ot_cg_write(path, "cgroup.kill", "1");
	ot_cg_wait_unpopulated(path, OT_TIMEOUT_MS);
	return rmdir_tree(path);
}

int ot_cg_init(void)
{
	struct statfs sfs;
	int ret;

	if (statfs(CG_MNT, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		if (mount("cgroup2", CG_MNT, "cgroup2", 0, NULL))
			return -errno;
	}
	ret = ot_cg_write(CG_MNT, "cgroup.subtree_control", "+memory");
	if (ret)
		return ret;
	ot_cg_destroy(CG_TEST_ROOT);
	if (mkdir(CG_TEST_ROOT, 0755))
		return -errno;
	return ot_cg_write(CG_TEST_ROOT, "cgroup.subtree_control", "+memory");
}

char *ot_cg_create(const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", CG_TEST_ROOT, name) < 0)
		return NULL;
	if (mkdir(path, 0755) && errno != EEXIST) {
		free(path);
		return NULL;
	}
	return path;
}

/* Map and touch @mib MiB; with @keep, the mapping (one, of @mib MiB). */
static char *touch_mib(long mib, bool keep)
{
	long page = sysconf(_SC_PAGESIZE), off;
	char *p;

	if (keep) {
		p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (off = 0; off < mib << 20; off += page)
			p[off] = 1;
		return p;
	}
	while (mib-- > 0) {
		p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (off = 0; off < (1 << 20); off += page)
			p[off] = 1;
	}
	return NULL;
}

static void hog_main(int ready_fd, const char *cg, const struct ot_hog *hog)
{
	long page = sysconf(_SC_PAGESIZE), off;
	char adj[16], *mem;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cg && ot_cg_write(cg, "cgroup.procs", "0"))
		_exit(1);
	if (hog->adj) {
		snprintf(adj, sizeof(adj), "%d", hog->adj);
		if (write_file("/proc/self/oom_score_adj", adj))
			_exit(2);
	}
	if (hog->before && hog->before(hog->arg))
		_exit(5);
	mem = touch_mib(hog->mib, hog->churn);
	if (hog->then && hog->then(hog->arg))
		_exit(5);
	if (hog->vfork) {
		/* The child runs on this process's mm until it exits. */
		if (!vfork()) {
			pid_t me = getpid();

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (write(ready_fd, &me, sizeof(me)) != sizeof(me))
				_exit(4);
			for (;;)
				pause();
		}
		_exit(0);
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(4);
	close(ready_fd);
	if (hog->after)
		_exit(hog->after(hog->arg));
	if (hog->grow)
		touch_mib(1L << 30, false);
	while (hog->churn)
		for (off = 0; off < hog->mib << 20; off += page)
			mem[off]++;
	for (;;)
		pause();
}

int ot_child_spawn_hog(struct ot_child *c, const char *cg, const struct ot_hog *hog)
{
	struct pollfd pfd;
	int p[2];
	char b;

	memset(c, 0, sizeof(*c));
	c->pidfd = -1;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (!c->pid) {
		close(p[0]);
		hog_main(p[1], cg, hog);
	}
	close(p[1]);
	c->ready_fd = p[0];
	c->pidfd = syscall(SYS_pidfd_open, c->pid, 0);

	pfd.fd = c->ready_fd;
	pfd.events = POLLIN;
	if (hog->vfork) {
		if (poll(&pfd, 1, OT_TIMEOUT_MS) != 1 ||
		    read(c->ready_fd, &c->vfork_child, sizeof(pid_t)) != sizeof(pid_t)) {
			ot_child_reap(c);
			return -1;
		}
		return 0;
	}
	if (poll(&pfd, 1, OT_TIMEOUT_MS) != 1 || read(c->ready_fd, &b, 1) != 1) {
		/* Died (or hung) before it was set up. */
		ot_child_reap(c);
		return -1;
	}
	return 0;
}

int ot_child_wait_death(struct ot_child *c, int timeout_ms)
{
	if (!c->reaped) {
		struct pollfd pfd = { .fd = c->pidfd, .events = POLLIN };

		/* A pidfd becomes readable when the process exits. */
		if (c->pidfd >= 0 && poll(&pfd, 1, timeout_ms) != 1)
			return -ETIMEDOUT;
		if (waitpid(c->pid, &c->status, 0) != c->pid)
			return -ECHILD;
		c->reaped = true;
	}
	return WIFSIGNALED(c->status) ? WTERMSIG(c->status) : 0;
}

bool ot_child_alive(struct ot_child *c)
{
	struct pollfd pfd = { .fd = c->pidfd, .events = POLLIN };

	if (c->reaped || c->pid <= 0)
		return false;
	return poll(&pfd, 1, 0) == 0;
}

void ot_child_reap(struct ot_child *c)
{
	/* Never spawned (a zeroed or pid = -1 slot): its fds are not ours. */
	if (c->pid <= 0)
		return;
	if (c->vfork_child > 0)
		kill(c->vfork_child, SIGKILL);
	if (!c->reaped) {
		kill(c->pid, SIGKILL);
		if (waitpid(c->pid, &c->status, 0) == c->pid)
			c->reaped = true;
	}
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->ready_fd > 0)
		close(c->ready_fd);
	c->pidfd = -1;
	c->ready_fd = -1;
}

int ot_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* One record, message text only; 0 when none is pending, -1 on error. */
static int kmsg_next(int fd, char *msg, size_t len)
{
	char rec[8192], *text;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n >= 0)
			break;
		if (errno == EPIPE)	/* overwritten records: skip ahead */
			continue;
		return errno == EAGAIN ? 0 : -1;
	}
	rec[n] = '\0';
	text = strchr(rec, ';');
	text = text ? text + 1 : rec;
	n = strcspn(text, "\n");
	if ((size_t)n >= len)
		n = len - 1;
	memcpy(msg, text, n);
	msg[n] = '\0';
	return 1;
}

static const char *const splat_marks[] = {
	"WARNING:", "BUG:", "Oops", "kernel BUG", "general protection fault",
	"Kernel panic", "UBSAN:", "refcount_t:", "list_add corruption",
	"list_del corruption", "ODEBUG:", "suspected memory leak", NULL,
};

int ot_kmsg_count_splats(int fd)
{
	char msg[1024];
	int n = 0, i;

	if (fd < 0)
		return 0;
	while (kmsg_next(fd, msg, sizeof(msg)) > 0) {
		for (i = 0; splat_marks[i]; i++) {
			if (strstr(msg, splat_marks[i])) {
				printf("# kernel: %s\n", msg);
				n++;
				break;
			}
		}
	}
	return n;
}

int ot_kmsg_count(int fd, const char *needle)
{
	char msg[1024];
	int r, n = 0;

	while ((r = kmsg_next(fd, msg, sizeof(msg))) > 0)
		n += !!strstr(msg, needle);
	return r < 0 ? -1 : n;
}

int ot_kmsg_wait_for(int fd, const char *needle, char *line, size_t len, int timeout_ms)
{
	long deadline = ot_now_ms() + timeout_ms;
	char msg[1024];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long left;
		int r;

		while ((r = kmsg_next(fd, msg, sizeof(msg))) > 0) {
			if (strstr(msg, needle)) {
				if (line)
					snprintf(line, len, "%s", msg);
				return 1;
			}
		}
		left = deadline - ot_now_ms();
		if (r < 0 || left <= 0)
			return 0;
		poll(&pfd, 1, left);
	}
}

int ot_sysctl_set(const char *path, long val, long *old)
{
	char file[256], buf[32];
	int fd, n, err = 0;

	snprintf(file, sizeof(file), "/proc/sys/%s", path);
	fd = open(file, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (old) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out;
		}
		buf[n] = 0;
		*old = strtol(buf, NULL, 10);
	}
	n = snprintf(buf, sizeof(buf), "%ld", val);
	if (pwrite(fd, buf, n, 0) != n)
		err = -errno;
out:
	close(fd);
	return err;
}
