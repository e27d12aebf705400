/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF side of oom_ext: what every bpf_oom_ops policy includes.
 *
 * The kfunc declarations mirror mm/bpf_oom.c; see
 * Documentation/mm/bpf_oom.rst for what each may be used for.
 */
#ifndef __OOM_EXT_COMMON_BPF_H
#define __OOM_EXT_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* mm/bpf_oom.c: only callable from bpf_oom_ops programs */
extern int bpf_oom_kill_process(struct oom_control *oc, struct task_struct *task,
				const char *message__str) __ksym;
extern int bpf_task_is_oom_victim(struct task_struct *task) __ksym;

/* Generic task kfuncs */
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

/*
 * Declare a policy: OOM_OPS_DEFINE(my_ops, .handle_out_of_memory = ...,
 * .name = "my_policy"). Links are the only way to attach a bpf_oom_ops.
 */
#define OOM_OPS_DEFINE(__name, ...)					\
	SEC(".struct_ops.link")						\
	struct bpf_oom_ops __name = {					\
		__VA_ARGS__,						\
	}

#endif /* __OOM_EXT_COMMON_BPF_H */
