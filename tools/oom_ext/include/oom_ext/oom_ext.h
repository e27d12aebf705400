/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User side of oom_ext: what every loader shares. Command line parsing for
 * the common options, the checks that turn bad input and a kernel without
 * bpf_oom_ops into one clear line, attaching, and the foreground loop that
 * prints decisions and counters until SIGINT/SIGTERM or until the attach
 * cgroup goes away.
 */
#ifndef __OOM_EXT_H
#define __OOM_EXT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

#include <oom_ext/event.h>

/* Exit codes: 0 clean exit, 1 runtime failure, 2 bad input/environment. */
#define OOM_EXT_EXIT_FAIL	1
#define OOM_EXT_EXIT_USAGE	2

#define OOM_EXT_MAX_CGROUPS	64

#define OOM_EXT_VERSION		"0.3"

struct oom_ext_opts {
	const char *cgroup;	/* -c PATH; NULL: system-wide */
	const char *cgroups[OOM_EXT_MAX_CGROUPS];	/* every -c, in order */
	unsigned int nr_cgroups;
	bool dry_run;		/* -n */
	unsigned int interval;	/* -i SECS; 0: no periodic counters */
	bool verbose;		/* -v */
	int oom_score_adj;	/* --oom-score-adj N; default -1000 */
	bool json;		/* --json */
};

#include <linux/compiler.h>	/* tools/include: __printf() */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Print "<tool>: <message>" on stderr, with a newline. */
__printf(1, 2) void oom_ext_err(const char *fmt, ...);
/* Print "<tool>: <message>" on stdout, as given, and flush it. */
__printf(1, 2) void oom_ext_info(const char *fmt, ...);

/*
 * Parse the common options (-c, -n, -i, -v, -V/--version, -h/--help,
 * --oom-score-adj). The tool's own long
 * options, if any, go through @extra_opt (return 0 if handled), with their
 * description in @extra_help (columns as in the common help); a tool for
 * which -c and -n mean something else describes them first there ("  -c
 * ..."). Exits with a clear line on bad input.
 */
struct option;
void oom_ext_parse(int argc, char **argv, const char *summary,
		   const struct option *extra, const char *extra_help,
		   int (*extra_opt)(int opt, const char *arg),
		   struct oom_ext_opts *opts);

/*
 * Check what must hold before anything is loaded: the capabilities
 * (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN), a cgroup v2
 * directory for -c (one only), a kernel with bpf_oom_ops. Exits with one
 * line if not.
 */
void oom_ext_check(const struct oom_ext_opts *opts);

/*
 * Keep this process alive and resident through an incident: mlockall() and
 * its own oom_score_adj (opts->oom_score_adj, default -1000). Warns and
 * goes on if either is not permitted. oom_ext_check() ends with it.
 */
void oom_ext_protect(const struct oom_ext_opts *opts);

/* The parts of oom_ext_check(), for tools that attach something else. */
void oom_ext_check_root(void);
/* @path must be a cgroup v2 directory with the memory controller. */
void oom_ext_check_cgroup(const char *opt, const char *path);
/* The kernel's BTF must have struct @type (else: "needs CONFIG_@config"). */
void oom_ext_check_kernel(const char *type, const char *what, const char *config);
/* Does the running kernel have the function (a kfunc, say) @name? */
bool oom_ext_kernel_has_func(const char *name);

/*
 * Attach a loaded struct_ops map to opts->cgroup (or system-wide). Exits
 * with one clear line on failure (already attached, ...).
 */
struct bpf_link *oom_ext_attach(struct bpf_map *ops, const struct oom_ext_opts *opts);

/*
 * Run in the foreground: print each decision from @events and the counters
 * in @stats every opts->interval seconds. Returns 0 after SIGINT/SIGTERM
 * (the caller then destroys the link), or when the attach cgroup is removed
 * (the kernel detached the policy), 1 on error.
 */
int oom_ext_run(struct bpf_link *link, struct bpf_map *events,
		const struct oom_ext_stats *stats, const struct oom_ext_opts *opts);

