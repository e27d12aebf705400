// SPDX-License-Identifier: GPL-2.0
/*
 * Dispatch: which policies the kernel calls on a memcg OOM, in which order,
 * what their kills and refusals do, and what the kernel reports.
 *
 * The usual scenario: a memcg with memory.max = 64M and no swap holds two
 * 16 MiB sleepers A and B, then a hog touches 40 MiB. That does not fit:
 * the OOM is resolved only if a task dies. The kernel alone would kill the
 * hog (the largest); the test policy can be told to kill A instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "oom_test.h"
#include "policy_util.h"
#include "util.h"

#define LIMIT_MIB	64
#define SLEEPER_MIB	16
#define HOG_MIB		40

struct scen {
	char *parent;		/* P */
	char *cg;		/* P/C: the memcg that OOMs */
	char *other;		/* P/X: a sibling */
	struct ot_child a, b, hog;
};

static enum oom_test_status setup_scen(void **ctx)
{
	struct scen *s = calloc(1, sizeof(*s));

	if (!s)
		OT_FAIL("no memory");
	s->a.pid = -1;
	s->b.pid = -1;
	s->hog.pid = -1;
	s->parent = ot_cg_create("P");
	if (s->parent && !ot_cg_write(s->parent, "cgroup.subtree_control", "+memory")) {
		s->cg = ot_cg_create("P/C");
		s->other = ot_cg_create("P/X");
	}
	if (!s->cg || !s->other || ot_cg_write(s->cg, "memory.max", "%dM", LIMIT_MIB) ||
	    ot_cg_write(s->cg, "memory.swap.max", "0") ||
	    ot_cg_write(s->other, "memory.max", "%dM", LIMIT_MIB) ||
	    ot_cg_write(s->other, "memory.swap.max", "0")) {
		if (s->parent)
			ot_cg_destroy(s->parent);
		OT_FAIL("cannot set up the P, P/C and P/X memcgs");
	}
	*ctx = s;
	return OOM_TEST_PASS;
}

static void cleanup_scen(void *ctx)
{
	struct scen *s = ctx;

	ot_child_reap(&s->a);
	ot_child_reap(&s->b);
	ot_child_reap(&s->hog);
	ot_cg_destroy(s->parent);
	free(s->parent);
	free(s->cg);
	free(s->other);
	free(s);
}

static int start_sleepers(struct scen *s)
{
	struct ot_hog sleeper = { .mib = SLEEPER_MIB };

	if (ot_child_spawn_hog(&s->a, s->cg, &sleeper) ||
	    ot_child_spawn_hog(&s->b, s->cg, &sleeper))
		return -1;
	return 0;
}

/* The hog needs HOG_MIB; returns 0 if it got it (someone else died). */
static int run_hog(struct scen *s, bool grow)
{
	struct ot_hog hog = { .mib = grow ? 0 : HOG_MIB, .grow = grow };

	return ot_child_spawn_hog(&s->hog, s->cg, &hog);
}

/* Policy on P/C kills A: A dies, B and the hog live, one kill. */
static enum oom_test_status run_kill_chosen(void *ctx)
{
	struct scen *s = ctx;
	struct bpf_link *link;
	struct policy *skel;
	int hog, sig;

	OT_ASSERT(!start_sleepers(s), "sleepers did not start");
	skel = ot_policy_start(s->cg, MODE_KILL, s->a.pid, &link);
	OT_ASSERT(skel, "attach failed");
	hog = run_hog(s, false);
	sig = ot_child_wait_death(&s->a, OT_TIMEOUT_MS);
	ot_info("policy: calls %llu kills %llu kill_ret %d", skel->bss->calls,
		skel->bss->kills, skel->data->kill_ret);
	OT_ASSERT(skel->data->kill_ret == 0, "bpf_oom_kill_process returned %d",
		  skel->data->kill_ret);
	ot_policy_stop(skel, link);
	OT_ASSERT(sig == SIGKILL, "A (the policy's choice) ended with %d", sig);
	OT_ASSERT(hog == 0, "the hog died; the policy's kill should have made room");
	OT_ASSERT(ot_child_alive(&s->b) && ot_child_alive(&s->hog), "another task died");
	OT_ASSERT(ot_cg_read_key(s->cg, "memory.events", "oom_kill") == 1,
		  "oom_kill = %lld", ot_cg_read_key(s->cg, "memory.events", "oom_kill"));
	return OOM_TEST_PASS;
}

