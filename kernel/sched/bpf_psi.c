// SPDX-License-Identifier: GPL-2.0
/*
 * PSI events in BPF: struct bpf_psi_ops.
 *
 * A bpf_psi_ops attachment owns PSI triggers on cgroups, created with
 * bpf_psi_create_trigger(). When one fires, its handle_psi_event() runs from
 * a workqueue, so it may sleep and, for example, declare an OOM with
 * bpf_out_of_memory(). The attachment also hears about cgroups created and
 * removed, so a policy can follow a hierarchy. Userspace pressure files are
 * polled; these triggers need no task to be scheduled to act on an event.
 * See Documentation/mm/bpf_oom.rst, "Pressure events".
 *
 * Lifetime and locking
 *
 * - struct bpf_psi is one attachment, created by reg() and freed by unreg().
 *   It is on bpf_psi_list (bpf_psi_list_lock) while attached.
 * - A trigger (struct bpf_psi_trigger) holds a reference on its cgroup, so
 *   the cgroup's psi_group cannot be freed under it, whatever the order of
 *   cgroup removal and detach.
 * - bpf_psi->lock protects bpf_psi->triggers and ->dying. A trigger leaves
 *   the list under that lock exactly once, and whoever takes it off frees
 *   it, outside the lock: the detach (which sets ->dying first, so no new
 *   trigger joins), the reaping of removed cgroups' triggers, or a failed
 *   create. Freeing stops the PSI trigger (psi_trigger_remove(): no more
 *   notify calls) and then cancels its work, so no handler runs for it
 *   afterwards.
 * - Cgroup creation and removal arrive through cgroup_lifetime_notifier
 *   under cgroup_mutex, which nests outside bpf_psi_list_lock. The notifier
 *   only queues an event and kicks the attachment's events work; the
 *   handlers and the reaping run from there, never under cgroup_mutex.
 *   The events work takes cgroup_mutex only as a barrier (see there), and
 *   nothing waits for that work while holding cgroup_mutex.
 * - A removed cgroup has lost CSS_ONLINE before the notifier runs, and
 *   bpf_psi_create_trigger() checks that flag under bpf_psi->lock, so a
 *   trigger created while the cgroup is being removed is either refused or
 *   seen by the reaping that the removal queued.
 * - No handler runs before init() has returned: the events work waits for
 *   ->started, and trigger events that fire earlier are dropped.
 * - An attachment sees the cgroups of the attaching task's cgroup namespace
 *   and no others, from init() and from the handlers alike: ->root is that
 *   namespace's root, pinned until teardown. Handlers run from a kworker,
 *   whose own namespace is the initial one, so the check cannot rely on
 *   current.
 * - init() runs in reg(), under the struct_ops update_mutex. It is bounded
 *   like any BPF program, and running it there is what lets a failing
 *   init() fail the attach; the mutex serialises struct_ops attaches, not
 *   OOM handling or PSI events.
 */
#include <linux/bpf.h>
#include <linux/bpf_psi.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/debugfs.h>
#include <linux/nsproxy.h>
#include <linux/psi.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

/*
 * Limits per attachment: a trigger costs a PSI poll slot and a work item,
 * and the smallest window sets how often the PSI poll thread wakes up.
 */
#define BPF_PSI_MAX_TRIGGERS		4096
#define BPF_PSI_MIN_WINDOW_US		100000
/*
 * Cgroup events queued for an attachment's handlers. A creation event pins
 * its cgroup until the handler has run: with a slow handler and a mkdir
 * storm, an unbounded queue would pin cgroups without bound. Beyond this
 * many, events are dropped and counted (debugfs); a dropped removal still
 * frees the cgroup's triggers, which the events work reaps every time.
 */
#define BPF_PSI_MAX_EVENTS		1024
/* bpf_psi_timer_start(): longer delays are cut to this (and cannot wrap). */
#define BPF_PSI_TIMER_MAX_NS		(3600ULL * NSEC_PER_SEC)

