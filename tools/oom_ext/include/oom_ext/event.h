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
};

struct oom_ext_stats {
	__u64 calls;		/* handler invocations */
	__u64 kills;
	__u64 passes;		/* returned BPF_OOM_PASS */
	__u64 failures;		/* kills the kernel refused */
};

#endif /* __OOM_EXT_EVENT_H */