static struct oom_test kill_chosen = {
	.name = "dispatch_kill_chosen",
	.description = "a policy kills its chosen task in a memcg OOM and no other task dies",
	.setup = setup_scen,
	.run = run_kill_chosen,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&kill_chosen)

/* The listing's counters match what the kill scenario did. */
static enum oom_test_status run_listing(void *ctx)
{
	struct scen *s = ctx;
	struct bpf_link *link;
	struct ot_listing l;
	struct policy *skel;
	int found;

	OT_ASSERT(!start_sleepers(s), "sleepers did not start");
	skel = ot_policy_start(s->cg, MODE_KILL, s->a.pid, &link);
	OT_ASSERT(skel, "attach failed");
	run_hog(s, false);
	found = ot_listing_find(ot_cg_id(s->cg), &l);
	if (found == 1)
		ot_info("listed: %s %s calls %lld handled %lld false %lld kills %lld",
			l.name, l.cgroup, l.calls, l.handled, l.false_claims, l.kills);
	OT_ASSERT(found == 1, "not listed (%d)", found);
	OT_ASSERT(l.calls == (long long)skel->bss->calls && l.calls >= 1,
		  "calls %lld, the program counted %llu", l.calls, skel->bss->calls);
	ot_policy_stop(skel, link);
	OT_ASSERT(!strcmp(l.name, "test_policy"), "name %s", l.name);
	OT_ASSERT(!strcmp(l.cgroup, "/oom_ext_test/P/C"), "cgroup %s", l.cgroup);
	OT_ASSERT(l.kills == 1 && l.handled == 1 && l.false_claims == 0,
		  "handled %lld false %lld kills %lld", l.handled, l.false_claims, l.kills);
	return OOM_TEST_PASS;
}

static struct oom_test listing = {
	.name = "dispatch_listing_counters",
	.description =
		"the debugfs listing shows the policy with calls, handled, false claims and kills as caused",
	.setup = setup_scen,
	.run = run_listing,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&listing)

/* A growing hog with a given policy mode on @attach: the kernel kills it. */
static enum oom_test_status kernel_kills_hog(struct scen *s, const char *attach,
					     int mode, int target, struct policy **out,
					     struct bpf_link **link)
{
	int sig;

	*out = ot_policy_start(attach, mode, target, link);
	OT_ASSERT(*out, "attach failed");
	OT_ASSERT(run_hog(s, true) == 0, "hog did not start");
	sig = ot_child_wait_death(&s->hog, OT_TIMEOUT_MS);
	OT_ASSERT(sig == SIGKILL, "hog ended with %d", sig);
	OT_ASSERT(ot_cg_read_key(s->cg, "memory.events", "oom_kill") == 1, "oom_kill = %lld",
		  ot_cg_read_key(s->cg, "memory.events", "oom_kill"));
	return OOM_TEST_PASS;
}

static enum oom_test_status run_pass(void *ctx)
{
	struct scen *s = ctx;
	struct bpf_link *link = NULL;
	struct policy *skel = NULL;
	enum oom_test_status st;
	unsigned long long calls;

	st = kernel_kills_hog(s, s->cg, MODE_PASS, 0, &skel, &link);
	calls = skel ? skel->bss->calls : 0;
	if (skel)
		ot_policy_stop(skel, link);
	if (st != OOM_TEST_PASS)
		return st;
	OT_ASSERT(calls >= 1, "the policy was never called");
	return OOM_TEST_PASS;
}

