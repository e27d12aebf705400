/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User side of oom_ext: what every loader shares. Its options and its
 * output are tables (an option table, the fields of each record), so a
 * loader says what it takes and what it prints once, and the library
 * parses, checks, writes --help, text and JSON from them. The checks that
 * turn bad input and a kernel without bpf_oom_ops into one clear line,
 * attaching, and one foreground loop that prints until SIGINT/SIGTERM or
 * until the attach cgroup goes away.
 */
#ifndef __OOM_EXT_H
#define __OOM_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

#include <oom_ext/event.h>

/* Exit codes: 0 clean exit, 1 runtime failure, 2 bad input/environment. */
#define OOM_EXT_EXIT_FAIL	1
#define OOM_EXT_EXIT_USAGE	2

#define OOM_EXT_VERSION		"0.4"

#include <linux/compiler.h>	/* tools/include: __printf() */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* Print "<tool>: <message>" on stderr, with a newline. */
__printf(1, 2) void oom_ext_err(const char *fmt, ...);

/*
 * Options from a table (lib/options.c). A loader describes each of its
 * options once, with where its value goes, often straight into the opened
 * skeleton's rodata as scx_qmap does; oom_ext_parse() builds getopt's
 * tables, --help and the checks from that. Bad input: one line on stderr,
 * exit 2.
 */
enum oom_ext_opt_kind {
	OOM_EXT_OPT_FLAG,	/* bool: set to true */
	OOM_EXT_OPT_SECS,	/* seconds, 0 to 86400, times ->scale into a __u64 */
	OOM_EXT_OPT_INT,	/* int from ->min to ->max */
	OOM_EXT_OPT_PERCENT,	/* 0.1 to 100, as permille into a __u32 */
	OOM_EXT_OPT_STALL,	/* T/W, 0 < T <= W <= 10s: microseconds into two __u32 */
	OOM_EXT_OPT_STALL_OFF,	/* the same, or "off": both 0 */
	OOM_EXT_OPT_PATH,	/* const char *: given at most once */
	OOM_EXT_OPT_PATHS,	/* appended to a struct oom_ext_paths with ->tag */
	OOM_EXT_OPT_DURATION,	/* "5s", "500ms", "2" (seconds), at most 1 h: ns into a __u64 */
	OOM_EXT_OPT_SIGNAL,	/* "TERM", "SIGINT", "15" or "none" (0): into an int */
	OOM_EXT_OPT_COMMAND,	/* const char *: a /bin/sh command whose first word is
				 * an executable file (a path, or a name in PATH) */
	OOM_EXT_OPT_OUTFILE,	/* const char *: a file to write, in a writable directory */
	OOM_EXT_OPT_CUSTOM,	/* ->parse(arg, dest) */
};

struct oom_ext_option {
	const char *name;	/* long name, or NULL */
	int key;		/* short option letter, or 0 */
	const char *arg;	/* its argument in --help ("PATH"); NULL: none */
	const char *help;	/* --help text, lines separated by '\n' */
	enum oom_ext_opt_kind kind;
	void *dest;		/* where the value goes */
	void *dest2;		/* STALL: the window (dest: the stall time) */
	long min, max;		/* INT */
	__u64 scale;		/* SECS: units per second (0: 1) */
	__u32 tag;		/* PATHS: kept with the path */
	/* CUSTOM: store @arg in @dest; on bad input print one line, exit 2 */
	void (*parse)(const struct oom_ext_option *o, const char *arg);
};

/* Paths given with OOM_EXT_OPT_PATHS options, in command-line order. */
struct oom_ext_path {
	const char *path;
	__u64 cgid;		/* the loader's to fill */
	__u32 tag;
};

struct oom_ext_paths {
	struct oom_ext_path *v;
	unsigned int n, max;
};

#define OOM_EXT_PATHS_INIT(__array)	{ .v = (__array), .max = ARRAY_SIZE(__array) }

/* Add @path to @paths; exits with one line naming @opt when full. */
struct oom_ext_path *oom_ext_paths_add(struct oom_ext_paths *paths, const char *opt,
				       const char *path, __u32 tag);

