// SPDX-License-Identifier: GPL-2.0
/*
 * oom_psi_proactive - declare an OOM in a cgroup that thrashes.
 *
 * The loader names cgroups to watch (-c) and parents whose children, now
 * and later, are watched too (--children). On each watched cgroup this
 * bpf_psi_ops puts one or two PSI memory triggers (--full, --some: stall
 * time per window). A trigger fires at most once per window, from the
 * kernel's PSI aggregator, and handle_psi_event() runs from a workqueue:
 * no userspace has to be scheduled for a thrashing cgroup to be dealt
 * with.
 *
 * An incident is acted upon when the pressure holds: the trigger fired
 * again within two windows of its previous event, i.e. the threshold was
 * crossed in two consecutive windows; and when the memcg is stuck rather
 * than slowed: more than 1/32 above its memory.high, or near its
 * memory.max and refaulting its working set (see stuck()). Then
 * bpf_out_of_memory()
 * declares an
 * OOM in the cgroup's memcg. The victim is chosen as for any OOM there:
 * by a bpf_oom_ops policy attached to the memcg or above it (for example
 * oom_cgroup_aware), else by the kernel. A per-cgroup cool-down (default
 * 10 s) follows, so one incident gives one kill; events during it are
 * counted and reported once. With -n the decision is reported and nothing
 * is declared.
 *
 * A system-wide shortage is a different matter: watching the root cgroup
 * means this rule, not the cgroup one. PSI at the root alone confirms
 * late or never: the squeeze is bursty, spread over many tasks, and
 * "full" needs every task stalled at once; by the time it holds, the
 * machine thrashes. What the kernel knows early is its own estimate of
 * available memory (MemAvailable). A bpf_timer samples it with
 * bpf_oom_get_meminfo(), more often the closer it is to the threshold:
 * every 2 ms per permille of RAM left above it, between 10 ms and 1 s, so
 * a shortage is seen within one sample as long as memory fills slower
 * than half the RAM per second. The rule holds when available memory is
 * under --avail and either free swap is under --swap (or there is no
 * swap), earlyoom's rule and thresholds, or the root's "full" memory
 * stall crossed --stall in two consecutive windows (a PSI trigger on the
 * root): with swap on zram, free swap runs low only after the machine has
 * thrashed for seconds. Then the timer calls bpf_out_of_memory_async():
 * it runs in softirq context and cannot sleep, so the kernel declares the
 * system-wide OOM from its own workqueue, as it does for sysrq-f, within
 * milliseconds. One victim per shortage: a tracepoint program counts the
 * victims the kernel marks, and once one has been marked no more is asked
 * for. If the shortage outlasts that victim by a second, or lasts
 * --cooldown with nothing killed, killing is not what ends it (tmpfs,
 * protected tasks, kernel memory) and the rule pauses for --cooldown and
 * says so, rather than kill one task after another while allocations
 * still succeed. The kernel's own OOM killer still acts when one fails.
 *
 * It demonstrates bpf_psi_ops: creating triggers in init() and in
 * handle_cgroup_online(), why the handlers are sleepable (struct_ops.s),
 * and that triggers need no cleanup: the kernel drops them with their
 * cgroup and on detach. And a bpf_timer that samples the kernel's memory
 * counters and declares an OOM without sleeping, kicked early by a PSI
 * event, and a tp_btf program that tells it what the kernel killed.
 */
#include <oom_ext/kfuncs.bpf.h>
#include <oom_ext/event.h>
#include "oom_psi_proactive.h"

char _license[] SEC("license") = "GPL";

#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL

/* dry_run (-n), stats and the "events" ring buffer of its records. */
OOM_EXT_STATE_DEFINE(struct oom_ext_psi_stats);

/* Set by the loader before load. */
const volatile u64 cooldown_ns = 10000 * NSEC_PER_MSEC;
const volatile u32 full_threshold_us, full_window_us;	/* 0: no full trigger */
const volatile u32 some_threshold_us, some_window_us;	/* 0: no some trigger */
const volatile u32 nr_targets;
/* The system-wide rule, in permille of RAM and of swap; 0: off. */
const volatile u32 avail_permille, swap_permille;
/* ... and its stall half: the root's "full" memory stall; 0: off. */
const volatile u32 stall_threshold_us, stall_window_us;

