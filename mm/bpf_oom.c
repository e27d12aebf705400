// SPDX-License-Identifier: GPL-2.0
/*
 * BPF-programmable OOM handling.
 *
 * A struct bpf_oom_ops policy is attached through a BPF link to a memory
 * cgroup (the root cgroup for "system-wide"). On an OOM, out_of_memory()
 * calls bpf_oom_handle(), which walks from the OOMing memcg up to the root
 * and calls each attached policy until one frees memory. If none does, the
 * in-kernel OOM killer runs as before. See Documentation/mm/bpf_oom.rst.
 *
 * Lifetime and locking
 *
 * - struct bpf_oom is one attachment. It is created by reg() and freed by
 *   unreg(), which the struct_ops core calls exactly once per link (on link
 *   detach or when the last link reference goes away).
 * - The attachment holds a css reference on its memcg, so the memcg (and
 *   memcg->bpf_oom) stays valid until unreg(); the link holds a reference on
 *   the cgroup itself (see bpf_struct_ops_link_create()).
 * - bpf_oom_mutex serialises reg(), unreg() and memcg offline. It protects
 *   memcg->bpf_oom updates and bpf_oom_list.
 * - OOM dispatch reads memcg->bpf_oom under bpf_oom_srcu, because handlers
 *   may sleep. unreg() clears the pointer and waits for an SRCU grace period
 *   before it frees the attachment, so a detach during an OOM waits for
 *   running handlers and no handler runs after unreg() returns.
 * - Handlers run in the allocating task with oom_lock held, between
 *   pagefault_disable() and pagefault_enable(): a page fault there could
 *   charge memory, enter the OOM path again and wait for oom_lock forever.
 *   Helpers that fault on user memory are not offered (bpf_oom_func_proto()),
 *   and of the sleepable kfuncs only those on an allowlist are
 *   (bpf_oom_filter_kfunc()): pagefault_disable() does not stop
 *   get_user_pages() from faulting, nor a kfunc from taking a mutex.
 * - Memcg offline (rmdir) clears memcg->bpf_oom under bpf_oom_mutex and hands
 *   the detach of the link to a work item. It must not detach inline: the
 *   offline callback runs under cgroup_mutex, and the link detach takes the
 *   struct_ops update_mutex, which other struct_ops reg() paths hold while
 *   taking cgroup_mutex. The work item owns a link reference and never looks
 *   at the attachment, which unreg() may free at any time; so offline and
 *   unreg() can race in any order without a double detach or a stale pointer.
 * - A handler call that runs longer than vm.bpf_oom_handler_timeout_ms
 *   ejects its policy: dispatch skips it from then on, and the link is
 *   detached by the same work item (bpf_oom_take_hup() hands it out once,
 *   to whichever of offline and ejection comes first).
 */
#include <linux/bpf.h>
#include <linux/bpf_oom.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/debugfs.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/oom.h>
#include <linux/ratelimit.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/swap.h>
#include <linux/sysctl.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "internal.h"

/* Deferred link detach for a removed cgroup; owns a link reference. */
struct bpf_oom_hup {
	struct work_struct work;
	struct bpf_link *link;
};

struct bpf_oom {
	struct bpf_oom_ops __rcu *ops;	/* replaced by update() */
	struct bpf_link *link;
	struct cgroup *cgrp;		/* the link's reference */
	struct mem_cgroup *memcg;	/* css reference held until unreg() */
	struct bpf_oom_hup *hup;	/* preallocated; NULL once handed over */
	struct list_head node;		/* on bpf_oom_list */
	/*
	 * lock orders an ejection against update(): the ejection of ops that
	 * update() already replaced is dropped, and update() refuses an
	 * ejected policy. Taken under oom_lock, and under bpf_oom_mutex.
	 */
	spinlock_t lock;
	bool ejected;			/* ran over its time: dispatch skips it */
	u64 kill_ns;			/* oom_lock: this call's time in kills */
	atomic64_t calls;
	atomic64_t handled;
	atomic64_t false_claims;
	atomic64_t kills;
};

/*
 * How long an exiting victim with MMF_OOM_SKIP may hold up a domain, and
 * signal->bpf_oom_exit_seen once that time is over (see
 * bpf_oom_task_pending()); 0 there means "not met yet".
 */
#define BPF_OOM_EXIT_GRACE	HZ
#define BPF_OOM_GRACE_OVER	1UL

/*
 * vm.bpf_oom_handler_timeout_ms: how long one handler call may run. The
 * handler runs under the system-wide oom_lock, so every OOM in the system
 * waits for it. A policy whose call ran longer is ejected once the call
 * returns (see bpf_oom_eject()), as sched_ext ejects a scheduler that
 * stalls. The default is well above what a walk of a large hierarchy takes,
 * even under emulation, and well below what a stalled machine tolerates.
 */
static unsigned int bpf_oom_timeout_ms = 1000;
static unsigned int bpf_oom_timeout_ms_max = 60000;

static DEFINE_MUTEX(bpf_oom_mutex);
static LIST_HEAD(bpf_oom_list);
DEFINE_STATIC_SRCU(bpf_oom_srcu);
static atomic_t bpf_oom_nr_attached = ATOMIC_INIT(0);

/*
 * The policy's current ops: the attachment's, until update() replaces them.
 * Readers hold bpf_oom_srcu (dispatch, and the kfuncs that it calls);
 * update() waits for them before the old ops can go.
 */
static struct bpf_oom_ops *bpf_oom_cur_ops(struct bpf_oom *bo)
{
	return srcu_dereference(bo->ops, &bpf_oom_srcu);
}

/*
 * Claim the deferred detach of @bo's link, at most once per attachment: the
 * memcg going offline and an ejection may both ask. Returns the work item
 * to queue, owning a link reference, or NULL if it was claimed already or
 * unreg() is on its way (the link has no reference left). @bo is pinned by
 * the caller: by bpf_oom_mutex, or by the dispatch's SRCU read section,
 * which unreg() waits for before it frees @bo and its work item.
 */
static struct bpf_oom_hup *bpf_oom_take_hup(struct bpf_oom *bo)
{
	struct bpf_oom_hup *hup = xchg(&bo->hup, NULL);

	if (!hup)
		return NULL;
	if (bpf_link_inc_not_zero(bo->link) != bo->link) {
		kfree(hup);
		return NULL;
	}
	hup->link = bo->link;
	return hup;
}

/*
 * A handler call of @ops ran longer than vm.bpf_oom_handler_timeout_ms:
 * stop calling the policy now (dispatch skips it, so later OOMs go to the
 * policies above it, then the kernel) and detach its link from a work
 * item, as for a removed cgroup, which wakes poll() on the link with
 * EPOLLHUP. Called with oom_lock held, so the detach cannot run inline.
 * If update() replaced @ops meanwhile, the slow program is gone already
 * and the new one is not to blame.
 */
