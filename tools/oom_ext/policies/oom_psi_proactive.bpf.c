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
 * With --grace, the cgroup rules warn before they kill: the kernel says
 * what the OOM would kill without killing (bpf_oom_choose()), signals
 * exactly that (bpf_oom_signal_choice()), and the attachment's own timer
 * (handle_timer()) kills it at the deadline (bpf_oom_kill_choice()) if the
 * rule still holds, or earlier at a hard condition; a usage rule, over a
 * fraction of memory.max, warns a memcg that has no memory.high. See
 * "--grace" below.
 *
 * It demonstrates bpf_psi_ops: creating triggers in init() and in
 * handle_cgroup_online(), why the handlers are sleepable (struct_ops.s),
 * and that triggers need no cleanup: the kernel drops them with their
 * cgroup and on detach. And a bpf_timer that samples the kernel's memory
 * counters and declares an OOM without sleeping, kicked early by a PSI
 * event, and a tp_btf program that tells it what the kernel killed. And
 * a deadline kept in the kernel: handle_timer() runs in process context
 * from the kernel's workqueue, where the sleepable kfuncs may be called.
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
/*
 * --grace: warn first, kill at the deadline; 0: kill at once. The usage
 * rule and the hard conditions, in permille of memory.max (0: off), and
 * the hard full stall per --full window.
 */
const volatile u64 grace_ns;
const volatile int warn_signal = 15;	/* SIGTERM; 0: no signal */
const volatile u32 warn_usage_permille, kill_usage_permille;
const volatile u32 kill_avail_permille;	/* the system-wide rule's hard condition */
const volatile u32 kill_full_us, kill_full_window_us;

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

/*
 * --grace: the warning, the deadline and the kill, per watched cgroup.
 *
 * When a rule first holds (the stall rule in psi_event(), the usage rule
 * in psi_timer()), grace_warn() asks the kernel what an OOM in the memcg
 * would kill, without killing (bpf_oom_choose(): the bpf_oom_ops policy
 * attached there or above chooses, else the kernel), and the kernel warns
 * exactly that (bpf_oom_signal_choice()): the chosen processes, and every
 * process of the cgroup that memory.oom.group would kill with them. At the deadline, if the rule
 * still holds, grace_kill() has bpf_oom_kill_choice() kill what was
 * warned and nothing else; a process that exited meanwhile is not
 * replaced by another victim. Before the deadline, a hard condition
 * (usage near memory.max, a full stall over --kill-full) kills at once.
 *
 * The deadline is kept in the kernel, not in the loader: psi_timer() is
 * the attachment's handle_timer(), which the kernel runs from its
 * workqueue at the time bpf_psi_timer_start() asked for, in process
 * context, so it may call the sleepable kfuncs itself. A stopped or
 * starved loader delays nothing.
 */
/*
 * psi_event() and psi_timer() may run at once (work items of the same
 * workqueue): whoever moves a grace out of IDLE or WAIT first, with a
 * compare-and-swap, does the work of that step; the other backs off.
 */
enum grace_state {
	GRACE_IDLE,
	GRACE_CHOOSING,	/* grace_warn() is choosing and warning */
	GRACE_WAIT,	/* warned: waiting for the deadline */
	GRACE_ENDING,	/* grace_kill() or grace_calm() is ending it */
};

struct grace {
	struct bpf_oom_choice choice;	/* what was warned */
	u64 cgid;
	u64 deadline_ns;
	u64 last_stall_ns;	/* the stall rule's last event in the grace */
	u64 quiet_until_ns;	/* after a kill, a calm or a failed warning */
	u64 kill_id;		/* bpf_ktime_get_ns() of the warning */
	u64 seen_ns;		/* when the rule was seen to hold */
	u32 state;		/* enum grace_state */
	u32 why;		/* enum oom_ext_psi_why: what started it */
	u32 signalled;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OOM_EXT_PSI_MAX_WATCHED);
	__type(key, u64);
	__type(value, struct grace);
} graces SEC(".maps");

/*
 * The loader writes a grace's kill_id here once every prekill hook
 * replied: the kill then need not wait for the deadline.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OOM_EXT_PSI_MAX_WATCHED);
	__type(key, u64);
	__type(value, u64);
} hooks_done SEC(".maps");

/* The zeroed value a new element is created from. */
static char grace_zero[sizeof(struct grace)];

#define GRACE_TICK_NS		(10 * NSEC_PER_MSEC)
#define GRACE_IDLE_MAX_NS	(200 * NSEC_PER_MSEC)
/* Cgroups whose grace starts or ends in one psi_timer() call; more wait. */
#define GRACE_ACTIONS		16