/* What the loader asks for: cgroup ids and what to do with each. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OOM_EXT_PSI_MAX_TARGETS);
	__type(key, u32);
	__type(value, struct oom_ext_psi_target);
} targets SEC(".maps");

/* --children parents, to recognise a new child in handle_cgroup_online(). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OOM_EXT_PSI_MAX_TARGETS);
	__type(key, u64);
	__type(value, u32);
} parents SEC(".maps");

/* Per watched cgroup: the incident state. */
struct watched {
	u64 last_event_ns;	/* previous event of the current incident */
	u64 cooldown_until_ns;
	u64 activations;	/* workingset refaults seen at the last event */
	u32 explicit;
	u32 cooling_reported;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OOM_EXT_PSI_MAX_WATCHED);
	__type(key, u64);
	__type(value, struct watched);
} watched SEC(".maps");


/* The system-wide rule's state: one element. */
struct headroom {
	struct bpf_timer timer;
	struct bpf_oom_meminfo seen;	/* the sample that first saw the shortage */
	u64 seen_ns;			/* 0: no shortage now */
	u64 victims_at_start;		/* nr_victims when it was first seen */
	u64 victim_ns;			/* when a victim was first seen in it; 0: none */
	u64 quiet_until_ns;		/* backing off: dry run, or it lasted */
	u64 stall_until_ns;		/* the root's stall was confirmed: until */
	u32 stalled;			/* the stall half held, not the swap half */
};

/*
 * How long a shortage may outlast the first OOM victim marked during it
 * before the rule concludes that killing does not end it. A victim of a
 * few GiB releases its memory well within this, also under emulation.
 */
#define SHORT_SETTLE_NS		(1000 * NSEC_PER_MSEC)

/* OOM victims marked since load, by any OOM: see count_victim(). */
u64 nr_victims;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct headroom);
} headroom SEC(".maps");

/* Inlined: more arguments than a BPF call takes. */
static __always_inline void report(u64 cgid, u32 action, int err, u32 full,
				   u64 stall_us, u64 window_us, u64 remaining_ns,
				   u32 explicit)
{
	struct oom_ext_psi_event *e;
	struct mem_cgroup *memcg;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->cgid = cgid;
	e->action = action;
	e->err = err;
	e->full = full;
	e->stall_us = stall_us;
	e->window_us = window_us;
	e->remaining_ms = remaining_ns / NSEC_PER_MSEC;
	e->explicit = explicit;
	memcg = action == OOM_EXT_PSI_GONE ? NULL : oom_ext_memcg_get(cgid);
	if (memcg) {
		e->oom_kills = bpf_mem_cgroup_memory_events(memcg, MEMCG_OOM_KILL);
		bpf_put_mem_cgroup(memcg);
	}
	bpf_ringbuf_submit(e, 0);
}

/* One line about the system-wide rule: what the sample saw, what was done. */
static void report_short(struct headroom *h, u32 action, int err)
{
	struct oom_ext_psi_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->cgid = 1;
	e->action = action;
	e->err = err;
	e->total = h->seen.total;
	e->available = h->seen.available;
	e->swap_total = h->seen.swap_total;
	e->swap_free = h->seen.swap_free;
	e->seen_ns = h->seen_ns;
	e->oom_kills = nr_victims - h->victims_at_start;
	e->full = h->stalled;
	bpf_ringbuf_submit(e, 0);
}

/* Stop asking for the rest of --cooldown. */
static void headroom_give_up(struct headroom *h, u64 now)
{
	report_short(h, OOM_EXT_PSI_SHORT_GAVE_UP, 0);
	h->quiet_until_ns = now + cooldown_ns;
	h->seen_ns = 0;
}

/*
 * A shortage is seen: ask the kernel for a system-wide OOM. Reported once
 * per shortage; the requests that follow while it lasts are only counted.
 *
 * One victim per shortage. Once an OOM victim has been marked (by our
 * request or any other OOM), no more is asked for; if the shortage then
 * outlasts SHORT_SETTLE_NS, killing is not what ends it (memory held by
 * tmpfs, by protected tasks, by the kernel) and the rule stands back for
 * --cooldown, as it does when the kernel finds nothing to kill for that
 * long. Asking on would kill one innocent task after another while every
 * allocation still succeeds. The kernel's own OOM killer still acts on an
 * allocation that fails.
 */
