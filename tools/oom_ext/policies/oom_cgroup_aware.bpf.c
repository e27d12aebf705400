// SPDX-License-Identifier: GPL-2.0
/*
 * oom_cgroup_aware - choose the victim cgroup level by level.
 *
 * Start at the OOM domain (the memcg that hit its limit; the root for a
 * global OOM). At each level weigh the candidates:
 *
 *   score  = usage above effective protection (memory.min/low, computed
 *            the way mm/page_counter.c does), x8 if preferred, /8 if
 *            avoided
 *   growth = usage now minus the lowest usage of the last 4 s its
 *            tasks could run (a timer samples every memcg each 0.5 s;
 *            the cgroup's PSI "full" memory stall does not count, up to
 *            8 s in all; what this policy killed there counts as still
 *            used; after a kill there that growth decided, minus the
 *            lowest before it, while the usage keeps rising or being
 *            killed in), at most the score before bias (growth within
 *            the protection is protected too), with the same bias
 *   weight = score + 4 x growth
 *
 * and descend into the heaviest: roughly the score each would have 16 s
 * from now at its rate of the last 4 s. A steady tenant weighs its size;
 * a smaller cgroup that is running away outweighs it, so the cause of the
 * shortage goes, not the largest bystander. The candidates are the child
 * memcgs (an omitted one never is) plus, when there are any, "its own
 * tasks", those charged to the level's cgroup itself: in the root, or in
 * cgroups below it that do not enable the memory controller. They compete
 * as one extra candidate whose score is their combined size (rss + swap +
 * page tables), with no protection, since memory.min/low belong to the
 * cgroup and not to its tasks, and no growth. Ties go to the larger usage.
 *
 * The walk stops at a leaf, at a cgroup with memory.oom.group=1 or
 * configured for group kill, or at the "its own tasks" candidate. Then:
 *  - memory.oom.group=1: kill its largest task; the kernel kills the rest;
 *  - --group-kill PATH (or --group-kill-all, for the cgroup the walk ends
 *    in): kill every killable process of the cgroup and its descendants;
 *  - otherwise: kill the largest killable task of the cgroup.
 * Tasks with oom_score_adj -1000 are never chosen. If nothing is killable,
 * or an earlier victim is still exiting, it passes and the kernel decides.
 *
 * The marks that systemd writes for ManagedOOMPreference= (user.oomd_omit,
 * user.oomd_avoid) and oomd's user.oomd_prefer count as --omit, --avoid
 * and --prefer for the cgroup that carries them, unless the command line
 * configures that cgroup or --no-xattrs is given. Like systemd-oomd, only
 * marks on cgroups owned by root or by the attach cgroup's owner count.
 * oomd's trusted.oomd_avoid and trusted.oomd_prefer, which BPF cannot read,
 * reach cgroup_config through the loader, flagged OOM_EXT_CG_XATTR; they
 * take the place of the user.* marks of their cgroup.
 * systemd-oomd's "avoid" is stricter than ours: it takes an avoided cgroup
 * only when nothing else is left, where here avoiding divides the score by
 * 8, so an avoided cgroup using over 8 times what any other does still goes.
 *
 * This answers the objections to the 2018 cgroup-aware OOM killer: scores
 * are per subtree (usage is hierarchical, so splitting a workload into
 * sub-cgroups does not make it smaller), the root is scored like any other
 * level (its own tasks form one candidate), and operators can bias or
 * protect subtrees.
 *
 * It demonstrates a hierarchical walk with css iterators, reading memcg
 * counters without references (bpf_core_cast), a bpf_timer started by a
 * syscall program that keeps a short history per cgroup, cgroup xattrs read at
 * decision time (bpf_cgroup_read_xattr), per-cgroup configuration in
 * a hash map keyed by cgroup id that a tracepoint program cleans up when
 * the cgroup is removed (ids are never reused), and
 * decision explanations (chosen and runner-up at every level).
 */
#include <oom_ext/common.bpf.h>
#include "oom_cgroup_aware.h"

char _license[] SEC("license") = "GPL";

/* What the loader sets (-n) and prints: see common.bpf.h. */
OOM_EXT_POLICY_DEFINE();

/* Set by the loader before load. */
const volatile bool group_kill_all;	/* the cgroup the walk ends in dies whole */
const volatile bool recursive_prot;	/* cgroup2 mounted with memory_recursiveprot */
const volatile bool use_xattrs;		/* honour user.oomd_{omit,avoid,prefer} */
const volatile u32 xattr_owner;		/* uid owning the attach cgroup */

#define BIAS_SHIFT		3	/* prefer: score x 8; avoid: score / 8 */
#define GROUP_KILL_PASSES	16	/* up to 16 x SCAN_PIDS processes */
#define SCAN_PIDS		64

