// SPDX-License-Identifier: GPL-2.0
/*
 * Who may attach: CAP_SYS_ADMIN in the initial user namespace on top of
 * what a struct_ops load takes, write access to the cgroup whatever the
 * fd, the caller's cgroup namespace as the limit, and links only, for
 * bpf_oom_ops and bpf_psi_ops alike. Each case runs in a child process
 * that gives up what the case says, then reports the attach's errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <bpf/bpf.h>

#include "oom_test.h"
#include "policy_util.h"
#include "psi_ops.h"
#include "psi_ops.bpf.skel.h"
#include "psi_nolink.bpf.skel.h"
#include "declare.bpf.skel.h"
#include "util.h"

#define CAPS(x)		(1ULL << (x))
#define LOAD_CAPS	(CAPS(CAP_BPF) | CAPS(CAP_PERFMON))
#define USER		65534	/* nobody */

/* Become @uid with exactly the capabilities in @caps. */
static int become(uid_t uid, unsigned long long caps)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};
	int i;

	if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(0, NULL) ||
	    setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -errno;
	for (i = 0; i < 2; i++) {
		d[i].effective = caps >> (32 * i);
		d[i].permitted = d[i].effective;
	}
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

/* What a case does once it has given up what it should. */
struct attach_case {
	uid_t uid;			/* 0: stays root */
	unsigned long long caps;	/* with a uid */
	const char *cg;			/* NULL: no BPF_F_CGROUP_FD */
	int open_flags;			/* for cg */
	const char *ns_cg;		/* join this cgroup, then a new cgroup ns */
	bool psi;			/* attach psi_ops rather than the test policy */
	unsigned long long link_cgid;	/* out: the link's cgroup id */
};

/* Link-create @c's struct_ops in a child; 0 or -errno, or 1 if it broke. */
static int attach_in_child(struct attach_case *c)
{
	int p[2], ret = 1, status;
	pid_t pid;

	if (pipe(p))
		return 1;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		LIBBPF_OPTS(bpf_struct_ops_opts, opts);
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		struct psi_ops *ps = NULL;
		struct bpf_link *link;
		struct policy *pol = NULL;
		struct bpf_map *map;
		int fd = -1, out[3] = { 1, 0, 0 };

		close(p[0]);
		if (c->ns_cg && (ot_cg_write(c->ns_cg, "cgroup.procs", "0") ||
				 unshare(CLONE_NEWCGROUP)))
			goto report;
		if (c->uid && become(c->uid, c->caps))
			goto report;
		if (c->psi) {
			ps = psi_ops__open_and_load();
			map = ps ? ps->maps.psi_test_ops : NULL;
		} else {
			pol = policy__open_and_load();
			map = pol ? pol->maps.test_ops : NULL;
		}
		if (!map) {
			out[0] = 2;
			goto report;
		}
		if (c->cg) {
			fd = open(c->cg, c->open_flags | O_CLOEXEC);
			if (fd < 0)
				goto report;
			opts.flags = BPF_F_CGROUP_FD;
			opts.target_fd = fd;
		}
		link = bpf_map__attach_struct_ops_opts(map, &opts);
		out[0] = link ? 0 : -errno;
		if (link && !bpf_link_get_info_by_fd(bpf_link__fd(link), &info, &len))
			memcpy(&out[1], &info.struct_ops.cgroup_id, sizeof(__u64));
		bpf_link__destroy(link);
report:
		if (write(p[1], out, sizeof(out)) != sizeof(out))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (pid > 0) {
		int in[3];

		if (read(p[0], in, sizeof(in)) == sizeof(in)) {
			ret = in[0];
			memcpy(&c->link_cgid, &in[1], sizeof(__u64));
		}
		waitpid(pid, &status, 0);
	}
	close(p[0]);
	return ret;
}

static enum oom_test_status setup_priv(void **ctx)
{
	char *cg = ot_cg_create("priv");

	if (!cg)
		OT_FAIL("cannot create the test cgroup");
	*ctx = cg;
	return OOM_TEST_PASS;
}

static void cleanup_priv(void *ctx)
{
	ot_cg_destroy(ctx);
	free(ctx);
}

static enum oom_test_status run_needs_sys_admin(void *ctx)
{
	struct attach_case oom = { .uid = USER, .caps = LOAD_CAPS };
	struct attach_case psi = { .uid = USER, .caps = LOAD_CAPS, .psi = true };
	struct attach_case admin = { .uid = USER, .caps = LOAD_CAPS | CAPS(CAP_SYS_ADMIN),
				     .cg = ctx, .open_flags = O_RDONLY | O_DIRECTORY };
	int ret;

	OT_ASSERT(!chown(ctx, USER, USER), "chown: %s", strerror(errno));
	ret = attach_in_child(&oom);
	OT_ASSERT(ret == -EPERM, "bpf_oom_ops with CAP_BPF + CAP_PERFMON: %d, want %d",
		  ret, -EPERM);
	ret = attach_in_child(&psi);
	OT_ASSERT(ret == -EPERM, "bpf_psi_ops with CAP_BPF + CAP_PERFMON: %d, want %d",
		  ret, -EPERM);
	OT_ASSERT(ot_listing_count() == 0, "something got attached");
	/* The same user with CAP_SYS_ADMIN, on a cgroup delegated to it. */
	ret = attach_in_child(&admin);
	OT_ASSERT(ret == 0, "with CAP_SYS_ADMIN, on its own cgroup: %d", ret);
	return OOM_TEST_PASS;
}