/* The memcg's usage and memory.max, in pages; false if it is gone. */
static bool memcg_usage(u64 cgid, u64 *usage, u64 *max)
{
	struct mem_cgroup *memcg = oom_ext_memcg_get(cgid);
	long u;

	if (!memcg)
		return false;
	u = memcg->memory.usage.counter;
	*usage = u > 0 ? u : 0;
	*max = memcg->memory.max;
	bpf_put_mem_cgroup(memcg);
	return true;
}

/* A --grace record; @ts: when it was decided (for a kill: sent). */
static void report_grace(struct grace *g, u32 action, int err, u32 why, u64 ts)
{
	struct oom_ext_psi_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = ts;
	e->cgid = g->cgid;
	e->action = action;
	e->err = err;
	e->why = why;
	e->deadline_ns = g->deadline_ns;
	e->group_cgid = g->choice.group_cgid;
	e->pid = g->choice.pid[0];
	e->nr = g->choice.nr;
	e->signalled = g->signalled;
	e->kill_id = g->kill_id;
	e->seen_ns = g->seen_ns;
	if (g->cgid == OOM_EXT_ROOT_CGID) {
		struct bpf_oom_meminfo mi;

		/* The whole machine: RAM in use (not available) of RAM. */
		bpf_oom_get_meminfo(&mi, sizeof(mi));
		e->usage = mi.total - mi.available;
		e->max = mi.total;
	} else {
		memcg_usage(g->cgid, &e->usage, &e->max);
	}
	bpf_ringbuf_submit(e, 0);
}

/* Usage at @permille of memory.max or more, a limit below the machine's RAM. */
static bool over(u64 usage, u64 max, u32 permille)
{
	struct bpf_oom_meminfo mi;

	if (!permille)
		return false;
	bpf_oom_get_meminfo(&mi, sizeof(mi));
	return max < mi.total && usage * 1000 >= max * permille;
}

/* The grace is over: leave the cgroup alone for --cooldown. */
static void grace_end(struct grace *g, u64 now)
{
	struct watched *w = bpf_map_lookup_elem(&watched, &g->cgid);

	g->quiet_until_ns = now + cooldown_ns;
	if (w) {
		w->last_event_ns = 0;
		w->cooldown_until_ns = now + cooldown_ns;
		w->cooling_reported = 0;
	}
	g->deadline_ns = 0;
	g->state = GRACE_IDLE;
	bpf_map_delete_elem(&hooks_done, &g->cgid);
}

/*
 * After a sleeping kfunc: is @g still @cgid's grace? psi_cgroup_offline()
 * may have deleted it meanwhile, and the map may since have given the
 * element to a new cgroup (elements are reused, never unmapped): then the
 * grace is over, and nothing more is written to it.
 */
static bool grace_still(struct grace *g, u64 cgid)
{
	return *(volatile u64 *)&g->cgid == cgid;
}

/*
 * A rule holds for @cgid: find what the kill would hit, warn it, set the
 * deadline. Global functions, here and below: the verifier checks each
 * once, not once per call site and loop iteration.
 */
__noinline int grace_warn(u64 cgid, u32 why, u64 seen_ns)
{
	struct grace *g = bpf_map_lookup_elem(&graces, &cgid);
	struct mem_cgroup *memcg;
	u64 now;
	int ret;

	if (!g || __sync_val_compare_and_swap(&g->state, GRACE_IDLE, GRACE_CHOOSING) != GRACE_IDLE)
		return 0;
	memcg = oom_ext_memcg_get(cgid);
	if (!memcg) {
		g->state = GRACE_IDLE;
		return 0;
	}
	g->why = why;
	g->seen_ns = seen_ns;
	g->last_stall_ns = 0;
	ret = bpf_oom_choose(memcg, &g->choice, sizeof(g->choice),
			     BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK);
	now = bpf_ktime_get_ns();
	if (!grace_still(g, cgid)) {
		bpf_put_mem_cgroup(memcg);
		return 0;
	}
	if (ret <= 0) {
		bpf_put_mem_cgroup(memcg);
		/* Nothing to kill, or a victim still exiting: say so, wait. */
		report_grace(g, OOM_EXT_PSI_WARNED, ret ?: -ESRCH, why, now);
		grace_end(g, now);
		return 0;
	}
	g->deadline_ns = now + grace_ns;
	g->kill_id = now;
	/* The kernel signals what bpf_oom_kill_choice() would kill, no more. */
	ret = warn_signal ? bpf_oom_signal_choice(memcg, &g->choice, sizeof(g->choice),
						  warn_signal) : 0;
	bpf_put_mem_cgroup(memcg);
	if (!grace_still(g, cgid))
		return 0;
	g->signalled = ret > 0 ? ret : 0;
	__sync_fetch_and_add(&stats.warned, 1);
	/* Signalled by now: the record's time closes the warning's latency. */
	report_grace(g, OOM_EXT_PSI_WARNED, 0, why, bpf_ktime_get_ns());
	/* Last, and ordered: whoever sees WAIT sees the deadline. */
	__sync_val_compare_and_swap(&g->state, GRACE_CHOOSING, GRACE_WAIT);
	return 0;
}