/* The two options of every bpf_oom_ops loader: -c PATH and -n. */
#define OOM_EXT_OPT_ATTACH(__dest)						\
	{ .key = 'c', .arg = "PATH", .kind = OOM_EXT_OPT_PATH, .dest = (__dest),	\
	  .help = "attach to the memory cgroup at PATH (default: the root\n"	\
		  "cgroup, system-wide)" }
#define OOM_EXT_OPT_DRY_RUN(__dest)						\
	{ .key = 'n', .kind = OOM_EXT_OPT_FLAG, .dest = (void *)(__dest),	\
	  .help = "dry run: report each decision and pass, so the kernel\n"	\
		  "chooses the victim" }

/* A loader: what --help says before and after its options. */
struct oom_ext_tool {
	const char *summary;
	const struct oom_ext_option *options;	/* ends with an empty entry */
	const char *footer;			/* or NULL */
};

/*
 * What every loader takes (-i, --oom-score-adj, --json, --exec-after,
 * --metrics, --no-oomd-xattrs, -v, -V, -h).
 */
struct oom_ext_opts {
	__u64 interval;		/* -i SECS; 0: counters only at exit */
	int oom_score_adj;	/* --oom-score-adj N; default -1000 */
	bool json;		/* --json */
	bool verbose;		/* -v */
	const char *exec_after;	/* --exec-after CMD */
	const char *metrics;	/* --metrics FILE */
	bool no_oomd_xattrs;	/* --no-oomd-xattrs */
};

void oom_ext_parse(int argc, char **argv, const struct oom_ext_tool *tool,
		   struct oom_ext_opts *opts);

/*
 * Output from fields (lib/output.c). A record (an event from a ring
 * buffer, the counters, the settings) is described once: its fields, by
 * type and offset. oom_ext_print() writes it as one JSON object, or as one
 * text line from a template in which {name} is a field's value, {?name
 * TEXT} is TEXT when the field is set (not 0, false or empty) and {!name
 * TEXT} when it is not. The --json field names are stable (README).
 */
enum oom_ext_ftype {
	OOM_EXT_F_U64,
	OOM_EXT_F_U32,
	OOM_EXT_F_S32,
	OOM_EXT_F_BOOL,
	OOM_EXT_F_STR,		/* a char array in the record */
	OOM_EXT_F_STRP,		/* a const char * in the record */
	OOM_EXT_F_CGROUP,	/* __u64 cgroup id: its path */
	OOM_EXT_F_MIB,		/* __u64 pages: MiB */
	OOM_EXT_F_MS_US,	/* __u32 microseconds: milliseconds */
	OOM_EXT_F_MS_US64,	/* __u64 microseconds: milliseconds */
	OOM_EXT_F_MS_NS,	/* __u64 nanoseconds: milliseconds */
	OOM_EXT_F_SECS_NS,	/* __u64 nanoseconds: seconds */
	OOM_EXT_F_PCT,		/* __u32 permille: percent */
	OOM_EXT_F_ERRNO,	/* __s32 -errno: its message; set only if < 0 */
	OOM_EXT_F_CUSTOM,	/* ->json() and ->text() */
};

struct oom_ext_field {
	const char *name;	/* the JSON key; {name} in templates */
	enum oom_ext_ftype type;
	unsigned int off;	/* in the record */
	bool text_only;		/* not in JSON (a value for a template only) */
	const bool *when;	/* if set: the field exists only while *when */
	const char *if_set;	/* if set: only when this field of the record is */
	void (*json)(const void *rec);	/* CUSTOM: the value */
	void (*text)(const void *rec);
	/*
	 * --metrics: the Prometheus name of a counters field (a counter if it
	 * ends in _total, else a gauge), and its HELP text.
	 */
	const char *metric;
	const char *metric_help;
};

#define OOM_EXT_FIELD(__name, __type, __rec, __member)			\
	{ .name = (__name), .type = (__type), .off = offsetof(__rec, __member) }
/* A __u64 counters field that --metrics also exports as @__metric. */
#define OOM_EXT_METRIC(__name, __rec, __member, __metric, __help)		\
	{ .name = (__name), .type = OOM_EXT_F_U64, .off = offsetof(__rec, __member), \
	  .metric = (__metric), .metric_help = (__help) }

struct oom_ext_format {
	const char *event;	/* the JSON "event" */
	const char *text;	/* the text template; NULL: "name value, ..." */
	const struct oom_ext_field *fields;	/* ends with an empty entry */
};

