// SPDX-License-Identifier: GPL-2.0
/*
 * A bpf_oom_ops handler that calls bpf_out_of_memory(): handlers already
 * run under oom_lock, so the verifier must reject it.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops.s/handle_out_of_memory")
int BPF_PROG(declare_in_handler, struct oom_control *oc, struct cgroup *cgrp)
{
	bpf_out_of_memory(NULL, 0, 0);
	return BPF_OOM_PASS;
}

OOM_EXT_OPS_DEFINE(declare_deny_ops,
		   .handle_out_of_memory = (void *)declare_in_handler,
		   .name = "declare_deny");
