/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oom_ext selftests: attaching bpf_oom_ops policies and reading back what
 * the kernel reports about them (link info, fdinfo, the debugfs listing).
 */
#ifndef __OOM_POLICY_UTIL_H__
#define __OOM_POLICY_UTIL_H__

#include <stdbool.h>
#include <bpf/libbpf.h>

#include "policy.h"
#include "policy.bpf.skel.h"

/* Attach @map through a link: to the cgroup at @cg, or system-wide if NULL.
 * Returns 0 or -errno; *link is set on success. */
int ot_attach(struct bpf_map *map, const char *cg, struct bpf_link **link);

/* Open and load policy.bpf.c with @mode / @target_pid, attach it to @cg
 * (NULL: system-wide). Returns NULL on failure, with the reason printed. */
struct policy *ot_policy_start(const char *cg, int mode, int target_pid,
			       struct bpf_link **link);
void ot_policy_stop(struct policy *skel, struct bpf_link *link);

/* The cgroup id of a cgroup v2 directory (its inode number); -1 on error. */
long long ot_cgroup_id(const char *path);

/* A line of /sys/kernel/debug/bpf_oom. */
struct ot_listing {
	char name[64];
	unsigned long long cgroup_id;
	char cgroup[256];
	long long calls, handled, false_claims, kills;
};

/* Find the listing line of the policy attached to cgroup id @cgid.
 * Returns 1 found, 0 not listed, -errno if the listing is unreadable. */
int ot_listing_find(unsigned long long cgid, struct ot_listing *out);
/* Number of attached policies, or -errno. */
int ot_listing_count(void);

/* libbpf's messages since the last reset (the runner captures them). */
const char *ot_libbpf_log(void);
void ot_libbpf_log_reset(void);
int ot_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);

#endif /* __OOM_POLICY_UTIL_H__ */