/* OOM_EXT_CG_* flags by cgroup id, written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OOM_EXT_MAX_CONFIGURED);
	__type(key, u64);
	__type(value, u32);
} cgroup_config SEC(".maps");

struct candidate {
	u64 cgid;		/* 0: none */
	u64 score;
	u64 growth;		/* recent growth above protection, after bias */
	u64 usage;
	u64 emin, elow;		/* its effective protection, for the next level */
	u32 flags;		/* OOM_EXT_CG_* */
};

/* The level being compared: the parent's numbers and the two best so far. */
struct level {
	u64 usage, emin, elow;
	u64 children_min, children_low;
	bool is_domain;
	struct candidate best, runner;	/* by weight: see consider() */
	struct candidate largest;	/* by score alone */
};

/* Scratch: too big for the stack, and handlers never overlap (oom_lock). */
static struct level lvl;

static __always_inline u32 cgroup_flags(u64 cgid)
{
	u32 *flags = bpf_map_lookup_elem(&cgroup_config, &cgid);

	return flags ? *flags : 0;
}

/* An xattr's value; a dynptr takes global memory, and handlers never overlap. */
static char xattr_val[4];

/* Does @cgrp carry the boolean attribute @name set to true ("1", "yes", ...)? */
static __always_inline bool xattr_true(struct cgroup *cgrp, const char *name)
{
	char *v = xattr_val;
	struct bpf_dynptr d;

	__builtin_memset(xattr_val, 0, sizeof(xattr_val));
	bpf_dynptr_from_mem(xattr_val, sizeof(xattr_val), 0, &d);
	if (bpf_cgroup_read_xattr(cgrp, name, &d) <= 0)
		return false;
	return v[0] == '1' || v[0] == 'y' || v[0] == 'Y' || v[0] == 't' || v[0] == 'T' ||
	       ((v[0] == 'o' || v[0] == 'O') && (v[1] == 'n' || v[1] == 'N'));
}

/*
 * Growth. Every GROWTH_TICK_NS a timer records the usage of every online
 * memcg, with the time, in a ring of GROWTH_SAMPLES; a cgroup's growth is
 * its usage now minus the lowest of its samples of the last
 * GROWTH_WINDOW_NS (growth_of()). The lowest, not the oldest: usage
 * that goes up and down counts once, not at every rise. What this policy
 * killed in a cgroup counts as still there (usage plus killed, in the
 * samples and now): a job whose workers keep growing while its earlier
 * OOMs kill some of them keeps its growth, where its bare usage would
 * hover at the limit and look steady. The window is short enough that growth which
 * stopped a few seconds before the OOM no longer counts, long enough to
 * see a runaway of a few MiB/s.
 *
 * The window is time the cgroup's tasks could run: a sample's age leaves
 * out the cgroup's PSI "full" memory stall since it was taken (reclaim,
 * throttling above memory.high; PSI counts it per CPU, weighted by each
 * CPU's busy time), up to GROWTH_SPAN_NS of wall time, what the ring holds
 * (352 bytes a cgroup, 1.4 MiB preallocated for OOM_EXT_MAX_SAMPLED). A
 * job stuck in reclaim cannot grow; when the machine has been full for
 * seconds before the kernel declares the OOM, a wall-clock window would
 * show only the little it scraped meanwhile, and a larger steady tenant
 * would go. PSI's totals are summed every 2 s or so (stall_us()): stall
 * not yet summed shortens the window, and a sample that read a stale
 * total lengthens it, by as much, within the ring either way. A cgroup
 * without PSI (psi=0, cgroup_disable=pressure, cgroup.pressure=0) has the
 * plain 4 s.
 *
 * A kill in a cgroup chosen for its growth (weighing at least its score,
 * GROWTH_WEIGHT x growth >= score) also starts a growth spell there: its
 * growth is then measured from the lowest sample before that kill, not
 * only over the last GROWTH_WINDOW_NS. The spell lasts while the cgroup
 * keeps rising (a sample above the one before it by more than
 * 1/2^SPELL_RISE_SHIFT of the usage) or being killed in, and ends once a
 * window passes with neither (a window as above, stalls left out, at most
 * GROWTH_SPAN_NS). A job whose surviving workers grow more slowly after
 * each kill stays the cause of the OOMs it keeps causing, where its last
 * 4 s alone would weigh less than a large steady tenant's size; growth is
 * still at most the score. A tenant killed for its size starts none: once it has
 * refilled, it is steady again. Rises, not new highs: a kill is credited
 * at once but its memory is freed a little later, so a sample can count
 * the victim twice, a high the job then only matches when it has refilled
 * what the victim held, at its next OOM. A rise must clear the noise of
 * charge batches and caches, or a spell would never end.
 */