static struct oom_test pass = {
	.name = "dispatch_pass_kernel_acts",
	.description = "a policy that returns BPF_OOM_PASS is called and the kernel killer acts",
	.setup = setup_scen,
	.run = run_pass,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&pass)

static enum oom_test_status run_false_claim(void *ctx)
{
	struct scen *s = ctx;
	struct bpf_link *link = NULL;
	struct policy *skel = NULL;
	enum oom_test_status st;
	struct ot_listing l = {};
	int found = 0;

	st = kernel_kills_hog(s, s->cg, MODE_CLAIM, 0, &skel, &link);
	if (skel) {
		found = ot_listing_find(ot_cg_id(s->cg), &l);
		ot_policy_stop(skel, link);
	}
	if (st != OOM_TEST_PASS)
		return st;
	OT_ASSERT(found == 1, "not listed");
	OT_ASSERT(l.false_claims >= 1 && l.false_claims == l.calls,
		  "calls %lld false claims %lld", l.calls, l.false_claims);
	OT_ASSERT(l.handled == 0 && l.kills == 0, "handled %lld kills %lld", l.handled, l.kills);
	return OOM_TEST_PASS;
}

static struct oom_test false_claim = {
	.name = "dispatch_false_claim",
	.description =
		"BPF_OOM_HANDLED without freeing memory: the kernel killer acts and a false claim is counted",
	.setup = setup_scen,
	.run = run_false_claim,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&false_claim)

static enum oom_test_status run_parent(void *ctx)
{
	struct scen *s = ctx;
	unsigned long long attach_id, oom_id;
	struct bpf_link *link;
	struct policy *skel;
	int hog, sig;

	OT_ASSERT(!start_sleepers(s), "sleepers did not start");
	skel = ot_policy_start(s->parent, MODE_KILL, s->a.pid, &link);
	OT_ASSERT(skel, "attach to P failed");
	hog = run_hog(s, false);
	sig = ot_child_wait_death(&s->a, OT_TIMEOUT_MS);
	attach_id = skel->bss->attach_cgrp_id;
	oom_id = skel->bss->oom_memcg_id;
	ot_policy_stop(skel, link);
	OT_ASSERT(sig == SIGKILL && hog == 0, "A ended with %d, hog start %d", sig, hog);
	OT_ASSERT(attach_id == (unsigned long long)ot_cg_id(s->parent),
		  "handler's cgrp is %llu, not P", attach_id);
	OT_ASSERT(oom_id == (unsigned long long)ot_cg_id(s->cg),
		  "oc->memcg is %llu, not P/C", oom_id);
	return OOM_TEST_PASS;
}

static struct oom_test parent = {
	.name = "dispatch_parent_handles_child",
	.description =
		"a policy on a parent memcg handles its child's OOM (cgrp = parent, oc->memcg = child)",
	.setup = setup_scen,
	.run = run_parent,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&parent)

static enum oom_test_status run_order(void *ctx)
{
	struct scen *s = ctx;
	struct bpf_link *plink, *clink;
	struct policy *p, *c;
	unsigned long long pt, ct, pcalls, ccalls;
	int sig;

	OT_ASSERT(!start_sleepers(s), "sleepers did not start");
	p = ot_policy_start(s->parent, MODE_KILL, s->a.pid, &plink);
	OT_ASSERT(p, "attach to P failed");
	c = ot_policy_start(s->cg, MODE_PASS, 0, &clink);
	if (!c) {
		ot_policy_stop(p, plink);
		OT_FAIL("attach to P/C failed");
	}
	run_hog(s, false);
	sig = ot_child_wait_death(&s->a, OT_TIMEOUT_MS);
	pt = p->bss->last_call_ns;
	ct = c->bss->last_call_ns;
	pcalls = p->bss->calls;
	ccalls = c->bss->calls;
	ot_policy_stop(c, clink);
	ot_policy_stop(p, plink);
	OT_ASSERT(sig == SIGKILL, "A ended with %d", sig);
	OT_ASSERT(ccalls >= 1 && pcalls >= 1, "calls: child %llu parent %llu", ccalls, pcalls);
	OT_ASSERT(ct < pt, "child called at %llu, parent at %llu", ct, pt);
	return OOM_TEST_PASS;
}

