// SPDX-License-Identifier: GPL-2.0
/*
 * tools/oom_ext oom_simple: the policy, through its skeleton and through a
 * copy made from the template (the loader library's tests, which run the
 * oom_simple binary as a user does, are in loader.c).
 *
 * Scenario: a memcg with memory.max = 64M, no swap, sleepers of 4, 8 and
 * 32 MiB, then a hog that needs 24 MiB more: the OOM hits when the hog has
 * about 20 MiB, so the 32 MiB sleeper is the largest task.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include <oom_ext/oom_ext.h>

#include "oom_test.h"
#include "policy_util.h"
#include "oom_simple.bpf.skel.h"
#include "simple.h"
#include "util.h"

enum oom_test_status setup_simple(void **ctx)
{
	struct simple *t = calloc(1, sizeof(*t));

	if (!t)
		OT_FAIL("no memory");
	t->s.pid = -1;
	t->m.pid = -1;
	t->l.pid = -1;
	t->hog.pid = -1;
	t->loader.out = -1;
	t->loader.err = -1;
	t->cg = ot_cg_create("simple");
	if (!t->cg || ot_cg_write(t->cg, "memory.max", "64M") ||
	    ot_cg_write(t->cg, "memory.swap.max", "0")) {
		if (t->cg)
			ot_cg_destroy(t->cg);
		OT_FAIL("cannot set up the memcg");
	}
	*ctx = t;
	return OOM_TEST_PASS;
}

void cleanup_simple(void *ctx)
{
	struct simple *t = ctx;

	ot_proc_kill(&t->loader);
	ot_child_reap(&t->s);
	ot_child_reap(&t->m);
	ot_child_reap(&t->l);
	ot_child_reap(&t->hog);
	ot_cg_destroy(t->cg);
	free(t->cg);
	free(t);
}

static int start_sleepers(struct simple *t, int large_adj)
{
	struct ot_hog s = { .mib = 4 }, m = { .mib = 8 }, l = { .mib = 32, .adj = large_adj };

	if (ot_child_spawn_hog(&t->s, t->cg, &s) || ot_child_spawn_hog(&t->m, t->cg, &m) ||
	    ot_child_spawn_hog(&t->l, t->cg, &l))
		return -1;
	return 0;
}

/* Load oom_simple and attach it to @cg (NULL: system-wide). */
static struct oom_simple *simple_attach(const char *cg, struct bpf_link **link)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .kconfig = oom_ext_kconfig());
	struct oom_simple *skel = oom_simple__open_opts(&opts);
	int err;

	if (skel && oom_simple__load(skel)) {
		oom_simple__destroy(skel);
		skel = NULL;
	}
	if (!skel) {
		ot_info("oom_simple did not load: %s", ot_libbpf_log());
		return NULL;
	}
	err = ot_attach(skel->maps.simple_ops, cg, link);
	if (err) {
		ot_info("attach: %s", strerror(-err));
		oom_simple__destroy(skel);
		return NULL;
	}
	return skel;
}

/* The skeleton, attached to the memcg (or system-wide): the largest dies. */
static enum oom_test_status kills_largest(struct simple *t, bool system_wide)
{
	struct ot_hog hog = { .mib = 24 };
	struct oom_simple *skel;
	struct bpf_link *link;
	int hog_ok, sig;

	OT_ASSERT(!start_sleepers(t, 0), "sleepers did not start");
	skel = simple_attach(system_wide ? NULL : t->cg, &link);
	OT_ASSERT(skel, "oom_simple did not attach");
	hog_ok = ot_child_spawn_hog(&t->hog, t->cg, &hog);
	sig = ot_child_wait_death(&t->l, OT_TIMEOUT_MS);
	ot_info("oom_simple: calls %llu kills %llu passes %llu",
		(unsigned long long)skel->bss->stats.calls,
		(unsigned long long)skel->bss->stats.kills,
		(unsigned long long)skel->bss->stats.passes);
	bpf_link__destroy(link);
	oom_simple__destroy(skel);
	OT_ASSERT(sig == SIGKILL, "the largest task ended with %d", sig);
	OT_ASSERT(hog_ok == 0, "the hog died too");
	OT_ASSERT(ot_child_alive(&t->s) && ot_child_alive(&t->m) && ot_child_alive(&t->hog),
		  "a smaller task died");
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 1, "oom_kill = %lld",
		  ot_cg_read_key(t->cg, "memory.events", "oom_kill"));
	return OOM_TEST_PASS;
}

