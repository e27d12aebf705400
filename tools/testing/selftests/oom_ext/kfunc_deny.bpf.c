// SPDX-License-Identifier: GPL-2.0
/*
 * A tcp_congestion_ops program that calls bpf_oom_kill_process(): the
 * verifier must reject it, the OOM kfuncs are for bpf_oom_ops only.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops/deny_ssthresh")
__u32 BPF_PROG(deny_ssthresh, struct sock *sk)
{
	struct task_struct *task = bpf_task_from_pid(1);

	if (task) {
		if (task->pid == 1)
			bpf_oom_kill_process(NULL, task, "never");
		bpf_task_release(task);
	}
	return 2;
}

SEC("struct_ops/deny_undo_cwnd")
__u32 BPF_PROG(deny_undo_cwnd, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/deny_cong_avoid")
void BPF_PROG(deny_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC(".struct_ops.link")
struct tcp_congestion_ops deny_ca = {
	.ssthresh = (void *)deny_ssthresh,
	.undo_cwnd = (void *)deny_undo_cwnd,
	.cong_avoid = (void *)deny_cong_avoid,
	.name = "oom_ext_deny",
};
