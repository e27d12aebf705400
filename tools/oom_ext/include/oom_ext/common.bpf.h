/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF side of oom_ext: what every bpf_oom_ops policy includes.
 *
 * The kfuncs are declared in kfuncs.bpf.h, the bpf_oom_ops-only ones here;
 * see Documentation/mm/bpf_oom.rst for what each may be used for. The helpers
 * below give every policy the same task size, the same decision events and
 * the same counters, so the loaders can share their printing.
 */
#ifndef __OOM_EXT_COMMON_BPF_H
#define __OOM_EXT_COMMON_BPF_H

#include <oom_ext/kfuncs.bpf.h>
#include <oom_ext/event.h>

/* mm/bpf_oom.c: only callable from bpf_oom_ops programs */
extern int bpf_oom_kill_process(struct oom_control *oc, struct task_struct *task,
				const char *message__str) __ksym;
extern bool bpf_task_is_oom_victim(struct task_struct *task) __ksym;

/*
 * Declare a policy: OOM_EXT_OPS_DEFINE(my_ops, .handle_out_of_memory = ...,
 * .name = "my_policy"). Links are the only way to attach a bpf_oom_ops.
 */
#define OOM_EXT_OPS_DEFINE(__name, ...)					\
	SEC(".struct_ops.link")						\
	struct bpf_oom_ops __name = {					\
		__VA_ARGS__,						\
	}

#define OOM_SCORE_ADJ_MIN	(-1000)

/*
 * The state that oom_ext_report(), oom_ext_kill() and oom_ext_pass() use,
 * and the loaders read: this header only declares it. A policy that uses
 * them instantiates it once, at file scope, with OOM_EXT_POLICY_DEFINE(),
 * as sched_ext's UEI_DEFINE() does: OOM_EXT_STATE_DEFINE()'s dry_run,
 * stats (struct oom_ext_stats) and events (of struct oom_ext_event), and
 * oom_ext_explain, the explanation sent with the next decision (event.h).
 */
extern const volatile bool dry_run;
extern struct oom_ext_stats stats;
extern struct oom_ext_ringbuf events;
extern struct oom_ext_explanation oom_ext_explain;

#define OOM_EXT_POLICY_DEFINE()						\
	OOM_EXT_STATE_DEFINE(struct oom_ext_stats);			\
	struct oom_ext_explanation oom_ext_explain

/* The kernel's page size, from the loader: see OOM_EXT_OPEN(). */
extern int CONFIG_PAGE_SHIFT __kconfig;

/*
 * What killing @task would free, in pages: rss + swap + page tables, the
 * same sum oom_badness() uses. 0 if it has no memory (exited, kthread).
 */
static __always_inline u64 oom_ext_task_pages(struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	s64 pages = 0;

	if (!mm)
		return 0;
	pages += BPF_CORE_READ(mm, rss_stat[MM_FILEPAGES].count);
	pages += BPF_CORE_READ(mm, rss_stat[MM_ANONPAGES].count);
	pages += BPF_CORE_READ(mm, rss_stat[MM_SHMEMPAGES].count);
	pages += BPF_CORE_READ(mm, rss_stat[MM_SWAPENTS].count);
	pages += BPF_CORE_READ(mm, pgtables_bytes.counter) >> CONFIG_PAGE_SHIFT;
	return pages > 0 ? pages : 0;
}

/*
 * A reference on the OOM domain: the memcg that hit its limit, or the root
 * memcg for a global OOM. Release it with bpf_put_mem_cgroup().
 */
static __always_inline struct mem_cgroup *oom_ext_domain_get(struct oom_control *oc)
{
	struct mem_cgroup *memcg = oc->memcg;

	if (!memcg)
		return bpf_get_root_mem_cgroup();
	/* Keep clang from reloading the pointer it has not checked. */
	barrier_var(memcg);
	return bpf_get_mem_cgroup(&memcg->css);
}

