// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_out_of_memory(): its refusals, a declared memcg OOM that the kernel
 * resolves, one that an attached policy resolves, and the verifier
 * refusing it in a bpf_oom_ops handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "oom_test.h"
#include "policy_util.h"
#include "declare.bpf.skel.h"
#include "declare_deny.bpf.skel.h"
#include "util.h"

#define BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK	(1ULL << 0)

struct declare_args {
	__u64 cgid;
	__u64 flags;
	__s32 order;
	__s32 ret;
};

struct decl {
	char *cg;
	struct declare *skel;
	struct ot_child hog, small;
};

static enum oom_test_status setup_decl(void **ctx)
{
	struct decl *t = calloc(1, sizeof(*t));

	if (!t)
		OT_FAIL("no memory");
	t->hog.pid = t->small.pid = -1;
	t->cg = cg_create("declare");
	t->skel = declare__open_and_load();
	if (!t->cg || !t->skel) {
		if (t->cg)
			cg_destroy(t->cg);
		declare__destroy(t->skel);
		free(t->cg);
		free(t);
		OT_FAIL("setup: %s", ot_libbpf_log());
	}
	*ctx = t;
	return OOM_TEST_PASS;
}

static void cleanup_decl(void *ctx)
{
	struct decl *t = ctx;

	ot_reap(&t->hog);
	ot_reap(&t->small);
	declare__destroy(t->skel);
	cg_destroy(t->cg);
	free(t->cg);
	free(t);
}

/* Run bpf_out_of_memory(memcg of @cgid, @order, @flags); its result. */
static int declare(struct decl *t, __u64 cgid, int order, __u64 flags, int *ret)
{
	struct declare_args args = { .cgid = cgid, .order = order, .flags = flags };
	/* A syscall program's context is copied back into ctx_in. */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(t->skel->progs.declare_oom), &opts);
	if (err)
		return -errno;
	if (opts.retval)
		return -ENOENT;
	*ret = args.ret;
	return 0;
}

static enum oom_test_status run_refusals(void *ctx)
{
	struct decl *t = ctx;
	__u64 cgid = ot_cgroup_id(t->cg);
	int ret;

	OT_ASSERT(!declare(t, cgid, 0, 1ULL << 1, &ret) && ret == -EINVAL,
		  "unknown flag: %d", ret);
	OT_ASSERT(!declare(t, cgid, -1, 0, &ret) && ret == -EINVAL, "order -1: %d", ret);
	OT_ASSERT(!declare(t, cgid, 11, 0, &ret) && ret == -EINVAL,
		  "order above MAX_PAGE_ORDER: %d", ret);
	OT_ASSERT(cg_read_key(t->cg, "memory.events", "oom_kill") == 0,
		  "a refused call killed something");
	return OOM_TEST_PASS;
}

static struct oom_test refusals = {
	.name = "declare_refusals",
	.description = "bpf_out_of_memory() gives -EINVAL for an unknown flag and a bad order, and kills nothing",
	.setup = setup_decl,
	.run = run_refusals,
	.cleanup = cleanup_decl,
};

REGISTER_OOM_TEST(&refusals)

/*
 * A memcg far below its limit: a declared OOM still kills its largest
 * task, and the report says BPF declared it.
 */
static enum oom_test_status declared_kill(struct decl *t, __u64 flags)
{
	struct ot_hog big = { .mib = 16 }, small = { .mib = 4 };
	char report[1024], want[64];
	int ret, kmsg, sig, found, declared, err;

	OT_ASSERT(!cg_write(t->cg, "memory.max", "256M"), "memory.max");
	OT_ASSERT(!ot_spawn_hog(&t->hog, t->cg, &big) && !ot_spawn_hog(&t->small, t->cg, &small),
		  "tasks did not start");
	kmsg = kmsg_open();
	err = declare(t, ot_cgroup_id(t->cg), 0, flags, &ret);
	OT_ASSERT(!err, "BPF_PROG_RUN: %s", strerror(-err));
	sig = ot_wait_death(&t->hog, OT_TIMEOUT_MS);
	declared = kmsg_wait_for(kmsg, "declared by a BPF program", NULL, 0, OT_TIMEOUT_MS);
	found = kmsg_wait_for(kmsg, "Killed process", report, sizeof(report), OT_TIMEOUT_MS);
	close(kmsg);
	snprintf(want, sizeof(want), "Killed process %d ", t->hog.pid);
	OT_ASSERT(ret == 1, "bpf_out_of_memory() returned %d", ret);
	OT_ASSERT(sig == SIGKILL, "the largest task ended with %d", sig);
	OT_ASSERT(ot_alive(&t->small), "the small task died");
	OT_ASSERT(declared, "the report does not say BPF declared the OOM");
	OT_ASSERT(found && strstr(report, want), "report: %s", found ? report : "none");
	OT_ASSERT(cg_read_key(t->cg, "memory.events", "oom_kill") == 1, "oom_kill %lld",
		  cg_read_key(t->cg, "memory.events", "oom_kill"));
	return OOM_TEST_PASS;
}

