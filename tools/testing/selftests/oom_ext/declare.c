// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_out_of_memory(): its refusals, a declared memcg OOM that the kernel
 * resolves, one that an attached policy resolves, and the verifier
 * refusing it in a bpf_oom_ops handler.
 */
#define _GNU_SOURCE
#include <dirent.h>
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
#include "oom_notify.bpf.skel.h"
#include "util.h"

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
	t->hog.pid = -1;
	t->small.pid = -1;
	t->cg = ot_cg_create("declare");
	t->skel = declare__open_and_load();
	if (!t->cg || !t->skel) {
		if (t->cg)
			ot_cg_destroy(t->cg);
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

	ot_child_reap(&t->hog);
	ot_child_reap(&t->small);
	declare__destroy(t->skel);
	ot_cg_destroy(t->cg);
	free(t->cg);
	free(t);
}

/* Run bpf_out_of_memory(memcg of @cgid, @order, @flags); its result. */
static int declare(struct decl *t, __u64 cgid, int order, __u64 flags, int *ret)
{
	return ot_declare(t->skel, cgid, order, flags, ret);
}

static enum oom_test_status run_refusals(void *ctx)
{
	struct decl *t = ctx;
	__u64 cgid = ot_cg_id(t->cg);
	int ret;

	OT_ASSERT(!declare(t, cgid, 0, 1ULL << 1, &ret) && ret == -EINVAL,
		  "unknown flag: %d", ret);
	OT_ASSERT(!declare(t, cgid, -1, 0, &ret) && ret == -EINVAL, "order -1: %d", ret);
	OT_ASSERT(!declare(t, cgid, 11, 0, &ret) && ret == -EINVAL,
		  "order above MAX_PAGE_ORDER: %d", ret);
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 0,
		  "a refused call killed something");
	return OOM_TEST_PASS;
}

static struct oom_test refusals = {
	.name = "declare_refusals",
	.description =
		"bpf_out_of_memory() gives -EINVAL for an unknown flag and a bad order, and kills nothing",
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

	OT_ASSERT(!ot_cg_write(t->cg, "memory.max", "256M"), "memory.max");
	OT_ASSERT(!ot_child_spawn_hog(&t->hog, t->cg, &big) &&
		  !ot_child_spawn_hog(&t->small, t->cg, &small), "tasks did not start");
	kmsg = ot_kmsg_open();
	err = declare(t, ot_cg_id(t->cg), 0, flags, &ret);
	OT_ASSERT(!err, "BPF_PROG_RUN: %s", strerror(-err));
	sig = ot_child_wait_death(&t->hog, OT_TIMEOUT_MS);
	declared = ot_kmsg_wait_for(kmsg, "declared by a BPF program", NULL, 0, OT_TIMEOUT_MS);
	found = ot_kmsg_wait_for(kmsg, "Killed process", report, sizeof(report), OT_TIMEOUT_MS);
	close(kmsg);
	snprintf(want, sizeof(want), "Killed process %d ", t->hog.pid);
	OT_ASSERT(ret == 1, "bpf_out_of_memory() returned %d", ret);
	OT_ASSERT(sig == SIGKILL, "the largest task ended with %d", sig);
	OT_ASSERT(ot_child_alive(&t->small), "the small task died");
	OT_ASSERT(declared, "the report does not say BPF declared the OOM");
	OT_ASSERT(found && strstr(report, want), "report: %s", found ? report : "none");
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 1, "oom_kill %lld",
		  ot_cg_read_key(t->cg, "memory.events", "oom_kill"));
	return OOM_TEST_PASS;
}

static enum oom_test_status run_memcg(void *ctx)
{
	return declared_kill(ctx, 0);
}

static struct oom_test memcg = {
	.name = "declare_memcg_kernel_kills",
	.description =
		"bpf_out_of_memory(memcg) runs the OOM killer there: the largest task dies, the report says BPF declared it",
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
	.description =
		"the verifier rejects bpf_out_of_memory() in a bpf_oom_ops handler (it runs under oom_lock)",
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