#define GROWTH_SAMPLES		16
#define GROWTH_TICK_NS		(500 * 1000 * 1000ULL)
#define GROWTH_WINDOW_NS	(4 * 1000 * 1000 * 1000ULL)
/* What the ring holds: the window's bound in wall time, stalls included. */
#define GROWTH_SPAN_NS		(GROWTH_SAMPLES * GROWTH_TICK_NS)
/* Growth weighs this many times its size in a candidate's weight. */
#define GROWTH_WEIGHT		4
/* A rise in a spell: above 1/256 of the usage, 0.8 % of it per second. */
#define SPELL_RISE_SHIFT	8

struct history {
	u64 usage[GROWTH_SAMPLES];	/* each plus killed, when it was taken */
	u64 at_ns[GROWTH_SAMPLES];	/* bpf_ktime_get_ns(); 0: no sample */
	u32 stall_us[GROWTH_SAMPLES];	/* stall_us() then */
	u32 next;			/* the slot of the next sample */
	u32 spell_stall_us;		/* stall_us() at spell_ns */
	u64 killed;			/* pages this policy killed in the subtree */
	u64 spell_low;			/* the lowest sample before the spell's kill */
	u64 spell_ns;			/* its last rise or kill; 0: no spell */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OOM_EXT_MAX_SAMPLED);
	__type(key, u64);
	__type(value, struct history);
} history SEC(".maps");

struct sampler {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct sampler);
} sampler SEC(".maps");

static const struct history history_zero;

/* Cgroups that found the history map full, at the last tick. */
u64 unsampled;

/*
 * How long @m's tasks have all been stalled on memory, PSI's "full" total
 * for the cgroup, in microseconds modulo 2^32: only differences over the
 * ring's 8 s are used. It is the total as the kernel last summed it: its
 * averaging work does every 2 s while the cgroup is busy, and so does a
 * read of memory.pressure (systemd-oomd reads it every second). 0 without
 * PSI or where the cgroup has no psi_group (psi=0, cgroup_disable=pressure,
 * the root): then growth is measured in wall time.
 */
static __always_inline u32 stall_us(struct mem_cgroup *m)
{
	struct psi_group *psi = m->css.cgroup->psi;

	/* Without CONFIG_PSI the struct is empty. */
	if (!bpf_core_field_exists(psi->total) || !psi)
		return 0;
	/* total[PSI_AVGS][], the first row, whether BTF keeps two dimensions or one. */
	return ((u64 *)psi->total)[PSI_MEM_FULL] / 1000;
}

/* The stall between two stall_us() readings, @then and @now, in ns. */
static __always_inline u64 stalled_ns(u32 now, u32 then)
{
	return (u64)(u32)(now - then) * 1000;
}

/* The stall of @h's newest sample: "now", as far as the samples know. */
static __always_inline u32 newest_stall(const struct history *h)
{
	return h->stall_us[(h->next - 1) & (GROWTH_SAMPLES - 1)];
}

/*
 * Has @h's spell, last extended at @spell, seen a window with neither a
 * rise nor a kill, by @now, with @stall? A window of time its tasks could
 * run, as for growth, and at most GROWTH_SPAN_NS.
 */
static __always_inline bool spell_over(const struct history *h, u64 now, u64 spell, u32 stall)
{
	s64 since = now - spell;
	u64 stalled = stalled_ns(stall, h->spell_stall_us);

	return since > (s64)GROWTH_SPAN_NS || since > (s64)(GROWTH_WINDOW_NS + stalled);
}

/*
 * One sample of the memcg at @pos, an RCU pointer. Only online ones: a
 * removed memcg stays on its parent's list until its last reference goes,
 * and must not take back the entry cgroup_rmdir dropped. @full: the map
 * was full this tick; no more inserts are tried.
 */
static __always_inline void sample_one(struct cgroup_subsys_state *pos, u64 now, bool *full)
{
	struct mem_cgroup *m = bpf_core_cast(pos, struct mem_cgroup);
	struct history *h;
	u64 cgid, before, spell, usage = m->memory.usage.counter;
	u32 slot, stall;

	if (!(m->css.flags & CSS_ONLINE))
		return;
	cgid = m->css.cgroup->kn->id;
	h = bpf_map_lookup_elem(&history, &cgid);
	if (!h) {
		if (*full || bpf_map_update_elem(&history, &cgid, &history_zero, BPF_NOEXIST)) {
			*full = true;
			unsampled++;
			return;
		}
		h = bpf_map_lookup_elem(&history, &cgid);
		if (!h)
			return;
	}
	slot = h->next & (GROWTH_SAMPLES - 1);
	/* The previous sample; none yet counts as no rise. */
	before = h->at_ns[(slot - 1) & (GROWTH_SAMPLES - 1)] ?
		 h->usage[(slot - 1) & (GROWTH_SAMPLES - 1)] : ~0ULL;
	h->usage[slot] = usage + h->killed;
	h->at_ns[slot] = now;
	stall = stall_us(m);
	h->stall_us[slot] = stall;
	h->next = slot + 1;
	/*
	 * The handler may start or extend the spell meanwhile, with a time
	 * later than @now: compare signed, and change only what was seen.
	 * The stall beside it is written after: at worst a tick's stall off.
	 */
	spell = h->spell_ns;
	if (!spell)
		return;
	if (h->usage[slot] > before && h->usage[slot] - before > usage >> SPELL_RISE_SHIFT) {
		if (__sync_val_compare_and_swap(&h->spell_ns, spell, now) == spell)
			h->spell_stall_us = stall;
	} else if (spell_over(h, now, spell, stall)) {
		__sync_val_compare_and_swap(&h->spell_ns, spell, 0);
	}
}

