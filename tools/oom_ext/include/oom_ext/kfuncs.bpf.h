/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF side of oom_ext: the kfuncs and small helpers that every program
 * here uses, bpf_oom_ops policies (common.bpf.h) and bpf_psi_ops ones
 * alike. The declarations mirror mm/bpf_oom.c, kernel/sched/bpf_psi.c and
 * the generic kfuncs; Documentation/mm/bpf_oom.rst says who may call what.
 */
#ifndef __OOM_EXT_KFUNCS_BPF_H
#define __OOM_EXT_KFUNCS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
/* The flags, from the UAPI headers (only #defines: no clash with vmlinux.h) */
#include <linux/bpf_oom.h>
#include <linux/bpf_psi.h>
#include <asm-generic/errno.h>

/* mm/bpf_oom.c: declare an OOM; from bpf_psi_ops and syscall programs */
extern int bpf_out_of_memory(struct mem_cgroup *memcg__nullable, int order,
			     u64 flags) __ksym __weak;

/*
 * mm/bpf_oom.c: the system's memory headroom (MemTotal, MemAvailable, ...
 * in pages); lock-free, callable from any struct_ops program and timers.
 */
extern int bpf_oom_get_meminfo(struct bpf_oom_meminfo *info, u32 info__szk) __ksym __weak;

/*
 * mm/bpf_oom.c: queue a declared system-wide OOM from a program that cannot
 * sleep (a bpf_timer callback); bpf_psi_ops and syscall programs.
 */
extern int bpf_out_of_memory_async(u64 flags) __ksym __weak;

/*
 * mm/bpf_oom.c: what an OOM would kill, without killing (a dry run), and
 * later the kill of exactly that; bpf_psi_ops and syscall programs.
 */
extern int bpf_oom_choose(struct mem_cgroup *memcg__nullable, struct bpf_oom_choice *choice,
			  u32 choice__szk, u64 flags) __ksym __weak;
extern int bpf_oom_kill_choice(struct mem_cgroup *memcg__nullable,
			       const struct bpf_oom_choice *choice, u32 choice__szk,
			       u64 flags) __ksym __weak;
extern int bpf_oom_signal_choice(struct mem_cgroup *memcg__nullable,
				 const struct bpf_oom_choice *choice, u32 choice__szk,
				 int sig) __ksym __weak;

/* fs/bpf_fs_kfuncs.c: user.* xattrs of a cgroup; needs CONFIG_BPF_LSM */
extern int bpf_cgroup_read_xattr(struct cgroup *cgroup, const char *name__str,
				 struct bpf_dynptr *value_p) __ksym __weak;

/* Generic task and RCU kfuncs */
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern struct cgroup *bpf_cgroup_from_id(u64 cgid) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;

/* mm/bpf_memcontrol.c */
extern struct mem_cgroup *bpf_get_root_mem_cgroup(void) __ksym;
extern struct mem_cgroup *bpf_get_mem_cgroup(struct cgroup_subsys_state *css) __ksym;
extern void bpf_put_mem_cgroup(struct mem_cgroup *memcg) __ksym;
extern unsigned long bpf_mem_cgroup_memory_events(struct mem_cgroup *memcg,
						  enum memcg_memory_event event) __ksym;
extern unsigned long bpf_mem_cgroup_page_state(struct mem_cgroup *memcg, int idx) __ksym;
extern void bpf_mem_cgroup_flush_stats(struct mem_cgroup *memcg) __ksym;

/* cgroup and task iterators (kernel/bpf/cgroup_iter.c, task_iter.c) */
extern int bpf_iter_css_new(struct bpf_iter_css *it,
			    struct cgroup_subsys_state *start, unsigned int flags) __ksym;
extern struct cgroup_subsys_state *bpf_iter_css_next(struct bpf_iter_css *it) __ksym;
extern void bpf_iter_css_destroy(struct bpf_iter_css *it) __ksym;
extern int bpf_iter_css_task_new(struct bpf_iter_css_task *it,
				 struct cgroup_subsys_state *css, unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_css_task_next(struct bpf_iter_css_task *it) __ksym;
extern void bpf_iter_css_task_destroy(struct bpf_iter_css_task *it) __ksym;

#define CLOCK_MONOTONIC		1
#define CSS_TASK_ITER_PROCS	(1U << 0)	/* include/linux/cgroup.h */
#define PF_KTHREAD		0x00200000	/* include/linux/sched.h */

/* kernel/sched/bpf_psi.c: only callable from bpf_psi_ops programs */
extern int bpf_psi_create_trigger(struct bpf_psi *bpf_psi, u64 cgroup_id,
				  u32 resource, u32 threshold_us,
				  u32 window_us) __ksym __weak;
extern int bpf_psi_timer_start(struct bpf_psi *bpf_psi, u64 delay_ns) __ksym __weak;

/*
 * libbpf matches a kfunc's prototype against the kernel's, and a pointer
 * to a struct that the program never dereferences is only a forward
 * declaration in the program's BTF, which does not match the kernel's
 * struct. A bpf_psi_ops program calls this once (it is a constant) so that
 * struct bpf_psi is emitted in full and bpf_psi_create_trigger() resolves.
 */
#define oom_ext_psi_btf_anchor()	bpf_core_type_exists(struct bpf_psi)

/* The cgroup id of a memcg, or 1 (the root) for NULL: a global OOM. */
static __always_inline u64 oom_ext_memcg_id(struct mem_cgroup *memcg)
{
	return memcg ? BPF_CORE_READ(memcg, css.cgroup, kn, id) : 1;
}

/* A memcg by its cgroup id, with a reference; NULL if it is gone. */
static __always_inline struct mem_cgroup *oom_ext_memcg_get(u64 cgid)
{
	struct mem_cgroup *memcg;
	struct cgroup *cgrp;

	cgrp = bpf_cgroup_from_id(cgid);
	if (!cgrp)
		return NULL;
	memcg = bpf_get_mem_cgroup(&cgrp->self);
	bpf_cgroup_release(cgrp);
	return memcg;
}

/*
 * What every tool shares with its loader, defined once at file scope:
 * OOM_EXT_STATE_DEFINE(struct my_stats) gives
 *
 *   dry_run	the -n flag, set by the loader before load
 *   stats	the counters the loader prints, of the type given
 *   events	the ring buffer of the records it prints
 *
 * bpf_oom_ops policies use OOM_EXT_POLICY_DEFINE() (common.bpf.h) instead.
 */
struct oom_ext_ringbuf {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
};

#define OOM_EXT_STATE_DEFINE(__stats_type)				\
	const volatile bool dry_run;					\
	__stats_type stats;						\
	struct oom_ext_ringbuf events SEC(".maps")

#endif /* __OOM_EXT_KFUNCS_BPF_H */
