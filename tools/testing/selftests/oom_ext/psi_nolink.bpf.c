// SPDX-License-Identifier: GPL-2.0
/* A bpf_psi_ops in a plain ".struct_ops" section: legacy, link-less. */
#include <oom_ext/kfuncs.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops.s/init")
int BPF_PROG(psi_nolink_init, struct bpf_psi *bpf_psi)
{
	return 0;
}

SEC(".struct_ops")
struct bpf_psi_ops psi_nolink_ops = {
	.init = (void *)psi_nolink_init,
	.name = "psi_nolink",
};