static enum oom_test_status run_largest(void *ctx)
{
	return kills_largest(ctx, false);
}

static struct oom_test largest = {
	.name = "simple_kills_largest",
	.description = "oom_simple on a memcg kills the largest of its tasks, and only it",
	.setup = setup_simple,
	.run = run_largest,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&largest)

static enum oom_test_status run_system_wide(void *ctx)
{
	return kills_largest(ctx, true);
}

static struct oom_test system_wide = {
	.name = "simple_system_wide",
	.description = "oom_simple attached system-wide handles a memcg OOM the same way",
	.setup = setup_simple,
	.run = run_system_wide,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&system_wide)

static enum oom_test_status run_protected(void *ctx)
{
	struct ot_hog hog = { .mib = 24 };
	struct simple *t = ctx;
	struct oom_simple *skel;
	struct bpf_link *link;
	int hog_ok, sig, kills;

	OT_ASSERT(!start_sleepers(t, -1000), "sleepers did not start");
	skel = simple_attach(t->cg, &link);
	OT_ASSERT(skel, "oom_simple did not attach");
	/* Next largest after the protected 32 MiB: the hog itself. */
	hog_ok = ot_child_spawn_hog(&t->hog, t->cg, &hog);
	sig = ot_child_wait_death(&t->hog, OT_TIMEOUT_MS);
	kills = skel->bss->stats.kills;
	bpf_link__destroy(link);
	oom_simple__destroy(skel);
	OT_ASSERT(hog_ok && sig == SIGKILL, "the hog (next largest) ended with %d", sig);
	OT_ASSERT(kills == 1, "oom_simple killed %d tasks", kills);
	OT_ASSERT(ot_child_alive(&t->l), "the oom_score_adj=-1000 task died");
	OT_ASSERT(ot_child_alive(&t->s) && ot_child_alive(&t->m), "a smaller task died");
	return OOM_TEST_PASS;
}

static struct oom_test protected = {
	.name = "simple_skips_protected",
	.description = "oom_simple skips an oom_score_adj=-1000 task even when it is the largest",
	.setup = setup_simple,
	.run = run_protected,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&protected)

/*
 * A policy made from the template with `make -C tools/oom_ext new
 * NAME=oom_template_copy` (the selftests' build does that) loads under its
 * own name, kills the hog and shows in the kernel's listing as itself.
 */
static enum oom_test_status run_template_copy(void *ctx)
{
	const char *const args[] = { "-i", "0", "-c", ((struct simple *)ctx)->cg, NULL };
	struct ot_hog grow = { .grow = true };
	struct simple *t = ctx;
	struct ot_listing l = {};
	enum oom_test_status st;
	char line[512], want[64];
	int sig, said, listed;

	st = ot_loader_start(&t->loader, "oom_template_copy", args, 0);
	if (st == OOM_TEST_PASS)
		st = ot_loader_attached(&t->loader);
	if (st != OOM_TEST_PASS)
		return st;
	OT_ASSERT(ot_child_spawn_hog(&t->hog, t->cg, &grow) == 0, "hog did not start");
	sig = ot_child_wait_death(&t->hog, OT_TIMEOUT_MS);
	said = ot_proc_read_until(t->loader.out, "killed pid", line, sizeof(line), OT_TIMEOUT_MS);
	listed = ot_listing_find(ot_cg_id(t->cg), &l);
	snprintf(want, sizeof(want), "killed pid %d ", t->hog.pid);
	OT_ASSERT(sig == SIGKILL, "the hog ended with %d", sig);
	OT_ASSERT(said && strstr(line, want),
		  "the loader said: %s", said ? line : "nothing");
	OT_ASSERT(listed == 1 && !strcmp(l.name, "oom_template_copy") && l.kills == 1,
		  "listing: %d entries, name %s, kills %lld", listed, l.name, l.kills);
	return OOM_TEST_PASS;
}

static struct oom_test template_copy = {
	.name = "simple_template_copy_kills",
	.description =
		"a policy made with make new NAME=oom_template_copy loads as itself and kills",
	.setup = setup_simple,
	.run = run_template_copy,
	.cleanup = cleanup_simple,
};

REGISTER_OOM_TEST(&template_copy)