static void headroom_short(struct headroom *h, struct bpf_oom_meminfo *mi, u64 now)
{
	bool first = !h->seen_ns;
	int ret = 0;

	if (first) {
		h->seen = *mi;
		h->seen_ns = now;
		h->victims_at_start = nr_victims;
		h->victim_ns = 0;
		h->stalled = mi->swap_free > mi->swap_total * swap_permille / 1000;
	}
	if (dry_run) {
		__sync_fetch_and_add(&stats.declared, 1);
		report_short(h, OOM_EXT_PSI_SHORT_DRY_RUN, 0);
		h->quiet_until_ns = now + cooldown_ns;
		return;
	}
	if (!h->victim_ns && nr_victims != h->victims_at_start)
		h->victim_ns = now;
	if (h->victim_ns) {
		if (now - h->victim_ns > SHORT_SETTLE_NS)
			headroom_give_up(h, now);
		return;
	}
	if (now - h->seen_ns > cooldown_ns) {
		/* Nothing was killable for that long. */
		headroom_give_up(h, now);
		return;
	}
	ret = bpf_out_of_memory_async(0);
	if (ret == -EBUSY) {
		__sync_fetch_and_add(&stats.short_waits, 1);
		return;
	}
	__sync_fetch_and_add(&stats.declared, 1);
	if (first || ret)
		report_short(h, OOM_EXT_PSI_SHORT, ret);
}

/* From the timer: softirq context. Sample, maybe declare, rearm. */
static int headroom_sample(void *map, int *key, void *value)
{
	u64 mem_min, swap_min, room, next_ms, now = bpf_ktime_get_ns();
	struct headroom *h = value;
	struct bpf_oom_meminfo mi;
	bool stalled;

	__sync_fetch_and_add(&stats.samples, 1);
	bpf_oom_get_meminfo(&mi, sizeof(mi));
	mem_min = mi.total * avail_permille / 1000;
	swap_min = mi.swap_total * swap_permille / 1000;
	stalled = now < h->stall_until_ns;
	if (mi.available < mem_min && (mi.swap_free <= swap_min || stalled)) {
		if (now >= h->quiet_until_ns)
			headroom_short(h, &mi, now);
		next_ms = 10;
	} else {
		h->seen_ns = 0;
		/* Pages left before the rule holds: memory, then swap. */
		room = (mi.available > mem_min ? mi.available - mem_min : 0) +
		       (mi.swap_free > swap_min ? mi.swap_free - swap_min : 0);
		next_ms = mi.total ? 2 * room * 1000 / mi.total : 1000;
		next_ms = next_ms < 10 ? 10 : next_ms > 1000 ? 1000 : next_ms;
	}
	bpf_timer_start(&h->timer, next_ms * NSEC_PER_MSEC, 0);
	return 0;
}

static int headroom_start(void)
{
	u32 key = 0;
	struct headroom *h = bpf_map_lookup_elem(&headroom, &key);
	int err;

	if (!h)
		return -EINVAL;
	if (!bpf_ksym_exists(bpf_out_of_memory_async) ||
	    !bpf_ksym_exists(bpf_oom_get_meminfo))
		return -EOPNOTSUPP;
	err = bpf_timer_init(&h->timer, &headroom, CLOCK_MONOTONIC);
	if (!err)
		err = bpf_timer_set_callback(&h->timer, headroom_sample);
	if (!err)
		err = bpf_timer_start(&h->timer, 0, 0);
	return err;
}

/* Every OOM victim, global or memcg, ours or not, passes mark_oom_victim(). */
SEC("tp_btf/mark_victim")
int BPF_PROG(count_victim, struct task_struct *task, uid_t uid)
{
	__sync_fetch_and_add(&nr_victims, 1);
	return 0;
}

/* Put the configured triggers on @cgid and start tracking it. */
static int watch(struct bpf_psi *bpf_psi, u64 cgid, u32 explicit)
{
	struct watched w = { .explicit = explicit };
	int err = 0;

	if (bpf_map_lookup_elem(&watched, &cgid))
		return 0;	/* both -c and --children name it */
	if (cgid == OOM_EXT_ROOT_CGID) {
		/* The system-wide rule, with its stall trigger: see root_stall(). */
		if (stall_window_us)
			err = bpf_psi_create_trigger(bpf_psi, cgid, PSI_MEM | BPF_PSI_FULL,
						     stall_threshold_us, stall_window_us);
		/* Booted with psi=0: the memory half of the rule still works. */
		if (err == -EOPNOTSUPP)
			err = 0;
	} else {
		if (full_window_us)
			err = bpf_psi_create_trigger(bpf_psi, cgid, PSI_MEM | BPF_PSI_FULL,
						     full_threshold_us, full_window_us);
		if (!err && some_window_us)
			err = bpf_psi_create_trigger(bpf_psi, cgid, PSI_MEM,
						     some_threshold_us, some_window_us);
	}
	if (err) {
		/* A cgroup removed meanwhile is not an error. */
		if (err != -ENOENT && err != -ENODEV)
			report(cgid, OOM_EXT_PSI_ERROR, err, 0, 0, 0, 0, explicit);
		return err;
	}
	bpf_map_update_elem(&watched, &cgid, &w, BPF_ANY);
	__sync_fetch_and_add(&stats.watched, 1);
	report(cgid, OOM_EXT_PSI_WATCHING, 0, 0, 0, 0, 0, explicit);
	return 0;
}

