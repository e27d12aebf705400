// SPDX-License-Identifier: GPL-2.0
/*
 * A do-nothing tcp_congestion_ops: another struct_ops type whose attach
 * and detach take the same struct_ops update_mutex as bpf_oom_ops and
 * bpf_psi_ops, for timing them against a bpf_psi_ops detach.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops/ca_ssthresh")
__u32 BPF_PROG(ca_ssthresh, struct sock *sk)
{
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