/* A cgroup creation or removal, queued for an attachment's handlers. */
struct bpf_psi_cgroup_event {
	struct list_head node;
	struct cgroup *cgrp;	/* online: reference; offline: NULL */
	u64 cgroup_id;
};

struct bpf_psi {
	struct bpf_psi_ops *ops;
	struct bpf_link *link;
	struct list_head node;		/* on bpf_psi_list */
	struct cgroup *root;		/* attacher's cgroup ns root; a reference */

	struct mutex lock;		/* protects triggers, nr_triggers, dying */
	struct list_head triggers;
	unsigned int nr_triggers;
	bool dying;
	bool started;			/* init() returned; see smp_*() */

	spinlock_t events_lock;		/* protects events, nr_queued */
	struct list_head events;
	unsigned int nr_queued;		/* on events; at most BPF_PSI_MAX_EVENTS */
	struct work_struct events_work;

	struct delayed_work timer_work;	/* runs handle_timer() */

	atomic64_t nr_events;		/* handle_psi_event() calls */
	atomic64_t events_dropped;	/* cgroup events not queued */
};

static LIST_HEAD(bpf_psi_list);
static DEFINE_MUTEX(bpf_psi_list_lock);
static struct workqueue_struct *bpf_psi_wq;

/*
 * Free the triggers on @dead, which no one can reach any more: take them
 * all off their PSI groups, wait for one RCU grace period, then stop their
 * work and free them. One grace period for the lot, not one per trigger:
 * a detach runs under the struct_ops update_mutex, which every struct_ops
 * attach and detach in the system waits for, and an attachment may have
 * BPF_PSI_MAX_TRIGGERS triggers.
 */
static void bpf_psi_triggers_free(struct list_head *dead)
{
	struct bpf_psi_trigger *bt, *tmp;

	if (list_empty(dead))
		return;
	list_for_each_entry(bt, dead, node)
		bt->rtpoll_task = psi_trigger_unlink(&bt->psi);
	synchronize_rcu();
	list_for_each_entry_safe(bt, tmp, dead, node) {
		psi_trigger_unlinked(&bt->psi, bt->rtpoll_task);
		cancel_work_sync(&bt->work);
		cgroup_put(bt->cgrp);
		kfree(bt);
	}
}

/* Free one trigger that is on no list. */
static void bpf_psi_trigger_free(struct bpf_psi_trigger *bt)
{
	LIST_HEAD(one);

	list_add(&bt->node, &one);
	bpf_psi_triggers_free(&one);
}

/* Called by the PSI aggregator, which must not sleep here. */
static void bpf_psi_notify(struct psi_trigger *t)
{
	struct bpf_psi_trigger *bt = container_of(t, struct bpf_psi_trigger, psi);

	queue_work(bpf_psi_wq, &bt->work);
}

static void bpf_psi_trigger_workfn(struct work_struct *work)
{
	struct bpf_psi_trigger *bt = container_of(work, struct bpf_psi_trigger,
						  work);
	struct bpf_psi *bp = bt->bpf_psi;

	/*
	 * bp outlives bt: the detach frees every trigger before bp. The
	 * acquire pairs with smp_store_release() in reg(): init() has returned.
	 */
	if (!READ_ONCE(bt->published) || !smp_load_acquire(&bp->started))
		return;
	atomic64_inc(&bp->nr_events);
	if (bp->ops->handle_psi_event)
		bp->ops->handle_psi_event(bp, bt);
}

/* Free the triggers of removed cgroups. */
static void bpf_psi_reap(struct bpf_psi *bp)
{
	struct bpf_psi_trigger *bt, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&bp->lock);
	list_for_each_entry_safe(bt, tmp, &bp->triggers, node) {
		if (cgroup_is_dead(bt->cgrp)) {
			list_move(&bt->node, &dead);
			bp->nr_triggers--;
		}
	}
	mutex_unlock(&bp->lock);

	bpf_psi_triggers_free(&dead);
}