/*
 * Remember the --children parents and watch the -c cgroups and the
 * children that exist now (the loader lists them; later ones arrive
 * through handle_cgroup_online()).
 */
SEC("struct_ops.s/init")
int BPF_PROG(psi_init, struct bpf_psi *bpf_psi)
{
	u32 i;

	if (!oom_ext_psi_btf_anchor())
		return -EINVAL;
	if (avail_permille) {
		int err = headroom_start();

		if (err)
			return err;
	}
	bpf_for(i, 0, nr_targets) {
		struct oom_ext_psi_target *t = bpf_map_lookup_elem(&targets, &i);
		int err;

		if (!t)
			break;
		if (t->how == OOM_EXT_PSI_PARENT) {
			bpf_map_update_elem(&parents, &t->cgid, &t->explicit, BPF_ANY);
			continue;
		}
		err = watch(bpf_psi, t->cgid, t->explicit);
		/* A child that went away before attach is fine; -c must work. */
		if (err && t->explicit)
			return err;
	}
	return 0;
}

SEC("struct_ops.s/handle_cgroup_online")
void BPF_PROG(psi_cgroup_online, struct bpf_psi *bpf_psi, struct cgroup *cgroup)
{
	u64 parent_id = BPF_CORE_READ(cgroup, self.parent, cgroup, kn, id);

	if (bpf_map_lookup_elem(&parents, &parent_id))
		watch(bpf_psi, cgroup->kn->id, 0);
}

SEC("struct_ops.s/handle_cgroup_offline")
void BPF_PROG(psi_cgroup_offline, struct bpf_psi *bpf_psi, u64 cgroup_id)
{
	struct watched *w = bpf_map_lookup_elem(&watched, &cgroup_id);
	u32 *parent = bpf_map_lookup_elem(&parents, &cgroup_id);
	u32 explicit = (w && w->explicit) || parent;

	/* The kernel has already dropped the cgroup's triggers. */
	if (w) {
		bpf_map_delete_elem(&watched, &cgroup_id);
		__sync_fetch_and_sub(&stats.watched, 1);
	}
	if (parent)
		bpf_map_delete_elem(&parents, &cgroup_id);
	if (w || parent)
		report(cgroup_id, OOM_EXT_PSI_GONE, 0, 0, 0, 0, 0, explicit);
}

/*
 * Pressure alone does not tell a job that reclaim keeps going (swapping to
 * zram, streaming through its page cache) from one that cannot go on.
 * With a memory.high, reclaim holds a job that progresses at its limit,
 * while one whose memory cannot be reclaimed stays above it, throttled: it
 * is stuck while its usage is more than 1/32 above memory.high. Without
 * one, a memcg near its memory.max is thrashing when what reclaim evicts
 * is needed again: stuck if, since the previous event, pages of its working
 * set came back (the kernel's workingset "activate" refaults) amounting to
 * at least 1/16 of its usage. A stream reads each page once and refaults
 * none of its working set. A memcg with neither limit below the machine's
 * RAM stalls because the whole machine is short: that is the system-wide
 * rule's to act on, not a reason to kill in this memcg.
 */
static bool stuck(struct mem_cgroup *memcg, struct watched *w)
{
	unsigned long high = memcg->memory.high, max = memcg->memory.max;
	long usage = memcg->memory.usage.counter;
	struct bpf_oom_meminfo mi;
	u64 act, delta;

	if (usage <= 0)
		return false;
	if (high < max)
		return (unsigned long)usage > high + high / 32;
	bpf_oom_get_meminfo(&mi, sizeof(mi));
	if (max >= mi.total || (unsigned long)usage + max / 16 < max)
		return false;
	bpf_mem_cgroup_flush_stats(memcg);
	act = bpf_mem_cgroup_page_state(memcg, WORKINGSET_ACTIVATE_ANON) +
	      bpf_mem_cgroup_page_state(memcg, WORKINGSET_ACTIVATE_FILE);
	delta = act - w->activations;
	w->activations = act;
	return delta >= (u64)usage / 16;
}

