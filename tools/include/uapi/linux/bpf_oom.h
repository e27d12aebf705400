/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Values that BPF OOM programs pass to the kernel; see
 * Documentation/mm/bpf_oom.rst.
 */
#ifndef _UAPI__LINUX_BPF_OOM_H__
#define _UAPI__LINUX_BPF_OOM_H__

/* bpf_out_of_memory() flags: wait for oom_lock instead of -EBUSY. */
#define BPF_OOM_FLAGS_WAIT_ON_OOM_LOCK	(1ULL << 0)

/* The processes a struct bpf_oom_choice (bpf_oom_choose()) can hold. */
#define BPF_OOM_CHOICE_MAX		16

#endif /* _UAPI__LINUX_BPF_OOM_H__ */