/*
 * The timer: every memcg, from the root (cgroup ids need a lookup that
 * is not for timer context; the walk is the same few loads per memcg).
 */
static int sample_usage(void *map, int *key, struct sampler *s)
{
	struct mem_cgroup *root = bpf_get_root_mem_cgroup();
	struct cgroup_subsys_state *pos;
	u64 now = bpf_ktime_get_ns();
	bool full = false;

	unsampled = 0;
	if (root) {
		bpf_rcu_read_lock();
		bpf_for_each(css, pos, &root->css, BPF_CGROUP_ITER_DESCENDANTS_PRE)
			sample_one(pos, now, &full);
		bpf_rcu_read_unlock();
		bpf_put_mem_cgroup(root);
	}
	bpf_timer_start(&s->timer, GROWTH_TICK_NS, 0);
	return 0;
}

/* Run once by the loader after load: start the sampling. */
SEC("syscall")
int start_sampler(void *ctx)
{
	u32 key = 0;
	struct sampler *s = bpf_map_lookup_elem(&sampler, &key);
	int err;

	if (!s)
		return -EINVAL;
	err = bpf_timer_init(&s->timer, &sampler, CLOCK_MONOTONIC);
	if (!err)
		err = bpf_timer_set_callback(&s->timer, sample_usage);
	if (!err)
		err = bpf_timer_start(&s->timer, 0, 0);
	return err;
}

/*
 * The lowest of @h's samples of the last GROWTH_WINDOW_NS that its tasks
 * could run, and @low if that is lower: a sample's age is the time since
 * it was taken less the stall since (@stall now, less the sample's), and
 * at most GROWTH_SPAN_NS. A sample the timer is writing as this runs is at
 * worst one tick newer or older than it says: the window moves by a tick,
 * no more. So do the spell's fields: a spell may end or start a tick late.
 */
static __always_inline u64 window_low(const struct history *h, u64 now, u32 stall, u64 low)
{
	u32 i;

	for (i = 0; i < GROWTH_SAMPLES; i++) {
		u64 at = h->at_ns[i], stalled;

		if (!at || now - at > GROWTH_SPAN_NS || h->usage[i] >= low)
			continue;
		stalled = stalled_ns(stall, h->stall_us[i]);
		if (now - at <= GROWTH_WINDOW_NS + stalled)
			low = h->usage[i];
	}
	return low;
}

/*
 * @cgid's growth, with @usage and @stall now: @usage minus the lowest of
 * its samples of the last GROWTH_WINDOW_NS it could run, or, in a spell,
 * minus the lowest before the spell's kill if that is lower; 0 without a
 * sample.
 */
static __always_inline u64 growth_of(u64 cgid, u64 usage, u32 stall)
{
	struct history *h = bpf_map_lookup_elem(&history, &cgid);
	u64 now = bpf_ktime_get_ns(), low;

	if (!h)
		return 0;
	usage += h->killed;
	low = window_low(h, now, stall, usage);
	if (h->spell_ns && h->spell_low < low)
		low = h->spell_low;
	return usage - low;
}

/*
 * @pages were killed down the path the walk took: count them in the
 * history of every cgroup it chose (once: "its own tasks" are their
 * level's cgroup again), extend the spells of those in one and start one
 * in those chosen for their growth (see the growth comment above).
 */
static __always_inline void growth_credit(struct oom_control *oc, u64 pages)
{
	u64 now = bpf_ktime_get_ns();
	struct history *h;
	u32 i;

	if (dry_run || oom_ext_choosing(oc))
		return;
	bpf_for(i, 0, OOM_EXT_MAX_LEVELS) {
		struct oom_ext_level *lv;
		u64 cgid, low;
		u32 stall;

		if (i >= oom_ext_explain.nr_levels)
			break;
		lv = &oom_ext_explain.levels[i & (OOM_EXT_MAX_LEVELS - 1)];
		if (lv->chosen_flags & OOM_EXT_CG_OWN_TASKS)
			break;
		cgid = lv->chosen_cgid;
		h = bpf_map_lookup_elem(&history, &cgid);
		if (!h)
			continue;
		__sync_fetch_and_add(&h->killed, pages);
		if (h->spell_ns) {
			h->spell_ns = now;
			h->spell_stall_us = newest_stall(h);
			continue;
		}
		if (GROWTH_WEIGHT * lv->chosen_growth < lv->chosen_score)
			continue;
		stall = newest_stall(h);
		/* Nothing to measure from (no sample in the window): no spell. */
		low = window_low(h, now, stall, ~0ULL);
		if (low == ~0ULL)
			continue;
		h->spell_low = low;
		h->spell_ns = now;
		h->spell_stall_us = stall;
	}
}