/* Kill what was warned in @cgid: the deadline, or a hard condition. */
__noinline int grace_kill(u64 cgid, u32 why)
{
	struct grace *g = bpf_map_lookup_elem(&graces, &cgid);
	struct mem_cgroup *memcg;
	u64 now = bpf_ktime_get_ns();
	int ret;

	if (!g || __sync_val_compare_and_swap(&g->state, GRACE_WAIT, GRACE_ENDING) != GRACE_WAIT)
		return 0;
	memcg = oom_ext_memcg_get(cgid);
	if (!memcg) {
		g->state = GRACE_WAIT;
		return 0;
	}
	ret = bpf_oom_kill_choice(memcg, &g->choice, sizeof(g->choice),
				  BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK);
	bpf_put_mem_cgroup(memcg);
	if (!grace_still(g, cgid)) {
		if (ret > 0)
			__sync_fetch_and_add(&stats.grace_kills, 1);
		return 0;
	}
	/* An earlier victim is still exiting: the next tick tries again. */
	if (ret == -EAGAIN) {
		g->state = GRACE_WAIT;
		return 0;
	}
	if (ret > 0)
		__sync_fetch_and_add(&stats.grace_kills, 1);
	report_grace(g, OOM_EXT_PSI_GRACE_KILL, ret, why, now);
	grace_end(g, bpf_ktime_get_ns());
	return 0;
}

/* The stall rule still holds: an event in the last two windows. */
static bool stall_holds(struct grace *g, u64 now)
{
	u64 window_us = full_window_us > some_window_us ? full_window_us : some_window_us;

	return g->last_stall_ns && now - g->last_stall_ns <= 2 * window_us * NSEC_PER_USEC;
}

/* Every prekill hook of this grace replied (the loader says so). */
static bool hooks_replied(struct grace *g)
{
	u64 *id = bpf_map_lookup_elem(&hooks_done, &g->cgid);

	return id && *id == g->kill_id;
}

/*
 * What one psi_timer() call found to do: see grace_check(). Globals, not
 * the caller's stack: the verifier walks a bpf_for_each_map_elem()
 * callback like a loop, and a count on the stack that grows with every
 * element would keep its states from ever converging. psi_timer() calls
 * never overlap (one work item), so one copy serves.
 */
static struct {
	u64 next_ns;			/* when to look again */
	u32 n;
	u64 cgid[GRACE_ACTIONS];	/* grace to start or to end */
	u32 why[GRACE_ACTIONS];
	bool kill[GRACE_ACTIONS];
} tick;

/*
 * The memcg rules with --grace: usage over --warn-usage warns (@soft),
 * over --kill-usage kills (@hard). @next: when to look again while idle,
 * the sooner the closer usage is to the warning level (2 ms per permille
 * of memory.max below it). False if the cgroup is gone.
 */
static bool memcg_rule(u64 cgid, bool *soft, bool *hard, u64 *next)
{
	u64 usage, max;

	if (!memcg_usage(cgid, &usage, &max))
		return false;
	*soft = over(usage, max, warn_usage_permille);
	*hard = over(usage, max, kill_usage_permille);
	if (!*soft && max && usage * 1000 / max < warn_usage_permille)
		*next = 2 * NSEC_PER_MSEC * (warn_usage_permille - usage * 1000 / max);
	return true;
}

/*
 * The system-wide rule with --grace, sampled here in process context
 * instead of by the headroom timer: the shortage of headroom_sample()
 * warns (@soft); available memory under --kill-avail kills (@hard).
 * @next as headroom_sample() spaces its samples.
 */
