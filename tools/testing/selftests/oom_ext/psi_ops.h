/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by psi_ops.bpf.c and psi.c: the bpf_psi_create_trigger() calls
 * the test program's init() makes, and their results.
 */
#ifndef __OOM_PSI_OPS_H__
#define __OOM_PSI_OPS_H__

#define PSI_TEST_CASES	8

struct psi_case {
	__u64 cgid;
	__u32 resource;
	__u32 threshold_us;
	__u32 window_us;
	__s32 ret;		/* bpf_psi_create_trigger()'s result */
};

#endif /* __OOM_PSI_OPS_H__ */