/*
 * The marks systemd writes for ManagedOOMPreference= (user.oomd_omit,
 * user.oomd_avoid) and the one oomd also reads (user.oomd_prefer). As
 * systemd-oomd does, they count only on a cgroup owned by root or by the
 * owner of the attach cgroup: a delegated subtree cannot exempt itself.
 * Read at every decision, so they apply to cgroups created later too.
 * The kfunc needs CONFIG_BPF_LSM; without it the marks are ignored (the
 * loader says so). Not inlined: its dynptr must not share a stack slot
 * with the caller's later reads.
 */
static __noinline u32 xattr_flags(struct cgroup *cgrp)
{
	struct kernfs_iattrs *ia;
	u32 uid;

	if (!bpf_ksym_exists(bpf_cgroup_read_xattr))
		return 0;
	/* A cgroup that never had an attribute set has no iattrs at all. */
	ia = BPF_CORE_READ(cgrp, kn, iattr);
	if (!ia)
		return 0;
	/* Most carry no user.* xattr (kernfs counts them): skip the lookups. */
	if (bpf_core_field_exists(ia->xattr_limits) &&
	    !BPF_CORE_READ(ia, xattr_limits.nr_xattrs.counter))
		return 0;
	uid = BPF_CORE_READ(ia, ia_uid.val);
	if (uid && uid != xattr_owner)
		return 0;
	if (xattr_true(cgrp, "user.oomd_omit"))
		return OOM_EXT_CG_OMIT | OOM_EXT_CG_XATTR;
	if (xattr_true(cgrp, "user.oomd_avoid"))
		return OOM_EXT_CG_AVOID | OOM_EXT_CG_XATTR;
	if (xattr_true(cgrp, "user.oomd_prefer"))
		return OOM_EXT_CG_PREFER | OOM_EXT_CG_XATTR;
	return 0;
}

#define CG_BIAS	(OOM_EXT_CG_PREFER | OOM_EXT_CG_AVOID | OOM_EXT_CG_OMIT)

/* What the command line says about a cgroup beats its marks. */
static __always_inline bool marks_apply(u32 flags)
{
	return use_xattrs && !(flags & CG_BIAS);
}

/* The flags of the OOMing cgroup, which the walk only has by id. */
static __always_inline u32 domain_flags(u64 cgid)
{
	u32 flags = cgroup_flags(cgid);
	struct cgroup *cgrp;

	if (!marks_apply(flags))
		return flags;
	cgrp = bpf_cgroup_from_id(cgid);
	if (cgrp) {
		flags |= xattr_flags(cgrp);
		bpf_cgroup_release(cgrp);
	}
	return flags;
}

/* What scan_cgroup() found. Handlers never overlap (oom_lock): one copy. */
static struct task_scan {
	s32 best_pid;		/* the largest killable task; 0: none */
	u64 best_pages;
	u64 total_pages;	/* all killable tasks together */
	u32 nr_killable;
	u32 nr_victims;		/* earlier OOM victims, still releasing memory */
	u32 nr_pids;		/* killable tasks seen; pids[] holds the first */
	s32 pids[SCAN_PIDS];
} scan;

static __always_inline void scan_tasks(struct mem_cgroup *memcg)
{
	struct task_scan *s = &scan;
	struct task_struct *task;

	bpf_for_each(css_task, task, &memcg->css, CSS_TASK_ITER_PROCS) {
		u64 pages;

		if (bpf_task_is_oom_victim(task)) {
			s->nr_victims++;
			continue;
		}
		if (!oom_ext_task_killable(task))
			continue;
		pages = oom_ext_task_pages(task);
		s->nr_killable++;
		s->total_pages += pages;
		if (s->nr_pids < SCAN_PIDS)
			s->pids[s->nr_pids & (SCAN_PIDS - 1)] = task->pid;
		s->nr_pids++;
		if (pages > s->best_pages || !s->best_pid) {
			s->best_pages = pages;
			s->best_pid = task->pid;
		}
	}
}

