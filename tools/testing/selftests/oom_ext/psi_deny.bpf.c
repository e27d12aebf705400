// SPDX-License-Identifier: GPL-2.0
/*
 * A bpf_oom_ops handler that calls bpf_psi_create_trigger(): PSI triggers
 * belong to bpf_psi_ops attachments only, so the verifier must reject it.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops.s/handle_out_of_memory")
int BPF_PROG(trigger_in_oom_handler, struct oom_control *oc, struct cgroup *cgrp)
{
	if (oom_ext_psi_btf_anchor())
		bpf_psi_create_trigger(NULL, 1, PSI_MEM, 100000, 1000000);
	return BPF_OOM_PASS;
}

OOM_EXT_OPS_DEFINE(psi_deny_ops,
		   .handle_out_of_memory = (void *)trigger_in_oom_handler,
		   .name = "psi_deny");
