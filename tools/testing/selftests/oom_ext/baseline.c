// SPDX-License-Identifier: GPL-2.0
/*
 * Baseline: what the unmodified kernel does on a memory cgroup OOM. The
 * BPF policy tests build on these facts, so they are checked first.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "oom_test.h"
#include "util.h"

#define LIMIT_MIB 64

/* A memcg with memory.max = LIMIT_MIB and no swap. */
static enum oom_test_status setup_memcg(void **ctx, const char *name)
{
	char *cg = ot_cg_create(name);

	if (!cg)
		OT_FAIL("cannot create cgroup %s", name);
	if (ot_cg_write(cg, "memory.max", "%dM", LIMIT_MIB) ||
	    ot_cg_write(cg, "memory.swap.max", "0")) {
		ot_cg_destroy(cg);
		free(cg);
		OT_FAIL("cannot set memory.max / memory.swap.max on %s", name);
	}
	*ctx = cg;
	return OOM_TEST_PASS;
}

static void cleanup_memcg(void *ctx)
{
	ot_cg_destroy(ctx);
	free(ctx);
}

static enum oom_test_status setup_cgroup_memory(void **ctx)
{
	return setup_memcg(ctx, "memory");
}

static enum oom_test_status run_cgroup_memory(void *ctx)
{
	char buf[256];

	OT_ASSERT(ot_cg_read(CG_TEST_ROOT, "cgroup.subtree_control", buf, sizeof(buf)) > 0, "");
	OT_ASSERT(strstr(buf, "memory"), "memory not enabled below the test root: %s", buf);
	OT_ASSERT(ot_cg_read(ctx, "memory.max", buf, sizeof(buf)) > 0, "");
	OT_ASSERT(strtoll(buf, NULL, 10) == LIMIT_MIB << 20, "memory.max reads %s", buf);
	OT_ASSERT(ot_cg_read_key(ctx, "memory.events", "oom_kill") == 0, "");
	OT_ASSERT(ot_cg_read(ctx, "memory.current", buf, sizeof(buf)) > 0, "");
	return OOM_TEST_PASS;
}

static struct oom_test cgroup_memory = {
	.name = "baseline_cgroup_memory",
	.description = "cgroup2 is mounted and the memory controller is usable",
	.setup = setup_cgroup_memory,
	.run = run_cgroup_memory,
	.cleanup = cleanup_memcg,
};

REGISTER_OOM_TEST(&cgroup_memory)

static enum oom_test_status setup_oom_kill(void **ctx)
{
	return setup_memcg(ctx, "oom_kill");
}

static enum oom_test_status run_oom_kill(void *ctx)
{
	struct ot_hog grow = { .grow = true };
	struct ot_child hog;
	int sig;

	OT_ASSERT(ot_child_spawn_hog(&hog, ctx, &grow) == 0, "hog did not start");
	sig = ot_child_wait_death(&hog, OT_TIMEOUT_MS);
	ot_child_reap(&hog);
	OT_ASSERT(sig == SIGKILL, "hog ended with %d, not SIGKILL", sig);
	OT_ASSERT(ot_cg_read_key(ctx, "memory.events", "oom_kill") == 1,
		  "oom_kill = %lld", ot_cg_read_key(ctx, "memory.events", "oom_kill"));
	OT_ASSERT(ot_cg_read_key(ctx, "memory.events", "oom") >= 1, "");
	return OOM_TEST_PASS;
}

static struct oom_test oom_kill = {
	.name = "baseline_memcg_oom_kill",
	.description = "a hog over memory.max is SIGKILLed and oom_kill rises by exactly 1",
	.setup = setup_oom_kill,
	.run = run_oom_kill,
	.cleanup = cleanup_memcg,
};

REGISTER_OOM_TEST(&oom_kill)

static enum oom_test_status setup_oom_group(void **ctx)
{
	enum oom_test_status st = setup_memcg(ctx, "oom_group");

	if (st == OOM_TEST_PASS && ot_cg_write(*ctx, "memory.oom.group", "1")) {
		cleanup_memcg(*ctx);
		OT_FAIL("cannot set memory.oom.group");
	}
	return st;
}

static enum oom_test_status run_oom_group(void *ctx)
{
	struct ot_hog small = { .mib = 8 }, grow = { .grow = true };
	struct ot_child c[3];
	int i, sig[3];

	for (i = 0; i < 3; i++) {
		if (ot_child_spawn_hog(&c[i], ctx, i < 2 ? &small : &grow)) {
			while (i--)
				ot_child_reap(&c[i]);
			OT_FAIL("task %d did not start", i);
		}
	}
	for (i = 0; i < 3; i++) {
		sig[i] = ot_child_wait_death(&c[i], OT_TIMEOUT_MS);
		ot_child_reap(&c[i]);
	}
	for (i = 0; i < 3; i++)
		OT_ASSERT(sig[i] == SIGKILL, "task %d ended with %d", i, sig[i]);
	/*
	 * Each member is counted once as it is killed; the chosen victim is
	 * counted a second time by the group walk (mainline behaviour).
	 */
	OT_ASSERT(ot_cg_read_key(ctx, "memory.events", "oom_kill") >= 3,
		  "oom_kill = %lld", ot_cg_read_key(ctx, "memory.events", "oom_kill"));
	OT_ASSERT(ot_cg_read_key(ctx, "memory.events", "oom_group_kill") == 1,
		  "oom_group_kill = %lld",
		  ot_cg_read_key(ctx, "memory.events", "oom_group_kill"));
	return OOM_TEST_PASS;
}

static struct oom_test oom_group = {
	.name = "baseline_memcg_oom_group",
	.description = "with memory.oom.group=1 every task of the memcg is killed",
	.setup = setup_oom_group,
	.run = run_oom_group,
	.cleanup = cleanup_memcg,
};

REGISTER_OOM_TEST(&oom_group)

static enum oom_test_status setup_score_adj(void **ctx)
{
	return setup_memcg(ctx, "score_adj");
}

static enum oom_test_status run_score_adj(void *ctx)
{
	/* The protected task is the larger one: unprotected, it would die. */
	struct ot_hog big = { .mib = LIMIT_MIB * 5 / 8, .adj = -1000 };
	struct ot_hog grow = { .grow = true };
	struct ot_child prot, hog;
	int sig;

	OT_ASSERT(ot_child_spawn_hog(&prot, ctx, &big) == 0, "protected task did not start");
	if (ot_child_spawn_hog(&hog, ctx, &grow)) {
		ot_child_reap(&prot);
		OT_FAIL("hog did not start");
	}
	sig = ot_child_wait_death(&hog, OT_TIMEOUT_MS);
	ot_child_reap(&hog);
	if (!ot_child_alive(&prot)) {
		ot_child_reap(&prot);
		OT_FAIL("the oom_score_adj=-1000 task died");
	}
	ot_child_reap(&prot);
	OT_ASSERT(sig == SIGKILL, "hog ended with %d", sig);
	OT_ASSERT(ot_cg_read_key(ctx, "memory.events", "oom_kill") == 1, "");
	return OOM_TEST_PASS;
}

static struct oom_test score_adj = {
	.name = "baseline_oom_score_adj_protected",
	.description = "an oom_score_adj=-1000 task survives while its smaller sibling is killed",
	.setup = setup_score_adj,
	.run = run_score_adj,
	.cleanup = cleanup_memcg,
};

REGISTER_OOM_TEST(&score_adj)