static enum oom_test_status run_memcg(void *ctx)
{
	return declared_kill(ctx, 0);
}

static struct oom_test memcg = {
	.name = "declare_memcg_kernel_kills",
	.description = "bpf_out_of_memory(memcg) runs the OOM killer there: the largest task dies, the report says BPF declared it",
	.setup = setup_decl,
	.run = run_memcg,
	.cleanup = cleanup_decl,
};

REGISTER_OOM_TEST(&memcg)

static enum oom_test_status run_wait(void *ctx)
{
	return declared_kill(ctx, BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK);
}

static struct oom_test wait_flag = {
	.name = "declare_wait_on_oom_lock",
	.description = "BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK is accepted and the declared OOM kills",
	.setup = setup_decl,
	.run = run_wait,
	.cleanup = cleanup_decl,
};

REGISTER_OOM_TEST(&wait_flag)

static enum oom_test_status run_deny(void *ctx)
{
	struct declare_deny *skel = declare_deny__open();
	enum oom_test_status st;

	OT_ASSERT(skel, "open failed");
	st = ot_expect_kfunc_refused(skel->obj, "bpf_out_of_memory");
	declare_deny__destroy(skel);
	return st;
}

static struct oom_test deny = {
	.name = "declare_rejected_in_oom_handler",
	.description = "the verifier rejects bpf_out_of_memory() in a bpf_oom_ops handler (it runs under oom_lock)",
	.run = run_deny,
};

REGISTER_OOM_TEST(&deny)

/* A declared OOM goes to the policy attached there first. */
static enum oom_test_status run_policy(void *ctx)
{
	struct ot_hog big = { .mib = 16 }, small = { .mib = 4 };
	struct decl *t = ctx;
	struct bpf_link *link;
	struct policy *pol;
	int ret, sig, err;

	OT_ASSERT(!cg_write(t->cg, "memory.max", "256M"), "memory.max");
	OT_ASSERT(!ot_spawn_hog(&t->hog, t->cg, &big) && !ot_spawn_hog(&t->small, t->cg, &small),
		  "tasks did not start");
	pol = ot_policy_start(t->cg, MODE_KILL, t->small.pid, &link);
	OT_ASSERT(pol, "the test policy did not attach");
	err = declare(t, ot_cgroup_id(t->cg), 0, 0, &ret);
	sig = ot_wait_death(&t->small, OT_TIMEOUT_MS);
	ot_policy_stop(pol, link);
	OT_ASSERT(!err && ret == 1, "bpf_out_of_memory(): %d, %d", err, ret);
	OT_ASSERT(sig == SIGKILL, "the policy's victim ended with %d", sig);
	OT_ASSERT(ot_alive(&t->hog), "the kernel's choice died too");
	return OOM_TEST_PASS;
}

static struct oom_test policy = {
	.name = "declare_memcg_policy_decides",
	.description = "bpf_out_of_memory(memcg) calls the policy attached there, which picks the victim",
	.setup = setup_decl,
	.run = run_policy,
	.cleanup = cleanup_decl,
};

REGISTER_OOM_TEST(&policy)

/*
 * oom_lock taken: a policy holds it inside its handler during a real OOM.
 * Without BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK the call fails with -EBUSY.
 */
static enum oom_test_status run_busy(void *ctx)
{
	struct ot_hog grow = { .grow = true };
	struct decl *t = ctx;
	struct bpf_link *link;
	struct policy *pol;
	int ret = 0, err, i, sig;
	bool still_held;

	OT_ASSERT(!cg_write(t->cg, "memory.max", "32M") &&
		  !cg_write(t->cg, "memory.swap.max", "0"), "memory.max");
	pol = ot_policy_start(t->cg, MODE_HOLD, 0, &link);
	OT_ASSERT(pol, "the test policy did not attach");
	ot_spawn_hog(&t->hog, t->cg, &grow);
	/* The handler flags that it runs; it holds oom_lock until released. */
	for (i = 0; i < OT_TIMEOUT_MS && !pol->bss->held; i++)
		usleep(1000);
	err = pol->bss->held ? declare(t, ot_cgroup_id(t->cg), 0, 0, &ret) : -ETIMEDOUT;
	still_held = pol->bss->held == 1;
	pol->bss->release = 1;
	sig = ot_wait_death(&t->hog, OT_TIMEOUT_MS);
	ot_policy_stop(pol, link);
	OT_ASSERT(!err, "the handler never ran or BPF_PROG_RUN failed: %s", strerror(-err));
	OT_ASSERT(still_held, "the handler gave up oom_lock before the call returned");
	OT_ASSERT(ret == -EBUSY, "bpf_out_of_memory() with oom_lock taken: %d", ret);
	OT_ASSERT(sig == SIGKILL, "the hog ended with %d", sig);
	return OOM_TEST_PASS;
}

static struct oom_test busy = {
	.name = "declare_busy_without_wait",
	.description = "with oom_lock taken and no BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK, bpf_out_of_memory() gives -EBUSY",
	.setup = setup_decl,
	.run = run_busy,
	.cleanup = cleanup_decl,
};

REGISTER_OOM_TEST(&busy)
