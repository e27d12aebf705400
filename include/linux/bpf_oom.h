/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF-programmable OOM handling: struct bpf_oom_ops and the hooks the OOM
 * killer and the memory controller call. See Documentation/mm/bpf_oom.rst.
 */
#ifndef __LINUX_BPF_OOM_H
#define __LINUX_BPF_OOM_H

#include <linux/types.h>
#include <linux/oom.h>
#include <uapi/linux/bpf_oom.h>

struct cgroup;
struct mem_cgroup;

#define BPF_OOM_NAME_MAX_LEN	64

/**
 * enum bpf_oom_result - what a bpf_oom_ops handler returns
 * @BPF_OOM_PASS: the handler killed nothing; the next policy up the
 *	hierarchy, then the in-kernel OOM killer, runs.
 * @BPF_OOM_HANDLED: the handler freed memory with a kfunc such as
 *	bpf_oom_kill_process().
 *
 * The kernel believes what the kfuncs did, not the return value: a call in
 * which a kfunc freed memory (oom_control::bpf_memory_freed) ends the walk,
 * whatever the handler returns; %BPF_OOM_HANDLED from a call that freed
 * nothing is counted as a false claim and the walk goes on.
 */
enum bpf_oom_result {
	BPF_OOM_PASS = 0,
	BPF_OOM_HANDLED = 1,
};

/**
 * struct bpf_oom_meminfo - the system's memory headroom, in pages
 * @total: usable RAM (MemTotal in /proc/meminfo)
 * @available: an estimate of the memory that new work can get without
 *	swapping (MemAvailable): free pages above the watermark reserves plus
 *	the reclaimable page cache and slab
 * @free: free pages (MemFree)
 * @swap_total: swap space (SwapTotal)
 * @swap_free: unused swap space (SwapFree)
 *
 * Filled by bpf_oom_get_meminfo(), which takes the size the program knows:
 * members are only ever added at the end.
 */
struct bpf_oom_meminfo {
	u64 total;
	u64 available;
	u64 free;
	u64 swap_total;
	u64 swap_free;
};

/**
 * struct bpf_oom_choice - what an OOM would kill, found by bpf_oom_choose()
 * @group_cgid: the cgroup id of the memcg that the kernel would kill as a
 *	whole after the first process (memory.oom.group), or 0
 * @nr: how many processes @pid and @start_ns hold
 * @more: the policy killed more processes than fit; those are not recorded
 * @pid: the processes the attached policy (or the kernel) would kill, in
 *	order, by thread group id
 * @start_ns: and their start times (task->start_time, ns since boot),
 *	which tell a process from a later one with the same pid
 *
 * Passed unchanged to bpf_oom_kill_choice() to kill exactly these
 * processes later. Flat, as kfunc memory arguments must be. Members are
 * only ever added at the end.
 */
struct bpf_oom_choice {
	u64 group_cgid;
	u32 nr;
	u32 more;
	u32 pid[BPF_OOM_CHOICE_MAX];
	u64 start_ns[BPF_OOM_CHOICE_MAX];
};

/**
 * struct bpf_oom_ops - a BPF OOM policy
 * @handle_out_of_memory: called under oom_lock for an OOM in the cgroup the
 *	policy is attached to or below it (for the root: every OOM). @cgrp is
 *	that attach cgroup. Runs in the allocating task with page faults
 *	disabled; must not wait for anything that may allocate memory.
 *	Returns an enum bpf_oom_result.
 * @name: shown in the OOM report and in the debugfs listing; an empty name
 *	becomes "bpf_oom".
 *
 * Members may be added at the end; programs match them by name.
 */
struct bpf_oom_ops {
	int (*handle_out_of_memory)(struct oom_control *oc, struct cgroup *cgrp);
	char name[BPF_OOM_NAME_MAX_LEN];
};

#ifdef CONFIG_BPF_OOM
bool bpf_oom_handle(struct oom_control *oc);
void bpf_oom_memcg_offline(struct mem_cgroup *memcg);
bool bpf_oom_report_nothing(const struct oom_control *oc);
bool bpf_oom_choice_done(struct oom_control *oc);

/* Is this a bpf_oom_choose() dry run, which must not kill? */
static inline bool bpf_oom_dry_run(const struct oom_control *oc)
{
	return oc->bpf_choice && !oc->bpf_kill_choice;
}

/*
 * Has a BPF policy already killed a task for this OOM? Its further kills
 * (a policy killing a whole group) skip the OOM report: the first kill
 * printed it. The flag is cleared before each policy call, so the kernel's
 * own kill after the policies pass always reports.
 */
static inline bool bpf_oom_reported(const struct oom_control *oc)
{
	return oc->bpf_memory_freed;
}

/* Was this OOM declared by bpf_out_of_memory() rather than an allocation? */
static inline bool bpf_oom_declared(const struct oom_control *oc)
{
	return oc->bpf_declared;
}
#else
static inline bool bpf_oom_handle(struct oom_control *oc)
{
	return false;
}

static inline void bpf_oom_memcg_offline(struct mem_cgroup *memcg)
{
}

static inline bool bpf_oom_reported(const struct oom_control *oc)
{
	return false;
}

static inline bool bpf_oom_declared(const struct oom_control *oc)
{
	return false;
}

static inline bool bpf_oom_report_nothing(const struct oom_control *oc)
{
	return true;
}

static inline bool bpf_oom_dry_run(const struct oom_control *oc)
{
	return false;
}

static inline bool bpf_oom_choice_done(struct oom_control *oc)
{
	return false;
}
#endif

#endif /* __LINUX_BPF_OOM_H */
