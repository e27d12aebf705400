// SPDX-License-Identifier: GPL-2.0
/*
 * oom_ext selftests: attaching bpf_oom_ops policies and reading back what
 * the kernel reports about them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <limits.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <bpf/bpf.h>

#include "oom_test.h"
#include "policy_util.h"
#include "declare.bpf.skel.h"
#include "util.h"

#define DEBUGFS		"/sys/kernel/debug"
#define LISTING		DEBUGFS "/bpf_oom"

static char libbpf_log[65536];
static size_t libbpf_log_len;

int ot_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (libbpf_log_len < sizeof(libbpf_log) - 1) {
		n = vsnprintf(libbpf_log + libbpf_log_len,
			      sizeof(libbpf_log) - libbpf_log_len, fmt, ap);
		if (n > 0)
			libbpf_log_len += n;
		if (libbpf_log_len >= sizeof(libbpf_log))
			libbpf_log_len = sizeof(libbpf_log) - 1;
	}
	return 0;
}

const char *ot_libbpf_log(void)
{
	return libbpf_log;
}

void ot_libbpf_log_reset(void)
{
	libbpf_log_len = 0;
	libbpf_log[0] = '\0';
}

int ot_attach(struct bpf_map *map, const char *cg, struct bpf_link **link)
{
	LIBBPF_OPTS(bpf_struct_ops_opts, opts);
	int fd = -1, err = 0;

	if (cg) {
		fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		opts.flags = BPF_F_CGROUP_FD;
		opts.target_fd = fd;
	}
	*link = bpf_map__attach_struct_ops_opts(map, &opts);
	if (!*link)
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

struct policy *ot_policy_start(const char *cg, int mode, int target_pid,
			       struct bpf_link **link)
{
	struct policy *skel = policy__open();
	int err;

	if (!skel) {
		ot_info("policy__open: %s", strerror(errno));
		return NULL;
	}
	skel->bss->mode = mode;
	skel->bss->target_pid = target_pid;
	err = policy__load(skel);
	if (err) {
		const char *log = ot_libbpf_log();
		size_t len = strlen(log);

		/* The verifier's verdict is at the end of libbpf's log. */
		ot_info("policy__load: %s; libbpf said:\n%s", strerror(-err),
			len > 1500 ? log + len - 1500 : log);
		policy__destroy(skel);
		return NULL;
	}
	err = ot_attach(skel->maps.test_ops, cg, link);
	if (err) {
		ot_info("attach to %s: %s", cg ?: "root", strerror(-err));
		policy__destroy(skel);
		return NULL;
	}
	return skel;
}

void ot_policy_stop(struct policy *skel, struct bpf_link *link)
{
	bpf_link__destroy(link);
	policy__destroy(skel);
}

static FILE *listing_open(void)
{
	FILE *f = fopen(LISTING, "r");

	if (!f && errno == ENOENT &&
	    !mount("debugfs", DEBUGFS, "debugfs", 0, NULL))
		f = fopen(LISTING, "r");
	return f;
}

static int listing_parse(const char *line, struct ot_listing *l)
{
	return sscanf(line, "%63s %llu %255s %lld %lld %lld %lld", l->name,
		      &l->cgroup_id, l->cgroup, &l->calls, &l->handled,
		      &l->false_claims, &l->kills) == 7;
}

int ot_listing_find(unsigned long long cgid, struct ot_listing *out)
{
	char line[512];
	int found = 0;
	FILE *f = listing_open();

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct ot_listing l;

		if (listing_parse(line, &l) && l.cgroup_id == cgid) {
			*out = l;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

int ot_listing_count(void)
{
	char line[512];
	int n = 0;
	FILE *f = listing_open();

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct ot_listing l;

		n += listing_parse(line, &l);
	}
	fclose(f);
	return n;
}

const char *ot_loader_path(const char *name)
{
	static char path[PATH_MAX + 64];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	/* Next to the runner: the build copies them there, install too. */
	snprintf(path, sizeof(path), "%s/%s", dirname(self), name);
	if (!access(path, X_OK))
		return path;
	/* tools/oom_ext's own build, from tools/testing/selftests/oom_ext */
	snprintf(path, sizeof(path), "%s/../../../oom_ext/build/bin/%s", self, name);
	return access(path, X_OK) ? NULL : path;
}

static char rl_buf[8192];
static size_t rl_have;
static int rl_fd = -1;

/*
 * In the child: become @uid keeping exactly the capabilities in @caps
 * (bit n: capability n), as ambient ones so that they survive execve()
 * for a user that is not root.
 */
static int drop_to(uid_t uid, __u64 caps)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	int cap;

	if (caps && prctl(PR_SET_KEEPCAPS, 1))
		return -1;
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -1;
	if (!caps)
		return 0;
	data[0].effective = (__u32)caps;
	data[0].permitted = (__u32)caps;
	data[0].inheritable = (__u32)caps;
	data[1].effective = caps >> 32;
	data[1].permitted = caps >> 32;
	data[1].inheritable = caps >> 32;
	if (syscall(SYS_capset, &hdr, data))
		return -1;
	for (cap = 0; cap < 64; cap++)
		if ((caps >> cap) & 1 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0))
			return -1;
	return 0;
}

int ot_proc_start_caps(struct ot_proc *p, const char *const argv[], uid_t uid, __u64 caps)
{
	int out[2], err[2];

	memset(p, 0, sizeof(*p));
	rl_fd = -1;
	rl_have = 0;
	if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (!p->pid) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (uid && drop_to(uid, caps))
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	p->out = out[0];
	p->err = err[0];
	return 0;
}

int ot_proc_start(struct ot_proc *p, const char *const argv[], uid_t uid)
{
	return ot_proc_start_caps(p, argv, uid, 0);
}