static void bpf_oom_eject(struct bpf_oom *bo, struct bpf_oom_ops *ops, u64 elapsed_ns)
{
	struct bpf_oom_hup *hup;
	bool eject;

	spin_lock(&bo->lock);
	eject = !bo->ejected && rcu_access_pointer(bo->ops) == ops;
	if (eject)
		WRITE_ONCE(bo->ejected, true);
	spin_unlock(&bo->lock);
	if (!eject)
		return;
	pr_warn("bpf_oom: policy %s (cgroup id %llu) ran %llu ms under oom_lock, over vm.bpf_oom_handler_timeout_ms=%u: detached\n",
		ops->name, cgroup_id(bo->cgrp), div_u64(elapsed_ns, NSEC_PER_MSEC),
		READ_ONCE(bpf_oom_timeout_ms));
	hup = bpf_oom_take_hup(bo);
	if (hup)
		queue_work(system_dfl_wq, &hup->work);
}

/*
 * Calls one policy; true if it killed a task, which ends the walk. A kill
 * counts whatever the handler returns: a handler that kills and then
 * passes would otherwise let the policies above it, then the kernel, kill
 * again for the same OOM. BPF_OOM_HANDLED without a kill is a false claim.
 */
static bool bpf_oom_call(struct bpf_oom *bo, struct bpf_oom_ops *ops,
			 struct oom_control *oc)
{
	enum bpf_oom_result ret;
	u64 start, elapsed;

	/* Only kfuncs that free memory set this: the forward-progress rule. */
	oc->bpf_memory_freed = false;
	oc->bpf_oom = bo;
	bo->kill_ns = 0;
	atomic64_inc(&bo->calls);
	start = ktime_get_ns();
	pagefault_disable();
	ret = ops->handle_out_of_memory(oc, bo->cgrp);
	pagefault_enable();
	/*
	 * The policy's own time: not what its kills took (the OOM report on
	 * a slow console, the reaper's queueing), which the kernel's own
	 * kill would have taken as well.
	 */
	elapsed = ktime_get_ns() - start - bo->kill_ns;
	oc->bpf_oom = NULL;
	if (elapsed > (u64)READ_ONCE(bpf_oom_timeout_ms) * NSEC_PER_MSEC)
		bpf_oom_eject(bo, ops, elapsed);

	if (!oc->bpf_memory_freed) {
		if (ret == BPF_OOM_HANDLED)
			atomic64_inc(&bo->false_claims);
		return false;
	}
	/* A dry run (bpf_oom_choose()) handles nothing. */
	if (!bpf_oom_dry_run(oc))
		atomic64_inc(&bo->handled);
	return true;
}

/*
 * Has the OOMing memcg got room again? Handlers may sleep, and an earlier
 * victim may finish exiting meanwhile. The kernel's own path checks the
 * margin just before out_of_memory(); without this recheck, a slow policy
 * that passes would let select_bad_process() kill a second task for an OOM
 * that has already resolved.
 */
static bool bpf_oom_memcg_has_room(struct oom_control *oc)
{
	unsigned long need = 1UL << max(oc->order, 0);
	struct mem_cgroup *memcg = oc->memcg;

	return memcg && page_counter_read(&memcg->memory) + need <=
			READ_ONCE(memcg->memory.max);
}

/*
 * Must the domain wait for @task, the member of an earlier OOM victim?
 * The rule is oom_evaluate_task()'s: a process is a victim from the kill
 * until its signal_struct is freed (tsk_is_oom_victim(), signal->oom_mm),
 * and it is waited for until its mm has MMF_OOM_SKIP, which the OOM reaper
 * sets when it has reaped the mm or given up on it, and exit_mmap() sets
 * on the way out. TIF_MEMDIE is not the rule: it marks one thread and is
 * cleared when that thread drops the mm, while other threads may keep the
 * mm, unreaped, for the whole OOM_REAPER_DELAY.
 *
 * One refinement: exit_mmap() sets MMF_OOM_SKIP after unmapping but before
 * free_pgtables() and tlb_finish_mmu() free and uncharge what it unmapped,
 * and a sleeping handler easily lands in that window and kills a second
 * task. So an exiting victim with MMF_OOM_SKIP is still waited for, for at
 * most BPF_OOM_EXIT_GRACE from when dispatch first met it so. The time is
 * kept in the victim (signal->bpf_oom_exit_seen, under oom_lock), so OOMs
 * in other domains neither extend nor end a victim's grace, and a fresh
 * victim always gets all of it. A victim that cannot finish exiting
 * (exit_aio() on I/O that never completes) holds its domain up for the
 * reaper's delay plus the grace, never for good.
 *
 * As in oom_evaluate_task(), a global OOM constrained by a cpuset or a
 * mempolicy does not wait for a victim outside the constraint: its memory
 * does not help this allocation. bpf_oom_kill_process() refuses such a task
 * for the same reason.
 */
static bool bpf_oom_exit_grace(struct signal_struct *sig)
{
	unsigned long seen = sig->bpf_oom_exit_seen;

	/* Latched: a stuck victim never gets a second grace (jiffies wrap). */
	if (seen == BPF_OOM_GRACE_OVER)
		return false;
	if (!seen) {
		seen = max(jiffies, BPF_OOM_GRACE_OVER + 1);
		sig->bpf_oom_exit_seen = seen;
	}
	if (time_before(jiffies, seen + BPF_OOM_EXIT_GRACE))
		return true;
	sig->bpf_oom_exit_seen = BPF_OOM_GRACE_OVER;
	return false;
}

static bool bpf_oom_task_pending(struct oom_control *oc, struct task_struct *task)
{
	struct signal_struct *sig = task->signal;
	struct mm_struct *mm = READ_ONCE(sig->oom_mm);

	if (!mm)
		return false;
	if (mm_flags_test(MMF_OOM_SKIP, mm) &&
	    (!(task->flags & PF_EXITING) || !bpf_oom_exit_grace(sig)))
		return false;
	/* Last: it walks the victim's threads. */
	return oc->memcg || oom_cpuset_eligible(task, oc);
}

/*
 * Is an earlier OOM victim in the domain still releasing its memory? Then
 * the OOM is about to resolve and nobody may kill more. The walk includes
 * exiting tasks (CSS_TASK_ITER_WITH_DEAD), which select_bad_process() does
 * not see, and costs nothing while no victim exists anywhere.
 */
static bool bpf_oom_victim_pending(struct oom_control *oc)
{
	struct mem_cgroup *root = oc->memcg ?: root_mem_cgroup;
	struct mem_cgroup *iter;
	bool pending = false;

	lockdep_assert_held(&oom_lock);
	if (!oom_victims_exist())
		return false;

	for (iter = mem_cgroup_iter(root, NULL, NULL); iter;
	     iter = mem_cgroup_iter(root, iter, NULL)) {
		struct css_task_iter it;
		struct task_struct *task;

		css_task_iter_start(&iter->css, CSS_TASK_ITER_WITH_DEAD, &it);
		while (!pending && (task = css_task_iter_next(&it)))
			pending = bpf_oom_task_pending(oc, task);
		css_task_iter_end(&it);
		if (pending) {
			mem_cgroup_iter_break(root, iter);
			break;
		}
	}
	return pending;
}

/*
 * A dry run records a victim instead of killing it: its thread group id
 * and start time, and for the first one the memcg that memory.oom.group
 * would kill with it. Under oom_lock.
 */