static void bpf_psi_events_workfn(struct work_struct *work)
{
	struct bpf_psi *bp = container_of(work, struct bpf_psi, events_work);
	struct bpf_psi_cgroup_event *ev;

	/* Pairs with smp_store_release() in reg(): init() has returned. */
	if (!smp_load_acquire(&bp->started))
		return;

	for (;;) {
		spin_lock(&bp->events_lock);
		ev = list_first_entry_or_null(&bp->events,
					      struct bpf_psi_cgroup_event, node);
		if (ev) {
			list_del(&ev->node);
			WRITE_ONCE(bp->nr_queued, bp->nr_queued - 1);
		}
		spin_unlock(&bp->events_lock);
		if (!ev)
			break;

		if (ev->cgrp) {
			/*
			 * The notifier runs from cgroup_create(), before
			 * cgroup_mkdir() activates the new kernfs node under
			 * the same cgroup_mutex; until then the cgroup cannot
			 * be found by id. Wait for mkdir to finish.
			 */
			cgroup_lock();
			cgroup_unlock();
			/* A failed mkdir, or a quick rmdir: no longer online. */
			if (bp->ops->handle_cgroup_online && !cgroup_is_dead(ev->cgrp))
				bp->ops->handle_cgroup_online(bp, ev->cgrp);
			cgroup_put(ev->cgrp);
		} else {
			/* The cgroup's triggers go before the handler runs. */
			bpf_psi_reap(bp);
			if (bp->ops->handle_cgroup_offline)
				bp->ops->handle_cgroup_offline(bp, ev->cgroup_id);
		}
		kfree(ev);
	}
	/* Also covers removals whose event could not be allocated. */
	bpf_psi_reap(bp);
}

static int bpf_psi_cgroup_notify(struct notifier_block *nb,
				 unsigned long action, void *data)
{
	struct cgroup *cgrp = data;
	struct bpf_psi_cgroup_event *ev;
	struct bpf_psi *bp;

	if (action != CGROUP_LIFETIME_ONLINE &&
	    action != CGROUP_LIFETIME_OFFLINE)
		return NOTIFY_DONE;
	/* PSI triggers exist on the default hierarchy only. */
	if (!cgroup_on_dfl(cgrp))
		return NOTIFY_DONE;

	/*
	 * The cgroup is referenced by the caller for the whole notification;
	 * an event that outlives it holds its own reference. If mkdir fails
	 * after the ONLINE notification, the cgroup is destroyed and the
	 * events work sees it dead.
	 */
	mutex_lock(&bpf_psi_list_lock);
	list_for_each_entry(bp, &bpf_psi_list, node) {
		if (!cgroup_is_descendant(cgrp, bp->root))
			continue;
		/*
		 * Only this function adds events, under bpf_psi_list_lock, so
		 * the queue cannot grow between the check and the add.
		 */
		ev = NULL;
		if (READ_ONCE(bp->nr_queued) < BPF_PSI_MAX_EVENTS)
			ev = kzalloc_obj(*ev);
		if (ev) {
			ev->cgroup_id = cgroup_id(cgrp);
			if (action == CGROUP_LIFETIME_ONLINE) {
				cgroup_get(cgrp);
				ev->cgrp = cgrp;
			}
			spin_lock(&bp->events_lock);
			list_add_tail(&ev->node, &bp->events);
			WRITE_ONCE(bp->nr_queued, bp->nr_queued + 1);
			spin_unlock(&bp->events_lock);
		} else {
			atomic64_inc(&bp->events_dropped);
		}
		/* Without an event, a removal still reaps its triggers. */
		queue_work(bpf_psi_wq, &bp->events_work);
	}
	mutex_unlock(&bpf_psi_list_lock);
	return NOTIFY_OK;
}

static struct notifier_block bpf_psi_cgroup_nb = {
	.notifier_call = bpf_psi_cgroup_notify,
};