static struct oom_test order = {
	.name = "dispatch_child_before_parent",
	.description = "the OOMing memcg's own policy runs before its parent's",
	.setup = setup_scen,
	.run = run_order,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&order)

static enum oom_test_status run_other(void *ctx)
{
	struct scen *s = ctx;
	struct bpf_link *link = NULL;
	struct policy *skel = NULL;
	enum oom_test_status st;
	unsigned long long calls;

	st = kernel_kills_hog(s, s->other, MODE_PASS, 0, &skel, &link);
	calls = skel ? skel->bss->calls : 0;
	if (skel)
		ot_policy_stop(skel, link);
	if (st != OOM_TEST_PASS)
		return st;
	OT_ASSERT(calls == 0, "the policy on P/X was called %llu times for P/C's OOM", calls);
	return OOM_TEST_PASS;
}

static struct oom_test other = {
	.name = "dispatch_other_memcg_not_called",
	.description = "a policy on one memcg is not called for a sibling memcg's OOM",
	.setup = setup_scen,
	.run = run_other,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&other)

/* Policy tries to kill @target; expect @err, @target alive, kernel kills hog. */
static enum oom_test_status expect_refusal(struct scen *s, pid_t target, int err)
{
	struct bpf_link *link = NULL;
	struct policy *skel = NULL;
	enum oom_test_status st;
	int ret = 1;

	st = kernel_kills_hog(s, s->cg, MODE_KILL, target, &skel, &link);
	if (skel) {
		ret = skel->data->kill_ret;
		ot_policy_stop(skel, link);
	}
	if (st != OOM_TEST_PASS)
		return st;
	OT_ASSERT(ret == err, "bpf_oom_kill_process returned %d, want %d", ret, err);
	OT_ASSERT(kill(target, 0) == 0, "the refused target %d is gone", target);
	return OOM_TEST_PASS;
}

static enum oom_test_status run_refuse_init(void *ctx)
{
	return expect_refusal(ctx, 1, -EPERM);
}

static struct oom_test refuse_init = {
	.name = "dispatch_kill_refuses_init",
	.description = "bpf_oom_kill_process(init) is -EPERM and kills nothing",
	.setup = setup_scen,
	.run = run_refuse_init,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&refuse_init)

static enum oom_test_status run_refuse_kthread(void *ctx)
{
	char comm[32] = "";
	FILE *f = fopen("/proc/2/comm", "r");

	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	OT_ASSERT(!strncmp(comm, "kthreadd", 8), "pid 2 is not kthreadd: %s", comm);
	return expect_refusal(ctx, 2, -EPERM);
}

static struct oom_test refuse_kthread = {
	.name = "dispatch_kill_refuses_kthread",
	.description = "bpf_oom_kill_process(a kernel thread) is -EPERM and kills nothing",
	.setup = setup_scen,
	.run = run_refuse_kthread,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&refuse_kthread)

static enum oom_test_status run_refuse_protected(void *ctx)
{
	struct ot_hog prot = { .mib = 8, .adj = -1000 };
	struct scen *s = ctx;

	OT_ASSERT(ot_child_spawn_hog(&s->a, s->cg, &prot) == 0, "protected task did not start");
	return expect_refusal(s, s->a.pid, -EPERM);
}

static struct oom_test refuse_protected = {
	.name = "dispatch_kill_refuses_oom_score_adj_min",
	.description =
		"bpf_oom_kill_process(an oom_score_adj=-1000 task) is -EPERM and kills nothing",
	.setup = setup_scen,
	.run = run_refuse_protected,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&refuse_protected)

