/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between holders.bpf.c and holders.c, which prints what it finds. */
#ifndef __OOM_TEST_HOLDERS_H__
#define __OOM_TEST_HOLDERS_H__

#ifdef __bpf__
/* mm/memcontrol.c's per-CPU charge cache, read by holders.bpf.c. */
extern const struct memcg_stock_pcp memcg_stock __ksym;
#else
#include <linux/types.h>
#endif

#define HOLDERS_MAX	32
#define HOLDERS_CPUS	8
#define HOLDERS_SLOTS	7	/* NR_MEMCG_STOCK */

/* A cgroup below the parent; a count of -1 is a live (per-CPU) one. */
struct holder_cgroup {
	__u64 cgid;
	__s64 refs;		/* the cgroup, that is its self css */
	__s64 bpf_refs;		/* cgroup_bpf: sockets, BPF links, descendants */
	__u32 flags;		/* css flags: CSS_ONLINE 2, CSS_RELEASED 4, CSS_DYING 16 */
};

/* A memory css below the parent's, matched to its cgroup by cgid. */
struct holder_memcg {
	__u64 cgid;
	__s64 refs;
	__s64 pages;		/* memcg->memory usage */
	__s32 id_refs;		/* memcg ID references (swap, zswap) */
	__u32 flags;
};

/*
 * A CPU's charge cache besides the memcgs it holds: the pages of each
 * slot, its FLUSHING_CACHED_CHARGE flag (a drain is queued, and
 * drain_all_stock() skips this CPU until it ran), whether its drain work
 * is pending, the next slot to evict and whether its lock is taken.
 */
struct holder_cpu {
	__u8 nr_pages[HOLDERS_SLOTS];
	__u8 drain_idx;
	__u8 locked;
	__u8 work_pending;
	__u64 flags;
};

#ifndef __bpf__
/*
 * Below @parent, a removed cgroup is not released: print what holds it,
 * release the usual holders one by one (charge caches, pages, time), and
 * return how many are still dying after that.
 */
long long ot_explain_dying(const char *parent);
/* Removed cgroups below @parent still dying after waiting up to @ms. */
long long ot_dying_after(const char *parent, int ms);
#endif

#endif