static void bpf_oom_record(struct oom_control *oc, struct task_struct *task)
{
	struct bpf_oom_choice *choice = oc->bpf_choice;
	struct mem_cgroup *group;
	u32 i;

	for (i = 0; i < choice->nr; i++)
		if (choice->pid[i] == task_tgid_nr(task))
			return;
	if (choice->nr == BPF_OOM_CHOICE_MAX) {
		choice->more = 1;
		return;
	}
	if (!choice->nr) {
		group = mem_cgroup_get_oom_group(task, oc->memcg);
		if (group) {
			choice->group_cgid = cgroup_id(group->css.cgroup);
			mem_cgroup_put(group);
		}
	}
	choice->pid[choice->nr] = task_tgid_nr(task);
	choice->start_ns[choice->nr] = task->group_leader->start_time;
	choice->nr++;
}

/*
 * bpf_oom_kill_process(), also used by bpf_oom_kill_recorded(): the
 * refusals, then the kill, or in a dry run the record.
 */
/*
 * What bpf_oom_kill_process() refuses to kill in @oc's domain, as
 * oom_badness() would never choose it; 0 if it may be killed.
 * bpf_oom_signal_choice() warns by the same rules.
 */
static int bpf_oom_refuse(struct oom_control *oc, struct task_struct *task)
{
	struct task_struct *p;
	bool in_domain;
	int err = 0;

	if (is_global_init(task) || (task->flags & PF_KTHREAD))
		return -EPERM;
	if (READ_ONCE(task->signal->oom_score_adj) == OOM_SCORE_ADJ_MIN)
		return -EPERM;
	if (tsk_is_oom_victim(task))
		return -EALREADY;

	if (oc->memcg) {
		rcu_read_lock();
		in_domain = mem_cgroup_is_descendant(mem_cgroup_from_task(task),
						     oc->memcg);
		rcu_read_unlock();
	} else {
		in_domain = oom_cpuset_eligible(task, oc);
	}
	if (!in_domain)
		return -EINVAL;

	p = find_lock_task_mm(task);
	if (!p)
		return -ESRCH;
	if (mm_flags_test(MMF_OOM_SKIP, p->mm))
		err = -ESRCH;
	else if (in_vfork(p))
		err = -EBUSY;
	task_unlock(p);
	return err;
}

static int bpf_oom_kill_task(struct oom_control *oc, struct task_struct *task,
			     const char *message)
{
	struct bpf_oom *bo = oc->bpf_oom;
	int err;
	u64 start;

	err = bpf_oom_refuse(oc, task);
	if (err)
		return err;

	if (bpf_oom_dry_run(oc)) {
		bpf_oom_record(oc, task);
		oc->bpf_memory_freed = true;
		return 0;
	}

	start = ktime_get_ns();
	if (bo)
		pr_warn_ratelimited("oom-kill: victim chosen by BPF OOM policy %s (cgroup id %llu)\n",
				    bpf_oom_cur_ops(bo)->name, cgroup_id(bo->cgrp));
	/* oom_kill_process() consumes this reference. */
	get_task_struct(task);
	oc->chosen = task;
	oom_kill_process(oc, message);
	oc->chosen = NULL;
	if (bo)
		bo->kill_ns += ktime_get_ns() - start;

	oc->bpf_memory_freed = true;
	if (bo)
		atomic64_inc(&bo->kills);
	return 0;
}

/**
 * bpf_oom_choice_done - record the kernel's choice in a dry run
 * @oc: a bpf_oom_choose() OOM after select_bad_process()
 *
 * Return: what out_of_memory() returns: true if a victim was found or an
 * earlier one is still exiting.
 */
bool bpf_oom_choice_done(struct oom_control *oc)
{
	if (!oc->chosen || oc->chosen == (void *)-1UL)
		return !!oc->chosen;
	bpf_oom_record(oc, oc->chosen);
	put_task_struct(oc->chosen);
	oc->chosen = NULL;
	return true;
}

/*
 * The process @pid started at @start_ns, if it still exists; a reference
 * is returned.
 */
static struct task_struct *bpf_oom_find_recorded(u32 pid, u64 start_ns)
{
	struct task_struct *task;

	rcu_read_lock();
	task = find_task_by_pid_ns(pid, &init_pid_ns);
	if (task && (!thread_group_leader(task) || task->start_time != start_ns))
		task = NULL;
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	return task;
}

/*
 * bpf_oom_kill_choice(): kill the processes recorded by bpf_oom_choose()
 * that still exist, and nothing else. The OOM counts as handled whatever
 * was killed: the kernel must not choose another victim in its place.
 * oc->bpf_memory_freed tells the caller whether something was.
 */
static bool bpf_oom_kill_recorded(struct oom_control *oc)
{
	struct bpf_oom_choice *choice = oc->bpf_choice;
	struct task_struct *task;
	u32 i;

	oc->bpf_memory_freed = false;
	if (bpf_oom_victim_pending(oc)) {
		oc->chosen = (void *)-1UL;
		return true;
	}
	for (i = 0; i < min_t(u32, choice->nr, BPF_OOM_CHOICE_MAX); i++) {
		task = bpf_oom_find_recorded(choice->pid[i], choice->start_ns[i]);
		if (!task)
			continue;
		bpf_oom_kill_task(oc, task, "Out of memory (chosen before a grace period)");
		put_task_struct(task);
	}
	return true;
}

/**
 * bpf_oom_handle - let attached BPF policies handle an OOM
 * @oc: the OOM being handled; oom_lock is held
 *
 * Calls the policy attached to the OOMing memcg, then those of its
 * ancestors up to the root, until one kills a task. A global OOM consults
 * only the root cgroup's policy. While an earlier victim in the domain is
 * still exiting, no policy is called and oc->chosen is set to -1, as
 * select_bad_process() does: the OOM counts as handled and the allocation
 * retries.
 *
 * After every policy passed, an OOM from a failed charge is also treated
 * as handled if the memcg has room again (handlers may sleep, and an
 * earlier victim may have finished meanwhile). A declared OOM
 * (bpf_out_of_memory()) has room by definition and skips that check.
 *
 * Return: true if a policy killed a task, a victim is still exiting, or
 * memory became available while the policies ran; false to let the
 * kernel act.
 */
bool bpf_oom_handle(struct oom_control *oc)
{
	struct mem_cgroup *memcg;
	bool handled = false, called = false;
	int idx;

	/* Killed as chosen before, or not at all: see bpf_oom_kill_choice(). */
	if (oc->bpf_kill_choice)
		return bpf_oom_kill_recorded(oc);
	if (!atomic_read(&bpf_oom_nr_attached) || mem_cgroup_disabled())
		return false;

	/*
	 * The memcgs on the path are pinned: oc->memcg by the charge that is
	 * failing (or by bpf_out_of_memory()'s caller), each ancestor by its
	 * child.
	 */
	idx = srcu_read_lock(&bpf_oom_srcu);
	for (memcg = oc->memcg ?: root_mem_cgroup; memcg;
	     memcg = parent_mem_cgroup(memcg)) {
		struct bpf_oom *bo = srcu_dereference(memcg->bpf_oom, &bpf_oom_srcu);
		struct bpf_oom_ops *ops;

		/* An ejected policy, or one without a handler, sees nothing. */
		if (!bo || READ_ONCE(bo->ejected))
			continue;
		ops = bpf_oom_cur_ops(bo);
		if (!ops->handle_out_of_memory)
			continue;
		/*
		 * Only OOMs that some policy would see wait for a pending
		 * victim; the others stay exactly the kernel's. A sysrq OOM
		 * (order -1) kills regardless, as in select_bad_process().
		 */
		if (!called && oc->order >= 0 && bpf_oom_victim_pending(oc)) {
			oc->chosen = (void *)-1UL;
			handled = true;
			break;
		}
		called = true;
		if (bpf_oom_call(bo, ops, oc)) {
			handled = true;
			break;
		}
	}
	srcu_read_unlock(&bpf_oom_srcu, idx);
	if (handled)
		return true;
	return called && !bpf_oom_declared(oc) && bpf_oom_memcg_has_room(oc);
}