static bool system_rule(u64 now, bool *soft, bool *hard, u64 *next)
{
	u64 mem_min, swap_min, room;
	struct bpf_oom_meminfo mi;
	struct headroom *h;
	u32 key = 0;
	bool stalled;

	h = bpf_map_lookup_elem(&headroom, &key);
	if (!h)
		return false;
	__sync_fetch_and_add(&stats.samples, 1);
	bpf_oom_get_meminfo(&mi, sizeof(mi));
	mem_min = mi.total * avail_permille / 1000;
	swap_min = mi.swap_total * swap_permille / 1000;
	stalled = now < h->stall_until_ns;
	*soft = mi.available < mem_min && (mi.swap_free <= swap_min || stalled);
	*hard = *soft && mi.available < mi.total * kill_avail_permille / 1000;
	room = (mi.available > mem_min ? mi.available - mem_min : 0) +
	       (mi.swap_free > swap_min ? mi.swap_free - swap_min : 0);
	if (!*soft && mi.total)
		*next = 2 * room * 1000 / mi.total * NSEC_PER_MSEC;
	return true;
}

/* What grace_rule() found for one cgroup. */
struct rule {
	u64 next_ns;	/* idle: when to look again */
	bool soft;	/* the rule holds: warn */
	bool hard;	/* the hard condition holds: kill now */
};

/*
 * The rule of @cgid (the root: the system-wide one) into @r; 0, or
 * -ENOENT if the cgroup is gone. A global function: the verifier checks it
 * once, not in every branch of its caller.
 */
__noinline int grace_rule(u64 cgid, u64 now, struct rule *r)
{
	bool soft = false, hard = false, ok;
	u64 next = GRACE_TICK_NS;

	if (!r)
		return -EINVAL;
	ok = cgid == OOM_EXT_ROOT_CGID ? system_rule(now, &soft, &hard, &next) :
					 memcg_rule(cgid, &soft, &hard, &next);
	r->soft = soft;
	r->hard = hard;
	r->next_ns = next;
	return ok ? 0 : -ENOENT;
}

/* The rule no longer holds when the grace ends: no kill. */
__noinline int grace_calm(u64 cgid, u64 now)
{
	struct grace *g = bpf_map_lookup_elem(&graces, &cgid);

	if (!g || __sync_val_compare_and_swap(&g->state, GRACE_WAIT, GRACE_ENDING) != GRACE_WAIT)
		return -ENOENT;
	__sync_fetch_and_add(&stats.calmed, 1);
	report_grace(g, OOM_EXT_PSI_CALMED, 0, g->why, now);
	grace_end(g, now);
	return 0;
}

/*
 * One cgroup (the root: the system-wide rule), from
 * bpf_for_each_map_elem(), which cannot sleep: what needs the sleepable
 * kfuncs is only collected here. Idle: the rule starts a grace. In a
 * grace: a hard condition, the deadline, or every prekill hook replied
 * ends it, with the kill if the rule (or the stall rule) still holds.
 */
static long grace_check(struct bpf_map *map, u64 *key, struct grace *g, u64 *now)
{
	bool root = g->cgid == OOM_EXT_ROOT_CGID, kill = false;
	struct rule r = {};
	u32 why = 0, state;
	u64 next;

	if (grace_rule(g->cgid, *now, &r))
		return 0;
	next = r.next_ns;
	/* An ordered read: a WAIT seen here comes with its deadline. */
	state = __sync_fetch_and_add(&g->state, 0);
	/* In a grace: every tick, for the hard conditions. */
	if (state != GRACE_IDLE)
		next = GRACE_TICK_NS;
	if (state != GRACE_IDLE && state != GRACE_WAIT) {
		/* Another handler is at it: look again soon. */
	} else if (state == GRACE_IDLE) {
		if (r.soft && !dry_run && *now >= g->quiet_until_ns)
			why = root ? OOM_EXT_PSI_WHY_SHORT : OOM_EXT_PSI_WHY_USAGE;
		if (next < GRACE_TICK_NS)
			next = GRACE_TICK_NS;
		if (next > GRACE_IDLE_MAX_NS)
			next = GRACE_IDLE_MAX_NS;
	} else if (r.hard) {
		why = root ? OOM_EXT_PSI_WHY_HARD_AVAIL : OOM_EXT_PSI_WHY_HARD_USAGE;
		kill = true;
	} else if (*now >= g->deadline_ns || hooks_replied(g)) {
		if (r.soft || stall_holds(g, *now)) {
			why = *now >= g->deadline_ns ? OOM_EXT_PSI_WHY_DEADLINE :
							 OOM_EXT_PSI_WHY_HOOKS;
			kill = true;
		} else {
			grace_calm(g->cgid, *now);
		}
	} else if (g->deadline_ns - *now < next) {
		next = g->deadline_ns - *now;
	}
	if (why) {
		u32 n = tick.n;

		if (n < GRACE_ACTIONS) {
			tick.cgid[n] = g->cgid;
			tick.why[n] = why;
			tick.kill[n] = kill;
			tick.n = n + 1;
		}
	}
	if (next < tick.next_ns)
		tick.next_ns = next;
	return 0;
}