static enum oom_test_status run_refuse_outside(void *ctx)
{
	struct ot_hog small = { .mib = 8 };
	struct scen *s = ctx;

	OT_ASSERT(ot_child_spawn_hog(&s->a, s->other, &small) == 0, "outsider did not start");
	return expect_refusal(s, s->a.pid, -EINVAL);
}

static struct oom_test refuse_outside = {
	.name = "dispatch_kill_refuses_outside_domain",
	.description =
		"bpf_oom_kill_process(a task outside the OOMing memcg) is -EINVAL and kills nothing",
	.setup = setup_scen,
	.run = run_refuse_outside,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&refuse_outside)

/*
 * True if the kernel log, from @fd on, names the test policy before the
 * next "Killed process" line.
 */
static int report_names_policy(int fd, bool *named)
{
	char line[1024];

	*named = false;
	for (;;) {
		if (!ot_kmsg_wait_for(fd, "", line, sizeof(line), OT_TIMEOUT_MS))
			return -1;
		if (strstr(line, "BPF OOM policy test_policy"))
			*named = true;
		if (strstr(line, "Killed process"))
			return 0;
	}
}

static enum oom_test_status run_report(void *ctx)
{
	struct scen *s = ctx;
	struct bpf_link *link;
	struct policy *skel;
	bool named_kill, named_pass;
	int fd = ot_kmsg_open(), r1, r2;

	OT_ASSERT(fd >= 0, "cannot read /dev/kmsg");
	/* The policy kills: the report names it. */
	if (start_sleepers(s)) {
		close(fd);
		OT_FAIL("sleepers did not start");
	}
	skel = ot_policy_start(s->cg, MODE_KILL, s->a.pid, &link);
	if (!skel) {
		close(fd);
		OT_FAIL("attach failed");
	}
	run_hog(s, false);
	r1 = report_names_policy(fd, &named_kill);
	ot_policy_stop(skel, link);

	/* The policy passes: the kernel's report, unchanged. */
	ot_child_reap(&s->hog);
	skel = ot_policy_start(s->cg, MODE_PASS, 0, &link);
	if (!skel) {
		close(fd);
		OT_FAIL("attach failed");
	}
	run_hog(s, true);
	r2 = report_names_policy(fd, &named_pass);
	ot_policy_stop(skel, link);
	close(fd);

	OT_ASSERT(r1 == 0 && r2 == 0, "no OOM report seen (%d, %d)", r1, r2);
	OT_ASSERT(named_kill, "the report of the policy's kill does not name it");
	OT_ASSERT(!named_pass, "the kernel's own kill names the BPF policy");
	return OOM_TEST_PASS;
}

static struct oom_test report = {
	.name = "dispatch_report_names_handler",
	.description = "the OOM report names the BPF policy iff the policy handled the OOM",
	.setup = setup_scen,
	.run = run_report,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&report)

/*
 * A kill ends the walk, whatever the handler returns: the child's policy
 * kills A and returns BPF_OOM_PASS; the parent's policy, which would kill
 * B, is not called, and only A dies.
 */
static enum oom_test_status run_kill_then_pass(void *ctx)
{
	struct scen *s = ctx;
	struct bpf_link *plink, *clink;
	struct ot_listing l = {};
	unsigned long long pcalls;
	struct policy *p, *c;
	int hog, sig, found;