/**
 * bpf_oom_report_nothing - report an OOM in which nothing could be killed?
 * @oc: the OOM; select_bad_process() found no victim
 *
 * An OOM that an allocation failed is always reported, as it always was.
 * A declared one (bpf_out_of_memory()) is reported within the usual rate
 * limit: a policy that keeps declaring OOMs in a memcg whose tasks are all
 * protected (oom_score_adj -1000) must not flood the log with full reports.
 *
 * Return: true if out_of_memory() should print its report.
 */
bool bpf_oom_report_nothing(const struct oom_control *oc)
{
	static DEFINE_RATELIMIT_STATE(declared_rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);

	if (bpf_oom_dry_run(oc))
		return false;
	return !bpf_oom_declared(oc) || __ratelimit(&declared_rs);
}

static void bpf_oom_hup_workfn(struct work_struct *work)
{
	struct bpf_oom_hup *hup = container_of(work, struct bpf_oom_hup, work);
	struct bpf_link *link = hup->link;

	/* Ends in unreg() unless userspace detached first; wakes poll(). */
	link->ops->detach(link);
	bpf_link_put(link);
	kfree(hup);
}

/**
 * bpf_oom_memcg_offline - detach the policy of a memcg going offline
 * @memcg: the memcg; called from its css_offline callback
 *
 * Stops dispatch to the policy now and detaches its link from a work item,
 * which wakes poll() on the link with EPOLLHUP.
 */
void bpf_oom_memcg_offline(struct mem_cgroup *memcg)
{
	struct bpf_oom_hup *hup = NULL;
	struct bpf_oom *bo;

	mutex_lock(&bpf_oom_mutex);
	bo = rcu_dereference_protected(memcg->bpf_oom,
				       lockdep_is_held(&bpf_oom_mutex));
	if (bo) {
		RCU_INIT_POINTER(memcg->bpf_oom, NULL);
		atomic_dec(&bpf_oom_nr_attached);
		hup = bpf_oom_take_hup(bo);
	}
	mutex_unlock(&bpf_oom_mutex);

	if (hup)
		queue_work(system_dfl_wq, &hup->work);
}

static int bpf_oom_ops_reg(void *kdata, struct bpf_link *link)
{
	struct bpf_oom_ops *ops = kdata;
	struct cgroup_subsys_state *css;
	struct mem_cgroup *memcg;
	struct cgroup *cgrp;
	struct bpf_oom *bo;
	int err = 0;

	/* Legacy registration has no link, so nothing to own the policy. */
	if (!link)
		return -EOPNOTSUPP;
	/*
	 * A policy decides what dies in a whole hierarchy: it takes what the
	 * kernel's other system-wide policy hooks take (sched_ext does the
	 * same), not only the CAP_BPF of a struct_ops load. Called from
	 * BPF_LINK_CREATE, in the attaching task.
	 */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (mem_cgroup_disabled())
		return -EOPNOTSUPP;
	cgrp = bpf_struct_ops_link_cgroup(link);
	if (WARN_ON_ONCE(!cgrp))
		return -EINVAL;

	bo = kzalloc_obj(*bo, GFP_KERNEL);
	if (!bo)
		return -ENOMEM;
	bo->hup = kzalloc_obj(*bo->hup, GFP_KERNEL);
	if (!bo->hup) {
		kfree(bo);
		return -ENOMEM;
	}
	INIT_WORK(&bo->hup->work, bpf_oom_hup_workfn);
	spin_lock_init(&bo->lock);
	RCU_INIT_POINTER(bo->ops, ops);
	bo->link = link;
	bo->cgrp = cgrp;

	mutex_lock(&bpf_oom_mutex);
	/*
	 * The cgroup must have its own memory css, online. Taking it under
	 * bpf_oom_mutex orders us before the offline callback, which takes
	 * the mutex too and so always sees the attachment.
	 */
	rcu_read_lock();
	css = rcu_dereference(cgrp->subsys[memory_cgrp_id]);
	if (!css || !css_tryget_online(css))
		css = NULL;
	rcu_read_unlock();
	if (!css) {
		err = -EINVAL;
		goto unlock;
	}
	memcg = mem_cgroup_from_css(css);
	if (rcu_access_pointer(memcg->bpf_oom)) {
		css_put(css);
		err = -EEXIST;
		goto unlock;
	}
	bo->memcg = memcg;
	list_add_tail(&bo->node, &bpf_oom_list);
	rcu_assign_pointer(memcg->bpf_oom, bo);
	atomic_inc(&bpf_oom_nr_attached);
unlock:
	mutex_unlock(&bpf_oom_mutex);
	if (err) {
		kfree(bo->hup);
		kfree(bo);
	}
	return err;
}

/* The attachment of @link, or NULL; bpf_oom_mutex must be held. */
static struct bpf_oom *bpf_oom_find(struct bpf_link *link)
{
	struct bpf_oom *bo;

	lockdep_assert_held(&bpf_oom_mutex);
	list_for_each_entry(bo, &bpf_oom_list, node)
		if (bo->link == link)
			return bo;
	return NULL;
}

/*
 * BPF_LINK_UPDATE: replace the link's policy in place. The attachment, its
 * cgroup and its counters stay; dispatch sees the old ops or the new ones,
 * never none, so no OOM goes to the kernel's killer meanwhile. The old ops
 * (in the old map, which the struct_ops core puts after this returns) may
 * still be running in a handler: wait for it. Called under the struct_ops
 * update_mutex, like reg() and unreg().
 */
static int bpf_oom_ops_update(void *kdata, void *old_kdata, struct bpf_link *link)
{
	struct bpf_oom *bo;
	int err = 0;

	/* Replacing a policy takes what attaching one takes. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&bpf_oom_mutex);
	bo = bpf_oom_find(link);
	/* Gone with its memcg: its detach is on its way. */
	if (!bo || rcu_access_pointer(bo->memcg->bpf_oom) != bo) {
		err = -ENOLINK;
	} else {
		/* Ejected: likewise. See bpf_oom_eject() for the other side. */
		spin_lock(&bo->lock);
		if (bo->ejected)
			err = -ENOLINK;
		else
			rcu_assign_pointer(bo->ops, (struct bpf_oom_ops *)kdata);
		spin_unlock(&bo->lock);
	}
	mutex_unlock(&bpf_oom_mutex);
	if (!err)
		synchronize_srcu(&bpf_oom_srcu);
	return err;
}