	OT_ASSERT(!ot_cg_write(t->cg, "memory.max", "256M"), "memory.max");
	OT_ASSERT(!ot_child_spawn_hog(&t->hog, t->cg, &big) &&
		  !ot_child_spawn_hog(&t->small, t->cg, &small), "tasks did not start");
	pol = ot_policy_start(t->cg, MODE_KILL, t->small.pid, &link);
	OT_ASSERT(pol, "the test policy did not attach");
	err = declare(t, ot_cg_id(t->cg), 0, 0, &ret);
	sig = ot_child_wait_death(&t->small, OT_TIMEOUT_MS);
	ot_policy_stop(pol, link);
	OT_ASSERT(!err && ret == 1, "bpf_out_of_memory(): %d, %d", err, ret);
	OT_ASSERT(sig == SIGKILL, "the policy's victim ended with %d", sig);
	OT_ASSERT(ot_child_alive(&t->hog), "the kernel's choice died too");
	return OOM_TEST_PASS;
}

static struct oom_test policy = {
	.name = "declare_memcg_policy_decides",
	.description =
		"bpf_out_of_memory(memcg) calls the policy attached there, which picks the victim",
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

	OT_ASSERT(!ot_cg_write(t->cg, "memory.max", "32M") &&
		  !ot_cg_write(t->cg, "memory.swap.max", "0"), "memory.max");
	pol = ot_policy_start(t->cg, MODE_HOLD, 0, &link);
	OT_ASSERT(pol, "the test policy did not attach");
	ot_child_spawn_hog(&t->hog, t->cg, &grow);
	/* The handler flags that it runs; it holds oom_lock until released. */
	for (i = 0; i < OT_TIMEOUT_MS && !__atomic_load_n(&pol->bss->held, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	err = i < OT_TIMEOUT_MS ? declare(t, ot_cg_id(t->cg), 0, 0, &ret) : -ETIMEDOUT;
	still_held = __atomic_load_n(&pol->bss->held, __ATOMIC_ACQUIRE) == 1;
	__atomic_store_n(&pol->bss->release, 1, __ATOMIC_RELEASE);
	sig = ot_child_wait_death(&t->hog, OT_TIMEOUT_MS);
	ot_policy_stop(pol, link);
	OT_ASSERT(!err, "the handler never ran or BPF_PROG_RUN failed: %s", strerror(-err));
	OT_ASSERT(still_held, "the handler gave up oom_lock before the call returned");
	OT_ASSERT(ret == -EBUSY, "bpf_out_of_memory() with oom_lock taken: %d", ret);
	OT_ASSERT(sig == SIGKILL, "the hog ended with %d", sig);
	return OOM_TEST_PASS;
}

static struct oom_test busy = {
	.name = "declare_busy_without_wait",
	.description =
		"with oom_lock taken and no BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK, bpf_out_of_memory() gives -EBUSY",
	.setup = setup_decl,
	.run = run_busy,
	.cleanup = cleanup_decl,
};

REGISTER_OOM_TEST(&busy)

/*
 * A policy that passes on a declared memcg OOM: the kernel still kills
 * (the memcg has room, which must not count as "resolved").
 */
static enum oom_test_status run_policy_passes(void *ctx)
{
	struct decl *t = ctx;
	enum oom_test_status st;
	unsigned long long calls;
	struct bpf_link *link;
	struct policy *pol;

	pol = ot_policy_start(t->cg, MODE_PASS, 0, &link);
	OT_ASSERT(pol, "attach failed");
	st = declared_kill(t, 0);
	calls = pol->bss->calls;
	ot_policy_stop(pol, link);
	if (st != OOM_TEST_PASS)
		return st;
	OT_ASSERT(calls == 1, "the policy was called %llu times", calls);
	return OOM_TEST_PASS;
}

static struct oom_test policy_passes = {
	.name = "declare_policy_passes_kernel_kills",
	.description =
		"a declared memcg OOM whose policy passes is resolved by the kernel: a kill and 1, not a silent 1",
	.setup = setup_decl,
	.run = run_policy_passes,
	.cleanup = cleanup_decl,
};

REGISTER_OOM_TEST(&policy_passes)

static int write_str(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fputs(val, f) >= 0;
	return fclose(f) || !ok ? -1 : 0;
}

static int write_int(const char *path, int val)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", val);
	return write_str(path, buf);
}

static int read_int(const char *path, int *val)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%d", val) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

/* panic_on_oom = 2 (every OOM, memcg ones too): a declared one still kills. */
static enum oom_test_status run_panic_on_oom(void *ctx)
{
	enum oom_test_status st;
	int old = 0;