	OT_ASSERT(!start_sleepers(s), "sleepers did not start");
	p = ot_policy_start(s->parent, MODE_KILL, s->b.pid, &plink);
	OT_ASSERT(p, "attach to P failed");
	c = ot_policy_start(s->cg, MODE_KILL_PASS, s->a.pid, &clink);
	if (!c) {
		ot_policy_stop(p, plink);
		OT_FAIL("attach to P/C failed");
	}
	hog = run_hog(s, false);
	sig = ot_child_wait_death(&s->a, OT_TIMEOUT_MS);
	pcalls = p->bss->calls;
	found = ot_listing_find(ot_cg_id(s->cg), &l);
	ot_policy_stop(c, clink);
	ot_policy_stop(p, plink);
	OT_ASSERT(sig == SIGKILL, "A (the child policy's kill) ended with %d", sig);
	OT_ASSERT(hog == 0 && ot_child_alive(&s->b) && ot_child_alive(&s->hog),
		  "another task died");
	OT_ASSERT(pcalls == 0, "the parent's policy was called %llu times after the kill", pcalls);
	OT_ASSERT(ot_cg_read_key(s->cg, "memory.events", "oom_kill") == 1, "oom_kill = %lld",
		  ot_cg_read_key(s->cg, "memory.events", "oom_kill"));
	OT_ASSERT(found == 1, "the child's policy is not listed");
	OT_ASSERT(l.handled == 1 && l.kills == 1 && l.false_claims == 0,
		  "handled %lld kills %lld false claims %lld", l.handled, l.kills, l.false_claims);
	return OOM_TEST_PASS;
}

static struct oom_test kill_then_pass = {
	.name = "dispatch_kill_then_pass_ends_walk",
	.description =
		"a handler that kills and returns BPF_OOM_PASS ends the walk: no ancestor policy runs, no second kill",
	.setup = setup_scen,
	.run = run_kill_then_pass,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&kill_then_pass)

/* Killing the same task twice: the second call is -EALREADY and counts nothing. */
static enum oom_test_status run_refuse_victim(void *ctx)
{
	struct scen *s = ctx;
	struct bpf_link *link;
	struct policy *skel;
	int hog, sig, k1, k2;

	OT_ASSERT(!start_sleepers(s), "sleepers did not start");
	skel = ot_policy_start(s->cg, MODE_KILL_TWICE, s->a.pid, &link);
	OT_ASSERT(skel, "attach failed");
	hog = run_hog(s, false);
	sig = ot_child_wait_death(&s->a, OT_TIMEOUT_MS);
	k1 = skel->data->kill_ret;
	k2 = skel->data->kill2_ret;
	ot_policy_stop(skel, link);
	OT_ASSERT(sig == SIGKILL, "A ended with %d", sig);
	OT_ASSERT(k1 == 0, "the first kill returned %d", k1);
	OT_ASSERT(k2 == -EALREADY, "killing the victim again returned %d, want %d", k2, -EALREADY);
	OT_ASSERT(hog == 0 && ot_child_alive(&s->b) && ot_child_alive(&s->hog),
		  "another task died");
	OT_ASSERT(ot_cg_read_key(s->cg, "memory.events", "oom_kill") == 1, "oom_kill = %lld",
		  ot_cg_read_key(s->cg, "memory.events", "oom_kill"));
	return OOM_TEST_PASS;
}

static struct oom_test refuse_victim = {
	.name = "dispatch_kill_refuses_oom_victim",
	.description = "bpf_oom_kill_process(a task that already is an OOM victim) is -EALREADY",
	.setup = setup_scen,
	.run = run_refuse_victim,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&refuse_victim)

static enum oom_test_status run_refuse_vfork(void *ctx)
{
	struct ot_hog vf = { .mib = 8, .vfork = true };
	struct scen *s = ctx;

	OT_ASSERT(ot_child_spawn_hog(&s->a, s->cg, &vf) == 0 && s->a.vfork_child > 0,
		  "the vfork pair did not start");
	return expect_refusal(s, s->a.vfork_child, -EBUSY);
}

static struct oom_test refuse_vfork = {
	.name = "dispatch_kill_refuses_vfork_child",
	.description =
		"bpf_oom_kill_process(a child in vfork(), on its parent's mm) is -EBUSY and kills nothing",
	.setup = setup_scen,
	.run = run_refuse_vfork,
	.cleanup = cleanup_scen,
};

REGISTER_OOM_TEST(&refuse_vfork)