static void bpf_oom_ops_unreg(void *kdata, struct bpf_link *link)
{
	struct bpf_oom *bo;

	mutex_lock(&bpf_oom_mutex);
	bo = bpf_oom_find(link);
	if (bo) {
		list_del(&bo->node);
		/* Still published unless the memcg went offline first. */
		if (rcu_access_pointer(bo->memcg->bpf_oom) == bo) {
			RCU_INIT_POINTER(bo->memcg->bpf_oom, NULL);
			atomic_dec(&bpf_oom_nr_attached);
		}
	}
	mutex_unlock(&bpf_oom_mutex);
	if (!bo)
		return;

	/* Wait for handlers that may still run this policy. */
	synchronize_srcu(&bpf_oom_srcu);
	css_put(&bo->memcg->css);
	kfree(bo->hup);
	kfree(bo);
}

static int bpf_oom_ops_init_member(const struct btf_type *t,
				   const struct btf_member *member,
				   void *kdata, const void *udata)
{
	const struct bpf_oom_ops *uops = udata;
	struct bpf_oom_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	if (moff == offsetof(struct bpf_oom_ops, name)) {
		if (bpf_obj_name_cpy(ops->name, uops->name, sizeof(ops->name)) < 0)
			return -EINVAL;
		if (!ops->name[0])
			strscpy(ops->name, "bpf_oom");
		return 1;
	}
	return 0;
}

static int bpf_oom_ops_init(struct btf *btf)
{
	return 0;
}

/*
 * Handlers run under oom_lock in the allocating task (see the head of this
 * file): helpers that may fault on user memory are not offered.
 */
static const struct bpf_func_proto *
bpf_oom_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	const struct bpf_func_proto *fn;

	switch (func_id) {
	case BPF_FUNC_copy_from_user:
	case BPF_FUNC_copy_from_user_task:
		return NULL;
	default:
		fn = bpf_base_func_proto(func_id, prog);
		/*
		 * No helper that may sleep (a sleepable handler gets, for
		 * instance, the bpf_get_task_stack() that reads build ids
		 * from files): the same rule as for kfuncs, with no
		 * exceptions.
		 */
		return fn && fn->might_sleep ? NULL : fn;
	}
}

/*
 * The sleepable kfuncs a handler may call. A handler runs in the allocating
 * task with oom_lock held: a kfunc that faults on user memory (with
 * pagefault_disable(), get_user_pages() still faults in through
 * access_process_vm()), takes a task's mmap_lock, or takes a mutex that an
 * allocation may hold (slab_mutex) can deadlock there, and one whose fault
 * charges the OOMing memcg enters the OOM path again and waits for
 * oom_lock forever. Kfuncs that cannot sleep cannot do any of that; the
 * sleepable ones are refused unless listed here, whichever kfunc set (the
 * common ones included) offers them:
 * - bpf_oom_kill_process(): the kernel's own kill path, run under oom_lock
 *   by out_of_memory() as well;
 * - bpf_mem_cgroup_flush_stats(): the kernel's OOM report flushes the same
 *   statistics under oom_lock.
 */
BTF_SET_START(bpf_oom_sleepable_kfuncs)
BTF_ID(func, bpf_oom_kill_process)
BTF_ID(func, bpf_mem_cgroup_flush_stats)
BTF_SET_END(bpf_oom_sleepable_kfuncs)

static int bpf_oom_filter_kfunc(const struct bpf_prog *prog, const struct btf *btf,
				u32 kfunc_btf_id, u32 kfunc_flags)
{
	if (!(kfunc_flags & KF_SLEEPABLE))
		return 0;
	if (btf_is_vmlinux(btf) &&
	    btf_id_set_contains(&bpf_oom_sleepable_kfuncs, kfunc_btf_id))
		return 0;
	return -EACCES;
}

static const struct bpf_verifier_ops bpf_oom_verifier_ops = {
	.get_func_proto = bpf_oom_func_proto,
	.is_valid_access = bpf_tracing_btf_ctx_access,
};

/* CFI stubs: the signatures the trampolines are checked against. */
static int bpf_oom_ops__handle_out_of_memory(struct oom_control *oc,
					     struct cgroup *cgrp)
{
	return BPF_OOM_PASS;
}

static struct bpf_oom_ops __bpf_oom_ops = {
	.handle_out_of_memory = bpf_oom_ops__handle_out_of_memory,
};

static struct bpf_struct_ops bpf_oom_bpf_ops = {
	.verifier_ops = &bpf_oom_verifier_ops,
	.init = bpf_oom_ops_init,
	.init_member = bpf_oom_ops_init_member,
	.reg = bpf_oom_ops_reg,
	.unreg = bpf_oom_ops_unreg,
	.update = bpf_oom_ops_update,
	.filter_kfunc = bpf_oom_filter_kfunc,
	.attach_cgroup = true,
	.cfi_stubs = &__bpf_oom_ops,
	.name = "bpf_oom_ops",
	.owner = THIS_MODULE,
};

/* bpf_oom_signal_choice(): one signal per process of the group. */
struct bpf_oom_signal {
	int sig;
	int nr;
};

/*
 * The processes that oom_kill_memcg_member() would kill, once each (the
 * group leader stands for its threads).
 */
static int bpf_oom_signal_member(struct task_struct *task, void *arg)
{
	struct bpf_oom_signal *s = arg;

	if (task->signal->oom_score_adj == OOM_SCORE_ADJ_MIN ||
	    is_global_init(task) || (task->flags & PF_KTHREAD) ||
	    !thread_group_leader(task))
		return 0;
	if (!do_send_sig_info(s->sig, SEND_SIG_PRIV, task, PIDTYPE_TGID))
		s->nr++;
	return 0;
}

/*
 * The memcg of exactly the cgroup @id, online, with a reference, if it is
 * in @domain (NULL: anywhere) and not the root; NULL otherwise. Unlike
 * mem_cgroup_get_from_id(), never an ancestor's: a cgroup that has lost
 * its own memcg has no group to kill.
 */
static struct mem_cgroup *bpf_oom_group_get(u64 id, struct mem_cgroup *domain)
{
	struct cgroup_subsys_state *css;
	struct mem_cgroup *memcg = NULL;
	struct cgroup *cgrp;

	cgrp = cgroup_get_from_id(id);
	if (IS_ERR(cgrp))
		return NULL;
	rcu_read_lock();
	css = rcu_dereference(cgrp->subsys[memory_cgrp_id]);
	if (css && css_tryget_online(css))
		memcg = mem_cgroup_from_css(css);
	rcu_read_unlock();
	cgroup_put(cgrp);
	if (memcg && (mem_cgroup_is_root(memcg) ||
		      (domain && !mem_cgroup_is_descendant(memcg, domain)))) {
		css_put(&memcg->css);
		memcg = NULL;
	}
	return memcg;
}

/*
 * Runs a declared OOM (bpf_out_of_memory() and its variants) under
 * oom_lock. Returns what out_of_memory() returned, or -EAGAIN while an
 * earlier victim in the domain is still exiting, or an error.
 */