/*
 * bpf_psi_timer_start() is due. A timer started from init() may come due
 * before init() has returned: it waits a jiffy more, as no handler may run
 * before then.
 */
static void bpf_psi_timer_workfn(struct work_struct *work)
{
	struct bpf_psi *bp = container_of(to_delayed_work(work), struct bpf_psi,
					  timer_work);

	/* Pairs with smp_store_release() in reg(). */
	if (!smp_load_acquire(&bp->started)) {
		/* Not mod_: a later bpf_psi_timer_start() from init() stands. */
		queue_delayed_work(bpf_psi_wq, &bp->timer_work, 1);
		return;
	}
	bp->ops->handle_timer(bp);
}

/* Undo reg(): @bp is off bpf_psi_list, so no new cgroup event reaches it. */
static void bpf_psi_teardown(struct bpf_psi *bp)
{
	struct bpf_psi_cgroup_event *ev, *etmp;
	LIST_HEAD(dead);

	mutex_lock(&bp->lock);
	/* Read locklessly by bpf_psi_timer_start(). */
	WRITE_ONCE(bp->dying, true);
	list_splice_init(&bp->triggers, &dead);
	mutex_unlock(&bp->lock);

	cancel_work_sync(&bp->events_work);
	/* Also keeps a running handle_timer() from starting it again. */
	disable_delayed_work_sync(&bp->timer_work);
	bpf_psi_triggers_free(&dead);

	list_for_each_entry_safe(ev, etmp, &bp->events, node) {
		if (ev->cgrp)
			cgroup_put(ev->cgrp);
		kfree(ev);
	}
	cgroup_put(bp->root);
	kfree(bp);
}

static int bpf_psi_ops_reg(void *kdata, struct bpf_link *link)
{
	struct bpf_psi_ops *ops = kdata;
	struct bpf_psi *bp;
	int err;

	/* Legacy registration has no link, so nothing to own the triggers. */
	if (!link)
		return -EOPNOTSUPP;
	/* As for bpf_oom_ops: a policy that may declare OOMs. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	bp = kzalloc_obj(*bp);
	if (!bp)
		return -ENOMEM;
	bp->ops = ops;
	bp->link = link;
	/* Called from BPF_LINK_CREATE: current is the attaching task. */
	bp->root = current->nsproxy->cgroup_ns->root_cset->dfl_cgrp;
	cgroup_get(bp->root);
	mutex_init(&bp->lock);
	INIT_LIST_HEAD(&bp->triggers);
	spin_lock_init(&bp->events_lock);
	INIT_LIST_HEAD(&bp->events);
	INIT_WORK(&bp->events_work, bpf_psi_events_workfn);
	INIT_DELAYED_WORK(&bp->timer_work, bpf_psi_timer_workfn);

	/* Listed before init() so that no cgroup created meanwhile is missed. */
	mutex_lock(&bpf_psi_list_lock);
	list_add_tail(&bp->node, &bpf_psi_list);
	mutex_unlock(&bpf_psi_list_lock);

	err = ops->init ? ops->init(bp) : 0;
	if (err) {
		mutex_lock(&bpf_psi_list_lock);
		list_del(&bp->node);
		mutex_unlock(&bpf_psi_list_lock);
		bpf_psi_teardown(bp);
		return err < 0 ? err : -EINVAL;
	}

	/* Pairs with smp_load_acquire() in the work functions. */
	smp_store_release(&bp->started, true);
	queue_work(bpf_psi_wq, &bp->events_work);
	return 0;
}

static void bpf_psi_ops_unreg(void *kdata, struct bpf_link *link)
{
	struct bpf_psi *bp, *found = NULL;

	mutex_lock(&bpf_psi_list_lock);
	list_for_each_entry(bp, &bpf_psi_list, node) {
		if (bp->ops == kdata && bp->link == link) {
			list_del(&bp->node);
			found = bp;
			break;
		}
	}
	mutex_unlock(&bpf_psi_list_lock);

	if (found)
		bpf_psi_teardown(found);
}