int ot_proc_read_until(int fd, const char *needle, char *line, size_t len, int timeout_ms)
{
	char *buf = rl_buf;
	size_t have = rl_have;
	struct timespec start, now;

	/* One line buffer, for the one stream a test follows at a time. */
	if (rl_fd != fd) {
		rl_fd = fd;
		have = 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char *nl;
		long left;
		ssize_t n;

		while ((nl = memchr(buf, '\n', have))) {
			size_t l = nl - buf + 1;

			*nl = '\0';
			if (strstr(buf, needle)) {
				snprintf(line, len, "%s", buf);
				memmove(buf, buf + l, have - l);
				rl_have = have - l;
				return 1;
			}
			memmove(buf, buf + l, have - l);
			have -= l;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout_ms - ((now.tv_sec - start.tv_sec) * 1000 +
				     (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, left) != 1)
			break;
		n = read(fd, buf + have, sizeof(rl_buf) - 1 - have);
		if (n <= 0)
			break;
		have += n;
	}
	rl_have = have;
	return 0;
}

int ot_proc_wait(struct ot_proc *p, int timeout_ms)
{
	int pidfd = syscall(SYS_pidfd_open, p->pid, 0);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	if (pidfd < 0)
		return -errno;
	if (poll(&pfd, 1, timeout_ms) != 1) {
		close(pidfd);
		return -ETIMEDOUT;
	}
	close(pidfd);
	if (waitpid(p->pid, &p->status, 0) != p->pid)
		return -errno;
	p->pid = 0;
	return 0;
}

void ot_proc_slurp(int fd, char *buf, size_t len)
{
	size_t have = 0;
	ssize_t n;

	while (have < len - 1 && (n = read(fd, buf + have, len - 1 - have)) > 0)
		have += n;
	buf[have] = '\0';
}

void ot_proc_kill(struct ot_proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &p->status, 0);
		p->pid = 0;
	}
	if (p->out > 0)
		close(p->out);
	if (p->err > 0)
		close(p->err);
	p->out = -1;
	p->err = -1;
}

enum oom_test_status ot_loader_start_caps(struct ot_proc *p, const char *tool,
					  const char *const args[], uid_t uid, __u64 caps)
{
	const char *argv[32] = { ot_loader_path(tool) };
	int i;

	if (!argv[0])
		OT_SKIP("tools/oom_ext is not built (make -C tools/oom_ext)");
	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	OT_ASSERT(ot_proc_start_caps(p, argv, uid, caps) == 0, "fork/exec of %s failed", tool);
	return OOM_TEST_PASS;
}

enum oom_test_status ot_loader_start(struct ot_proc *p, const char *tool,
				     const char *const args[], uid_t uid)
{
	return ot_loader_start_caps(p, tool, args, uid, 0);
}

enum oom_test_status ot_loader_attached(struct ot_proc *p)
{
	char line[512];

	if (!ot_proc_read_until(p->out, "attached to", line, sizeof(line), OT_TIMEOUT_MS)) {
		ot_proc_slurp(p->err, line, sizeof(line));
		OT_FAIL("the loader did not attach: %s", line);
	}
	return OOM_TEST_PASS;
}

enum oom_test_status ot_loader_rejects(struct ot_proc *p, const char *tool,
				       const char *const args[], uid_t uid,
				       const char *expect)
{
	enum oom_test_status st = ot_loader_start(p, tool, args, uid);
	char err[1024];
	int lines = 0;
	char *c;

	if (st != OOM_TEST_PASS)
		return st;
	OT_ASSERT(ot_proc_wait(p, OT_TIMEOUT_MS) == 0, "%s: the loader kept running", expect);
	ot_proc_slurp(p->err, err, sizeof(err));
	close(p->out);
	close(p->err);
	p->out = -1;
	p->err = -1;
	for (c = err; *c; c++)
		lines += *c == '\n';
	ot_info("%s -> exit %d: %s", expect, WEXITSTATUS(p->status), err);
	OT_ASSERT(WIFEXITED(p->status) && WEXITSTATUS(p->status),
		  "%s: exit status %d", expect, p->status);
	OT_ASSERT(lines == 1, "%s: %d lines on stderr", expect, lines);
	OT_ASSERT(strstr(err, expect), "%s: stderr says %s", expect, err);
	return OOM_TEST_PASS;
}

enum oom_test_status ot_expect_load_refused(struct bpf_object *obj, const char *what,
					    const char *want)
{
	int err;

	ot_libbpf_log_reset();
	err = bpf_object__load(obj);
	OT_ASSERT(err, "a program calling %s where it may not loaded", what);
	OT_ASSERT(strstr(ot_libbpf_log(), want), "rejected, but not for %s: %.300s", what,
		  ot_libbpf_log());
	return OOM_TEST_PASS;
}

enum oom_test_status ot_expect_kfunc_refused(struct bpf_object *obj, const char *kfunc)
{
	char want[128];

	snprintf(want, sizeof(want), "calling kernel function %s is not allowed", kfunc);
	return ot_expect_load_refused(obj, kfunc, want);
}

/* declare.bpf.c's context; the program writes ret back. */
struct declare_args {
	__u64 cgid;
	__u64 flags;
	__s32 order;
	__s32 ret;
};

int ot_declare(struct declare *skel, __u64 cgid, int order, __u64 flags, int *ret)
{
	struct declare_args args = { .cgid = cgid, .order = order, .flags = flags };
	/* A syscall program's context is copied back into ctx_in. */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.declare_oom), &opts);
	if (err)
		return -errno;
	if (opts.retval)
		return -ENOENT;
	*ret = args.ret;
	return 0;
}