static int bpf_oom_declare(struct oom_control *oc, u64 flags)
{
	bool handled;

	if (flags & ~BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK)
		return -EINVAL;
	if (oc->memcg && mem_cgroup_is_root(oc->memcg))
		oc->memcg = NULL;

	if (flags & BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK) {
		if (mutex_lock_killable(&oom_lock))
			return -EINTR;
	} else if (!mutex_trylock(&oom_lock)) {
		return -EBUSY;
	}
	handled = out_of_memory(oc);
	mutex_unlock(&oom_lock);
	/* select_bad_process() and bpf_oom_handle() say "wait" this way. */
	if (oc->chosen == (void *)-1UL)
		return -EAGAIN;
	return handled;
}

__bpf_kfunc_start_defs();

/**
 * bpf_oom_kill_process - kill a task to resolve the OOM being handled
 * @oc: the OOM, as passed to the handler
 * @task: the victim
 * @message__str: reason, printed in the OOM report ("<reason>: Killed
 *	process ...")
 *
 * Kills @task as the kernel OOM killer would: OOM report, SIGKILL, the OOM
 * reaper, the global and memcg oom_kill counters, and the whole memcg if
 * memory.oom.group asks for it. A task that is already exiting is not
 * killed again but marked as the victim, as the kernel does. On success the
 * call counts as progress (oom_control::bpf_memory_freed) and ends the
 * walk up the hierarchy, whatever the handler then returns.
 *
 * Refusals follow oom_badness(): a task that the kernel would never choose
 * is refused too, so that a policy cannot make every OOM "handled" with
 * nothing freed.
 *
 * Context: a bpf_oom_ops handler, under oom_lock; may sleep.
 * Return: 0 on success. Nothing is killed on error:
 * -EPERM for init, kernel threads and tasks with oom_score_adj ==
 * OOM_SCORE_ADJ_MIN (the administrator's protection wins over any policy);
 * -EALREADY for a task that already is an OOM victim (wait for it instead);
 * -EINVAL for a task outside the OOM domain (for a memcg OOM, a task not in
 * oc->memcg or below it);
 * -ESRCH for a task that has no memory left to free: it has no mm, or its
 * mm has MMF_OOM_SKIP (reaped, or given up on by the OOM reaper);
 * -EBUSY for a vfork child, whose mm is its parent's.
 */
__bpf_kfunc int bpf_oom_kill_process(struct oom_control *oc,
				     struct task_struct *task,
				     const char *message__str)
{
	return bpf_oom_kill_task(oc, task, message__str);
}

/**
 * bpf_task_is_oom_victim - is this task an OOM victim still releasing memory?
 * @task: the task
 *
 * A handler that finds such a victim should return %BPF_OOM_PASS: the
 * kernel then waits for that victim instead of killing more. A victim
 * whose mm the OOM reaper has already reaped or given up on
 * (MMF_OOM_SKIP) does not count, as in oom_evaluate_task(): it may be
 * stuck for good, and waiting for it would stall every later OOM.
 * bpf_oom_kill_process() refuses it all the same (-EALREADY).
 *
 * Return: true if @task's process is an OOM victim whose mm still has
 * memory to free.
 */
__bpf_kfunc bool bpf_task_is_oom_victim(struct task_struct *task)
{
	/* Set once when the process is chosen, pinned until it is freed. */
	struct mm_struct *mm = READ_ONCE(task->signal->oom_mm);

	return mm && !mm_flags_test(MMF_OOM_SKIP, mm);
}

/**
 * bpf_oom_get_meminfo - read the system's memory headroom
 * @info: filled with the numbers /proc/meminfo shows as MemTotal,
 *	MemAvailable, MemFree, SwapTotal and SwapFree, in pages
 * @info__szk: the size of *@info in the program, a constant:
 *	sizeof(struct bpf_oom_meminfo) as the program was built. Members are
 *	only ever added at the end: the kernel fills as much of *@info as it
 *	knows and zeroes the rest, so programs and kernels of different
 *	versions keep working together
 *
 * Lets a policy notice a system-wide shortage from the kernel's own
 * estimate of available memory, without a userspace daemon reading
 * /proc/meminfo. A handful of global counter reads, no locks: cheap enough
 * to call from a timer every few milliseconds. The numbers are a snapshot
 * and may be stale by the time the caller acts on them.
 *
 * Context: any; does not sleep.
 * Return: the number of bytes of *@info the kernel filled in, or -EINVAL
 * if @info__szk is smaller than the first version of the struct (its five
 * members up to @swap_free).
 */
__bpf_kfunc int bpf_oom_get_meminfo(struct bpf_oom_meminfo *info, u32 info__szk)
{
	struct bpf_oom_meminfo mi;
	u32 n = min_t(u32, info__szk, sizeof(mi));
	long avail;

	if (info__szk < offsetofend(struct bpf_oom_meminfo, swap_free))
		return -EINVAL;
	avail = si_mem_available();
	mi.total = totalram_pages();
	mi.available = avail > 0 ? avail : 0;
	mi.free = global_zone_page_state(NR_FREE_PAGES);
	mi.swap_total = total_swap_pages;
	mi.swap_free = get_nr_swap_pages();
	memcpy(info, &mi, n);
	if (info__szk > n)
		memset((char *)info + n, 0, info__szk - n);
	return n;
}

/**
 * bpf_out_of_memory - declare an out-of-memory situation from BPF
 * @memcg__nullable: the memory cgroup that is out of memory; NULL (or the
 *	root memcg) declares a system-wide OOM
 * @order: order of the allocation that is taken to have failed, from 0 to
 *	MAX_PAGE_ORDER
 * @flags: %BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK waits for oom_lock; without it a
 *	contended oom_lock gives -EBUSY
 *
 * Runs out_of_memory() as a failed allocation in @memcg__nullable would:
 * the BPF policies attached on the path first, then the kernel's own
 * selection. The constraint and the total pages are computed as usual, so
 * badness scores are sound. The OOM report says that BPF declared the OOM.
 * A declared OOM is not an allocation that cannot proceed, so it is treated
 * like a sysrq-f OOM: panic_on_oom does not apply, nor does the "System is
 * deadlocked on memory" panic when nothing can be killed, nor
 * oom_kill_allocating_task, and the caller is never marked as a victim.
 * Not callable from bpf_oom_ops programs, which already run under
 * oom_lock.
 *
 * Context: process context, may sleep; takes oom_lock.
 * Return: 1 if a task was killed (or, as the kernel does, an exiting task
 * was made the victim), 0 if nothing could be killed, -EAGAIN if nothing
 * was killed because an earlier OOM victim in the domain is still exiting,
 * -EINVAL for unknown @flags or a bad @order, -EBUSY if oom_lock is taken
 * and %BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK was not given, -EINTR if a fatal
 * signal interrupted the wait.
 */
__bpf_kfunc int bpf_out_of_memory(struct mem_cgroup *memcg__nullable, int order,
				  u64 flags)
{
	struct oom_control oc = {
		.memcg = memcg__nullable,
		.gfp_mask = GFP_KERNEL,
		.order = order,
		.bpf_declared = true,
	};
	int ret;

	if (order < 0 || order > MAX_PAGE_ORDER)
		return -EINVAL;
	ret = bpf_oom_declare(&oc, flags);
	return ret < 0 ? ret : !!ret;
}

