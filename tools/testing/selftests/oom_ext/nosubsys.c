// SPDX-License-Identifier: GPL-2.0
/*
 * Boot parameters that take subsystems away: with cgroup_disable=pressure
 * cgroups other than the root have no PSI group, and with
 * cgroup_disable=memory there is no memory controller. The kfuncs and the
 * attach must refuse with an errno, never oops. `make test` boots a second
 * VM with "cgroup_disable=memory,pressure" to run these; in a normal boot
 * they skip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>

#include "oom_test.h"
#include "policy_util.h"
#include "psi_ops.h"
#include "psi_ops.bpf.skel.h"
#include "util.h"

#define NOSUBSYS_CG	CG_MNT "/oom_ext_nosubsys"
#define PSI_MEM		1	/* enum psi_res */

/* Is @what among the controllers cgroup_disable= named on the command line? */
static bool boot_disabled(const char *what)
{
	char cmdline[4096] = "", *arg;
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(cmdline, sizeof(cmdline), f))
			cmdline[0] = '\0';
		fclose(f);
	}
	for (arg = strtok(cmdline, "\n\t "); arg; arg = strtok(NULL, "\n\t ")) {
		char *list;

		if (strncmp(arg, "cgroup_disable=", 15))
			continue;
		for (list = strtok(arg + 15, ","); list; list = strtok(NULL, ","))
			if (!strcmp(list, what))
				return true;
	}
	return false;
}

static enum oom_test_status run_psi_trigger(void *ctx)
{
	long long root = ot_cg_id(CG_MNT), child;
	struct bpf_link *link;
	struct psi_ops *skel;
	int r0, r1;

	if (!boot_disabled("pressure"))
		OT_SKIP("needs a boot with cgroup_disable=pressure");
	OT_ASSERT(!mkdir(NOSUBSYS_CG, 0755) || errno == EEXIST, "mkdir: %s", strerror(errno));
	child = ot_cg_id(NOSUBSYS_CG);
	skel = psi_ops__open_and_load();
	OT_ASSERT(skel, "cannot load psi_ops.bpf.o");
	skel->bss->cases[0] = (struct psi_case){ child, PSI_MEM, 100000, 1000000, 1 };
	skel->bss->cases[1] = (struct psi_case){ root, PSI_MEM, 100000, 1000000, 1 };
	skel->bss->nr_cases = 2;
	link = bpf_map__attach_struct_ops(skel->maps.psi_test_ops);
	r0 = skel->bss->cases[0].ret;
	r1 = skel->bss->cases[1].ret;
	bpf_link__destroy(link);
	psi_ops__destroy(skel);
	rmdir(NOSUBSYS_CG);
	OT_ASSERT(link, "attach failed: %s", strerror(errno));
	OT_ASSERT(r0 == -EOPNOTSUPP, "a trigger on a child cgroup: %d, want %d", r0, -EOPNOTSUPP);
	OT_ASSERT(r1 == 0, "a trigger on the root cgroup (system PSI): %d", r1);
	return OOM_TEST_PASS;
}

static struct oom_test psi_trigger = {
	.name = "nosubsys_psi_trigger_refused",
	.description =
		"with cgroup_disable=pressure, a trigger on a child cgroup is -EOPNOTSUPP; the root's still works",
	.run = run_psi_trigger,
	.no_memcg = true,
};

REGISTER_OOM_TEST(&psi_trigger)

static enum oom_test_status run_oom_attach(void *ctx)
{
	struct bpf_link *link = NULL;
	struct policy *skel;
	int err;

	if (!boot_disabled("memory"))
		OT_SKIP("needs a boot with cgroup_disable=memory");
	skel = policy__open_and_load();
	OT_ASSERT(skel, "cannot load policy.bpf.o");
	err = ot_attach(skel->maps.test_ops, NULL, &link);
	bpf_link__destroy(link);
	policy__destroy(skel);
	OT_ASSERT(err == -EOPNOTSUPP, "system-wide attach: %d, want %d", err, -EOPNOTSUPP);
	return OOM_TEST_PASS;
}

static struct oom_test oom_attach = {
	.name = "nosubsys_oom_attach_refused",
	.description = "with cgroup_disable=memory, attaching a bpf_oom_ops is -EOPNOTSUPP",
	.run = run_oom_attach,
	.no_memcg = true,
};

REGISTER_OOM_TEST(&oom_attach)