static struct oom_test needs_sys_admin = {
	.name = "privilege_attach_needs_cap_sys_admin",
	.description =
		"CAP_BPF + CAP_PERFMON cannot attach bpf_oom_ops or bpf_psi_ops (-EPERM); with CAP_SYS_ADMIN it can",
	.setup = setup_priv,
	.run = run_needs_sys_admin,
	.cleanup = cleanup_priv,
};

REGISTER_OOM_TEST(&needs_sys_admin)

/*
 * In a child as user nobody with @caps: load declare.bpf.c, whose syscall
 * programs call bpf_out_of_memory() and bpf_out_of_memory_async(). 0 if it
 * loaded, else the (negative) error; -1000 if the child could not try.
 */
static int declare_load_as(unsigned long long caps)
{
	int p[2], ret = -1000, status;
	pid_t pid;

	if (pipe(p))
		return -1000;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		struct declare *skel;

		close(p[0]);
		ret = become(USER, caps);
		if (!ret) {
			skel = declare__open();
			ret = skel ? declare__load(skel) : -errno;
			declare__destroy(skel);
		}
		if (write(p[1], &ret, sizeof(ret)) != sizeof(ret))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (pid > 0) {
		if (read(p[0], &ret, sizeof(ret)) != sizeof(ret))
			ret = -1000;
		waitpid(pid, &status, 0);
	}
	close(p[0]);
	return ret;
}

static enum oom_test_status run_declare_needs_sys_admin(void *ctx)
{
	int ret;

	ret = declare_load_as(LOAD_CAPS);
	OT_ASSERT(ret != -1000, "the child could not try");
	OT_ASSERT(ret < 0, "syscall programs declaring OOMs loaded with CAP_BPF + CAP_PERFMON");
	ret = declare_load_as(LOAD_CAPS | CAPS(CAP_SYS_ADMIN));
	OT_ASSERT(ret == 0, "with CAP_SYS_ADMIN: %d", ret);
	return OOM_TEST_PASS;
}

static struct oom_test declare_needs_sys_admin = {
	.name = "privilege_declare_needs_cap_sys_admin",
	.description =
		"a syscall program calling bpf_out_of_memory() or bpf_out_of_memory_async() loads only with CAP_SYS_ADMIN, not with CAP_BPF + CAP_PERFMON",
	.setup = setup_priv,
	.run = run_declare_needs_sys_admin,
	.cleanup = cleanup_priv,
};

REGISTER_OOM_TEST(&declare_needs_sys_admin)

static enum oom_test_status run_needs_write(void *ctx)
{
	struct attach_case c = { .uid = USER, .caps = LOAD_CAPS | CAPS(CAP_SYS_ADMIN),
				 .cg = ctx, .open_flags = O_PATH };
	int ret;

	ret = attach_in_child(&c);
	OT_ASSERT(ret == -EACCES, "O_PATH fd of a cgroup it cannot write: %d, want %d",
		  ret, -EACCES);
	OT_ASSERT(ot_listing_count() == 0, "something got attached");
	OT_ASSERT(!chown(ctx, USER, USER), "chown: %s", strerror(errno));
	ret = attach_in_child(&c);
	OT_ASSERT(ret == 0, "O_PATH fd of a cgroup delegated to it: %d", ret);
	return OOM_TEST_PASS;
}

static struct oom_test needs_write = {
	.name = "privilege_cgroup_fd_needs_write",
	.description =
		"a cgroup fd (even O_PATH) of a cgroup the caller cannot write is refused with -EACCES",
	.setup = setup_priv,
	.run = run_needs_write,
	.cleanup = cleanup_priv,
};

REGISTER_OOM_TEST(&needs_write)

static enum oom_test_status run_cgroup_ns(void *ctx)
{
	struct attach_case root = { .ns_cg = ctx };
	struct attach_case outside = { .ns_cg = ctx, .cg = CG_TEST_ROOT,
				       .open_flags = O_RDONLY | O_DIRECTORY };
	long long id = ot_cg_id(ctx);
	int ret;

	ret = attach_in_child(&root);
	OT_ASSERT(ret == 0, "no-flag attach in a cgroup namespace: %d", ret);
	OT_ASSERT(root.link_cgid == (unsigned long long)id,
		  "attached to cgroup %llu, not the namespace root %lld", root.link_cgid, id);
	ret = attach_in_child(&outside);
	OT_ASSERT(ret == -EPERM, "a cgroup outside the namespace: %d, want %d", ret, -EPERM);
	return OOM_TEST_PASS;
}

static struct oom_test cgroup_ns = {
	.name = "privilege_cgroup_namespace",
	.description =
		"in a cgroup namespace, no-flag attach goes to the namespace root and a cgroup outside it is -EPERM",
	.setup = setup_priv,
	.run = run_cgroup_ns,
	.cleanup = cleanup_priv,
};

REGISTER_OOM_TEST(&cgroup_ns)

static enum oom_test_status run_psi_nolink(void *ctx)
{
	struct psi_nolink *skel = psi_nolink__open_and_load();
	struct bpf_link *link;
	int err = 0;

	OT_ASSERT(skel, "the link-less bpf_psi_ops does not even load");
	link = bpf_map__attach_struct_ops(skel->maps.psi_nolink_ops);
	if (!link)
		err = -errno;
	bpf_link__destroy(link);
	psi_nolink__destroy(skel);
	OT_ASSERT(err == -EOPNOTSUPP, "bpf_psi_ops registration without a link: %d", err);
	return OOM_TEST_PASS;
}

static struct oom_test psi_nolink = {
	.name = "privilege_psi_nonlink_refused",
	.description = "legacy bpf_psi_ops registration without a link is refused with -EOPNOTSUPP",
	.run = run_psi_nolink,
};

REGISTER_OOM_TEST(&psi_nolink)
