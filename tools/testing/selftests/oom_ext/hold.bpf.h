/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A handler that stays busy until the test lets it go: the test programs'
 * way to hold oom_lock (policy.bpf.c) or a bpf_psi_ops worker
 * (psi_ops.bpf.c) for as long as a test needs. The handshake goes through
 * atomics, so that the loop rereads *release.
 */
#ifndef __OOM_TEST_HOLD_BPF_H__
#define __OOM_TEST_HOLD_BPF_H__

/*
 * Set *@held to 1, spin until *@release is set, for at most 64 x 2^20
 * checks (one loop may not exceed BPF_MAX_LOOPS), then set *@held to 2.
 * With @memcg, flush its statistics between spins: a sleepable kfunc that
 * bpf_oom_ops handlers may call under oom_lock.
 */
static __always_inline void ot_hold(int *held, int *release, struct mem_cgroup *memcg)
{
	int i, j;

	/* One load of @memcg, checked once: the verifier tracks that value. */
	barrier_var(memcg);
	__sync_lock_test_and_set(held, 1);
	bpf_for(j, 0, 64) {
		if (memcg)
			bpf_mem_cgroup_flush_stats(memcg);
		bpf_for(i, 0, 1 << 20) {
			if (__sync_fetch_and_add(release, 0))
				break;
		}
		if (__sync_fetch_and_add(release, 0))
			break;
	}
	__sync_lock_test_and_set(held, 2);
}

#endif /* __OOM_TEST_HOLD_BPF_H__ */
