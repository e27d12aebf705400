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
 * OOM), iterating cgroups and their tasks under RCU, taking a task
 * reference outside the iteration, bpf_oom_kill_process() and the
 * return-value contract, and the shared events and counters that the
 * loader prints. Copy it to start your own.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops.s/handle_out_of_memory")
int BPF_PROG(simple_oom, struct oom_control *oc, struct cgroup *cgrp)
{
	struct mem_cgroup *domain, *memcg;
	struct cgroup_subsys_state *pos;
	bool victim_exiting = false;
	struct task_struct *task;
	u64 best_pages = 0;
	s32 best_pid = 0;
	int ret;

	__sync_fetch_and_add(&stats.calls, 1);

	/* The memcg that hit its limit, or the root memcg for a global OOM. */
	domain = oom_ext_domain_get(oc);
	if (!domain)
		return oom_ext_pass();

	/*
	 * Every memcg of the domain, then every process charged to it. The
	 * iterators walk RCU-protected lists, and this program may sleep.
	 */
	bpf_rcu_read_lock();
	bpf_for_each(css, pos, &domain->css, BPF_CGROUP_ITER_DESCENDANTS_PRE) {
		/* The task iterator wants a reference, not an RCU pointer. */
		memcg = bpf_get_mem_cgroup(pos);
		if (!memcg)
			continue;
		bpf_for_each(css_task, task, &memcg->css, CSS_TASK_ITER_PROCS) {
			u64 pages;

			if (bpf_task_is_oom_victim(task)) {
				victim_exiting = true;
				continue;
			}
			if (!oom_ext_task_killable(task))
				continue;
			pages = oom_ext_task_pages(task);
			if (pages > best_pages) {
				best_pages = pages;
				best_pid = task->pid;
			}
		}
		bpf_put_mem_cgroup(memcg);
	}
	bpf_rcu_read_unlock();
	bpf_put_mem_cgroup(domain);

	if (victim_exiting) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0,
			       "an earlier victim is still exiting");
		return oom_ext_pass();
	}

	/* A reference that outlives the iteration, for the kill. */
	task = best_pid ? bpf_task_from_pid(best_pid) : NULL;
	if (!task) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0, "no killable task");
		return oom_ext_pass();
	}
	ret = oom_ext_kill(oc, task, best_pages, "oom_simple: largest task");
	bpf_task_release(task);
	return ret;
}

OOM_OPS_DEFINE(simple_ops,
	       .handle_out_of_memory = (void *)simple_oom,
	       .name = "oom_simple");