/* The attachment's timer (bpf_psi_timer_start()): runs in process context. */
SEC("struct_ops.s/handle_timer")
void BPF_PROG(psi_timer, struct bpf_psi *bpf_psi)
{
	u64 now = bpf_ktime_get_ns();
	struct grace *g;
	u32 i;

	tick.n = 0;
	tick.next_ns = GRACE_IDLE_MAX_NS;
	bpf_for_each_map_elem(&graces, grace_check, &now, 0);
	bpf_for(i, 0, GRACE_ACTIONS) {
		u64 cgid;

		if (i >= tick.n)
			break;
		cgid = tick.cgid[i];
		if (tick.kill[i])
			grace_kill(cgid, tick.why[i]);
		else
			grace_warn(cgid, tick.why[i], now);
		/* Warned, or a kill to try again: look again soon. */
		g = bpf_map_lookup_elem(&graces, &cgid);
		if (g && g->state == GRACE_WAIT && tick.next_ns > GRACE_TICK_NS)
			tick.next_ns = GRACE_TICK_NS;
	}
	bpf_psi_timer_start(bpf_psi, tick.next_ns);
}

/* Track @cgid's grace; 0 or -errno. */
static int grace_watch(u64 cgid)
{
	struct grace *g;
	int err;

	err = bpf_map_update_elem(&graces, &cgid, grace_zero, BPF_NOEXIST);
	if (err)
		return err == -EEXIST ? 0 : err;
	g = bpf_map_lookup_elem(&graces, &cgid);
	if (!g)
		return -ENOENT;
	g->cgid = cgid;
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
		/* --grace: psi_timer() samples the rule, warns, then kills. */
		if (!err && grace_ns && avail_permille)
			err = grace_watch(cgid);
	} else {
		if (full_window_us)
			err = bpf_psi_create_trigger(bpf_psi, cgid, PSI_MEM | BPF_PSI_FULL,
						     full_threshold_us, full_window_us);
		if (!err && some_window_us)
			err = bpf_psi_create_trigger(bpf_psi, cgid, PSI_MEM,
						     some_threshold_us, some_window_us);
		/* --kill-full: the hard stall, in --full's window */
		if (!err && grace_ns && kill_full_window_us)
			err = bpf_psi_create_trigger(bpf_psi, cgid, PSI_MEM | BPF_PSI_FULL,
						     kill_full_us, kill_full_window_us);
		if (!err && grace_ns)
			err = grace_watch(cgid);
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
	if (avail_permille && !grace_ns) {
		int err = headroom_start();

		if (err)
			return err;
	}
	if (grace_ns) {
		int err = bpf_psi_timer_start(bpf_psi, 0);

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
		bpf_map_delete_elem(&graces, &cgroup_id);
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
	struct grace *g;
	int ret;

	__sync_fetch_and_add(&stats.events, 1);
	w = bpf_map_lookup_elem(&watched, &cgid);
	if (!w)
		return;
	if (cgid == OOM_EXT_ROOT_CGID) {
		root_stall(w, now, window_ns);
		return;
	}
	g = grace_ns ? bpf_map_lookup_elem(&graces, &cgid) : NULL;
	if (g && g->state != GRACE_IDLE) {
		/* In a grace: the rule still holds; a hard stall ends it. */
		g->last_stall_ns = now;
		if (full && kill_full_window_us && trigger->threshold_us == kill_full_us &&
		    trigger->window_us == kill_full_window_us)
			grace_kill(cgid, OOM_EXT_PSI_WHY_HARD_STALL);
		return;
	}
	/* The hard trigger alone does not start anything. */
	if (g && full && kill_full_window_us && trigger->threshold_us == kill_full_us &&
	    trigger->window_us == kill_full_window_us)
		return;

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
	/* --grace: warn what the kill would hit, kill at the deadline. */
	if (g && !dry_run) {
		bpf_put_mem_cgroup(memcg);
		if (now < g->quiet_until_ns)
			return;
		grace_warn(cgid, OOM_EXT_PSI_WHY_STALL, now);
		g->last_stall_ns = now;
		bpf_psi_timer_start(bpf_psi, GRACE_TICK_NS);
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
	.handle_timer = (void *)psi_timer,
	.name = "oom_psi_proactive",
};
