// SPDX-License-Identifier: GPL-2.0
/*
 * oom_simple - the template OOM policy: kill the largest task.
 *
 * On an OOM in the cgroup it is attached to (system-wide: any OOM), look
 * at every process of the OOMing memory cgroup and its descendants, skip
 * the ones the kernel would refuse to kill anyway (init, kernel threads,
 * oom_score_adj == -1000, no memory left), and kill the one with the most
 * rss + swap + page tables. If an earlier victim is still exiting, do
 * nothing: returning BPF_OOM_PASS lets the kernel wait for it.
 *
 * It demonstrates the whole shape of a policy in one page: the handler
 * signature, where the OOM domain comes from (oc->memcg, NULL for a global
 * OOM), scanning its tasks with the shared helper, taking a task
 * reference outside the iteration, bpf_oom_kill_process() and the
 * return-value contract, and the shared events and counters that the
 * loader prints. Copy it to start your own.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops.s/handle_out_of_memory")
int BPF_PROG(simple_oom, struct oom_control *oc, struct cgroup *cgrp)
{
	struct oom_ext_task_scan *scan = &oom_ext_scan;
	struct task_struct *task;
	int ret;

	__sync_fetch_and_add(&stats.calls, 1);

	/*
	 * Every process of the OOMing memcg and its descendants (the root for
	 * a global OOM), skipping those the kernel would refuse to kill: see
	 * oom_ext_scan_cgroup() for how the cgroup and task iterators are
	 * used from a sleepable program.
	 */
	if (oom_ext_scan_cgroup(oom_ext_memcg_id(oc->memcg), true))
		return oom_ext_pass();

	if (scan->nr_victims) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0,
			       "an earlier victim is still exiting");
		return oom_ext_pass();
	}

	/* A reference that outlives the iteration, for the kill. */
	task = scan->best_pid ? bpf_task_from_pid(scan->best_pid) : NULL;
	if (!task) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0, "no killable task");
		return oom_ext_pass();
	}
	ret = oom_ext_kill(oc, task, scan->best_pages, "oom_simple: largest task");
	bpf_task_release(task);
	return ret;
}

OOM_OPS_DEFINE(simple_ops,
	       .handle_out_of_memory = (void *)simple_oom,
	       .name = "oom_simple");
