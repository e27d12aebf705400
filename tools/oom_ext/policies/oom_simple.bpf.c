// SPDX-License-Identifier: GPL-2.0
/*
 * oom_simple - kill the largest task.
 *
 * The template: make new NAME=my_policy copies this file and its loader
 * under a new name, to start a policy of one's own.
 *
 * On an OOM in the cgroup it is attached to (system-wide: any OOM), look
 * at every process of the OOMing memory cgroup and its descendants, skip
 * the ones the kernel would refuse to kill anyway (init, kernel threads,
 * oom_score_adj == -1000, no memory left), and kill the one with the most
 * rss + swap + page tables. If an earlier victim is still exiting, do
 * nothing: returning BPF_OOM_PASS lets the kernel wait for it.
 *
 * It demonstrates the whole shape of a policy in one page, top to bottom:
 * the state it shares with its loader (-n, the counters, the decision
 * records), where the OOM domain comes from (oc->memcg, NULL for a global
 * OOM), walking it with the css and task iterators from a sleepable
 * program, taking a task reference outside the walk, the dry run,
 * bpf_oom_kill_process() and what BPF_OOM_HANDLED and BPF_OOM_PASS tell
 * the kernel. The shared header gives only the task's size and the
 * decision record the loader prints.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

/* dry_run (-n), stats and the "events" ring buffer: see common.bpf.h. */
OOM_EXT_POLICY_DEFINE();

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
	const char *reason = "oom_simple: largest task";
	struct task_struct *task;
	int ret = BPF_OOM_PASS;
	int err;

	__sync_fetch_and_add(&stats.calls, 1);

	if (walk_domain(oc))
		goto out;

	/* Killing more would not free memory sooner: the kernel waits. */
	if (found.victims) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0,
			       "an earlier victim is still exiting");
		goto out;
	}

	/* A reference that outlives the walk, for the kill. */
	task = found.pid ? bpf_task_from_pid(found.pid) : NULL;
	if (!task) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0, "no killable task");
		goto out;
	}

	if (dry_run) {
		/* -n: say who would die and let the kernel choose. */
		oom_ext_report(oc, task, found.pages, OOM_EXT_DRY_RUN, 0, reason);
	} else {
		/*
		 * The kernel checks the task again (init, -1000, outside the
		 * domain, a victim already, no memory left: an errno), then
		 * kills it with its usual report, which quotes @reason.
		 */
		err = bpf_oom_kill_process(oc, task, reason);
		oom_ext_report(oc, task, found.pages, err ? OOM_EXT_FAILED : OOM_EXT_KILLED,
			       err, reason);
		if (err)
			__sync_fetch_and_add(&stats.refused, 1);
		else
			ret = BPF_OOM_HANDLED;
	}
	bpf_task_release(task);
out:
	/*
	 * HANDLED: memory is being freed, the kernel kills nothing more.
	 * PASS: the OOM goes on to the next policy up, then to the kernel.
	 */
	if (ret == BPF_OOM_HANDLED)
		oom_ext_count_kills(oc, 1);
	else
		__sync_fetch_and_add(&stats.passes, 1);
	return ret;
}

OOM_EXT_OPS_DEFINE(simple_ops,
		   .handle_out_of_memory = (void *)simple_oom,
		   .name = "oom_simple");
