// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime: a policy dies with its cgroup (EPOLLHUP on the link), and
 * attach/detach while OOMs keep coming leaves no splat and no stale state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <sys/wait.h>

#include "oom_test.h"
#include "policy_util.h"
#include "util.h"

static enum oom_test_status run_rmdir(void *ctx)
{
	struct ot_hog grow = { .grow = true };
	struct bpf_link *link;
	struct policy *skel;
	struct pollfd pfd;
	char *cg, *cg2;
	int n, sig, calls;
	struct ot_child hog;

	cg = cg_create("hup");
	OT_ASSERT(cg, "cannot create cgroup");
	skel = ot_policy_start(cg, MODE_PASS, 0, &link);
	if (!skel) {
		cg_destroy(cg);
		free(cg);
		OT_FAIL("attach failed");
	}
	OT_ASSERT(ot_listing_count() == 1, "not listed");
	OT_ASSERT(rmdir(cg) == 0, "rmdir: %s", strerror(errno));
	free(cg);

	pfd.fd = bpf_link__fd(link);
	pfd.events = POLLIN;
	n = poll(&pfd, 1, OT_TIMEOUT_MS);
	n = n == 1 && (pfd.revents & POLLHUP);
	if (!n) {
		ot_policy_stop(skel, link);
		OT_FAIL("no EPOLLHUP on the link after rmdir");
	}
	OT_ASSERT(ot_listing_count() == 0, "still listed after its cgroup went away");

	/* The next OOM, in a new memcg of the same name, is the kernel's. */
	cg2 = cg_create("hup");
	OT_ASSERT(cg2, "cannot recreate cgroup");
	if (cg_write(cg2, "memory.max", "32M") || cg_write(cg2, "memory.swap.max", "0") ||
	    ot_child_spawn_hog(&hog, cg2, &grow)) {
		cg_destroy(cg2);
		ot_policy_stop(skel, link);
		OT_FAIL("cannot start the second OOM");
	}
	sig = ot_child_wait_death(&hog, OT_TIMEOUT_MS);
	ot_child_reap(&hog);
	calls = skel->bss->calls;
	cg_destroy(cg2);
	free(cg2);
	ot_policy_stop(skel, link);
	OT_ASSERT(sig == SIGKILL, "hog ended with %d", sig);
	OT_ASSERT(calls == 0, "the detached policy was called %d times", calls);
	return OOM_TEST_PASS;
}

static struct oom_test rmdir_hup = {
	.name = "lifetime_rmdir_epollhup",
	.description =
		"rmdir of the attach cgroup detaches the policy, poll() sees EPOLLHUP, the next OOM is the kernel's",
	.run = run_rmdir,
};

REGISTER_OOM_TEST(&rmdir_hup)

/*
 * A link that the kernel detached (its cgroup was removed) and that its
 * owner keeps open must not pin the removed cgroup: a long-lived agent
 * would pile up dying cgroups. The cgroup is released asynchronously and
 * nothing signals it, so this waits on cgroup.stat, bounded.
 */
static enum oom_test_status run_release(void *ctx)
{
	unsigned long long info_id;
	struct bpf_link_info info;
	struct bpf_link *link;
	struct policy *skel;
	struct pollfd pfd;
	long long dying = -1, id;
	__u32 len;
	char *parent, *cg;
	int i, hup;

	parent = cg_create("rel");
	if (parent && cg_write(parent, "cgroup.subtree_control", "+memory")) {
		cg_destroy(parent);
		free(parent);
		parent = NULL;
	}
	cg = parent ? cg_create("rel/c") : NULL;
	OT_ASSERT(cg, "cannot create the cgroups");
	id = cg_id(cg);
	skel = ot_policy_start(cg, MODE_PASS, 0, &link);
	if (!skel || rmdir(cg)) {
		ot_policy_stop(skel, link);
		cg_destroy(parent);
		OT_FAIL("attach or rmdir failed");
	}
	pfd.fd = bpf_link__fd(link);
	pfd.events = POLLIN;
	hup = poll(&pfd, 1, OT_TIMEOUT_MS) == 1 && (pfd.revents & POLLHUP);
	for (i = 0; hup && i < 600; i++) {
		dying = cg_read_key(parent, "cgroup.stat", "nr_dying_descendants");
		if (dying == 0)
			break;
		usleep(50000);
	}
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	info_id = bpf_link_get_info_by_fd(pfd.fd, &info, &len) ? 0 : info.struct_ops.cgroup_id;
	ot_policy_stop(skel, link);
	cg_destroy(parent);
	free(parent);
	free(cg);
	OT_ASSERT(hup, "no EPOLLHUP after rmdir");
	OT_ASSERT(dying == 0, "the removed cgroup is still dying (%lld) while the link is open",
		  dying);
	OT_ASSERT(info_id == (unsigned long long)id, "link info says cgroup %llu, not %lld",
		  info_id, id);
	return OOM_TEST_PASS;
}

static struct oom_test release = {
	.name = "lifetime_detached_link_releases_cgroup",
	.description =
		"a link detached by rmdir and kept open does not pin the removed cgroup; its info keeps the id",
	.run = run_release,
};

REGISTER_OOM_TEST(&release)

#define LOOPS 20

/* Child: OOM in @cg again and again until killed. */
static void oom_forever(const char *cg)
{
	struct ot_hog grow = { .grow = true };

	for (;;) {
		struct ot_child hog;

		if (ot_child_spawn_hog(&hog, cg, &grow))
			continue;
		ot_child_wait_death(&hog, OT_TIMEOUT_MS);
		ot_child_reap(&hog);
	}
}

static enum oom_test_status run_loop(void *ctx)
{
	long long before, after;
	pid_t driver;
	char *cg, *sub;
	int i, failed = 0, status;

	cg = cg_create("loop");
	OT_ASSERT(cg, "cannot create cgroup");
	if (cg_write(cg, "memory.max", "24M") || cg_write(cg, "memory.swap.max", "0")) {
		cg_destroy(cg);
		free(cg);
		OT_FAIL("cannot configure the memcg");
	}
	before = cg_read_key(cg, "memory.events", "oom_kill");
	fflush(stdout);
	driver = fork();
	if (!driver)
		oom_forever(cg);

	for (i = 0; i < LOOPS && !failed; i++) {
		struct bpf_link *link;
		struct policy *skel;

		/* Alternate: on the OOMing memcg and system-wide. */
		sub = i % 2 ? NULL : cg;
		skel = ot_policy_start(sub, MODE_PASS, 0, &link);
		if (!skel)
			failed = 1;
		else
			ot_policy_stop(skel, link);
	}
	kill(driver, SIGKILL);
	waitpid(driver, &status, 0);
	after = cg_read_key(cg, "memory.events", "oom_kill");
	cg_destroy(cg);
	free(cg);
	OT_ASSERT(!failed, "attach %d of %d failed", i, LOOPS);
	OT_ASSERT(after > before, "no OOM happened during the loop");
	OT_ASSERT(ot_listing_count() == 0, "policies left behind");
	ot_info("%d attach/detach cycles over %lld OOM kills", LOOPS, after - before);
	return OOM_TEST_PASS;
}

static struct oom_test loop = {
	.name = "lifetime_attach_detach_loop",
	.description = "attach/detach in a loop while OOMs repeat: no splat, nothing left attached",
	.run = run_loop,
};

REGISTER_OOM_TEST(&loop)