/*
 * Look at every process charged to the memcg of cgroup @cgid and, with
 * @subtree, to its descendants: the largest one the kernel would let a
 * policy kill, how many there are, and whether an earlier victim is still
 * exiting. The result is in scan. Returns 0, or -ENOENT if the
 * cgroup is gone.
 *
 * The iterators walk RCU-protected lists while the program may sleep,
 * hence the explicit RCU section; the css iterator hands out RCU pointers,
 * and the task iterator wants a referenced memcg. A global function: the
 * verifier checks it once, not at every call site.
 */
__noinline int scan_cgroup(u64 cgid, bool subtree)
{
	struct cgroup_subsys_state *pos;
	struct mem_cgroup *memcg, *iter;

	__builtin_memset(&scan, 0, sizeof(scan));
	memcg = oom_ext_memcg_get(cgid);
	if (!memcg)
		return -ENOENT;

	bpf_rcu_read_lock();
	if (!subtree) {
		scan_tasks(memcg);
	} else {
		bpf_for_each(css, pos, &memcg->css, BPF_CGROUP_ITER_DESCENDANTS_PRE) {
			iter = bpf_get_mem_cgroup(pos);
			if (!iter)
				continue;
			scan_tasks(iter);
			bpf_put_mem_cgroup(iter);
		}
	}
	bpf_rcu_read_unlock();
	bpf_put_mem_cgroup(memcg);
	return 0;
}

/* mm/page_counter.c: effective_protection(), the same arithmetic. */
static __always_inline u64 effective_protection(u64 usage, u64 parent_usage, u64 setting,
						u64 parent_effective, u64 siblings)
{
	u64 protected = usage < setting ? usage : setting;
	u64 ep = protected;

	if (siblings > parent_effective)
		return protected * parent_effective / siblings;
	if (recursive_prot && parent_effective > siblings &&
	    parent_usage > siblings && usage > protected)
		ep += (parent_effective - siblings) * (usage - protected) /
		      (parent_usage - siblings);
	return ep;
}

/*
 * A candidate's weight: its score plus GROWTH_WEIGHT times its growth,
 * about the score it would have 16 s on at the rate of its last 4 s.
 */
static __always_inline u64 weight(const struct candidate *c)
{
	return c->score + GROWTH_WEIGHT * c->growth;
}

/*
 * Keep @c if it beats the best or the runner-up of the level by weight
 * (ties: the larger usage), and note the largest by score alone.
 */
static __always_inline void consider(struct candidate *c)
{
	u64 w = weight(c);

	if (!lvl.largest.cgid || c->score > lvl.largest.score ||
	    (c->score == lvl.largest.score && c->usage > lvl.largest.usage))
		lvl.largest = *c;
	if (!lvl.best.cgid || w > weight(&lvl.best) ||
	    (w == weight(&lvl.best) && c->usage > lvl.best.usage)) {
		lvl.runner = lvl.best;
		lvl.best = *c;
	} else if (!lvl.runner.cgid || w > weight(&lvl.runner) ||
		   (w == weight(&lvl.runner) && c->usage > lvl.runner.usage)) {
		lvl.runner = *c;
	}
}

/* Score one child memcg, read through an RCU pointer without a reference. */
static __always_inline void consider_child(struct cgroup_subsys_state *pos)
{
	struct mem_cgroup *m = bpf_core_cast(pos, struct mem_cgroup);
	struct candidate c = {};
	u64 min, low, prot;

	c.cgid = m->css.cgroup->kn->id;
	c.flags = cgroup_flags(c.cgid);
	if (marks_apply(c.flags))
		c.flags |= xattr_flags(pos->cgroup);
	c.usage = m->memory.usage.counter;
	if ((c.flags & OOM_EXT_CG_OMIT) || !c.usage)
		return;
	if (m->oom_group)
		c.flags |= OOM_EXT_CG_OOM_GROUP;

	min = m->memory.min;
	low = m->memory.low;
	if (lvl.is_domain) {
		/* The reclaim root's children: their own settings. */
		c.emin = min;
		c.elow = low;
	} else {
		c.emin = effective_protection(c.usage, lvl.usage, min, lvl.emin,
					      lvl.children_min);
		c.elow = effective_protection(c.usage, lvl.usage, low, lvl.elow,
					      lvl.children_low);
	}
	prot = c.emin > c.elow ? c.emin : c.elow;
	c.score = c.usage > prot ? c.usage - prot : 0;
	/* Growth within the protection is protected too. */
	c.growth = growth_of(c.cgid, c.usage, stall_us(m));
	if (c.growth > c.score)
		c.growth = c.score;
	if (c.flags & OOM_EXT_CG_PREFER) {
		c.score <<= BIAS_SHIFT;
		c.growth <<= BIAS_SHIFT;
	} else if (c.flags & OOM_EXT_CG_AVOID) {
		c.score >>= BIAS_SHIFT;
		c.growth >>= BIAS_SHIFT;
	}
	consider(&c);
}