/*
 * The root's "full" trigger: the whole machine stalls on memory. Confirmed
 * as a cgroup's is (two consecutive windows), it stands in for the swap
 * half of the system-wide rule for two windows, and the timer samples at
 * once: with swap on zram, free swap runs low only after the machine has
 * thrashed for seconds, while available memory is short from the start.
 */
static void root_stall(struct watched *w, u64 now, u64 window_ns)
{
	struct headroom *h;
	u32 key = 0;
	bool confirmed;

	confirmed = w->last_event_ns && now - w->last_event_ns <= 2 * window_ns;
	w->last_event_ns = now;
	if (!confirmed) {
		__sync_fetch_and_add(&stats.unconfirmed, 1);
		return;
	}
	h = bpf_map_lookup_elem(&headroom, &key);
	if (!h)
		return;
	h->stall_until_ns = now + 2 * window_ns;
	bpf_timer_start(&h->timer, 0, 0);
}

SEC("struct_ops.s/handle_psi_event")
void BPF_PROG(psi_event, struct bpf_psi *bpf_psi, struct bpf_psi_trigger *trigger)
{
	u64 cgid = trigger->cgroup_id, now = bpf_ktime_get_ns();
	u64 window_ns = trigger->window_us * NSEC_PER_USEC;
	u32 full = !!(trigger->resource & BPF_PSI_FULL);
	struct mem_cgroup *memcg;
	struct watched *w;
	int ret;

	__sync_fetch_and_add(&stats.events, 1);
	w = bpf_map_lookup_elem(&watched, &cgid);
	if (!w)
		return;
	if (cgid == OOM_EXT_ROOT_CGID) {
		root_stall(w, now, window_ns);
		return;
	}

	if (now < w->cooldown_until_ns) {
		__sync_fetch_and_add(&stats.cooling, 1);
		if (!w->cooling_reported)
			report(cgid, OOM_EXT_PSI_COOLING, 0, full, 0, 0,
			       w->cooldown_until_ns - now, w->explicit);
		w->cooling_reported = 1;
		return;
	}

	memcg = oom_ext_memcg_get(cgid);
	if (!memcg)
		return;
	/* Confirm: the threshold was crossed in the previous window too. */
	if (!w->last_event_ns || now - w->last_event_ns > 2 * window_ns) {
		w->last_event_ns = now;
		stuck(memcg, w);	/* the refault count to compare with */
		bpf_put_mem_cgroup(memcg);
		__sync_fetch_and_add(&stats.unconfirmed, 1);
		return;
	}
	if (!stuck(memcg, w)) {
		/* Slowed, not stuck: look again at the next event. */
		w->last_event_ns = now;
		__sync_fetch_and_add(&stats.progressing, 1);
		bpf_put_mem_cgroup(memcg);
		return;
	}
	w->last_event_ns = 0;
	w->cooldown_until_ns = now + cooldown_ns;
	w->cooling_reported = 0;
	__sync_fetch_and_add(&stats.declared, 1);

	if (dry_run) {
		bpf_put_mem_cgroup(memcg);
		report(cgid, OOM_EXT_PSI_DRY_RUN, 0, full, trigger->threshold_us,
		       trigger->window_us, 0, w->explicit);
		return;
	}

	/* Waits for a concurrent OOM; the victim is chosen as for any OOM. */
	ret = bpf_out_of_memory(memcg, 0, BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK);
	bpf_put_mem_cgroup(memcg);
	if (ret > 0)
		__sync_fetch_and_add(&stats.kills, 1);
	report(cgid, OOM_EXT_PSI_DECLARED, ret, full, trigger->threshold_us,
	       trigger->window_us, 0, w->explicit);
}

SEC(".struct_ops.link")
struct bpf_psi_ops psi_ops = {
	.init = (void *)psi_init,
	.handle_psi_event = (void *)psi_event,
	.handle_cgroup_online = (void *)psi_cgroup_online,
	.handle_cgroup_offline = (void *)psi_cgroup_offline,
	.name = "oom_psi_proactive",
};