static int bpf_psi_ops_init_member(const struct btf_type *t,
				   const struct btf_member *member,
				   void *kdata, const void *udata)
{
	const struct bpf_psi_ops *uops = udata;
	struct bpf_psi_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;

	if (moff == offsetof(struct bpf_psi_ops, name)) {
		if (bpf_obj_name_cpy(ops->name, uops->name, sizeof(ops->name)) < 0)
			return -EINVAL;
		return 1;
	}
	return 0;
}

static int bpf_psi_ops_init(struct btf *btf)
{
	return 0;
}

static const struct bpf_verifier_ops bpf_psi_verifier_ops = {
	.get_func_proto = bpf_base_func_proto,
	.is_valid_access = bpf_tracing_btf_ctx_access,
};

/* CFI stubs: the signatures the trampolines are checked against. */
static int bpf_psi_ops__init(struct bpf_psi *bpf_psi)
{
	return 0;
}

static void bpf_psi_ops__handle_psi_event(struct bpf_psi *bpf_psi,
					  struct bpf_psi_trigger *trigger)
{
}

static void bpf_psi_ops__handle_cgroup_online(struct bpf_psi *bpf_psi,
					      struct cgroup *cgroup)
{
}

static void bpf_psi_ops__handle_cgroup_offline(struct bpf_psi *bpf_psi,
					       u64 cgroup_id)
{
}

static void bpf_psi_ops__handle_timer(struct bpf_psi *bpf_psi)
{
}

static struct bpf_psi_ops __bpf_psi_ops = {
	.init = bpf_psi_ops__init,
	.handle_psi_event = bpf_psi_ops__handle_psi_event,
	.handle_cgroup_online = bpf_psi_ops__handle_cgroup_online,
	.handle_cgroup_offline = bpf_psi_ops__handle_cgroup_offline,
	.handle_timer = bpf_psi_ops__handle_timer,
};

/* No check_member(): every handler runs in process context, may sleep. */
static struct bpf_struct_ops bpf_psi_bpf_ops = {
	.verifier_ops = &bpf_psi_verifier_ops,
	.init = bpf_psi_ops_init,
	.init_member = bpf_psi_ops_init_member,
	.reg = bpf_psi_ops_reg,
	.unreg = bpf_psi_ops_unreg,
	.cfi_stubs = &__bpf_psi_ops,
	.name = "bpf_psi_ops",
	.owner = THIS_MODULE,
};

__bpf_kfunc_start_defs();

/**
 * bpf_psi_create_trigger - Create a PSI trigger owned by a bpf_psi_ops
 * @bpf_psi: the attachment, as passed to its handlers
 * @cgroup_id: cgroup to watch (cgroup2; the root cgroup for system-wide),
 *	in the cgroup namespace of the task that attached @bpf_psi
 * @resource: PSI_IO, PSI_MEM, PSI_CPU or PSI_IRQ, or'ed with BPF_PSI_FULL
 *	to watch "full" rather than "some" stalls
 * @threshold_us: stall time within a window that generates an event
 * @window_us: window, 100000 to 10000000 us
 *
 * When the stall time of @cgroup_id grows by @threshold_us within
 * @window_us, handle_psi_event() runs, from a workqueue, at most once per
 * window. The trigger lives until the attachment is detached or the cgroup
 * is removed, whichever comes first; there is no other way to drop it.
 *
 * Context: Process context, may sleep (may start the PSI poll thread).
 * Return: 0 on success; -EINVAL for bad parameters; -ENOENT if no cgroup2
 * cgroup has @cgroup_id in the attacher's cgroup namespace; -ENODEV if the
 * cgroup is being removed or the attachment is being detached;
 * -EOPNOTSUPP if PSI is disabled, for the system or for cgroups
 * (psi=0, cgroup_disable=pressure); -E2BIG if the attachment already has
 * BPF_PSI_MAX_TRIGGERS triggers; -ENOMEM.
 */
