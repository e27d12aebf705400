// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_oom_ops handlers that each call one sleepable kfunc of the common
 * sets that is not safe under oom_lock: the verifier must refuse every
 * one. The copies from user memory go through access_process_vm() or
 * fault pages in (the target's mmap_lock, a charge that re-enters the OOM
 * path); the kmem_cache iterator takes slab_mutex. The test loads one
 * struct_ops map at a time.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

extern int bpf_copy_from_user_str(void *dst, u32 dst__sz, const void *unsafe_ptr__ign,
				  u64 flags) __ksym __weak;
extern int bpf_copy_from_user_task_str(void *dst, u32 dst__sz, const void *unsafe_ptr__ign,
				       struct task_struct *tsk, u64 flags) __ksym __weak;
extern int bpf_copy_from_user_dynptr(const struct bpf_dynptr *dptr, u64 off, u64 size,
				     const void *unsafe_ptr__ign) __ksym __weak;
extern int bpf_copy_from_user_str_dynptr(const struct bpf_dynptr *dptr, u64 off, u64 size,
					 const void *unsafe_ptr__ign) __ksym __weak;
extern int bpf_copy_from_user_task_dynptr(const struct bpf_dynptr *dptr, u64 off, u64 size,
					  const void *unsafe_ptr__ign,
					  struct task_struct *tsk) __ksym __weak;
extern int bpf_copy_from_user_task_str_dynptr(const struct bpf_dynptr *dptr, u64 off, u64 size,
					      const void *unsafe_ptr__ign,
					      struct task_struct *tsk) __ksym __weak;
extern int bpf_iter_kmem_cache_new(struct bpf_iter_kmem_cache *it) __ksym __weak;
extern struct kmem_cache *bpf_iter_kmem_cache_next(struct bpf_iter_kmem_cache *it) __ksym __weak;
extern void bpf_iter_kmem_cache_destroy(struct bpf_iter_kmem_cache *it) __ksym __weak;

unsigned long user_addr;
char buf[16];

/* One handler in its own struct_ops map, named after the kfunc it calls. */
#define DENY_OPS(__kfunc, __body)						\
	SEC("struct_ops.s/handle_out_of_memory")				\
	int BPF_PROG(call_##__kfunc, struct oom_control *oc, struct cgroup *cgrp) \
	{									\
		__body;								\
		return BPF_OOM_PASS;						\
	}									\
	SEC(".struct_ops.link")							\
	struct bpf_oom_ops ops_##__kfunc = {					\
		.handle_out_of_memory = (void *)call_##__kfunc,			\
		.name = #__kfunc,						\
	}

/* The task variants need a trusted task: init's, released at once. */
#define WITH_TASK(__call)							\
	do {									\
		struct task_struct *t = bpf_task_from_pid(1);			\
										\
		if (t) {							\
			__call;							\
			bpf_task_release(t);					\
		}								\
	} while (0)

#define WITH_DYNPTR(__call)							\
	do {									\
		struct bpf_dynptr d;						\
										\
		bpf_dynptr_from_mem(buf, sizeof(buf), 0, &d);			\
		__call;								\
	} while (0)

DENY_OPS(bpf_copy_from_user_str,
	 bpf_copy_from_user_str(buf, sizeof(buf), (void *)user_addr, 0));
DENY_OPS(bpf_copy_from_user_task_str,
	 WITH_TASK(bpf_copy_from_user_task_str(buf, sizeof(buf), (void *)user_addr, t, 0)));
DENY_OPS(bpf_copy_from_user_dynptr,
	 WITH_DYNPTR(bpf_copy_from_user_dynptr(&d, 0, 8, (void *)user_addr)));
DENY_OPS(bpf_copy_from_user_str_dynptr,
	 WITH_DYNPTR(bpf_copy_from_user_str_dynptr(&d, 0, 8, (void *)user_addr)));
DENY_OPS(bpf_copy_from_user_task_dynptr,
	 WITH_TASK(WITH_DYNPTR(bpf_copy_from_user_task_dynptr(&d, 0, 8, (void *)user_addr, t))));
DENY_OPS(bpf_copy_from_user_task_str_dynptr,
	 WITH_TASK(WITH_DYNPTR(bpf_copy_from_user_task_str_dynptr(&d, 0, 8,
								  (void *)user_addr, t))));
DENY_OPS(bpf_iter_kmem_cache_new,
	 struct bpf_iter_kmem_cache it;
	 bpf_iter_kmem_cache_new(&it);
	 bpf_iter_kmem_cache_next(&it);
	 bpf_iter_kmem_cache_destroy(&it));