/* Could a policy kill @task at all? The kernel refuses the others. */
static __always_inline bool oom_ext_task_killable(struct task_struct *task)
{
	if (task->flags & PF_KTHREAD || task->pid == 1)
		return false;
	if (BPF_CORE_READ(task, signal, oom_score_adj) == OOM_SCORE_ADJ_MIN)
		return false;
	return !!BPF_CORE_READ(task, mm);
}

/*
 * Is this OOM only bpf_oom_choose()'s dry run (oom_psi_proactive --grace
 * asking what an OOM would kill, to warn it)? Then bpf_oom_kill_process()
 * records the victim and kills nothing: report it as chosen, not killed,
 * and count no kill. The policy still returns what a real OOM would get,
 * so that the kernel records the same choice.
 */
static __always_inline bool oom_ext_choosing(struct oom_control *oc)
{
	return bpf_core_field_exists(oc->bpf_choice) && oc->bpf_choice && !oc->bpf_kill_choice;
}

/* Count @n processes killed, unless nothing was (see oom_ext_choosing()). */
static __always_inline void oom_ext_count_kills(struct oom_control *oc, u64 n)
{
	if (!oom_ext_choosing(oc))
		__sync_fetch_and_add(&stats.kills, n);
}

/* Send one decision to the loader; drops it if the ring buffer is full. */
static __always_inline void oom_ext_report(struct oom_control *oc,
					   struct task_struct *task, u64 pages,
					   enum oom_ext_action action, int err,
					   const char *reason)
{
	struct oom_ext_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	e->ts_ns = bpf_ktime_get_ns();
	e->domain_cgid = oom_ext_memcg_id(oc->memcg);
	e->victim_cgid = task ? BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id) : 0;
	e->pages = pages;
	e->pid = task ? task->pid : 0;
	e->uid = task ? BPF_CORE_READ(task, real_cred, uid.val) : 0;
	e->err = err;
	e->action = action == OOM_EXT_KILLED && oom_ext_choosing(oc) ? OOM_EXT_CHOSEN : action;
	if (task)
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
	else
		e->comm[0] = '\0';
	bpf_probe_read_kernel_str(e->reason, sizeof(e->reason), reason);
	e->nr_killed = oom_ext_explain.nr_killed;
	if (!e->nr_killed && (action == OOM_EXT_KILLED || action == OOM_EXT_DRY_RUN))
		e->nr_killed = 1;
	e->nr_levels = oom_ext_explain.nr_levels;
	e->group_cgid = oom_ext_explain.group_cgid;
	__builtin_memcpy(e->levels, oom_ext_explain.levels, sizeof(e->levels));
	bpf_ringbuf_submit(e, 0);
}

/*
 * Kill @task, or in a dry run only report it, and account for the result.
 * Returns what the handler should return.
 */
static __always_inline int oom_ext_kill(struct oom_control *oc,
					struct task_struct *task, u64 pages,
					const char *reason)
{
	int err;

	if (dry_run) {
		oom_ext_report(oc, task, pages, OOM_EXT_DRY_RUN, 0, reason);
		__sync_fetch_and_add(&stats.passes, 1);
		return BPF_OOM_PASS;
	}
	err = bpf_oom_kill_process(oc, task, reason);
	if (err) {
		oom_ext_report(oc, task, pages, OOM_EXT_FAILED, err, reason);
		__sync_fetch_and_add(&stats.refused, 1);
		__sync_fetch_and_add(&stats.passes, 1);
		return BPF_OOM_PASS;
	}
	oom_ext_report(oc, task, pages, OOM_EXT_KILLED, 0, reason);
	oom_ext_count_kills(oc, 1);
	return BPF_OOM_HANDLED;
}

/* Return BPF_OOM_PASS, counted. */
static __always_inline int oom_ext_pass(void)
{
	__sync_fetch_and_add(&stats.passes, 1);
	return BPF_OOM_PASS;
}

#endif /* __OOM_EXT_COMMON_BPF_H */
