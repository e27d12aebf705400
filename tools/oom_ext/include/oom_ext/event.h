/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decision record a policy sends to its loader through the "events"
 * ring buffer, and the counters it keeps in "stats": what every bpf_oom_ops
 * tool shares, and the library prints. Shared by the BPF and the user
 * side, so it uses only fixed-size types. A policy's own records and
 * limits are in its own header next to it (policies/<name>.h).
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
	OOM_EXT_CHOSEN,		/* bpf_oom_choose()'s dry run: chosen, not killed */
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
#define OOM_EXT_CG_GROWTH	(1U << 7)	/* chosen for its recent growth */

#define OOM_EXT_MAX_LEVELS	8

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
	__u64 chosen_growth;	/* pages grown recently, above protection, after bias */
	__u64 runner_growth;
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
	__u64 group_cgid;	/* a group kill: the cgroup it took whole; else 0 */
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
	__u64 group_cgid;	/* a group kill: the cgroup it took whole; else 0 */
	__u32 uid;		/* the victim's real uid */
	__u32 __pad;
	struct oom_ext_level levels[OOM_EXT_MAX_LEVELS];
};

struct oom_ext_stats {
	__u64 calls;		/* handler invocations */
	__u64 kills;
	__u64 passes;		/* returned BPF_OOM_PASS */
	__u64 refused;		/* kills the kernel refused */
};

/* The root cgroup's id on cgroup2 (kernfs gives the root inode 1). */
#define OOM_EXT_ROOT_CGID	1

#endif /* __OOM_EXT_EVENT_H */
