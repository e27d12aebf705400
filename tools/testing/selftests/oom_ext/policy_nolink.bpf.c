// SPDX-License-Identifier: GPL-2.0
/* A bpf_oom_ops in a plain ".struct_ops" section: legacy, link-less. */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops.s/handle_out_of_memory")
int BPF_PROG(nolink_handle, struct oom_control *oc, struct cgroup *cgrp)
{
	return BPF_OOM_PASS;
}

SEC(".struct_ops")
struct bpf_oom_ops nolink_ops = {
	.handle_out_of_memory = (void *)nolink_handle,
	.name = "nolink",
};
