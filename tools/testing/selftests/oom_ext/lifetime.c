// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime: a policy dies with its cgroup (EPOLLHUP on the link) or when a
 * handler call runs over vm.bpf_oom_handler_timeout_ms, and attach/detach
 * while OOMs keep coming leaves no splat and no stale state.
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
#include "declare.bpf.skel.h"
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

	cg = ot_cg_create("hup");
	OT_ASSERT(cg, "cannot create cgroup");
	skel = ot_policy_start(cg, MODE_PASS, 0, &link);
	if (!skel) {
		ot_cg_destroy(cg);
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
	cg2 = ot_cg_create("hup");
	OT_ASSERT(cg2, "cannot recreate cgroup");
	if (ot_cg_write(cg2, "memory.max", "32M") || ot_cg_write(cg2, "memory.swap.max", "0") ||
	    ot_child_spawn_hog(&hog, cg2, &grow)) {
		ot_cg_destroy(cg2);
		ot_policy_stop(skel, link);
		OT_FAIL("cannot start the second OOM");
	}
	sig = ot_child_wait_death(&hog, OT_TIMEOUT_MS);
	ot_child_reap(&hog);
	calls = skel->bss->calls;
	ot_cg_destroy(cg2);
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

	parent = ot_cg_create("rel");
	if (parent && ot_cg_write(parent, "cgroup.subtree_control", "+memory")) {
		ot_cg_destroy(parent);
		free(parent);
		parent = NULL;
	}
	cg = parent ? ot_cg_create("rel/c") : NULL;
	OT_ASSERT(cg, "cannot create the cgroups");
	id = ot_cg_id(cg);
	skel = ot_policy_start(cg, MODE_PASS, 0, &link);
	if (!skel || rmdir(cg)) {
		ot_policy_stop(skel, link);
		ot_cg_destroy(parent);
		OT_FAIL("attach or rmdir failed");
	}
	pfd.fd = bpf_link__fd(link);
	pfd.events = POLLIN;
	hup = poll(&pfd, 1, OT_TIMEOUT_MS) == 1 && (pfd.revents & POLLHUP);
	for (i = 0; hup && i < 600; i++) {
		dying = ot_cg_read_key(parent, "cgroup.stat", "nr_dying_descendants");
		if (dying == 0)
			break;
		usleep(50000);
	}
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	info_id = bpf_link_get_info_by_fd(pfd.fd, &info, &len) ? 0 : info.struct_ops.cgroup_id;
	ot_policy_stop(skel, link);
	ot_cg_destroy(parent);
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

	cg = ot_cg_create("loop");
	OT_ASSERT(cg, "cannot create cgroup");
	if (ot_cg_write(cg, "memory.max", "24M") || ot_cg_write(cg, "memory.swap.max", "0")) {
		ot_cg_destroy(cg);
		free(cg);
		OT_FAIL("cannot configure the memcg");
	}
	before = ot_cg_read_key(cg, "memory.events", "oom_kill");
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
	after = ot_cg_read_key(cg, "memory.events", "oom_kill");
	ot_cg_destroy(cg);
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

#define TIMEOUT_SYSCTL	"vm/bpf_oom_handler_timeout_ms"
#define EJECT_MS	100

struct eject {
	char *a, *b;
	struct declare *decl;
	struct ot_child hog, hog2, b_task;
	pid_t waiter;
	long old_timeout;
	int kmsg;
};

static void cleanup_eject(void *ctx);

static enum oom_test_status setup_eject(void **ctx)
{
	struct eject *t = calloc(1, sizeof(*t));
	int err;

	if (!t)
		OT_FAIL("no memory");
	t->hog.pid = t->hog2.pid = t->b_task.pid = -1;
	t->kmsg = -1;
	t->old_timeout = -1;
	t->a = ot_cg_create("eject_a");
	t->b = ot_cg_create("eject_b");
	t->decl = declare__open_and_load();
	*ctx = t;
	if (!t->a || !t->b || !t->decl || ot_cg_write(t->a, "memory.max", "32M") ||
	    ot_cg_write(t->a, "memory.swap.max", "0") || ot_cg_write(t->b, "memory.max", "64M")) {
		cleanup_eject(t);
		OT_FAIL("cannot set up the memcgs");
	}
	err = ot_sysctl_set(TIMEOUT_SYSCTL, EJECT_MS, &t->old_timeout);
	if (err) {
		cleanup_eject(t);
		OT_FAIL("cannot set %s: %s", TIMEOUT_SYSCTL, strerror(-err));
	}
	return OOM_TEST_PASS;
}

static void cleanup_eject(void *ctx)
{
	struct eject *t = ctx;

	if (t->waiter > 0) {
		kill(t->waiter, SIGKILL);
		waitpid(t->waiter, NULL, 0);
	}
	ot_child_reap(&t->hog);
	ot_child_reap(&t->hog2);
	ot_child_reap(&t->b_task);
	if (t->old_timeout > 0)
		ot_sysctl_set(TIMEOUT_SYSCTL, t->old_timeout, NULL);
	if (t->kmsg >= 0)
		close(t->kmsg);
	declare__destroy(t->decl);
	if (t->a)
		ot_cg_destroy(t->a);
	if (t->b)
		ot_cg_destroy(t->b);
	free(t->a);
	free(t->b);
	free(t);
}

/* In a child: an OOM in @cgid; writes how long it took to @fd. */
static void __attribute__((noreturn)) timed_oom(struct declare *decl, long long cgid, int fd)
{
	long start = ot_now_ms(), took;
	int ret = 0;

	ot_declare(decl, cgid, 0, BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK, &ret);
	took = ot_now_ms() - start;
	if (write(fd, &took, sizeof(took)) != sizeof(took))
		_exit(2);
	_exit(ret == 1 ? 0 : 1);
}

static enum oom_test_status run_eject(void *ctx)
{
	struct ot_hog grow = { .grow = true }, small = { .mib = 8 };
	struct pollfd pfd = { .events = POLLIN };
	int i, p[2], status = -1, sig = 0, sig2 = 0, listed;
	bool held, ejected = false, hup = false;
	struct eject *t = ctx;
	unsigned long long calls;
	struct ot_listing l;
	struct bpf_link *link;
	struct policy *pol;
	char line[512] = "";
	long delay = -1;

	OT_ASSERT(!ot_child_spawn_hog(&t->b_task, t->b, &small), "B's task did not start");
	OT_ASSERT(!pipe(p), "pipe");
	pol = ot_policy_start(t->a, MODE_HOLD, 0, &link);
	OT_ASSERT(pol, "attach failed");
	t->kmsg = ot_kmsg_open();
	ot_child_spawn_hog(&t->hog, t->a, &grow);
	/* A's OOM: the handler spins under oom_lock until released. */
	for (i = 0; i < OT_TIMEOUT_MS && !__atomic_load_n(&pol->bss->held, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	held = __atomic_load_n(&pol->bss->held, __ATOMIC_ACQUIRE) == 1;
	if (held) {
		/* An OOM in B meanwhile waits for oom_lock. */
		fflush(stdout);
		t->waiter = fork();
		if (!t->waiter)
			timed_oom(t->decl, ot_cg_id(t->b), p[1]);
		/* Keep the handler running past its time: the time is the point. */
		usleep(3 * EJECT_MS * 1000);
	}
	__atomic_store_n(&pol->bss->release, 1, __ATOMIC_RELEASE);
	if (held) {
		ejected = ot_kmsg_wait_for(t->kmsg, "bpf_oom: policy test_policy", line,
					   sizeof(line), OT_TIMEOUT_MS);
		pfd.fd = bpf_link__fd(link);
		hup = poll(&pfd, 1, OT_TIMEOUT_MS) == 1 && (pfd.revents & POLLHUP);
		pfd.fd = p[0];
		if (poll(&pfd, 1, OT_TIMEOUT_MS) == 1 && read(p[0], &delay, sizeof(delay)) < 0)
			delay = -1;
		waitpid(t->waiter, &status, 0);
		t->waiter = 0;
		sig = ot_child_wait_death(&t->hog, OT_TIMEOUT_MS);
		/* The next OOM in A is the kernel's alone. */
		if (!ot_child_spawn_hog(&t->hog2, t->a, &grow))
			sig2 = ot_child_wait_death(&t->hog2, OT_TIMEOUT_MS);
	}
	calls = pol->bss->calls;
	listed = ot_listing_find(ot_cg_id(t->a), &l);
	ot_policy_stop(pol, link);
	close(p[0]);
	close(p[1]);
	OT_ASSERT(held, "the handler never ran");
	OT_ASSERT(ejected, "no kmsg line ejecting the slow policy");
	ot_info("%s", line);
	OT_ASSERT(strstr(line, "detached"), "the kmsg line: %s", line);
	OT_ASSERT(hup, "no EPOLLHUP on the ejected policy's link");
	OT_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
		  "the OOM in B did not kill (status %d)", status);
	OT_ASSERT(sig == SIGKILL && sig2 == SIGKILL, "A's tasks ended with %d and %d", sig, sig2);
	OT_ASSERT(calls == 1, "the ejected policy was called %llu times", calls);
	OT_ASSERT(listed == 0, "the ejected policy is still listed");
	OT_ASSERT(ot_cg_read_key(t->a, "memory.events", "oom_kill") == 2, "A's oom_kill %lld",
		  ot_cg_read_key(t->a, "memory.events", "oom_kill"));
	ot_info("the OOM in B waited %ld ms for A's handler (timeout %d ms)", delay, EJECT_MS);
	return OOM_TEST_PASS;
}

static struct oom_test eject = {
	.name = "lifetime_slow_handler_ejected",
	.description =
		"a handler call over vm.bpf_oom_handler_timeout_ms ejects its policy: one kmsg line, EPOLLHUP, later OOMs are the kernel's",
	.setup = setup_eject,
	.run = run_eject,
	.cleanup = cleanup_eject,
};

REGISTER_OOM_TEST(&eject)

/*
 * BPF_LINK_UPDATE swaps the policy in place during an OOM storm: every OOM
 * meets one policy or the other, none falls through to the kernel.
 */
static enum oom_test_status run_update(void *ctx)
{
	struct ot_hog grow = { .grow = true };
	struct policy *p1 = NULL, *p2 = NULL;
	int i, n = 20, sig, killed = 0, status = -1;
	struct bpf_link *link = NULL;
	unsigned long long kills, k1;
	long long oom_kill;
	struct ot_child hog;
	char *cg = ctx;
	pid_t swapper;

	OT_ASSERT(!ot_cg_write(cg, "memory.max", "32M") && !ot_cg_write(cg, "memory.swap.max", "0"),
		  "memory.max");
	p1 = ot_policy_start(cg, MODE_KILL_CURRENT, 0, &link);
	OT_ASSERT(p1, "attach failed");
	p2 = policy__open();
	if (p2)
		p2->bss->mode = MODE_KILL_CURRENT;
	if (!p2 || policy__load(p2)) {
		ot_policy_stop(p1, link);
		policy__destroy(p2);
		OT_FAIL("the second policy did not load");
	}
	/* One update refused, or accepted: checked before the storm. */
	if (bpf_link__update_map(link, p2->maps.test_ops)) {
		ot_info("BPF_LINK_UPDATE: %s", strerror(errno));
		ot_policy_stop(p1, link);
		policy__destroy(p2);
		OT_FAIL("replacing the policy through its link was refused");
	}
	fflush(stdout);
	swapper = fork();
	if (!swapper) {
		/* Swap back and forth until killed; exit 1 on the first refusal. */
		for (i = 0;; i++) {
			if (bpf_link__update_map(link, i & 1 ? p2->maps.test_ops :
							       p1->maps.test_ops))
				_exit(1);
			usleep(5000);
		}
	}
	for (i = 0; i < n; i++) {
		if (ot_child_spawn_hog(&hog, cg, &grow))
			break;
		sig = ot_child_wait_death(&hog, OT_TIMEOUT_MS);
		ot_child_reap(&hog);
		killed += sig == SIGKILL;
	}
	if (swapper > 0 && waitpid(swapper, &status, WNOHANG) == 0) {
		kill(swapper, SIGKILL);
		waitpid(swapper, &status, 0);
	}
	k1 = p1->bss->kills;
	kills = k1 + p2->bss->kills;
	oom_kill = ot_cg_read_key(cg, "memory.events", "oom_kill");
	ot_policy_stop(p1, link);
	policy__destroy(p2);
	OT_ASSERT(swapper > 0 && WIFSIGNALED(status), "the swaps stopped (status %d)", status);
	OT_ASSERT(killed == n, "%d of %d growing tasks were killed", killed, n);
	OT_ASSERT(oom_kill == n, "oom_kill %lld, want %d", oom_kill, n);
	OT_ASSERT(kills == (unsigned long long)n,
		  "the policies killed %llu of %d: the kernel chose the others", kills, n);
	ot_info("%d OOMs across policy swaps every 5 ms: %llu and %llu kills by each policy",
		n, k1, kills - k1);
	return OOM_TEST_PASS;
}

static enum oom_test_status setup_update(void **ctx)
{
	*ctx = ot_cg_create("update");
	if (!*ctx)
		OT_FAIL("cannot create the memcg");
	return OOM_TEST_PASS;
}

static void cleanup_update(void *ctx)
{
	ot_cg_destroy(ctx);
	free(ctx);
}

static struct oom_test update = {
	.name = "lifetime_update_during_oom_storm",
	.description =
		"BPF_LINK_UPDATE replaces a policy in place during an OOM storm: every OOM is the policies', none the kernel's",
	.setup = setup_update,
	.run = run_update,
	.cleanup = cleanup_update,
};

REGISTER_OOM_TEST(&update)