/* --json: set by oom_ext_parse(). */
extern bool oom_ext_json;

void oom_ext_print(const struct oom_ext_format *fmt, const void *rec);

/* For CUSTOM fields: JSON values and nested objects and arrays. */
void oom_ext_json_str(const char *key, const char *v);
void oom_ext_json_int(const char *key, long long v);
void oom_ext_json_num(const char *key, double v);
void oom_ext_json_open(const char *key, char bracket);
void oom_ext_json_close(char bracket);

/* Pages in MiB, with the system's page size. */
double oom_ext_mib(__u64 pages);

/*
 * The checks before anything is loaded; each exits with one line if it
 * does not hold (lib/oom_ext.c).
 *
 * CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN.
 */
void oom_ext_check_root(void);
/* @path must be a cgroup v2 directory with the memory controller. */
void oom_ext_check_cgroup(const char *opt, const char *path);
/* The kernel's BTF must have struct @type (else: "needs CONFIG_@config"). */
void oom_ext_check_kernel(const char *type, const char *what, const char *config);
/* Does the running kernel have the function (a kfunc, say) @name? */
bool oom_ext_kernel_has_func(const char *name);
/*
 * Keep this process alive and resident through an incident: mlockall() and
 * its own oom_score_adj. Warns and goes on if either is not permitted.
 */
void oom_ext_protect(const struct oom_ext_opts *opts);
/* All of the above for a bpf_oom_ops loader attaching to @cgroup (NULL: root). */
void oom_ext_check(const char *cgroup, const struct oom_ext_opts *opts);

/*
 * Attach a loaded bpf_oom_ops map to @cgroup (NULL: system-wide). Exits
 * with one clear line on failure (already attached, ...).
 */
struct bpf_link *oom_ext_attach(struct bpf_map *ops, const char *cgroup);

/*
 * One run API (lib/loop.c). A loader fills a struct oom_ext_loop and
 * calls oom_ext_run(), which prints the attached line, runs in the
 * foreground until SIGINT/SIGTERM, a callback's done or the link's
 * EPOLLHUP (the kernel detached the policy: its cgroup was removed), then
 * prints the counters, destroys every link (before the caller destroys
 * the skeleton) and says it detached. Returns the exit status.
 */
#define OOM_EXT_MAX_LINKS	4

struct oom_ext_loop;

/*
 * A file descriptor the loop also waits on, added while it runs (from a
 * callback): @ready gets the epoll events. The caller owns @w and @fd.
 */
struct oom_ext_watch {
	int fd;
	void (*ready)(struct oom_ext_loop *loop, struct oom_ext_watch *w, __u32 events);
	void *arg;
};

int oom_ext_loop_add(struct oom_ext_loop *loop, struct oom_ext_watch *w, __u32 events);
void oom_ext_loop_del(struct oom_ext_loop *loop, struct oom_ext_watch *w);

/*
 * One incident, before or after its kill (lib/prekill.c, lib/notify.c):
 * what is or was killed, why, and when. @kill_id names the incident in
 * every record about it (16 hex digits: the CLOCK_MONOTONIC nanosecond
 * of the warning, or of the kill when there was none).
 */
#define OOM_EXT_UID_UNKNOWN	(-1)

struct oom_ext_victim {
	unsigned int pid;	/* the first process (to be) killed */
	const char *cgroup;	/* the cgroup killed in: the victim's, or the group's */
	const char *reason;
	const char *kill_id;
	__u64 deadline_ns;	/* before a kill: the deadline; after: 0 */
	const char *comm;	/* NULL: read from /proc */
	int uid;		/* OOM_EXT_UID_UNKNOWN: read from /proc */
	unsigned int nr;	/* processes (to be) killed; 0: not known */
};

struct oom_ext_prekill;

/*
 * systemd-oomd's prekill protocol: io.systemd.oom.Prekill.Notify with the
 * cgroup (and our deadlineUSec, reason, killId, pid) to every socket in
 * @dir. A socket that does not accept is skipped. @done runs once, when
 * every hook replied or at the deadline, with how many replied of how
 * many were called. NULL, and no @done, if no hook was called.
 */
