// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_out_of_memory() from a syscall program, run by the tests through
 * BPF_PROG_RUN: declare an OOM in the memcg of a cgroup id (0: global)
 * with the given order and flags, and hand back the result; the same
 * through the kernel's workqueue with bpf_out_of_memory_async(); and
 * bpf_oom_get_meminfo().
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

struct declare_args {
	u64 cgid;
	u64 flags;
	s32 order;
	s32 ret;
};

SEC("syscall")
int declare_oom(struct declare_args *args)
{
	struct mem_cgroup *memcg;

	if (!args->cgid) {
		args->ret = bpf_out_of_memory(NULL, args->order, args->flags);
		return 0;
	}
	memcg = oom_ext_memcg_get(args->cgid);
	if (!memcg)
		return -1;
	args->ret = bpf_out_of_memory(memcg, args->order, args->flags);
	bpf_put_mem_cgroup(memcg);
	return 0;
}

/* bpf_oom_get_meminfo() into the context, for comparison with /proc/meminfo. */
SEC("syscall")
int read_meminfo(struct bpf_oom_meminfo *info)
{
	struct bpf_oom_meminfo mi;

	if (bpf_oom_get_meminfo(&mi, sizeof(mi)) != sizeof(mi))
		return 1;
	*info = mi;
	return 0;
}

/* What a program built against an older or a newer struct gets. */
struct meminfo_sizes {
	s32 small;		/* with 8 bytes: -EINVAL */
	s32 large;		/* with 64 bytes: the kernel's size */
	u64 tail;		/* what it left beyond its own size: 0 */
};

SEC("syscall")
int meminfo_sizes(struct meminfo_sizes *out)
{
	u64 small = 1, large[8];

	__builtin_memset(large, 0xff, sizeof(large));
	out->small = bpf_oom_get_meminfo((void *)&small, sizeof(small));
	out->large = bpf_oom_get_meminfo((void *)large, sizeof(large));
	out->tail = large[5] | large[6] | large[7];
	return 0;
}

/* Queue a system-wide OOM with @args->flags; the result in @args->ret. */
SEC("syscall")
int declare_async(struct declare_args *args)
{
	args->ret = bpf_out_of_memory_async(args->flags);
	return 0;
}

struct burst_args {
	__u32 n;		/* requests to make, at most 16 */
	__u32 queued;		/* out: returned 0 */
	__u32 merged;		/* out: returned -EBUSY */
};

/* @args->n requests back to back: all but the first merge while it waits. */
SEC("syscall")
int declare_async_burst(struct burst_args *args)
{
	int i, ret;

	bpf_for(i, 0, args->n & 15) {
		ret = bpf_out_of_memory_async(0);
		if (!ret)
			args->queued++;
		else if (ret == -EBUSY)
			args->merged++;
	}
	return 0;
}