__bpf_kfunc int bpf_psi_create_trigger(struct bpf_psi *bpf_psi, u64 cgroup_id,
				       u32 resource, u32 threshold_us,
				       u32 window_us)
{
	u32 res = resource & ~BPF_PSI_FULL;
	struct bpf_psi_trigger *bt;
	bool need_rtpoll_worker;
	struct psi_group *group;
	struct cgroup *cgrp;
	int err;

	if (res >= NR_PSI_RESOURCES || window_us < BPF_PSI_MIN_WINDOW_US)
		return -EINVAL;

	cgrp = cgroup_get_from_id(cgroup_id);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	/* A handler runs in a kworker: check the attacher's namespace. */
	if (!cgroup_is_descendant(cgrp, bpf_psi->root)) {
		cgroup_put(cgrp);
		return -ENOENT;
	}

	bt = kzalloc_obj(*bt);
	if (!bt) {
		cgroup_put(cgrp);
		return -ENOMEM;
	}
	bt->cgroup_id = cgroup_id;
	bt->resource = resource;
	bt->threshold_us = threshold_us;
	bt->window_us = window_us;
	bt->cgrp = cgrp;
	bt->bpf_psi = bpf_psi;
	INIT_LIST_HEAD(&bt->node);
	INIT_WORK(&bt->work, bpf_psi_trigger_workfn);

	group = cgroup_psi(cgrp);
	err = psi_trigger_add(&bt->psi, group, res, resource & BPF_PSI_FULL,
			      threshold_us, window_us, bpf_psi_notify,
			      &need_rtpoll_worker);
	if (err) {
		cgroup_put(cgrp);
		kfree(bt);
		return err;
	}
	if (need_rtpoll_worker) {
		err = psi_trigger_create_rtpoll_worker(group);
		if (err)
			goto out_free;
	}

	mutex_lock(&bpf_psi->lock);
	if (bpf_psi->dying || cgroup_is_dead(cgrp)) {
		err = -ENODEV;
	} else if (bpf_psi->nr_triggers >= BPF_PSI_MAX_TRIGGERS) {
		err = -E2BIG;
	} else {
		list_add_tail(&bt->node, &bpf_psi->triggers);
		bpf_psi->nr_triggers++;
		WRITE_ONCE(bt->published, true);
	}
	mutex_unlock(&bpf_psi->lock);
	if (err)
		goto out_free;
	return 0;

out_free:
	bpf_psi_trigger_free(bt);
	return err;
}

/**
 * bpf_psi_timer_start - run the attachment's handle_timer() after a delay
 * @bpf_psi: the attachment, as passed to its handlers
 * @delay_ns: from now, rounded up to whole jiffies; at most an hour
 *
 * One timer per attachment: a later call moves it, sooner or later.
 * handle_timer() runs from the workqueue that runs the other handlers, in
 * process context, so it may sleep: a policy keeps a deadline with it and
 * acts on it with sleepable kfuncs (bpf_oom_kill_choice()) without a task
 * of its own. A bpf_timer cannot: its callback runs in softirq context.
 * The workqueue has a rescuer, so a handler runs even when no kworker can
 * be created, which is when a policy has to act. The timer stops when the
 * attachment goes.
 *
 * Context: any bpf_psi_ops handler; does not sleep.
 * Return: 0; -EINVAL if the policy has no handle_timer(); -ENODEV if the
 * attachment is going away.
 */
