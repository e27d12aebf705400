// SPDX-License-Identifier: GPL-2.0
/*
 * oom_simple - foreground loader for policies/oom_simple.bpf.c.
 *
 * Loads the policy, attaches it system-wide or to the memory cgroup given
 * with -c, prints one line per OOM decision and the counters every -i
 * seconds, and detaches on SIGINT/SIGTERM or when the cgroup is removed.
 * Everything but loading this particular skeleton is in oom_ext.c: a new
 * loader is this file with the skeleton's name changed.
 */
#include <stdio.h>
#include <stdlib.h>

#include <oom_ext/oom_ext.h>
#include "oom_simple.bpf.skel.h"

int main(int argc, char **argv)
{
	struct oom_ext_opts opts;
	struct oom_simple *skel;
	struct bpf_link *link;
	int ret;

	oom_ext_parse(argc, argv, "kill the largest task in the OOM domain",
		      NULL, NULL, NULL, &opts);
	oom_ext_check(&opts);

	skel = oom_simple__open();
	if (!skel) {
		oom_ext_err("cannot open the BPF object (run with -v for details)");
		return OOM_EXT_EXIT_FAIL;
	}
	skel->rodata->dry_run = opts.dry_run;
	if (oom_simple__load(skel)) {
		oom_ext_err("the kernel rejected the policy (run with -v for the verifier log)");
		oom_simple__destroy(skel);
		return OOM_EXT_EXIT_FAIL;
	}

	link = oom_ext_attach(skel->maps.simple_ops, &opts);
	ret = oom_ext_run(link, skel->maps.events, &skel->bss->stats, &opts);
	bpf_link__destroy(link);
	oom_simple__destroy(skel);
	oom_ext_detached();
	return ret;
}
