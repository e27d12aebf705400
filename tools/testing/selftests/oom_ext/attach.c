// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching bpf_oom_ops: through links only, system-wide or to a memory
 * cgroup, one policy per cgroup, and what the kernel reports about it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "oom_test.h"
#include "policy_util.h"
#include "policy_nolink.bpf.skel.h"
#include "tcp_ca.bpf.skel.h"
#include "deny_fault.bpf.skel.h"
#include "deny_sleepable.bpf.skel.h"
#include "deny_nosleep.bpf.skel.h"
#include "util.h"

/* The cgroup id that the link's info and fdinfo report. */
static int link_cgroup_ids(struct bpf_link *link, unsigned long long *info_id,
			   unsigned long long *fdinfo_id)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[64], line[256];
	FILE *f;

	*fdinfo_id = 0;
	if (bpf_link_get_info_by_fd(bpf_link__fd(link), &info, &len))
		return -errno;
	*info_id = info.struct_ops.cgroup_id;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", bpf_link__fd(link));
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "cgroup_id: %llu", fdinfo_id);
	fclose(f);
	return 0;
}

/*
 * Attach to @cg (NULL: system-wide) and check that link info, fdinfo and
 * the listing all name that cgroup (@path, as the listing shows it), and
 * that destroying the link detaches the policy.
 */
static enum oom_test_status check_attach(const char *cg, const char *path)
{
	unsigned long long info_id = 0, fdinfo_id = 0;
	long long id = ot_cg_id(cg ?: CG_MNT);
	struct bpf_link *link;
	struct ot_listing l;
	struct policy *skel;
	int ret;

	skel = ot_policy_start(cg, MODE_PASS, 0, &link);
	OT_ASSERT(skel, "attach to %s failed", cg ?: "the root cgroup");
	ret = link_cgroup_ids(link, &info_id, &fdinfo_id);
	if (!ret)
		ret = ot_listing_find(id, &l);
	ot_policy_stop(skel, link);
	OT_ASSERT(ret == 1, "listing has no policy on cgroup %lld (%d)", id, ret);
	OT_ASSERT(info_id == (unsigned long long)id, "link info cgroup_id %llu, want %lld",
		  info_id, id);
	OT_ASSERT(fdinfo_id == info_id, "fdinfo cgroup_id %llu", fdinfo_id);
	OT_ASSERT(!strcmp(l.name, "test_policy") && !strcmp(l.cgroup, path),
		  "listed as %s on %s", l.name, l.cgroup);
	OT_ASSERT(ot_listing_count() == 0, "still listed after the link was destroyed");
	return OOM_TEST_PASS;
}

static enum oom_test_status run_system_wide(void *ctx)
{
	return check_attach(NULL, "/");
}

static struct oom_test system_wide = {
	.name = "attach_system_wide",
	.description =
		"a link without BPF_F_CGROUP_FD attaches to the root cgroup; info, fdinfo and the listing say so",
	.run = run_system_wide,
};

REGISTER_OOM_TEST(&system_wide)

static enum oom_test_status setup_cg(void **ctx)
{
	char *cg = ot_cg_create("attach");

	if (!cg)
		OT_FAIL("cannot create a cgroup");
	*ctx = cg;
	return OOM_TEST_PASS;
}

static void cleanup_cg(void *ctx)
{
	ot_cg_destroy(ctx);
	free(ctx);
}

static enum oom_test_status run_memcg(void *ctx)
{
	return check_attach(ctx, "/oom_ext_test/attach");
}

static struct oom_test memcg = {
	.name = "attach_memcg",
	.description =
		"BPF_F_CGROUP_FD attaches to that memory cgroup; info, fdinfo and the listing say so",
	.setup = setup_cg,
	.run = run_memcg,
	.cleanup = cleanup_cg,
};

REGISTER_OOM_TEST(&memcg)

static enum oom_test_status run_eexist(void *ctx)
{
	struct bpf_link *link, *link2 = NULL;
	struct policy *skel, *skel2;
	int ret, n;

	skel = ot_policy_start(ctx, MODE_PASS, 0, &link);
	OT_ASSERT(skel, "first attach failed");
	skel2 = policy__open_and_load();
	if (!skel2) {
		ot_policy_stop(skel, link);
		OT_FAIL("second policy did not load");
	}
	ret = ot_attach(skel2->maps.test_ops, ctx, &link2);
	n = ot_listing_count();
	bpf_link__destroy(link2);
	policy__destroy(skel2);
	ot_policy_stop(skel, link);
	OT_ASSERT(ret == -EEXIST, "second attach returned %d (%s)", ret, strerror(-ret));
	OT_ASSERT(n == 1, "%d policies listed", n);
	return OOM_TEST_PASS;
}

static struct oom_test eexist = {
	.name = "attach_second_eexist",
	.description = "a second policy on the same cgroup gets -EEXIST and is not attached",
	.setup = setup_cg,
	.run = run_eexist,
	.cleanup = cleanup_cg,
};

REGISTER_OOM_TEST(&eexist)

static enum oom_test_status run_nolink(void *ctx)
{
	struct policy_nolink *skel = policy_nolink__open_and_load();
	struct bpf_link *link;
	int err = 0;