	OT_ASSERT(!read_int("/proc/sys/vm/panic_on_oom", &old) &&
		  !write_int("/proc/sys/vm/panic_on_oom", 2), "cannot set vm.panic_on_oom");
	st = declared_kill(ctx, 0);
	write_int("/proc/sys/vm/panic_on_oom", old);
	return st;
}

static struct oom_test panic_on_oom = {
	.name = "declare_ignores_panic_on_oom",
	.description =
		"with vm.panic_on_oom=2 a declared memcg OOM kills and does not panic, like sysrq-f",
	.setup = setup_decl,
	.run = run_panic_on_oom,
	.cleanup = cleanup_decl,
};

REGISTER_OOM_TEST(&panic_on_oom)

/* Set every process's oom_score_adj to -1000; the old values go to @saved. */
static int protect_all(int *pids, int *saved, int max)
{
	char path[64];
	int n = 0, pid;
	struct dirent *d;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while ((d = readdir(dir)) && n < max) {
		pid = atoi(d->d_name);
		if (pid <= 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
		if (read_int(path, &saved[n]) || write_int(path, -1000))
			continue;
		pids[n++] = pid;
	}
	closedir(dir);
	return n;
}

static void restore_all(const int *pids, const int *saved, int n)
{
	char path[64];

	while (n--) {
		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pids[n]);
		write_int(path, saved[n]);
	}
}

/*
 * A declared global OOM with nothing killable and vm.panic_on_oom=1: no
 * panic (neither panic_on_oom nor "System is deadlocked on memory"),
 * nothing killed, 0.
 */
static enum oom_test_status run_nothing_killable(void *ctx)
{
	int pids[1024], saved[1024], n, ret = 1, err, old = 0, kmsg, none;
	struct decl *t = ctx;

	OT_ASSERT(!read_int("/proc/sys/vm/panic_on_oom", &old) &&
		  !write_int("/proc/sys/vm/panic_on_oom", 1), "cannot set vm.panic_on_oom");
	kmsg = ot_kmsg_open();
	n = protect_all(pids, saved, 1024);
	err = n > 0 ? declare(t, 0, 0, BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK, &ret) : -1;
	restore_all(pids, saved, n);
	write_int("/proc/sys/vm/panic_on_oom", old);
	none = ot_kmsg_wait_for(kmsg, "no killable processes", NULL, 0, OT_TIMEOUT_MS);
	close(kmsg);
	OT_ASSERT(n > 0, "could not protect the processes");
	OT_ASSERT(!err, "BPF_PROG_RUN: %s", strerror(-err));
	OT_ASSERT(ret == 0, "bpf_out_of_memory(NULL) with nothing killable returned %d", ret);
	OT_ASSERT(none, "no \"no killable processes\" report");
	return OOM_TEST_PASS;
}

static struct oom_test nothing_killable = {
	.name = "declare_global_nothing_killable",
	.description =
		"a declared global OOM with nothing killable and vm.panic_on_oom=1 returns 0 and does not panic",
	.setup = setup_decl,
	.run = run_nothing_killable,
	.cleanup = cleanup_decl,
};

REGISTER_OOM_TEST(&nothing_killable)

/*
 * The OOM notifiers (virtio_balloon's deflate-on-oom) run in an allocation's
 * global OOM, to give memory back instead of a kill. A declared global OOM
 * does not call them: the policy that declared it asked for a kill, not for
 * a balloon to deflate. With every process protected nothing is killed: a
 * sysrq OOM, the kernel's own global OOM, calls the chain once (the probe
 * works), then the declared one must not call it.
 */
static enum oom_test_status run_no_notifiers(void *ctx)
{
	int pids[1024], saved[1024], n, ret = 1, err = -1, kmsg, ignored = 0;
	unsigned long long by_sysrq = 0, by_declared = 0;
	struct oom_notify *probe;
	struct bpf_link *link;
	struct decl *t = ctx;

