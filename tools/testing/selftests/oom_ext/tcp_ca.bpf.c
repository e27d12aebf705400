// SPDX-License-Identifier: GPL-2.0
/*
 * Two tcp_congestion_ops: another struct_ops type than bpf_oom_ops.
 *
 * oom_ext_ca does nothing: its attach and detach take the same struct_ops
 * update_mutex as bpf_oom_ops and bpf_psi_ops, for timing them against a
 * bpf_psi_ops detach (psi.c, with deny_ca not created).
 *
 * deny_ca calls bpf_oom_kill_process(): the verifier must reject it, the
 * OOM kfuncs are for bpf_oom_ops only (attach.c loads the whole object).
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops/ca_ssthresh")
__u32 BPF_PROG(ca_ssthresh, struct sock *sk)
{
	return 2;
}

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

SEC("struct_ops/ca_undo_cwnd")
__u32 BPF_PROG(ca_undo_cwnd, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/ca_cong_avoid")
void BPF_PROG(ca_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC(".struct_ops.link")
struct tcp_congestion_ops oom_ext_ca = {
	.ssthresh = (void *)ca_ssthresh,
	.undo_cwnd = (void *)ca_undo_cwnd,
	.cong_avoid = (void *)ca_cong_avoid,
	.name = "oom_ext_ca",
};

SEC(".struct_ops.link")
struct tcp_congestion_ops deny_ca = {
	.ssthresh = (void *)deny_ssthresh,
	.undo_cwnd = (void *)ca_undo_cwnd,
	.cong_avoid = (void *)ca_cong_avoid,
	.name = "oom_ext_deny",
};
