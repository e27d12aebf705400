/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decision record a policy sends to its loader through the "events"
 * ring buffer, and the counters it keeps in "stats". Shared by the BPF and
 * the user side, so it uses only fixed-size types.
 */
#ifndef __OOM_EXT_EVENT_H
#define __OOM_EXT_EVENT_H

#define OOM_EXT_COMM_LEN	16
#define OOM_EXT_REASON_LEN	64

enum oom_ext_action {
	OOM_EXT_KILLED,		/* the policy killed the victim */
	OOM_EXT_DRY_RUN,	/* would have killed it; passed to the kernel */
	OOM_EXT_PASSED,		/* nothing to do: the kernel decides */
	OOM_EXT_FAILED,		/* bpf_oom_kill_process() refused */
};

/*
 * How a policy sees a cgroup: its configuration (set by the loader) and,
 * in an explanation, what a candidate stands for.
 */
#define OOM_EXT_CG_PREFER	(1U << 0)	/* score scaled up */
#define OOM_EXT_CG_AVOID	(1U << 1)	/* score scaled down */
#define OOM_EXT_CG_OMIT		(1U << 2)	/* never chosen */
#define OOM_EXT_CG_GROUP_KILL	(1U << 3)	/* killed as a whole */
#define OOM_EXT_CG_OWN_TASKS	(1U << 4)	/* the processes charged to the parent itself */
#define OOM_EXT_CG_OOM_GROUP	(1U << 5)	/* memory.oom.group=1 */
#define OOM_EXT_CG_XATTR	(1U << 6)	/* prefer/avoid/omit from an oomd_* mark */

#define OOM_EXT_MAX_LEVELS	8

/*
 * Limits that a policy and its loader share, in one place: the cgroups
 * configured on oom_cgroup_aware's command line (its settings map), the
 * cgroups named to oom_psi_proactive, and the cgroups it watches at once
 * (with --children, every child of a named parent).
 */
#define OOM_EXT_MAX_CONFIGURED		256
#define OOM_EXT_PSI_MAX_TARGETS		256
#define OOM_EXT_PSI_MAX_WATCHED		4096

/*
 * One level of a hierarchical choice: the candidate taken and the best one
 * not taken (runner_cgid 0: there was no other), with their scores.
 */
struct oom_ext_level {
	__u64 parent_cgid;
	__u64 chosen_cgid;
	__u64 runner_cgid;
	__u64 chosen_score;	/* pages, after bias */
	__u64 runner_score;
	__u32 chosen_flags;	/* OOM_EXT_CG_* */
	__u32 runner_flags;
};

/*
 * The explanation a policy builds for its next decision: hierarchical
 * policies fill one level per step of their walk. Handlers run one at a
 * time (under oom_lock), so a single copy serves every call; reset it at
 * the start.
 */
struct oom_ext_explanation {
	__u32 nr_killed;
	__u32 nr_levels;
	struct oom_ext_level levels[OOM_EXT_MAX_LEVELS];
};

struct oom_ext_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u64 domain_cgid;	/* the OOMing memcg's cgroup id (1: global) */
	__u64 victim_cgid;	/* the victim's cgroup id */
	__u64 pages;		/* victim size: rss + swap + page tables */
	__s32 pid;
	__s32 err;		/* bpf_oom_kill_process() result */
	__u32 action;		/* enum oom_ext_action */
	char comm[OOM_EXT_COMM_LEN];
	char reason[OOM_EXT_REASON_LEN];
	__u32 nr_killed;	/* tasks killed (a group kill: more than one) */
	__u32 nr_levels;	/* levels[] used; 0 for flat policies */
	struct oom_ext_level levels[OOM_EXT_MAX_LEVELS];
};

struct oom_ext_stats {
	__u64 calls;		/* handler invocations */
	__u64 kills;
	__u64 passes;		/* returned BPF_OOM_PASS */
	__u64 refused;		/* kills the kernel refused */
};

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
	__u64 seen_ns;		/* bpf_ktime_get_ns() of that sample */
};

/* The root cgroup's id on cgroup2 (kernfs gives the root inode 1). */
#define OOM_EXT_ROOT_CGID	1

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
};

#endif /* __OOM_EXT_EVENT_H */
