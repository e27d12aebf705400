/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Values that bpf_psi_ops programs pass to the kernel; see
 * Documentation/mm/bpf_oom.rst, "Pressure events".
 */
#ifndef _UAPI__LINUX_BPF_PSI_H__
#define _UAPI__LINUX_BPF_PSI_H__

/* Or'ed into bpf_psi_create_trigger()'s resource: watch "full" stalls. */
#define BPF_PSI_FULL	(1U << 31)

#endif /* _UAPI__LINUX_BPF_PSI_H__ */
