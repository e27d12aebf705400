// SPDX-License-Identifier: GPL-2.0
/*
 * A bpf_psi_ops whose init() creates the triggers the test describes in
 * cases[] and records each bpf_psi_create_trigger() result there. With
 * fail_init set, init() returns the last result, so that a refused trigger
 * fails the attach. With hold_online set, handle_cgroup_online() spins
 * (bounded) for each live cgroup until the test sets release: a stuck
 * handler, while cgroup events pile up behind it.
 */
#include <oom_ext/kfuncs.bpf.h>

#include "hold.bpf.h"
#include "psi_ops.h"

char _license[] SEC("license") = "GPL";

struct psi_case cases[PSI_TEST_CASES];
u32 nr_cases;
u32 fail_init;
u32 hold_online;
/* Then bulk_n more triggers like cases[0]; bulk_made of them were created. */
u32 bulk_n;
u32 bulk_made;
s32 bulk_err;
int held;		/* 1 while handle_cgroup_online() spins */
int release;
u64 online_calls;

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
	bpf_for(i, 0, bulk_n) {
		bulk_err = bpf_psi_create_trigger(bpf_psi, cases[0].cgid, cases[0].resource,
						  cases[0].threshold_us, cases[0].window_us);
		if (bulk_err)
			break;
		bulk_made++;
	}
	return fail_init ? ret : 0;
}

SEC("struct_ops.s/handle_cgroup_online")
void BPF_PROG(psi_test_online, struct bpf_psi *bpf_psi, struct cgroup *cgrp)
{
	__sync_fetch_and_add(&online_calls, 1);
	if (hold_online && !__sync_fetch_and_add(&release, 0))
		ot_hold(&held, &release, NULL);
}

SEC(".struct_ops.link")
struct bpf_psi_ops psi_test_ops = {
	.init = (void *)psi_test_init,
	.handle_cgroup_online = (void *)psi_test_online,
	.name = "psi_test",
};