/**
 * bpf_oom_choose - find what an OOM would kill, and kill nothing
 * @memcg__nullable: the memcg of the OOM, or NULL (or the root) for a
 *	system-wide one
 * @choice: filled with the processes that would be killed
 * @choice__szk: sizeof(*@choice)
 * @flags: as for bpf_out_of_memory()
 *
 * A dry run of bpf_out_of_memory(@memcg__nullable, 0, @flags): the policies
 * attached on the path are called as for any OOM, then the kernel's own
 * selection if none chose, but bpf_oom_kill_process() records its task in
 * @choice instead of killing it, and so does the kernel. Nothing is
 * reported or counted as a kill; a policy call still counts as a call in
 * the debugfs listing. For a policy to warn what it would kill before a
 * grace period, and bpf_oom_kill_choice() to kill exactly that after it.
 *
 * The choice is a snapshot: the next OOM may choose differently (usage
 * changes, the policy may be replaced). That is why the kill takes the
 * choice rather than running the selection again.
 *
 * Context: process context, may sleep; takes oom_lock.
 * Return: the number of processes recorded (@choice->nr), 0 if nothing
 * could be killed (@choice is then left as it was), or the errors of
 * bpf_out_of_memory(): -EAGAIN while an
 * earlier victim in the domain is still exiting, -EBUSY, -EINTR, -EINVAL
 * (also for a @choice__szk smaller than this kernel's struct).
 */
__bpf_kfunc int bpf_oom_choose(struct mem_cgroup *memcg__nullable,
			       struct bpf_oom_choice *choice, u32 choice__szk,
			       u64 flags)
{
	struct bpf_oom_choice c = {};
	struct oom_control oc = {
		.memcg = memcg__nullable,
		.gfp_mask = GFP_KERNEL,
		.bpf_declared = true,
		.bpf_choice = &c,
	};
	int ret;

	if (choice__szk < sizeof(c))
		return -EINVAL;
	ret = bpf_oom_declare(&oc, flags);
	if (ret <= 0)
		return ret;
	/* Only now: a failed call leaves the caller's choice as it was. */
	memset(choice, 0, choice__szk);
	memcpy(choice, &c, sizeof(c));
	return c.nr;
}

/**
 * bpf_oom_kill_choice - kill what bpf_oom_choose() chose
 * @memcg__nullable: the memcg of the OOM, as given to bpf_oom_choose()
 * @choice: the choice bpf_oom_choose() filled
 * @choice__szk: sizeof(*@choice)
 * @flags: as for bpf_out_of_memory()
 *
 * Declares an OOM in @memcg__nullable, as bpf_out_of_memory() does, in
 * which the victims are the processes of @choice that still exist (same
 * pid and start time): each is killed as bpf_oom_kill_process() would,
 * with the same refusals, and memory.oom.group applies as usual. No policy
 * is called and the kernel chooses no other victim: a process that exited
 * or freed its memory meanwhile is simply not killed. While an earlier
 * victim in the domain is still exiting, nothing is killed (-EAGAIN).
 *
 * Context: process context, may sleep; takes oom_lock.
 * Return: 1 if a process was killed, 0 if none of @choice was left to
 * kill, or the errors of bpf_oom_choose().
 */
__bpf_kfunc int bpf_oom_kill_choice(struct mem_cgroup *memcg__nullable,
				    const struct bpf_oom_choice *choice,
				    u32 choice__szk, u64 flags)
{
	struct bpf_oom_choice c = {};
	struct oom_control oc = {
		.memcg = memcg__nullable,
		.gfp_mask = GFP_KERNEL,
		.bpf_declared = true,
		.bpf_choice = &c,
		.bpf_kill_choice = true,
	};
	int ret;

	if (choice__szk < sizeof(c))
		return -EINVAL;
	memcpy(&c, choice, sizeof(c));
	ret = bpf_oom_declare(&oc, flags);
	if (ret < 0)
		return ret;
	return oc.bpf_memory_freed;
}

/**
 * bpf_oom_signal_choice - warn what bpf_oom_choose() chose
 * @memcg__nullable: the memcg of the OOM, as given to bpf_oom_choose()
 * @choice: the choice bpf_oom_choose() filled
 * @choice__szk: sizeof(*@choice)
 * @sig: the signal, such as SIGTERM
 *
 * Sends @sig to what bpf_oom_kill_choice() would kill now: each recorded
 * process that still exists (same pid and start time) and that
 * bpf_oom_kill_process() would not refuse in @memcg__nullable's domain;
 * and when @choice has a group, the processes of that memcg and its
 * descendants that the group kill takes (not the ones that oom_score_adj
 * -1000 protects). The group must still have a memcg of its own, inside
 * the domain, and not be the root. Each process gets the signal once.
 * For a policy to warn a workload before a grace period ends in the kill:
 * a PostgreSQL backend cancels its query on SIGINT, a batch job writes a
 * checkpoint on SIGTERM. The signal comes from the kernel (SEND_SIG_PRIV),
 * like the OOM killer's SIGKILL, so no permission check applies: this
 * kfunc is for the programs that may declare an OOM, which kills anyway.
 *
 * Context: process context; may sleep (the group walk reschedules).
 * Return: the number of processes signalled, or -EINVAL for a bad @sig
 * or a @choice__szk smaller than this kernel's struct.
 */
__bpf_kfunc int bpf_oom_signal_choice(struct mem_cgroup *memcg__nullable,
				      const struct bpf_oom_choice *choice,
				      u32 choice__szk, int sig)
{
	struct oom_control oc = {
		.memcg = memcg__nullable,
		.gfp_mask = GFP_KERNEL,
		.bpf_declared = true,
	};
	struct bpf_oom_signal s = { .sig = sig };
	struct mem_cgroup *group = NULL, *memcg;
	struct task_struct *task;
	bool in_group;
	u32 i;

	if (choice__szk < sizeof(*choice) || sig <= 0 || !valid_signal(sig))
		return -EINVAL;
	if (oc.memcg && mem_cgroup_is_root(oc.memcg))
		oc.memcg = NULL;
	if (choice->group_cgid)
		group = bpf_oom_group_get(choice->group_cgid, oc.memcg);
	for (i = 0; i < min_t(u32, choice->nr, BPF_OOM_CHOICE_MAX); i++) {
		task = bpf_oom_find_recorded(choice->pid[i], choice->start_ns[i]);
		if (!task)
			continue;
		/* The group's processes get theirs below. */
		rcu_read_lock();
		memcg = mem_cgroup_from_task(task);
		in_group = group && mem_cgroup_is_descendant(memcg, group);
		rcu_read_unlock();
		if (!in_group && !bpf_oom_refuse(&oc, task))
			bpf_oom_signal_member(task, &s);
		put_task_struct(task);
	}
	if (group) {
		mem_cgroup_scan_tasks(group, bpf_oom_signal_member, &s);
		mem_cgroup_put(group);
	}
	return s.nr;
}

/*
 * Declared system-wide OOMs queued by bpf_out_of_memory_async(). One static
 * work item: requests that arrive while it is pending merge into it, as
 * sysrq-f's do. The workqueue has a rescuer, so the OOM is declared even
 * when no new worker can be allocated, which is when it matters.
 */
static struct workqueue_struct *bpf_oom_wq;

