// SPDX-License-Identifier: GPL-2.0
/*
 * OOMs constrained by a mempolicy. A global OOM of an allocation bound to
 * some nodes (CONSTRAINT_MEMORY_POLICY) may only kill tasks that can free
 * memory there: select_bad_process() skips the others through
 * oom_cpuset_eligible(), and so does bpf_oom_kill_process() (-EINVAL).
 * `make test` boots a VM with "numa=fake=2" to run these; in a boot with
 * one node they skip.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "oom_test.h"
#include "policy.h"
#include "policy.bpf.skel.h"
#include "policy_util.h"
#include "util.h"

#define MPOL_DEFAULT	0
#define MPOL_BIND	2

/* Bind the calling task's future allocations to @node (-1: default). */
static int bind_node(int node)
{
	unsigned long mask = node < 0 ? 0 : 1UL << node;

	return syscall(SYS_set_mempolicy, node < 0 ? MPOL_DEFAULT : MPOL_BIND,
		       node < 0 ? NULL : &mask, node < 0 ? 0 : 8 * sizeof(mask));
}

static int online_nodes(void)
{
	DIR *dir = opendir("/sys/devices/system/node");
	struct dirent *d;
	int n = 0;

	if (!dir)
		return 0;
	while ((d = readdir(dir)))
		n += !strncmp(d->d_name, "node", 4) && d->d_name[4] >= '0' && d->d_name[4] <= '9';
	closedir(dir);
	return n;
}

/*
 * A policy at the root tries to kill A, bound to node 0, in an OOM of B's
 * allocations bound to node 1. The kfunc refuses A (-EINVAL), the policy
 * passes, and the kernel kills B, the only eligible task of the two.
 * Children inherit the mempolicy the runner has when it forks them.
 */
static enum oom_test_status run_mempolicy(void *ctx)
{
	struct ot_hog held = { .mib = 128 }, grower = { .mib = 256, .grow = true };
	struct ot_child a = { .pid = -1 }, b = { .pid = -1 };
	struct bpf_link *link = NULL;
	struct policy *skel;
	int sig, ok_a, ok_b, kmsg, constrained, tried, kill_ret;
	unsigned long long calls;
	char line[512];

	if (online_nodes() < 2)
		OT_SKIP("needs two NUMA nodes (a boot with numa=fake=2)");
	skel = ot_policy_start(NULL, MODE_KILL, 0, &link);
	OT_ASSERT(skel, "cannot attach the test policy at the root");
	ok_a = !bind_node(0) && !ot_child_spawn_hog(&a, NULL, &held);
	skel->bss->target_pid = a.pid;
	kmsg = ot_kmsg_open();
	ok_b = ok_a && !bind_node(1) && !ot_child_spawn_hog(&b, NULL, &grower);
	bind_node(-1);
	sig = ok_b ? ot_child_wait_death(&b, OT_TIMEOUT_MS) : -1;
	constrained = ot_kmsg_wait_for(kmsg, "constraint=CONSTRAINT_MEMORY_POLICY",
				       line, sizeof(line), OT_TIMEOUT_MS);
	close(kmsg);
	calls = skel->bss->calls;
	tried = skel->bss->victim_pid;
	kill_ret = skel->data->kill_ret;
	ot_policy_stop(skel, link);
	if (!ok_a || !ok_b) {
		ot_child_reap(&a);
		ot_child_reap(&b);
		OT_FAIL("the bound tasks did not start: %s", strerror(errno));
	}
	ok_a = ot_child_alive(&a);
	ot_child_reap(&a);
	ot_child_reap(&b);
	OT_ASSERT(constrained, "no OOM report with constraint=CONSTRAINT_MEMORY_POLICY");
	OT_ASSERT(calls >= 1, "the policy was not called");
	OT_ASSERT(tried == a.pid, "the policy tried %d, not A (%d)", tried, a.pid);
	OT_ASSERT(kill_ret == -EINVAL,
		  "bpf_oom_kill_process(A outside the constraint) = %d, want %d",
		  kill_ret, -EINVAL);
	OT_ASSERT(sig == SIGKILL, "B (bound to the node that ran out) ended with %d", sig);
	OT_ASSERT(ok_a, "A (bound to the other node) was killed");
	return OOM_TEST_PASS;
}

static struct oom_test mempolicy = {
	.name = "numa_mempolicy_kill_eligible_only",
	.description =
		"in an OOM of node 1 (MPOL_BIND), the kill kfunc refuses a task bound to node 0 and the kernel kills the task bound to node 1",
	.run = run_mempolicy,
};

REGISTER_OOM_TEST(&mempolicy)
