// SPDX-License-Identifier: GPL-2.0
/*
 * What holds a removed cgroup. For every cgroup below a parent, removed
 * ones that the kernel has not freed included (a css stays on its parent's
 * children list until it is released), a syscall program reports the
 * reference counts of the cgroup, of its cgroup_bpf and of its memory css,
 * the pages still charged to the memcg and its ID references; and which
 * cgroup's memcg each per-CPU charge cache slot holds. The stress tests
 * print this when a removed cgroup is not released, so that a failure
 * says which reference is left.
 *
 * A killed css's percpu_ref is in atomic mode: data->count is the number
 * of references. A live one counts per CPU and is reported as -1.
 */
#include <oom_ext/common.bpf.h>
#include "holders.h"

char _license[] SEC("license") = "GPL";

#define PERCPU_REF_ATOMIC	1UL

u32 nr_cgroups, nr_memcgs;
struct holder_cgroup cgroups[HOLDERS_MAX];
struct holder_memcg memcgs[HOLDERS_MAX];
u64 stock[HOLDERS_CPUS][HOLDERS_SLOTS];	/* cgid of the memcg cached, or 0 */
struct holder_cpu stock_cpu[HOLDERS_CPUS];

#define WORK_STRUCT_PENDING	1UL

static s64 ref_count(struct percpu_ref *ref)
{
	if (!(BPF_CORE_READ(ref, percpu_count_ptr) & PERCPU_REF_ATOMIC))
		return -1;
	return BPF_CORE_READ(ref, data, count.counter);
}

static void read_stock(void)
{
	u32 cpu, i;

	for (cpu = 0; cpu < HOLDERS_CPUS; cpu++) {
		const struct memcg_stock_pcp *s = bpf_per_cpu_ptr(&memcg_stock, cpu);

		if (!s)
			break;
		for (i = 0; i < HOLDERS_SLOTS; i++) {
			stock[cpu][i] = BPF_CORE_READ(s, cached[i], css.cgroup, kn, id);
			stock_cpu[cpu].nr_pages[i] = s->nr_pages[i];
		}
		stock_cpu[cpu].drain_idx = s->drain_idx;
		stock_cpu[cpu].locked = s->lock.acquired;
		stock_cpu[cpu].flags = s->flags;
		stock_cpu[cpu].work_pending =
			!!(BPF_CORE_READ(s, work.data.counter) & WORK_STRUCT_PENDING);
	}
}

SEC("syscall")
int find_holders(u64 *parent_cgid)
{
	struct cgroup_subsys_state *pos;
	struct mem_cgroup *pmemcg;
	struct cgroup *parent;
	u32 n = 0;

	parent = bpf_cgroup_from_id(*parent_cgid);
	if (!parent)
		return -1;
	pmemcg = bpf_get_mem_cgroup(&parent->self);
	if (!pmemcg) {
		bpf_cgroup_release(parent);
		return -1;
	}
	bpf_rcu_read_lock();
	bpf_for_each(css, pos, &parent->self, BPF_CGROUP_ITER_DESCENDANTS_PRE) {
		struct cgroup *cgrp = pos->cgroup;
		struct holder_cgroup *h;

		if (n >= HOLDERS_MAX)
			break;
		h = &cgroups[n++];
		h->cgid = BPF_CORE_READ(cgrp, kn, id);
		h->refs = ref_count(&cgrp->self.refcnt);
		h->bpf_refs = ref_count(&cgrp->bpf.refcnt);
		h->flags = pos->flags;
	}
	nr_cgroups = n;
	n = 0;
	bpf_for_each(css, pos, &pmemcg->css, BPF_CGROUP_ITER_DESCENDANTS_PRE) {
		struct mem_cgroup *memcg = bpf_core_cast(pos, struct mem_cgroup);
		struct holder_memcg *h;

		if (n >= HOLDERS_MAX)
			break;
		h = &memcgs[n++];
		h->cgid = BPF_CORE_READ(pos, cgroup, kn, id);
		h->refs = ref_count(&memcg->css.refcnt);
		h->flags = memcg->css.flags;
		h->pages = memcg->memory.usage.counter;
		h->id_refs = memcg->id.ref.refs.counter;
	}
	nr_memcgs = n;
	bpf_rcu_read_unlock();
	read_stock();
	bpf_put_mem_cgroup(pmemcg);
	bpf_cgroup_release(parent);
	return 0;
}
