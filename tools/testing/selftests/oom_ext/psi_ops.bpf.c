// SPDX-License-Identifier: GPL-2.0
/*
 * A bpf_psi_ops whose init() creates the triggers the test describes in
 * cases[] and records each bpf_psi_create_trigger() result there. With
 * fail_init set, init() returns the last result, so that a refused trigger
 * fails the attach.
 */
#include <oom_ext/kfuncs.bpf.h>

#include "psi_ops.h"

char _license[] SEC("license") = "GPL";

struct psi_case cases[PSI_TEST_CASES];
u32 nr_cases;
u32 fail_init;

SEC("struct_ops.s/init")
int BPF_PROG(psi_test_init, struct bpf_psi *bpf_psi)
{
	int ret = 0;
	u32 i;

	if (!oom_ext_psi_btf_anchor())
		return -EINVAL;
	bpf_for(i, 0, PSI_TEST_CASES) {
		if (i >= nr_cases)
			break;
		ret = bpf_psi_create_trigger(bpf_psi, cases[i].cgid, cases[i].resource,
					     cases[i].threshold_us, cases[i].window_us);
		cases[i].ret = ret;
	}
	return fail_init ? ret : 0;
}

SEC(".struct_ops.link")
struct bpf_psi_ops psi_test_ops = {
	.init = (void *)psi_test_init,
	.name = "psi_test",
};