/* What the walk does at a cgroup. */
enum step {
	STEP_GONE,		/* the cgroup was removed meanwhile */
	STEP_DESCEND,		/* into lvl.best */
	STEP_LEAF,		/* no child to compare: kill in it */
	STEP_OWN_TASKS,		/* its own tasks won: kill the largest */
	STEP_OOM_GROUP,		/* memory.oom.group: the kernel kills them all */
	STEP_GROUP_KILL,	/* configured: kill every process */
};

/*
 * Growth decided the level when the winner is not the largest by score:
 * then the largest is the one to show beside it.
 */
static __always_inline void by_growth(void)
{
	if (!lvl.largest.cgid || lvl.largest.cgid == lvl.best.cgid)
		return;
	lvl.runner = lvl.largest;
	lvl.best.flags |= OOM_EXT_CG_GROWTH;
}

/*
 * One level of the walk at cgroup @cgid: stop there, or compare its
 * candidates into lvl.best and lvl.runner. A global function, so that the
 * verifier checks its loops once.
 */
__noinline int walk_level(u64 cgid)
{
	struct cgroup_subsys_state *pos;
	struct candidate own = {};
	u32 flags = cgroup_flags(cgid);
	struct mem_cgroup *memcg;
	bool oom_group;

	memcg = oom_ext_memcg_get(cgid);
	if (!memcg)
		return STEP_GONE;
	oom_group = memcg->oom_group;
	lvl.usage = memcg->memory.usage.counter;
	lvl.children_min = memcg->memory.children_min_usage.counter;
	lvl.children_low = memcg->memory.children_low_usage.counter;
	__builtin_memset(&lvl.best, 0, sizeof(lvl.best));
	__builtin_memset(&lvl.runner, 0, sizeof(lvl.runner));
	__builtin_memset(&lvl.largest, 0, sizeof(lvl.largest));
	if (!oom_group && !(flags & OOM_EXT_CG_GROUP_KILL)) {
		bpf_rcu_read_lock();
		bpf_for_each(css, pos, &memcg->css, BPF_CGROUP_ITER_CHILDREN)
			consider_child(pos);
		bpf_rcu_read_unlock();
	}
	bpf_put_mem_cgroup(memcg);

	if (oom_group)
		return STEP_OOM_GROUP;
	if (flags & OOM_EXT_CG_GROUP_KILL)
		return STEP_GROUP_KILL;
	if (!lvl.best.cgid)
		return STEP_LEAF;

	/* The processes charged to this cgroup itself, as one candidate. */
	if (!scan_cgroup(cgid, false) && scan.nr_killable) {
		own.cgid = cgid;
		own.flags = OOM_EXT_CG_OWN_TASKS;
		own.score = scan.total_pages;
		own.usage = scan.total_pages;
		consider(&own);
	}
	by_growth();
	return lvl.best.flags & OOM_EXT_CG_OWN_TASKS ? STEP_OWN_TASKS : STEP_DESCEND;
}

/* Record the level just compared at @parent in the explanation. */
static __always_inline void explain_level(int depth, u64 parent)
{
	struct oom_ext_level *lv;

	lv = &oom_ext_explain.levels[depth & (OOM_EXT_MAX_LEVELS - 1)];
	lv->parent_cgid = parent;
	lv->chosen_cgid = lvl.best.cgid;
	lv->chosen_score = lvl.best.score;
	lv->chosen_growth = lvl.best.growth;
	lv->chosen_flags = lvl.best.flags;
	lv->runner_cgid = lvl.runner.cgid;
	lv->runner_score = lvl.runner.score;
	lv->runner_growth = lvl.runner.growth;
	lv->runner_flags = lvl.runner.flags;
	oom_ext_explain.nr_levels = depth + 1;
}

/*
 * Kill the processes the last scan listed in scan.pids; returns how
 * many died. A global function: the verifier walks its loop once.
 */
__noinline int kill_listed(struct oom_control *oc __arg_trusted)
{
	struct task_struct *task;
	int killed = 0;
	u32 n, i;

	n = scan.nr_pids;
	if (n > SCAN_PIDS)
		n = SCAN_PIDS;
	bpf_for(i, 0, n) {
		task = bpf_task_from_pid(scan.pids[i & (SCAN_PIDS - 1)]);
		if (!task)
			continue;
		if (!bpf_oom_kill_process(oc, task, "oom_cgroup_aware: group kill"))
			killed++;
		bpf_task_release(task);
	}
	return killed;
}

/*
 * Kill the killable processes of @cgid's subtree other than those already
 * killed; returns how many died. Each pass takes the first
 * SCAN_PIDS; those killed are victims, skipped by the next pass.
 */
