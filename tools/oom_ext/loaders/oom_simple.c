// SPDX-License-Identifier: GPL-2.0
/*
 * oom_simple - foreground loader for policies/oom_simple.bpf.c.
 *
 * Loads the policy, attaches it system-wide or to the memory cgroup given
 * with -c, prints one line per OOM decision and the counters every -i
 * seconds, and detaches on SIGINT/SIGTERM or when the cgroup is removed.
 * Everything but naming this particular skeleton is in oom_ext.c and the
 * OOM_EXT_* macros: a new loader is this file with "oom_simple" replaced
 * by the policy's name (make new NAME=... does that).
 */
#include <oom_ext/oom_ext.h>
#include "oom_simple.bpf.skel.h"

int main(int argc, char **argv)
{
	struct oom_ext_opts opts;
	struct oom_simple *skel;

	oom_ext_parse(argc, argv, "kill the largest task in the OOM domain",
		      NULL, NULL, NULL, &opts);
	oom_ext_check(&opts);

	skel = OOM_EXT_OPEN(oom_simple);
	skel->rodata->dry_run = opts.dry_run;
	OOM_EXT_LOAD(skel, oom_simple);
	return OOM_EXT_ATTACH_RUN(skel, oom_simple, simple_ops, &opts);
}
