// SPDX-License-Identifier: GPL-2.0
/*
 * A bpf_oom_ops policy whose behaviour the tests set through its globals
 * (mode, target_pid) and whose calls they read back (calls, kill_ret, the
 * cgroups it saw and when it ran).
 */
#include <oom_ext/common.bpf.h>
#include "hold.bpf.h"
#include "policy.h"

char _license[] SEC("license") = "GPL";

int mode;
int target_pid;

unsigned long long calls;
unsigned long long kills;
unsigned long long last_call_ns;
unsigned long long attach_cgrp_id;
unsigned long long oom_memcg_id;
int kill_ret = 1;	/* 1: never tried */
int kill2_ret = 1;	/* MODE_KILL_TWICE: the second attempt */
int victim_pid;
/*
 * MODE_HOLD's handshake with the test (hold.bpf.h): held is 1 while the
 * handler runs (under oom_lock), then 2; the test sets release when it is
 * done. Meanwhile the handler spins over bpf_mem_cgroup_flush_stats().
 */
int held;
int release;

SEC("struct_ops.s/handle_out_of_memory")
int BPF_PROG(test_handle, struct oom_control *oc, struct cgroup *cgrp)
{
	struct task_struct *task;

	__sync_fetch_and_add(&calls, 1);
	last_call_ns = bpf_ktime_get_ns();
	attach_cgrp_id = cgrp->kn->id;
	oom_memcg_id = oom_ext_memcg_id(oc->memcg);

	if (mode == MODE_CLAIM)
		return BPF_OOM_HANDLED;
	if (mode == MODE_GARBAGE)
		return 42;
	if (mode == MODE_KILL_CURRENT) {
		kill_ret = bpf_oom_kill_process(oc, bpf_get_current_task_btf(),
						"oom_ext test policy");
		if (kill_ret)
			return BPF_OOM_PASS;
		__sync_fetch_and_add(&kills, 1);
		return BPF_OOM_HANDLED;
	}
	if (mode == MODE_HOLD) {
		/* Keep oom_lock taken until the test says so. */
		ot_hold(&held, &release, oc->memcg);
		return BPF_OOM_PASS;
	}
	if (mode != MODE_KILL && mode != MODE_KILL_PASS && mode != MODE_KILL_TWICE)
		return BPF_OOM_PASS;

	task = bpf_task_from_pid(target_pid);
	if (!task)
		return BPF_OOM_PASS;
	/* Already dying from an earlier kill: let the kernel wait for it. */
	if (bpf_task_is_oom_victim(task)) {
		bpf_task_release(task);
		return BPF_OOM_PASS;
	}
	victim_pid = task->pid;
	kill_ret = bpf_oom_kill_process(oc, task, "oom_ext test policy");
	if (!kill_ret && mode == MODE_KILL_TWICE) {
		kill2_ret = bpf_oom_kill_process(oc, task, "oom_ext test policy");
		/* Later calls must not overwrite what this one saw. */
		mode = MODE_PASS;
	}
	bpf_task_release(task);
	if (kill_ret)
		return BPF_OOM_PASS;
	__sync_fetch_and_add(&kills, 1);
	return mode == MODE_KILL_PASS ? BPF_OOM_PASS : BPF_OOM_HANDLED;
}

OOM_EXT_OPS_DEFINE(test_ops,
		   .handle_out_of_memory = (void *)test_handle,
		   .name = "test_policy");