static __always_inline u32 kill_rest_of_group(struct oom_control *oc, u64 cgid)
{
	u32 killed = 0;
	int pass;

	bpf_for(pass, 0, GROUP_KILL_PASSES) {
		if (scan_cgroup(cgid, true))
			break;
		killed += kill_listed(oc);
		if (scan.nr_pids <= SCAN_PIDS)
			break;
	}
	return killed;
}

SEC("struct_ops.s/handle_out_of_memory")
int BPF_PROG(cgroup_aware_oom, struct oom_control *oc, struct cgroup *cgrp)
{
	int step = STEP_DESCEND, depth, ret;
	struct task_struct *task;
	const char *reason;
	u64 cgid, pages, group_pages;
	u32 killed;

	__sync_fetch_and_add(&stats.calls, 1);
	oom_ext_explain.nr_levels = 0;
	oom_ext_explain.nr_killed = 0;
	oom_ext_explain.group_cgid = 0;

	cgid = oom_ext_memcg_id(oc->memcg);
	if (domain_flags(cgid) & OOM_EXT_CG_OMIT) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0, "the OOMing cgroup is omitted");
		return oom_ext_pass();
	}
	__builtin_memset(&lvl, 0, sizeof(lvl));
	lvl.is_domain = true;

	/* Past OOM_EXT_MAX_LEVELS, kill the largest task of the subtree. */
	bpf_for(depth, 0, OOM_EXT_MAX_LEVELS) {
		step = walk_level(cgid);
		if (step == STEP_DESCEND || step == STEP_OWN_TASKS)
			explain_level(depth, cgid);
		if (step != STEP_DESCEND)
			break;
		cgid = lvl.best.cgid;
		lvl.emin = lvl.best.emin;
		lvl.elow = lvl.best.elow;
		lvl.is_domain = false;
	}
	if (step == STEP_LEAF && group_kill_all)
		step = STEP_GROUP_KILL;

	/* The cgroup the walk ended in: find its victim. */
	if (step == STEP_GONE ||
	    scan_cgroup(cgid, step != STEP_OWN_TASKS)) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0, "the chosen cgroup went away");
		return oom_ext_pass();
	}
	if (scan.nr_victims) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0,
			       "an earlier victim is still exiting");
		return oom_ext_pass();
	}
	task = scan.best_pid ? bpf_task_from_pid(scan.best_pid) : NULL;
	if (!task) {
		oom_ext_report(oc, NULL, 0, OOM_EXT_PASSED, 0,
			       "nothing killable in the chosen cgroup");
		return oom_ext_pass();
	}
	pages = scan.best_pages;

	switch (step) {
	case STEP_OOM_GROUP:
		reason = "oom_cgroup_aware: memory.oom.group";
		oom_ext_explain.nr_killed = scan.nr_killable;
		oom_ext_explain.group_cgid = cgid;
		break;
	case STEP_GROUP_KILL:
		reason = "oom_cgroup_aware: group kill";
		oom_ext_explain.nr_killed = scan.nr_killable;
		oom_ext_explain.group_cgid = cgid;
		break;
	case STEP_OWN_TASKS:
		reason = "oom_cgroup_aware: largest of the cgroup's own tasks";
		break;
	default:
		reason = "oom_cgroup_aware: largest task of the chosen cgroup";
	}

	if (step != STEP_GROUP_KILL || dry_run) {
		ret = oom_ext_kill(oc, task, pages, reason);
		if (ret == BPF_OOM_HANDLED)
			growth_credit(oc, step == STEP_OOM_GROUP ? scan.total_pages : pages);
		bpf_task_release(task);
		return ret;
	}

	/* Group kill: the largest first, so that the OOM report names it. */
	group_pages = scan.total_pages;
	ret = bpf_oom_kill_process(oc, task, reason);
	killed = kill_rest_of_group(oc, cgid) + !ret;
	if (!killed) {
		oom_ext_report(oc, task, pages, OOM_EXT_FAILED, ret, reason);
		bpf_task_release(task);
		__sync_fetch_and_add(&stats.refused, 1);
		return oom_ext_pass();
	}
	oom_ext_explain.nr_killed = killed;
	oom_ext_report(oc, task, pages, OOM_EXT_KILLED, 0, reason);
	bpf_task_release(task);
	oom_ext_count_kills(oc, killed);
	growth_credit(oc, group_pages);
	return BPF_OOM_HANDLED;
}

/* Configuration dies with its cgroup: ids are never reused, but memory is. */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(forget_cgroup, struct cgroup *cgrp, const char *path)
{
	u64 cgid = cgrp->kn->id;

	bpf_map_delete_elem(&cgroup_config, &cgid);
	bpf_map_delete_elem(&history, &cgid);
	return 0;
}

OOM_EXT_OPS_DEFINE(cgroup_aware_ops,
		   .handle_out_of_memory = (void *)cgroup_aware_oom,
		   .name = "oom_cgroup_aware");
