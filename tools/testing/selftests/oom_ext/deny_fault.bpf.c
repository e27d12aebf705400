// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_oom_ops handlers that call helpers which may fault or sleep under
 * oom_lock: the verifier must refuse each. Handlers run in the task that is
 * allocating; a fault there could need memory and wait for oom_lock
 * forever. bpf_copy_from_user() faults on user memory; the sleepable
 * bpf_get_task_stack() reads build ids from files (page cache, I/O,
 * allocations). The test loads one struct_ops map at a time.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

unsigned long user_addr;
__u64 stack[8];

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

SEC("struct_ops.s/handle_out_of_memory")
int BPF_PROG(stack_handle, struct oom_control *oc, struct cgroup *cgrp)
{
	bpf_get_task_stack(bpf_get_current_task_btf(), stack, sizeof(stack),
			   BPF_F_USER_STACK | BPF_F_USER_BUILD_ID);
	return BPF_OOM_PASS;
}

SEC(".struct_ops.link")
struct bpf_oom_ops stack_ops = {
	.handle_out_of_memory = (void *)stack_handle,
	.name = "deny_stack",
};
