/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oom_ext selftests: attaching bpf_oom_ops policies and reading back what
 * the kernel reports about them (link info, fdinfo, the debugfs listing).
 */
#ifndef __OOM_POLICY_UTIL_H__
#define __OOM_POLICY_UTIL_H__

#include <stdbool.h>
#include <sys/types.h>
#include <bpf/libbpf.h>

#include <linux/types.h>
#include <linux/bpf_oom.h>
#include <linux/bpf_psi.h>
#include <oom_ext/event.h>

#include "oom_test.h"
#include "policy.h"
#include "policy.bpf.skel.h"

/*
 * Attach @map through a link: to the cgroup at @cg, or system-wide if NULL.
 * Returns 0 or -errno; *link is set on success.
 */
int ot_attach(struct bpf_map *map, const char *cg, struct bpf_link **link);

/*
 * Open and load policy.bpf.c with @mode / @target_pid, attach it to @cg
 * (NULL: system-wide). Returns NULL on failure, with the reason printed.
 */
struct policy *ot_policy_start(const char *cg, int mode, int target_pid,
			       struct bpf_link **link);
void ot_policy_stop(struct policy *skel, struct bpf_link *link);

/* A line of /sys/kernel/debug/bpf_oom. */
struct ot_listing {
	char name[64];
	unsigned long long cgroup_id;
	char cgroup[256];
	long long calls, handled, false_claims, kills;
};

/*
 * Find the listing line of the policy attached to cgroup id @cgid.
 * Returns 1 found, 0 not listed, -errno if the listing is unreadable.
 */
int ot_listing_find(unsigned long long cgid, struct ot_listing *out);
/* Number of attached policies, or -errno. */
int ot_listing_count(void);

/* A tools/oom_ext loader run as a child, with its stdout and stderr. */
struct ot_proc {
	pid_t pid;
	int out, err;		/* read ends */
	int status;		/* wait status once it exited */
};

/* Path of a loader built by `make -C tools/oom_ext`; NULL if not built. */
const char *ot_loader_path(const char *name);
/* Start @argv[0] (a path) with @argv; as user @uid unless it is 0. */
int ot_proc_start(struct ot_proc *p, const char *const argv[], uid_t uid);
/* The same, keeping the capabilities in @caps (bit n: capability n). */
int ot_proc_start_caps(struct ot_proc *p, const char *const argv[], uid_t uid, __u64 caps);
/* Read @fd until a line contains @needle; copy that line to @line. 1 found. */
int ot_proc_read_until(int fd, const char *needle, char *line, size_t len, int timeout_ms);
/* Wait for exit; returns 0 and sets p->status, -ETIMEDOUT, or -errno. */
int ot_proc_wait(struct ot_proc *p, int timeout_ms);
/* Everything left on @fd (after the process exited), NUL-terminated. */
void ot_proc_slurp(int fd, char *buf, size_t len);
void ot_proc_kill(struct ot_proc *p);

/*
 * Load @obj (an opened skeleton's object), whose program calls @kfunc where
 * it may not: the verifier must refuse it, and for that kfunc.
 */
enum oom_test_status ot_expect_kfunc_refused(struct bpf_object *obj, const char *kfunc);
/* Load @obj, which calls @what: the verifier must refuse it with @want. */
enum oom_test_status ot_expect_load_refused(struct bpf_object *obj, const char *what,
					    const char *want);

/* Start tools/oom_ext's @tool with @args (NULL-terminated) as @uid. */
enum oom_test_status ot_loader_start(struct ot_proc *p, const char *tool,
				     const char *const args[], uid_t uid);
/* The same as @uid with exactly the capabilities in @caps. */
enum oom_test_status ot_loader_start_caps(struct ot_proc *p, const char *tool,
					  const char *const args[], uid_t uid, __u64 caps);

/* Wait for the loader's "attached to" line. */
enum oom_test_status ot_loader_attached(struct ot_proc *p);

/*
 * Run @tool with bad input @args: it must exit non-zero with exactly one
 * line on stderr, containing @expect.
 */
enum oom_test_status ot_loader_rejects(struct ot_proc *p, const char *tool,
				       const char *const args[], uid_t uid,
				       const char *expect);

struct declare;
/*
 * bpf_out_of_memory(memcg of @cgid or global if 0, @order, @flags) through
 * declare.bpf.c's syscall program; 0 with its result in @ret, or -errno.
 */
int ot_declare(struct declare *skel, __u64 cgid, int order, __u64 flags, int *ret);

/* libbpf's messages since the last reset (the runner captures them). */
const char *ot_libbpf_log(void);
void ot_libbpf_log_reset(void);
int ot_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);

#endif /* __OOM_POLICY_UTIL_H__ */
