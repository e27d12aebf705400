// SPDX-License-Identifier: GPL-2.0
/*
 * A bpf_oom_ops handler that reads user memory with bpf_copy_from_user():
 * the verifier must refuse it. Handlers run under oom_lock in the task
 * that is allocating; a fault there could need memory and wait for
 * oom_lock forever.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

unsigned long user_addr;

SEC("struct_ops.s/handle_out_of_memory")
int BPF_PROG(fault_handle, struct oom_control *oc, struct cgroup *cgrp)
{
	char buf[8];

	bpf_copy_from_user(buf, sizeof(buf), (void *)user_addr);
	return buf[0] ? BPF_OOM_PASS : BPF_OOM_PASS;
}

SEC(".struct_ops.link")
struct bpf_oom_ops fault_ops = {
	.handle_out_of_memory = (void *)fault_handle,
	.name = "deny_fault",
};