__bpf_kfunc int bpf_psi_timer_start(struct bpf_psi *bpf_psi, u64 delay_ns)
{
	if (!bpf_psi->ops->handle_timer)
		return -EINVAL;
	if (READ_ONCE(bpf_psi->dying))
		return -ENODEV;
	/* Disabled by the teardown: then this queues nothing. */
	delay_ns = min_t(u64, delay_ns, BPF_PSI_TIMER_MAX_NS);
	mod_delayed_work(bpf_psi_wq, &bpf_psi->timer_work,
			 nsecs_to_jiffies(delay_ns + TICK_NSEC - 1));
	return 0;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(bpf_psi_kfuncs)
BTF_ID_FLAGS(func, bpf_psi_create_trigger, KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_psi_timer_start)
#ifdef CONFIG_BPF_OOM
BTF_ID_FLAGS(func, bpf_out_of_memory, KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_out_of_memory_async)
BTF_ID_FLAGS(func, bpf_oom_choose, KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_oom_kill_choice, KF_SLEEPABLE)
BTF_ID_FLAGS(func, bpf_oom_signal_choice, KF_SLEEPABLE)
#endif
BTF_KFUNCS_END(bpf_psi_kfuncs)

/*
 * bpf_psi_ops programs only: they own the triggers, and their handlers run
 * from a workqueue without oom_lock, so they may declare an OOM.
 */
static int bpf_psi_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&bpf_psi_kfuncs, kfunc_id))
		return 0;
	if (prog->type != BPF_PROG_TYPE_STRUCT_OPS)
		return -EACCES;
	/* st_ops is not known on the verifier's first pass; see its recheck. */
	if (prog->aux->st_ops && prog->aux->st_ops != &bpf_psi_bpf_ops)
		return -EACCES;
	return 0;
}

static const struct btf_kfunc_id_set bpf_psi_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &bpf_psi_kfuncs,
	.filter = bpf_psi_kfunc_filter,
};

#ifdef CONFIG_DEBUG_FS
static const char *const bpf_psi_res_names[] = { "io", "memory", "cpu", "irq" };

/*
 * /sys/kernel/debug/bpf_psi: one line per attachment, then one per trigger:
 * "name events dropped" and
 * "  cgroup_id resource some|full threshold_us window_us".
 */
static int bpf_psi_debug_show(struct seq_file *m, void *v)
{
	struct bpf_psi_trigger *bt;
	struct bpf_psi *bp;
	u32 res;

	mutex_lock(&bpf_psi_list_lock);
	list_for_each_entry(bp, &bpf_psi_list, node) {
		seq_printf(m, "%s %lld %lld\n", bp->ops->name,
			   atomic64_read(&bp->nr_events),
			   atomic64_read(&bp->events_dropped));
		mutex_lock(&bp->lock);
		list_for_each_entry(bt, &bp->triggers, node) {
			res = bt->resource & ~BPF_PSI_FULL;
			seq_printf(m, "  %llu %s %s %u %u\n", bt->cgroup_id,
				   res < ARRAY_SIZE(bpf_psi_res_names) ?
				   bpf_psi_res_names[res] : "?",
				   bt->resource & BPF_PSI_FULL ? "full" : "some",
				   bt->threshold_us, bt->window_us);
		}
		mutex_unlock(&bp->lock);
	}
	mutex_unlock(&bpf_psi_list_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bpf_psi_debug);
#endif

static int __init bpf_psi_init(void)
{
	int err;

	/* Events may declare an OOM: they must run under memory pressure. */
	bpf_psi_wq = alloc_workqueue("bpf_psi", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!bpf_psi_wq)
		return -ENOMEM;

	err = register_bpf_struct_ops(&bpf_psi_bpf_ops, bpf_psi_ops);
	if (!err)
		err = register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS,
						&bpf_psi_kfunc_set);
	if (!err)
		err = blocking_notifier_chain_register(&cgroup_lifetime_notifier,
						       &bpf_psi_cgroup_nb);
	if (err) {
		pr_warn("bpf_psi: registration failed: %d\n", err);
		return err;
	}
#ifdef CONFIG_DEBUG_FS
	debugfs_create_file("bpf_psi", 0400, NULL, NULL, &bpf_psi_debug_fops);
#endif
	return 0;
}
late_initcall(bpf_psi_init);