static void bpf_oom_async_workfn(struct work_struct *work)
{
	int ret = bpf_out_of_memory(NULL, 0, BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK);

	/* No one waits for the result; a repeat caller would flood the log. */
	if (!ret)
		pr_info_ratelimited("bpf_oom: queued OOM: nothing to kill\n");
}

static DECLARE_WORK(bpf_oom_async_work, bpf_oom_async_workfn);

/**
 * bpf_out_of_memory_async - queue a declared system-wide OOM
 * @flags: must be 0
 *
 * For programs that cannot sleep, such as a bpf_timer callback that polls
 * bpf_oom_get_meminfo(): queues bpf_out_of_memory(NULL, 0,
 * %BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK) on a workqueue, as sysrq-f queues its
 * OOM. A request made while an earlier one is still queued merges with it;
 * one that arrives while the earlier one runs is queued again. The policies
 * attached on the path, then the kernel, choose the victim, and a victim
 * that is still exiting holds the next request off as it holds off any
 * OOM, so a caller may repeat the request for as long as its condition
 * holds. The result is not reported to the caller: the OOM report and the
 * oom_kill counters say what happened.
 *
 * Context: any; does not sleep.
 * Return: 0 if the OOM was queued, -EBUSY if an earlier request is still
 * queued and this one merged with it, -EINVAL for unknown @flags.
 */
__bpf_kfunc int bpf_out_of_memory_async(u64 flags)
{
	if (flags)
		return -EINVAL;
	return queue_work(bpf_oom_wq, &bpf_oom_async_work) ? 0 : -EBUSY;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(bpf_oom_declare_kfuncs)
BTF_ID_FLAGS(func, bpf_out_of_memory, KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_out_of_memory_async)
BTF_ID_FLAGS(func, bpf_oom_choose, KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_oom_kill_choice, KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_oom_signal_choice, KF_SLEEPABLE)
BTF_KFUNCS_END(bpf_oom_declare_kfuncs)

/*
 * bpf_out_of_memory() sleeps and takes oom_lock: sleepable programs that
 * do not run under oom_lock. Registered here for BPF_PROG_TYPE_SYSCALL
 * programs (run by a privileged agent through BPF_PROG_RUN); other users
 * register it with their own filter (kernel/sched/bpf_psi.c does for
 * bpf_psi_ops). bpf_oom_ops handlers would deadlock on oom_lock and are
 * refused.
 *
 * Declaring an OOM kills a task anywhere in the domain, so it takes what
 * attaching a policy takes: CAP_SYS_ADMIN, of the task loading the syscall
 * program (the verifier calls this filter in its context), not only the
 * CAP_BPF a syscall program needs. bpf_psi_ops programs got theirs checked
 * at attach.
 */
static int bpf_oom_declare_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&bpf_oom_declare_kfuncs, kfunc_id))
		return 0;
	if (prog->type != BPF_PROG_TYPE_SYSCALL)
		return -EACCES;
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

static const struct btf_kfunc_id_set bpf_oom_declare_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &bpf_oom_declare_kfuncs,
	.filter = bpf_oom_declare_filter,
};

BTF_KFUNCS_START(bpf_oom_meminfo_kfuncs)
BTF_ID_FLAGS(func, bpf_oom_get_meminfo)
BTF_KFUNCS_END(bpf_oom_meminfo_kfuncs)

/* Read-only and lock-free: any struct_ops or syscall program may use it. */
static const struct btf_kfunc_id_set bpf_oom_meminfo_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &bpf_oom_meminfo_kfuncs,
};

BTF_KFUNCS_START(bpf_oom_kfuncs)
BTF_ID_FLAGS(func, bpf_oom_kill_process, KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_task_is_oom_victim)
BTF_KFUNCS_END(bpf_oom_kfuncs)

/* The kfuncs above are for bpf_oom_ops programs only. */
static int bpf_oom_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&bpf_oom_kfuncs, kfunc_id))
		return 0;
	if (prog->type != BPF_PROG_TYPE_STRUCT_OPS)
		return -EACCES;
	/* st_ops is not known on the verifier's first pass; see its recheck. */
	if (prog->aux->st_ops && prog->aux->st_ops != &bpf_oom_bpf_ops)
		return -EACCES;
	return 0;
}

static const struct btf_kfunc_id_set bpf_oom_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &bpf_oom_kfuncs,
	.filter = bpf_oom_kfunc_filter,
};

#ifdef CONFIG_DEBUG_FS
/*
 * /sys/kernel/debug/bpf_oom: one line per attached policy.
 * name cgroup_id cgroup_path calls handled false_claims kills
 */
static int bpf_oom_debug_show(struct seq_file *m, void *v)
{
	struct bpf_oom *bo;
	char *path;

	path = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!path)
		return -ENOMEM;
	seq_puts(m, "name cgroup_id cgroup calls handled false_claims kills\n");
	mutex_lock(&bpf_oom_mutex);
	list_for_each_entry(bo, &bpf_oom_list, node) {
		const struct bpf_oom_ops *ops;

		ops = rcu_dereference_protected(bo->ops, lockdep_is_held(&bpf_oom_mutex));
		if (cgroup_path(bo->cgrp, path, PATH_MAX) < 0)
			strscpy(path, "?", PATH_MAX);
		seq_printf(m, "%s %llu %s %lld %lld %lld %lld\n", ops->name,
			   cgroup_id(bo->cgrp), path,
			   atomic64_read(&bo->calls), atomic64_read(&bo->handled),
			   atomic64_read(&bo->false_claims),
			   atomic64_read(&bo->kills));
	}
	mutex_unlock(&bpf_oom_mutex);
	kfree(path);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bpf_oom_debug);
#endif

static const struct ctl_table bpf_oom_sysctls[] = {
	{
		.procname	= "bpf_oom_handler_timeout_ms",
		.data		= &bpf_oom_timeout_ms,
		.maxlen		= sizeof(bpf_oom_timeout_ms),
		.mode		= 0644,
		.proc_handler	= proc_douintvec_minmax,
		.extra1		= SYSCTL_ONE,
		.extra2		= &bpf_oom_timeout_ms_max,
	},
};

static int __init bpf_oom_init(void)
{
	int err;

	bpf_oom_wq = alloc_workqueue("bpf_oom", WQ_UNBOUND | WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!bpf_oom_wq)
		return -ENOMEM;
	err = register_bpf_struct_ops(&bpf_oom_bpf_ops, bpf_oom_ops);
	if (!err)
		err = register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
						&bpf_oom_kfunc_set);
	if (!err)
		err = register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL,
						&bpf_oom_declare_kfunc_set);
	if (!err)
		err = register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
						&bpf_oom_meminfo_kfunc_set);
	if (!err)
		err = register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL,
						&bpf_oom_meminfo_kfunc_set);
	if (err) {
		pr_warn("bpf_oom: registration failed: %d\n", err);
		return err;
	}
#ifdef CONFIG_DEBUG_FS
	debugfs_create_file("bpf_oom", 0400, NULL, NULL, &bpf_oom_debug_fops);
#endif
	register_sysctl_init("vm", bpf_oom_sysctls);
	return 0;
}
late_initcall(bpf_oom_init);
