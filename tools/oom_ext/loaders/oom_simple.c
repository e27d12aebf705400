// SPDX-License-Identifier: GPL-2.0
/*
 * oom_simple - foreground loader for policies/oom_simple.bpf.c.
 *
 * The template: make new NAME=my_policy copies it with "oom_simple"
 * replaced by the new name.
 *
 * Opens the policy, takes its options from a table (-c, -n straight into
 * the skeleton's rodata), loads it, attaches it system-wide or to the
 * memory cgroup given with -c, prints one line per OOM decision and the
 * counters every -i seconds, and detaches on SIGINT/SIGTERM or when the
 * cgroup is removed. A policy's own options are more entries in the table.
 */
#include <oom_ext/oom_ext.h>
#include "oom_simple.bpf.skel.h"

int main(int argc, char **argv)
{
	struct oom_simple *skel = OOM_EXT_OPEN(oom_simple);
	struct oom_ext_loop loop = {};
	struct oom_ext_opts opts;
	const char *cgroup = NULL;
	int ret;
	const struct oom_ext_option options[] = {
		OOM_EXT_OPT_ATTACH(&cgroup),
		OOM_EXT_OPT_DRY_RUN(&skel->rodata->dry_run),
		{}
	};
	const struct oom_ext_tool tool = {
		.summary = "kill the largest task in the OOM domain",
		.options = options,
	};

	oom_ext_parse(argc, argv, &tool, &opts);
	oom_ext_check(cgroup, &opts);
	OOM_EXT_LOAD(skel, oom_simple);
	oom_ext_policy_loop(&loop, skel->maps.simple_ops, skel->maps.events,
			    &skel->bss->stats, cgroup, skel->rodata->dry_run);
	ret = oom_ext_run(&loop, &opts);
	oom_simple__destroy(skel);
	return ret;
}
