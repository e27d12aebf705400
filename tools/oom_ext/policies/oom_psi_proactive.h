/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oom_psi_proactive's records, settings and limits, shared by the policy
 * and its loader: fixed-size types only.
 */
#ifndef __OOM_PSI_PROACTIVE_H
#define __OOM_PSI_PROACTIVE_H

/*
 * The cgroups named to the policy (-c, --children and the children found
 * at start), and the cgroups it watches at once (with --children, every
 * child of a named parent).
 */
#define OOM_EXT_PSI_MAX_TARGETS		256
#define OOM_EXT_PSI_MAX_WATCHED		4096

/*
 * oom_psi_proactive's records: what it did about a pressure event, or a
 * change in the set of cgroups it watches.
 */
enum oom_ext_psi_action {
	OOM_EXT_PSI_DECLARED,	/* bpf_out_of_memory() in the cgroup */
	OOM_EXT_PSI_DRY_RUN,	/* would have declared one */
	OOM_EXT_PSI_COOLING,	/* pressure again within the cool-down */
	OOM_EXT_PSI_WATCHING,	/* triggers created on a cgroup */
	OOM_EXT_PSI_GONE,	/* a watched cgroup was removed */
	OOM_EXT_PSI_ERROR,	/* a kfunc failed: err */
	OOM_EXT_PSI_SHORT,	/* system-wide shortage: OOM queued, err */
	OOM_EXT_PSI_SHORT_DRY_RUN, /* would have declared one */
	OOM_EXT_PSI_SHORT_GAVE_UP, /* outlived a victim, or --cooldown: pausing */
	OOM_EXT_PSI_WARNED,	/* --grace: what the kill would hit was warned */
	OOM_EXT_PSI_CALMED,	/* --grace: the rule stopped holding; no kill */
	OOM_EXT_PSI_GRACE_KILL,	/* --grace: the warned were killed: err */
};

/* --grace: why a cgroup was warned (WARNED), or killed (GRACE_KILL). */
enum oom_ext_psi_why {
	OOM_EXT_PSI_WHY_STALL,		/* the stall rule held */
	OOM_EXT_PSI_WHY_USAGE,		/* usage over --warn-usage of memory.max */
	OOM_EXT_PSI_WHY_DEADLINE,	/* the grace ran out, the rule still held */
	OOM_EXT_PSI_WHY_HARD_USAGE,	/* usage reached --kill-usage of memory.max */
	OOM_EXT_PSI_WHY_HARD_STALL,	/* the full stall passed --kill-full */
	OOM_EXT_PSI_WHY_HOOKS,		/* every prekill hook replied, the rule held */
	OOM_EXT_PSI_WHY_SHORT,		/* the system-wide rule held */
	OOM_EXT_PSI_WHY_HARD_AVAIL,	/* available memory under --kill-avail */
};

struct oom_ext_psi_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u64 cgid;
	/*
	 * The cgroup's memory.events oom_kill, after; for the system-wide
	 * rule (cgid 1), the OOM victims marked during the shortage.
	 */
	__u64 oom_kills;
	__u64 stall_us;		/* DECLARED/DRY_RUN: the trigger's threshold */
	__u64 window_us;
	__u64 remaining_ms;	/* COOLING: cool-down left */
	__u32 action;		/* enum oom_ext_psi_action */
	__u32 full;		/* "full" rather than "some" stalls */
	__s32 err;		/* DECLARED: bpf_out_of_memory()'s result */
	__u32 explicit;		/* GONE: a cgroup named with -c or --children */
	/* SHORT: the sample that saw the shortage, in pages, and its time */
	__u64 total;
	__u64 available;
	__u64 swap_total;
	__u64 swap_free;
	__u64 seen_ns;		/* bpf_ktime_get_ns() of that sample; --grace:
				 * when the rule was seen to hold */
	/* WARNED, CALMED, GRACE_KILL (--grace) */
	__u64 deadline_ns;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 group_cgid;	/* the kill takes this cgroup whole (memory.oom.group) */
	__u64 usage;		/* the memcg's usage and memory.max, in pages */
	__u64 max;
	__u32 pid;		/* the first process to be killed */
	__u32 nr;		/* processes to be killed, besides the group's */
	__u32 signalled;	/* WARNED: processes the warning signal reached */
	__u32 why;		/* enum oom_ext_psi_why */
	__u64 kill_id;		/* names one grace's records, and its hooks' calls */
};


/* What the loader asks oom_psi_proactive to watch, by cgroup id. */
#define OOM_EXT_PSI_WATCH	1	/* -c: the cgroup itself */
#define OOM_EXT_PSI_PARENT	2	/* --children: its children */

struct oom_ext_psi_target {
	__u64 cgid;
	__u32 how;		/* OOM_EXT_PSI_WATCH or _PARENT */
	__u32 explicit;		/* named on the command line */
};

struct oom_ext_psi_stats {
	__u64 events;		/* handle_psi_event() calls */
	__u64 unconfirmed;	/* first event of an incident: waiting */
	__u64 cooling;		/* ignored during a cool-down */
	__u64 declared;		/* OOMs declared (or, with -n, not) */
	__u64 kills;		/* declared OOMs that killed */
	__u64 watched;		/* cgroups with triggers now */
	__u64 progressing;	/* held near memory.high by reclaim: not declared */
	__u64 samples;		/* system-wide rule: memory samples taken */
	__u64 short_waits;	/* shortage seen, the previous request still queued */
	__u64 warned;		/* --grace: owners warned */
	__u64 calmed;		/* ... whose rule stopped holding in time */
	__u64 grace_kills;	/* ... killed at the deadline or at a hard condition */
};

#endif /* __OOM_PSI_PROACTIVE_H */
