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
 * It demonstrates the whole shape of a policy in one page, top to bottom:
 * the state it shares with its loader, where the OOM domain comes from
 * (oc->memcg, NULL for a global OOM), walking it with the css and task
 * iterators from a sleepable program, taking a task reference outside the
 * walk, bpf_oom_kill_process() and the return-value contract. The shared
 * header gives only small helpers (the task's size, the kill and its
 * report). Copy it to start your own: make new NAME=my_policy.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* What the loader sets (-n) and prints: see common.bpf.h. */
OOM_EXT_DRY_RUN_DEFINE();
OOM_EXT_STATS_DEFINE();
OOM_EXT_EVENTS_DEFINE();

/* What the walk found. Handlers never overlap (oom_lock): one copy. */
static struct {
	s32 pid;		/* the largest killable task; 0: none */
	u64 pages;
	u32 victims;		/* earlier OOM victims, still exiting */
} found;

/* Every process charged to @memcg itself: keep the largest killable one. */
static __always_inline void scan_tasks(struct mem_cgroup *memcg)
{
	struct task_struct *task;
	u64 pages;

	bpf_for_each(css_task, task, &memcg->css, CSS_TASK_ITER_PROCS) {
		if (bpf_task_is_oom_victim(task)) {
			found.victims++;
			continue;
		}
		if (!oom_ext_task_killable(task))
			continue;
		pages = oom_ext_task_pages(task);
		if (!found.pid || pages > found.pages) {
			found.pid = task->pid;
			found.pages = pages;
		}
	}
}

/*
 * The OOM domain and every memcg below it. The css iterator hands out RCU
 * pointers, so the walk is an explicit RCU section (the program itself may
 * sleep); the task iterator wants a referenced memcg. A global function:
 * the verifier checks its loops once.
 */
__noinline int walk_domain(struct oom_control *oc __arg_trusted)
{
	struct cgroup_subsys_state *pos;
	struct mem_cgroup *domain, *memcg;

	__builtin_memset(&found, 0, sizeof(found));
	domain = oom_ext_domain_get(oc);
	if (!domain)
		return -ENOENT;

	bpf_rcu_read_lock();
	bpf_for_each(css, pos, &domain->css, BPF_CGROUP_ITER_DESCENDANTS_PRE) {
		memcg = bpf_get_mem_cgroup(pos);
		if (!memcg)
			continue;
		scan_tasks(memcg);
		bpf_put_mem_cgroup(memcg);
	}
	bpf_rcu_read_unlock();
	bpf_put_mem_cgroup(domain);
	return 0;
}

SEC("struct_ops.s/handle_out_of_memory")
int BPF_PROG(simple_oom, struct oom_control *oc, struct cgroup *cgrp)
{
	struct task_struct *task;
	int ret;

	__sync_fetch_and_add(&stats.calls, 1);

	if (walk_domain(oc))
		return oom_ext_pass();

	/* Killing more would not free memory sooner: the kernel waits. */
	if (found.victims) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0,
			       "an earlier victim is still exiting");
		return oom_ext_pass();
	}

	/* A reference that outlives the walk, for the kill. */
	task = found.pid ? bpf_task_from_pid(found.pid) : NULL;
	if (!task) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0, "no killable task");
		return oom_ext_pass();
	}
	/* Kills (or, with -n, only reports) and says what to return. */
	ret = oom_ext_kill(oc, task, found.pages, "oom_simple: largest task");
	bpf_task_release(task);
	return ret;
}

OOM_EXT_OPS_DEFINE(simple_ops,
		   .handle_out_of_memory = (void *)simple_oom,
		   .name = "oom_simple");