	probe = oom_notify__open_and_load();
	OT_ASSERT(probe, "cannot load oom_notify.bpf.o: %s", ot_libbpf_log());
	link = bpf_program__attach(probe->progs.count_oom_notify);
	if (!link) {
		oom_notify__destroy(probe);
		OT_FAIL("kprobe/blocking_notifier_call_chain: %s", strerror(errno));
	}
	kmsg = ot_kmsg_open();
	n = protect_all(pids, saved, 1024);
	if (n > 0 && !write_str("/proc/sysrq-trigger", "f")) {
		ignored = ot_kmsg_wait_for(kmsg, "OOM request ignored", NULL, 0, OT_TIMEOUT_MS);
		by_sysrq = probe->bss->calls;
		err = declare(t, 0, 0, BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK, &ret);
		by_declared = probe->bss->calls - by_sysrq;
	}
	restore_all(pids, saved, n);
	close(kmsg);
	bpf_link__destroy(link);
	oom_notify__destroy(probe);
	OT_ASSERT(n > 0, "could not protect the processes");
	OT_ASSERT(ignored, "the sysrq OOM did not report \"OOM request ignored\"");
	OT_ASSERT(by_sysrq == 1, "the sysrq OOM called the OOM notifiers %llu times", by_sysrq);
	OT_ASSERT(!err, "BPF_PROG_RUN: %s", strerror(-err));
	OT_ASSERT(ret == 0, "bpf_out_of_memory(NULL) with nothing killable returned %d", ret);
	OT_ASSERT(by_declared == 0, "the declared global OOM called the OOM notifiers %llu times",
		  by_declared);
	return OOM_TEST_PASS;
}

static struct oom_test no_notifiers = {
	.name = "declare_global_skips_oom_notifiers",
	.description =
		"a sysrq OOM calls the OOM notifier chain (balloon deflate), a declared global OOM does not",
	.setup = setup_decl,
	.run = run_no_notifiers,
	.cleanup = cleanup_decl,
};

REGISTER_OOM_TEST(&no_notifiers)

/*
 * Declared OOMs in a memcg where nothing may be killed (oom_score_adj
 * -1000): each returns 0, and their "no killable processes" reports are
 * rate-limited (the kernel's burst is 10 per 5 s), not one full report each.
 */
static enum oom_test_status run_nothing_ratelimited(void *ctx)
{
	struct ot_hog protected = { .mib = 4, .adj = -1000 };
	int i, n = 25, ret, err = 0, zero = 0, reports, kmsg;
	struct decl *t = ctx;

	OT_ASSERT(!ot_child_spawn_hog(&t->small, t->cg, &protected), "the task did not start");
	kmsg = ot_kmsg_open();
	OT_ASSERT(kmsg >= 0, "/dev/kmsg");
	for (i = 0; i < n && !err; i++) {
		err = declare(t, ot_cg_id(t->cg), 0, BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK, &ret);
		zero += !err && !ret;
	}
	reports = ot_kmsg_count(kmsg, "Out of memory and no killable processes");
	close(kmsg);
	OT_ASSERT(!err, "BPF_PROG_RUN: %s", strerror(-err));
	OT_ASSERT(zero == n, "%d of %d declared OOMs returned 0", zero, n);
	OT_ASSERT(ot_child_alive(&t->small), "the protected task was killed");
	OT_ASSERT(reports >= 0 && reports <= 10,
		  "%d reports for %d declared OOMs with nothing to kill", reports, n);
	ot_info("%d declared OOMs with nothing to kill: %d reports", n, reports);
	return OOM_TEST_PASS;
}

static struct oom_test nothing_ratelimited = {
	.name = "declare_nothing_to_kill_ratelimited",
	.description =
		"declared OOMs in a memcg of protected tasks return 0 and their reports are rate-limited",
	.setup = setup_decl,
	.run = run_nothing_ratelimited,
	.cleanup = cleanup_decl,
};

REGISTER_OOM_TEST(&nothing_ratelimited)