struct oom_ext_prekill *oom_ext_prekill_start(struct oom_ext_loop *loop, const char *dir,
					      const struct oom_ext_victim *v,
					      void (*done)(void *arg, unsigned int replied,
							   unsigned int total),
					      void *arg);
/*
 * --exec-before and --exec-after (named @opt in messages): run @cmd with
 * /bin/sh in its own session, with the victim in the environment in
 * earlyoom's style (OOM_EXT_PID, _NAME, _CMDLINE, _UID, _CGROUP, _UNIT,
 * _REASON, _N_PROCESSES, _KILL_ID, and _DEADLINE_USEC before a kill). Its
 * output goes where the loader's does. Never waited for: the loop reaps
 * it; with OOM_EXT_HOOKS_MAX commands still running, @cmd is not run.
 */
#define OOM_EXT_HOOKS_MAX	4

void oom_ext_exec_hook(struct oom_ext_loop *loop, const char *opt, const char *cmd,
		       const struct oom_ext_victim *v);

/*
 * After a kill, tell those who listen (lib/notify.c): the oomd xattrs on
 * the cgroup (unless --no-oomd-xattrs), a journal entry, --exec-after,
 * and the kill counts of --metrics, which is written at once.
 */
void oom_ext_killed(struct oom_ext_loop *loop, const struct oom_ext_victim *v);
/* A warning before a kill (--grace): its journal entry. */
void oom_ext_warned(struct oom_ext_loop *loop, const struct oom_ext_victim *v);
/*
 * --metrics FILE: the counters (the fields of @loop->counters that have a
 * ->metric) and the kills, in Prometheus' text format, written to a
 * temporary file and renamed over FILE. The loop calls it every -i
 * seconds and at exit.
 */
void oom_ext_metrics_write(const struct oom_ext_loop *loop);
/*
 * A live process's cgroup path and command (comm), from /proc; returns its
 * uid, or OOM_EXT_UID_UNKNOWN (and empty strings) once it is gone.
 */
int oom_ext_task_info(unsigned int pid, char *cgroup, size_t cgroup_len, char *comm,
		      size_t comm_len);
/* The systemd unit a cgroup path is in ("" if none): its deepest unit name. */
const char *oom_ext_cgroup_unit(const char *cgroup, char *buf, size_t len);

/* CLOCK_MONOTONIC, as bpf_ktime_get_ns() reads it. */
__u64 oom_ext_now_ns(void);

struct oom_ext_loop {
	struct bpf_link *links[OOM_EXT_MAX_LINKS];	/* [0]: watched for EPOLLHUP */
	const char *cgroup;		/* where links[0] is attached; NULL: root */
	struct bpf_map *events;		/* a ring buffer, or NULL */
	/* each record of @events; ctx is the loop */
	int (*on_event)(struct oom_ext_loop *loop, const void *data, size_t size);
	/* every @tick_secs seconds, if set */
	void (*on_tick)(struct oom_ext_loop *loop);
	unsigned int tick_secs;
	const struct oom_ext_format *attached;	/* and its record */
	const void *attached_rec;
	const struct oom_ext_format *counters;	/* every -i seconds and at exit */
	const void *counters_rec;
	bool done;			/* set by a callback: leave the loop */
	void *priv;			/* the loader's */
	int ep;				/* private: the epoll fd while running */
};

int oom_ext_run(struct oom_ext_loop *loop, const struct oom_ext_opts *opts);

/*
 * The loop of a bpf_oom_ops policy that uses common.bpf.h's reporting:
 * attach @ops to @cgroup, print each decision of @events and @stats.
 */
void oom_ext_policy_loop(struct oom_ext_loop *loop, struct bpf_map *ops,
			 struct bpf_map *events, const struct oom_ext_stats *stats,
			 const char *cgroup, bool dry_run);

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

/* The cgroup id of the cgroup v2 directory @path; 0 if it is not one. */
__u64 oom_ext_cgroup_id(const char *path);

/*
 * Resolve a cgroup id to its path below /sys/fs/cgroup ("/" for the root),
 * or "cgroup#ID" once it is removed. Cached: cgroup v2 paths never change.
 */
const char *oom_ext_cgroup_path(__u64 cgid, char *buf, size_t len);

#endif /* __OOM_EXT_H */
