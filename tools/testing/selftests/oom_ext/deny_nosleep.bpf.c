// SPDX-License-Identifier: GPL-2.0
/*
 * A non-sleepable bpf_oom_ops handler that calls bpf_oom_kill_process():
 * the verifier must refuse it, the kill sleeps (it reports the OOM).
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops/handle_out_of_memory")
int BPF_PROG(nosleep_handle, struct oom_control *oc, struct cgroup *cgrp)
{
	struct task_struct *task = bpf_task_from_pid(1);

	if (!task)
		return BPF_OOM_PASS;
	bpf_oom_kill_process(oc, task, "never");
	bpf_task_release(task);
	return BPF_OOM_PASS;
}

SEC(".struct_ops.link")
struct bpf_oom_ops nosleep_ops = {
	.handle_out_of_memory = (void *)nosleep_handle,
	.name = "deny_nosleep",
};