/*
 * The loop under oom_ext_run(), for tools with their own records: call
 * @on_event for each record of @events, @on_tick every opts->interval
 * seconds and once at the end. Returns as oom_ext_run() does, or with 0
 * once a callback has set oom_ext_done.
 */
extern bool oom_ext_done;
int oom_ext_loop(struct bpf_link *link, struct bpf_map *events,
		 ring_buffer_sample_fn on_event, void (*on_tick)(void),
		 const struct oom_ext_opts *opts);

/* Also call @fn every @secs seconds in the loop (one such hook per tool). */
void oom_ext_every(unsigned int secs, void (*fn)(void));

/*
 * The running kernel's configuration that the BPF helpers read
 * (CONFIG_PAGE_SHIFT), for bpf_object_open_opts.kconfig: libbpf would
 * otherwise need /proc/config.gz or /boot/config-$(uname -r).
 */
static inline const char *oom_ext_kconfig(void)
{
	static char kconfig[32];

	snprintf(kconfig, sizeof(kconfig), "CONFIG_PAGE_SHIFT=%d\n",
		 __builtin_ctzl(sysconf(_SC_PAGESIZE)));
	return kconfig;
}

/*
 * A skeleton's open and load, keyed by its name as sched_ext's
 * SCX_OPS_OPEN() and SCX_OPS_LOAD() are; each exits with one line on
 * failure. Between the two, the loader sets the skeleton's rodata.
 */
#define OOM_EXT_OPEN(__name)							\
({										\
	LIBBPF_OPTS(bpf_object_open_opts, __open_opts,				\
		    .kconfig = oom_ext_kconfig());				\
	struct __name *__skel = __name##__open_opts(&__open_opts);		\
										\
	if (!__skel) {								\
		oom_ext_err("cannot open the BPF object (run with -v for details)"); \
		exit(OOM_EXT_EXIT_FAIL);					\
	}									\
	__skel;									\
})

#define OOM_EXT_LOAD(__skel, __name)						\
do {										\
	if (__name##__load(__skel)) {						\
		oom_ext_err("the kernel rejected the policy (run with -v for the verifier log)"); \
		__name##__destroy(__skel);					\
		exit(OOM_EXT_EXIT_FAIL);					\
	}									\
} while (0)

/*
 * Attach the skeleton's bpf_oom_ops map @__ops, run oom_ext_run() on its
 * "events" ring buffer and "stats" counters, then detach and destroy the
 * skeleton. Evaluates to oom_ext_run()'s result, the exit status.
 */
#define OOM_EXT_ATTACH_RUN(__skel, __name, __ops, __opts)			\
({										\
	struct bpf_link *__link = oom_ext_attach((__skel)->maps.__ops, __opts);	\
	int __ret = oom_ext_run(__link, (__skel)->maps.events,			\
				&(__skel)->bss->stats, __opts);			\
										\
	bpf_link__destroy(__link);						\
	__name##__destroy(__skel);						\
	oom_ext_detached();							\
	__ret;									\
})

/* The cgroup id of the cgroup v2 directory @path; 0 if it is not one. */
__u64 oom_ext_cgroup_id(const char *path);

/*
 * Resolve a cgroup id to its path below /sys/fs/cgroup ("/" for the root),
 * or "cgroup#ID" once it is removed. Cached: cgroup v2 paths never change.
 */
const char *oom_ext_cgroup_path(__u64 cgid, char *buf, size_t len);

/*
 * --json: one object per line, {"time":..,"tool":..,"event":..,...}; the
 * events and their fields are listed in tools/oom_ext/README.md. Between
 * begin and end, a NULL key is an array element.
 */
extern bool oom_ext_json;
void oom_ext_json_begin(const char *event);
void oom_ext_json_str(const char *key, const char *v);
void oom_ext_json_int(const char *key, long long v);
void oom_ext_json_num(const char *key, double v);
void oom_ext_json_bool(const char *key, bool v);
void oom_ext_json_open(const char *key, char bracket);
void oom_ext_json_close(char bracket);
void oom_ext_json_end(void);

/* Pages in MiB, with the system's page size. */
double oom_ext_mib(__u64 pages);

/* "<tool>: detached", or its JSON event. */
void oom_ext_detached(void);

#endif /* __OOM_EXT_H */
