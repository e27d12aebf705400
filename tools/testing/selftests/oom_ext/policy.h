/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between policy.bpf.c and the tests that drive it. */
#ifndef __OOM_TEST_POLICY_H__
#define __OOM_TEST_POLICY_H__

enum test_policy_mode {
	MODE_PASS,	/* return BPF_OOM_PASS */
	MODE_KILL,	/* kill target_pid; HANDLED if that worked */
	MODE_CLAIM,	/* return BPF_OOM_HANDLED without freeing anything */
	MODE_HOLD,	/* set held, spin (bounded) until release, then pass */
	MODE_KILL_PASS,	/* kill target_pid, then return BPF_OOM_PASS anyway */
	MODE_KILL_TWICE, /* kill target_pid, try again (kill2_ret), then pass */
	MODE_GARBAGE,	/* return a value that is no enum bpf_oom_result */
	MODE_KILL_CURRENT, /* kill the allocating task; HANDLED if that worked */
};

#endif