	OT_ASSERT(skel, "the link-less policy does not even load");
	link = bpf_map__attach_struct_ops(skel->maps.nolink_ops);
	if (!link)
		err = -errno;
	bpf_link__destroy(link);
	policy_nolink__destroy(skel);
	OT_ASSERT(err == -EOPNOTSUPP, "registration without a link returned %d", err);
	OT_ASSERT(ot_listing_count() == 0, "something got attached");
	return OOM_TEST_PASS;
}

static struct oom_test nolink = {
	.name = "attach_nonlink_refused",
	.description = "legacy registration without a link is refused with -EOPNOTSUPP",
	.run = run_nolink,
};

REGISTER_OOM_TEST(&nolink)

static enum oom_test_status run_kfunc_deny(void *ctx)
{
	struct tcp_ca *skel = tcp_ca__open();
	enum oom_test_status st;

	OT_ASSERT(skel, "open failed");
	st = ot_expect_kfunc_refused(skel->obj, "bpf_oom_kill_process");
	tcp_ca__destroy(skel);
	return st;
}

static struct oom_test kfunc_deny = {
	.name = "attach_kfunc_other_struct_ops_rejected",
	.description =
		"another struct_ops type calling bpf_oom_kill_process() is rejected by the verifier",
	.run = run_kfunc_deny,
};

REGISTER_OOM_TEST(&kfunc_deny)

static enum oom_test_status run_deny_nosleep(void *ctx)
{
	struct deny_nosleep *skel = deny_nosleep__open();
	enum oom_test_status st;

	OT_ASSERT(skel, "open failed");
	st = ot_expect_load_refused(skel->obj, "bpf_oom_kill_process() in a non-sleepable handler",
				    "program must be sleepable to call sleepable kfunc bpf_oom_kill_process");
	deny_nosleep__destroy(skel);
	return st;
}

static struct oom_test deny_nosleep = {
	.name = "attach_kfunc_kill_needs_sleepable_handler",
	.description =
		"a non-sleepable handler calling bpf_oom_kill_process() (which sleeps) is rejected by the verifier",
	.run = run_deny_nosleep,
};

REGISTER_OOM_TEST(&deny_nosleep)

static enum oom_test_status run_deny_fault(void *ctx)
{
	static const struct {
		const char *map, *what, *want;
	} c[] = {
		{ "fault_ops", "bpf_copy_from_user() in a handler",
		  "cannot use helper bpf_copy_from_user#" },
		{ "stack_ops", "the sleepable bpf_get_task_stack() in a handler",
		  "cannot use helper bpf_get_task_stack#" },
	};
	enum oom_test_status st = OOM_TEST_PASS;
	struct deny_fault *skel;
	struct bpf_map *m;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c) && st == OOM_TEST_PASS; i++) {
		skel = deny_fault__open();
		OT_ASSERT(skel, "open failed");
		bpf_object__for_each_map(m, skel->obj)
			if (bpf_map__type(m) == BPF_MAP_TYPE_STRUCT_OPS)
				bpf_map__set_autocreate(m, !strcmp(bpf_map__name(m), c[i].map));
		st = ot_expect_load_refused(skel->obj, c[i].what, c[i].want);
		deny_fault__destroy(skel);
	}
	return st;
}

static struct oom_test deny_fault = {
	.name = "attach_kfunc_no_user_faults_in_handler",
	.description =
		"handlers calling bpf_copy_from_user() or the sleepable bpf_get_task_stack() (they may fault or do I/O under oom_lock) are rejected by the verifier",
	.run = run_deny_fault,
};

REGISTER_OOM_TEST(&deny_fault)

/*
 * Every handler of deny_sleepable.bpf.c, one struct_ops map at a time:
 * each calls a sleepable kfunc of the common sets that may fault, take
 * mmap_lock or slab_mutex, and the verifier must refuse that call.
 */
static enum oom_test_status run_deny_sleepable(void *ctx)
{
	struct deny_sleepable *skel;
	struct bpf_map *map, *m;
	char name[64];
	int tried = 0;

	skel = deny_sleepable__open();
	OT_ASSERT(skel, "open failed");
	bpf_object__for_each_map(map, skel->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			tried++;
	deny_sleepable__destroy(skel);
	OT_ASSERT(tried == 7, "%d handlers in deny_sleepable.bpf.c, want 7", tried);

	for (int i = 0; i < tried; i++) {
		enum oom_test_status st;
		int j = 0;

		skel = deny_sleepable__open();
		OT_ASSERT(skel, "open failed");
		map = NULL;
		bpf_object__for_each_map(m, skel->obj) {
			if (bpf_map__type(m) != BPF_MAP_TYPE_STRUCT_OPS)
				continue;
			bpf_map__set_autocreate(m, j == i);
			if (j++ == i)
				map = m;
		}
		/* ops_<kfunc>: the handler calls <kfunc> */
		snprintf(name, sizeof(name), "%s", bpf_map__name(map) + strlen("ops_"));
		st = ot_expect_kfunc_refused(skel->obj, name);
		deny_sleepable__destroy(skel);
		if (st != OOM_TEST_PASS)
			return st;
		ot_info("%s: refused", name);
	}
	return OOM_TEST_PASS;
}

static struct oom_test deny_sleepable = {
	.name = "attach_kfunc_sleepable_allowlist",
	.description =
		"handlers may call only the sleepable kfuncs safe under oom_lock: user copies and the kmem_cache iterator are refused",
	.run = run_deny_sleepable,
};

REGISTER_OOM_TEST(&deny_sleepable)
