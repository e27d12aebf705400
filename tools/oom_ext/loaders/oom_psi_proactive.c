// SPDX-License-Identifier: GPL-2.0
/*
 * oom_psi_proactive - foreground loader for policies/oom_psi_proactive.bpf.c.
 *
 * Checks the cgroups to watch (-c, repeatable) and the parents whose
 * children to watch (--children, repeatable) and the trigger specs, hands
 * them to the policy by cgroup id, attaches the bpf_psi_ops (a PSI policy
 * is not attached to a cgroup: it puts triggers on the cgroups it is
 * given), and prints what it does: the cgroups it watches, each OOM it
 * declares with the cgroup's oom_kill count afterwards, cool-downs, and
 * the counters every -i seconds. Watching the root cgroup means the
 * system-wide rule (--avail, --swap) instead of triggers there. It exits
 * on SIGINT/SIGTERM, or once every cgroup named on the command line is
 * gone. Its options go straight into the skeleton's rodata; each record it
 * prints is described once below, for text and JSON alike.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include <oom_ext/oom_ext.h>
#include "oom_psi_proactive.h"
#include "oom_psi_proactive.bpf.skel.h"

/*
 * -c (OOM_EXT_PSI_WATCH) and --children (OOM_EXT_PSI_PARENT) in command
 * line order, then the current children of each --children parent.
 */
static struct oom_ext_path target_v[OOM_EXT_PSI_MAX_TARGETS];
static struct oom_ext_paths targets = OOM_EXT_PATHS_INIT(target_v);
static unsigned int nr_named;		/* the first ones: named on the command line */
static unsigned int nr_named_left;	/* ... and not removed yet */
static bool system_wide;		/* the root is watched */
static bool graceful;			/* --grace */
static const char *prekill_dir;		/* --prekill-hooks; NULL: none */
static const char *exec_before;		/* --exec-before */
static struct oom_psi_proactive *skel;

/*
 * Check every path and resolve it to a cgroup id. The current children of
 * each --children parent become targets too; later ones the policy picks
 * up itself. Exits with one line on the first problem.
 */
static void resolve_targets(void)
{
	unsigned int i, j;
	__u64 id;

	nr_named = targets.n;
	for (i = 0; i < nr_named; i++) {
		struct oom_ext_path *t = &targets.v[i];
		const char *opt = t->tag == OOM_EXT_PSI_PARENT ? "--children" : "-c";
		char child[PATH_MAX];
		struct dirent *de;
		DIR *d;

		oom_ext_check_cgroup(opt, t->path);
		t->cgid = oom_ext_cgroup_id(t->path);
		if (!t->cgid) {
			oom_ext_err("%s %s: %s", opt, t->path, strerror(errno));
			exit(OOM_EXT_EXIT_USAGE);
		}
		if (t->tag == OOM_EXT_PSI_WATCH && t->cgid == OOM_EXT_ROOT_CGID)
			system_wide = true;
		for (j = 0; j < i; j++) {
			if (targets.v[j].cgid == t->cgid && targets.v[j].tag == t->tag) {
				oom_ext_err("%s %s: given twice", opt, t->path);
				exit(OOM_EXT_EXIT_USAGE);
			}
		}
		if (t->tag != OOM_EXT_PSI_PARENT)
			continue;
		d = opendir(t->path);
		while (d && (de = readdir(d))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(child, sizeof(child), "%s/%s", t->path, de->d_name);
			id = oom_ext_cgroup_id(child);
			if (id)
				oom_ext_paths_add(&targets, "--children", strdup(child),
						  OOM_EXT_PSI_WATCH)->cgid = id;
		}
		if (d)
			closedir(d);
	}
	nr_named_left = nr_named;
}

/*
 * Paths of the watched cgroups by id: a removed cgroup's path can no longer
 * be looked up, and its removal is worth a line that names it.
 */
static struct { __u64 cgid; char *path; } names[OOM_EXT_PSI_MAX_WATCHED];

static void name_remember(__u64 cgid, const char *path)
{
	int i;

	for (i = 0; i < OOM_EXT_PSI_MAX_WATCHED; i++) {
		if (!names[i].cgid) {
			names[i].cgid = cgid;
			names[i].path = strdup(path);
			return;
		}
	}
}

/* The path @cgid was watched under, forgotten now; NULL if unknown. */
static char *name_forget(__u64 cgid)
{
	char *path;
	int i;

	for (i = 0; i < OOM_EXT_PSI_MAX_WATCHED; i++) {
		if (names[i].cgid == cgid) {
			path = names[i].path;
			names[i].cgid = 0;
			names[i].path = NULL;
			return path;
		}
	}
	return NULL;
}

/* The counters (struct oom_ext_psi_stats), every -i seconds; --metrics. */
#define STAT(__name, __member, __metric, __help)				\
	OOM_EXT_METRIC(__name, struct oom_ext_psi_stats, __member, __metric, __help)
#define STAT_IF(__name, __member, __when, __metric, __help)			\
	{ .name = (__name), .type = OOM_EXT_F_U64, .when = (__when),		\
	  .off = offsetof(struct oom_ext_psi_stats, __member),			\
	  .metric = (__metric), .metric_help = (__help) }

static const struct oom_ext_format counters = {
	.event = "counters",
	.fields = (const struct oom_ext_field[]){
		STAT("watching", watched, "oom_ext_watched_cgroups",
		     "Cgroups whose pressure is watched now."),
		STAT("events", events, "oom_ext_psi_events_total", "Pressure events handled."),
		STAT("declared", declared, "oom_ext_declared_ooms_total",
		     "OOMs declared (with -n: that would have been)."),
		STAT("kills", kills, "oom_ext_declared_ooms_killed_total",
		     "Declared OOMs that killed."),
		STAT("unconfirmed", unconfirmed, NULL, NULL),
		STAT("cooling", cooling, NULL, NULL),
		STAT("progressing", progressing, NULL, NULL),
		STAT_IF("memory_samples", samples, &system_wide, "oom_ext_memory_samples_total",
			"Samples of the machine's available memory."),
		STAT_IF("requests_merged", short_waits, &system_wide, NULL, NULL),
		STAT_IF("warned", warned, &graceful, "oom_ext_warnings_total",
			"Warnings before a kill (--grace)."),
		STAT_IF("calmed", calmed, &graceful, "oom_ext_warnings_calmed_total",
			"Warnings whose rule stopped holding by the deadline: nothing killed."),
		STAT_IF("grace_kills", grace_kills, &graceful, "oom_ext_warnings_killed_total",
			"Warnings that ended in a kill, at the deadline or a hard condition."),
		{}
	},
};

/* The settings, read back from the loaded skeleton's rodata. */
#define RO(__name, __type, __member)					\
	OOM_EXT_FIELD(__name, __type, struct oom_psi_proactive__rodata, __member)
#define RO_IF(__name, __type, __member, __if)				\
	{ .name = (__name), .type = (__type), .if_set = (__if),		\
	  .off = offsetof(struct oom_psi_proactive__rodata, __member) }

static const struct oom_ext_format attached = {
	.event = "attached",
	.text =
	"attached to PSI triggers{?dry_run  in dry-run mode}; memory{?full_window_ms  full {full_ms} ms/{full_window_ms} ms}{?some_window_ms  some {some_ms} ms/{some_window_ms} ms}, cool-down {cooldown_s} s{?avail_pct ; system-wide: available memory < {avail_pct}%, free swap < {swap_pct}%}{?stall_window_ms  or full stall {stall_ms} ms/{stall_window_ms} ms}{?grace_ms ; grace {grace_ms} ms: warn{?warn_signal  with signal {warn_signal}} at the stall rule or usage over {warn_usage_pct}% of memory.max, kill at the deadline or at once over {kill_usage_pct}%{?kill_full_window_ms  or full stall {kill_full_ms} ms/{kill_full_window_ms} ms}{?avail_pct , system-wide at once under {kill_avail_pct}% available}}; Ctrl-C detaches",
	.fields = (const struct oom_ext_field[]){
		RO("dry_run", OOM_EXT_F_BOOL, dry_run),
		RO_IF("full_ms", OOM_EXT_F_MS_US, full_threshold_us, "full_window_ms"),
		RO_IF("full_window_ms", OOM_EXT_F_MS_US, full_window_us, "full_window_ms"),
		RO_IF("some_ms", OOM_EXT_F_MS_US, some_threshold_us, "some_window_ms"),
		RO_IF("some_window_ms", OOM_EXT_F_MS_US, some_window_us, "some_window_ms"),
		RO("cooldown_s", OOM_EXT_F_SECS_NS, cooldown_ns),
		RO_IF("avail_pct", OOM_EXT_F_PCT, avail_permille, "avail_pct"),
		RO_IF("swap_pct", OOM_EXT_F_PCT, swap_permille, "avail_pct"),
		RO_IF("stall_ms", OOM_EXT_F_MS_US, stall_threshold_us, "stall_window_ms"),
		RO_IF("stall_window_ms", OOM_EXT_F_MS_US, stall_window_us, "stall_window_ms"),
		RO_IF("grace_ms", OOM_EXT_F_MS_NS, grace_ns, "grace_ms"),
		RO_IF("warn_signal", OOM_EXT_F_S32, warn_signal, "grace_ms"),
		RO_IF("warn_usage_pct", OOM_EXT_F_PCT, warn_usage_permille, "grace_ms"),
		RO_IF("kill_usage_pct", OOM_EXT_F_PCT, kill_usage_permille, "grace_ms"),
		RO_IF("kill_avail_pct", OOM_EXT_F_PCT, kill_avail_permille, "grace_ms"),
		RO_IF("kill_full_ms", OOM_EXT_F_MS_US, kill_full_us, "kill_full_window_ms"),
		RO_IF("kill_full_window_ms", OOM_EXT_F_MS_US, kill_full_window_us,
		      "kill_full_window_ms"),
		{}
	},
};

/* A record as it is printed: the event and what is derived from it. */
struct view {
	struct oom_ext_psi_event e;
	char cgroup[512];
	const char *rule;	/* watching: "system" or "pressure" */
	const char *stall;	/* "full" or "some" */
	const char *result;	/* declared */
	const char *action;	/* system_short */
	bool last;		/* the last cgroup named on the command line went */
	bool killed, paused, stalled;
	__u64 after_ns;		/* system_short: from the sample to the request */
	__u32 avail_now, swap_now;	/* permille of RAM, of swap */
	const char *why;		/* --grace records */
	bool grouped;
	char kill_id[20];
	const char *signal;
	__u64 grace_ns;			/* warned: from now to the deadline */
	__u64 late_ns;			/* grace_kill: after the deadline */
	/* settings, for the text */
	__u32 avail_pct, swap_pct, stall_us, stall_window_us;
	__u64 cooldown_ns;
};

#define V(__name, __type, __member)	OOM_EXT_FIELD(__name, __type, struct view, __member)
#define V_TEXT(__name, __type, __member)					\
	{ .name = (__name), .type = (__type), .text_only = true,		\
	  .off = offsetof(struct view, __member) }
#define V_IF(__name, __type, __member, __if)					\
	{ .name = (__name), .type = (__type), .if_set = (__if),		\
	  .off = offsetof(struct view, __member) }

static const struct oom_ext_field watch_fields[] = {
	V("cgroup", OOM_EXT_F_STR, cgroup),
	V("rule", OOM_EXT_F_STRP, rule),
	V_TEXT("avail_pct", OOM_EXT_F_PCT, avail_pct),
	V_TEXT("swap_pct", OOM_EXT_F_PCT, swap_pct),
	{}
};

static const struct oom_ext_format watching = {
	"watching", "watching {cgroup}", watch_fields,
};

static const struct oom_ext_format watching_system = {
	"watching",
	"watching the whole machine: available memory under {avail_pct}% of RAM and free swap under {swap_pct}% of swap",
	watch_fields,
};

static const struct oom_ext_format gone = {
	"cgroup_removed",
	"{cgroup} was removed{?last ; every cgroup given on the command line is gone}",
	(const struct oom_ext_field[]){
		V("cgroup", OOM_EXT_F_STR, cgroup),
		V("last", OOM_EXT_F_BOOL, last),
		{}
	},
};

/* "/a: memory full stall over 100 ms per 1000 ms window, twice in a row: " */
#define INCIDENT							\
	"{cgroup}: memory {stall} stall over {threshold_ms} ms per {window_ms} ms window, twice in a row: "

static const struct oom_ext_field incident_fields[] = {
	V("cgroup", OOM_EXT_F_STR, cgroup),
	V("stall", OOM_EXT_F_STRP, stall),
	V("threshold_ms", OOM_EXT_F_MS_US64, e.stall_us),
	V("window_ms", OOM_EXT_F_MS_US64, e.window_us),
	V_IF("result", OOM_EXT_F_STRP, result, "result"),
	V_IF("error", OOM_EXT_F_ERRNO, e.err, "error"),
	V_IF("oom_kill", OOM_EXT_F_U64, e.oom_kills, "result"),
	V_TEXT("killed", OOM_EXT_F_BOOL, killed),
	{}
};

static const struct oom_ext_format would_declare = {
	"would_declare", INCIDENT "would declare an OOM [dry run]", incident_fields,
};

static const struct oom_ext_format declared = {
	"declared",
	INCIDENT
	"declared an OOM, {?killed a task was killed}{!killed nothing was killed} (oom_kill {oom_kill})",
	incident_fields,
};

static const struct oom_ext_format declared_exiting = {
	"declared",
	INCIDENT "an earlier OOM victim is still exiting, nothing more was killed",
	incident_fields,
};

static const struct oom_ext_format declared_failed = {
	"declared", INCIDENT "declaring an OOM failed: {error}", incident_fields,
};

static const struct oom_ext_format cooling = {
	"cooling",
	"{cgroup}: pressure again during the cool-down, ignored for {remaining_ms} ms more",
	(const struct oom_ext_field[]){
		V("cgroup", OOM_EXT_F_STR, cgroup),
		V("remaining_ms", OOM_EXT_F_U64, e.remaining_ms),
		{}
	},
};

static const struct oom_ext_format error = {
	"error", "{cgroup}: cannot create its triggers: {error}",
	(const struct oom_ext_field[]){
		V("cgroup", OOM_EXT_F_STR, cgroup),
		V("error", OOM_EXT_F_ERRNO, e.err),
		{}
	},
};

/* The system-wide rule held: what the sample saw, then what came of it. */
#define SHORT								\
	"system: available memory {available_mib} MiB of {total_mib} MiB ({avail_now}% < {avail_pct}%), {?stalled free swap {swap_free_mib} MiB, the machine stalls (full {stall_ms} ms per {stall_window_ms} ms, twice)}{!stalled {?swap_total_mib free swap {swap_free_mib} MiB ({swap_now}% < {swap_pct}%)}{!swap_total_mib no swap}}: "

static const struct oom_ext_field short_fields[] = {
	V("action", OOM_EXT_F_STRP, action),
	V("available_mib", OOM_EXT_F_MIB, e.available),
	V("total_mib", OOM_EXT_F_MIB, e.total),
	V("swap_free_mib", OOM_EXT_F_MIB, e.swap_free),
	V("swap_total_mib", OOM_EXT_F_MIB, e.swap_total),
	V("avail_pct", OOM_EXT_F_PCT, avail_pct),
	V("swap_pct", OOM_EXT_F_PCT, swap_pct),
	V("after_sample_ms", OOM_EXT_F_MS_NS, after_ns),
	V("stalled", OOM_EXT_F_BOOL, stalled),
	V_IF("oom_kills", OOM_EXT_F_U64, e.oom_kills, "paused"),
	V_IF("error", OOM_EXT_F_ERRNO, e.err, "error"),
	V_TEXT("paused", OOM_EXT_F_BOOL, paused),
	V_TEXT("avail_now", OOM_EXT_F_PCT, avail_now),
	V_TEXT("swap_now", OOM_EXT_F_PCT, swap_now),
	V_TEXT("stall_ms", OOM_EXT_F_MS_US, stall_us),
	V_TEXT("stall_window_ms", OOM_EXT_F_MS_US, stall_window_us),
	V_TEXT("cooldown_s", OOM_EXT_F_SECS_NS, cooldown_ns),
	{}
};

static const struct oom_ext_format short_dry_run = {
	"system_short", SHORT "would declare a system-wide OOM [dry run]", short_fields,
};

static const struct oom_ext_format short_paused_kills = {
	"system_short",
	SHORT
	"still short after {oom_kills} kill(s): killing does not end it; pausing {cooldown_s} s",
	short_fields,
};

static const struct oom_ext_format short_paused = {
	"system_short",
	SHORT "still short after {cooldown_s} s with nothing killed; pausing {cooldown_s} s",
	short_fields,
};

static const struct oom_ext_format short_failed = {
	"system_short", SHORT "declaring a system-wide OOM failed: {error}", short_fields,
};

static const struct oom_ext_format short_declared = {
	"system_short", SHORT "system-wide OOM declared, {after_sample_ms} ms after the sample",
	short_fields,
};

/* --grace: the warning, then the kill or the calm. */
static const struct oom_ext_field grace_fields[] = {
	V("cgroup", OOM_EXT_F_STR, cgroup),
	V("why", OOM_EXT_F_STRP, why),
	V("pid", OOM_EXT_F_U32, e.pid),
	V("processes", OOM_EXT_F_U32, e.nr),
	V_IF("group", OOM_EXT_F_CGROUP, e.group_cgid, "grouped"),
	V_TEXT("grouped", OOM_EXT_F_BOOL, grouped),
	V("deadline_ns", OOM_EXT_F_U64, e.deadline_ns),
	V("usage_mib", OOM_EXT_F_MIB, e.usage),
	V("max_mib", OOM_EXT_F_MIB, e.max),
	V_IF("error", OOM_EXT_F_ERRNO, e.err, "error"),
	V_TEXT("grace_ms", OOM_EXT_F_MS_NS, grace_ns),
	V("late_ms", OOM_EXT_F_MS_NS, late_ns),
	V("kill_id", OOM_EXT_F_STR, kill_id),
	V_TEXT("signal", OOM_EXT_F_STRP, signal),
	V_TEXT("signalled", OOM_EXT_F_U32, e.signalled),
	{}
};

static const struct oom_ext_field warned_fields[] = {
	V("cgroup", OOM_EXT_F_STR, cgroup),
	V("why", OOM_EXT_F_STRP, why),
	V("pid", OOM_EXT_F_U32, e.pid),
	V("processes", OOM_EXT_F_U32, e.nr),
	V_IF("group", OOM_EXT_F_CGROUP, e.group_cgid, "grouped"),
	V_TEXT("grouped", OOM_EXT_F_BOOL, grouped),
	V("deadline_ns", OOM_EXT_F_U64, e.deadline_ns),
	V("usage_mib", OOM_EXT_F_MIB, e.usage),
	V("max_mib", OOM_EXT_F_MIB, e.max),
	V_IF("signal", OOM_EXT_F_STRP, signal, "signal"),
	V_IF("signalled", OOM_EXT_F_U32, e.signalled, "signal"),
	V("kill_id", OOM_EXT_F_STR, kill_id),
	V("after_rule_ms", OOM_EXT_F_MS_NS, after_ns),
	V_TEXT("grace_ms", OOM_EXT_F_MS_NS, grace_ns),
	{}
};

static const struct oom_ext_format warned = {
	"warned",
	"{cgroup}: {why} (usage {usage_mib} MiB of {max_mib} MiB): an OOM would kill {?grouped every process of {group}, first }pid {pid}{!grouped  ({processes} process(es))}; {?signal sent {signal} to {signalled} process(es); }killing it in {grace_ms} ms unless the rule stops holding",
	warned_fields,
};

static const struct oom_ext_format warn_failed = {
	"warned", "{cgroup}: {why}: nothing to warn, not killing: {error}", grace_fields,
};

static const struct oom_ext_format calmed = {
	"calmed",
	"{cgroup}: the rule no longer holds at the deadline (usage {usage_mib} MiB of {max_mib} MiB): nothing killed",
	grace_fields,
};

static const struct oom_ext_format grace_killed = {
	"grace_kill",
	"{cgroup}: {why}: killed what was warned (pid {pid}{?grouped , the group {group}}), {late_ms} ms after the deadline",

	grace_fields,
};

static const struct oom_ext_format grace_early = {
	"grace_kill",
	"{cgroup}: {why}: killed what was warned (pid {pid}{?grouped , the group {group}}) before the deadline",
	grace_fields,
};

static const struct oom_ext_format grace_none = {
	"grace_kill",
	"{cgroup}: {why}: none of the warned processes is left: nothing killed", grace_fields,
};

static const struct oom_ext_format grace_failed = {
	"grace_kill", "{cgroup}: {why}: killing what was warned failed: {error}", grace_fields,
};

static const char *const why_text[] = {
	[OOM_EXT_PSI_WHY_STALL] = "memory stall",
	[OOM_EXT_PSI_WHY_USAGE] = "usage over the warning level",
	[OOM_EXT_PSI_WHY_DEADLINE] = "deadline",
	[OOM_EXT_PSI_WHY_HARD_USAGE] = "usage at the kill level",
	[OOM_EXT_PSI_WHY_HARD_STALL] = "full stall at the kill level",
	[OOM_EXT_PSI_WHY_HOOKS] = "every prekill hook replied",
	[OOM_EXT_PSI_WHY_SHORT] = "the machine is short of memory",
	[OOM_EXT_PSI_WHY_HARD_AVAIL] = "available memory at the kill level",
};

/* The prekill hooks of one warning: see hooks_finished(). */
struct hooks_call {
	__u64 cgid, kill_id;
	char cgroup[512];
};

struct hooks_view {
	const char *cgroup;
	__u32 replied, total;
	bool all;
	char kill_id[20];
};

static const struct oom_ext_format hooks = {
	"prekill_hooks",
	"{cgroup}: {replied} of {total} prekill hook(s) replied{?all ; killing now if the rule still holds}{!all  by the deadline}",
	(const struct oom_ext_field[]){
		OOM_EXT_FIELD("cgroup", OOM_EXT_F_STRP, struct hooks_view, cgroup),
		OOM_EXT_FIELD("replied", OOM_EXT_F_U32, struct hooks_view, replied),
		OOM_EXT_FIELD("total", OOM_EXT_F_U32, struct hooks_view, total),
		OOM_EXT_FIELD("kill_id", OOM_EXT_F_STR, struct hooks_view, kill_id),
		{ .name = "all", .type = OOM_EXT_F_BOOL, .text_only = true,
		  .off = offsetof(struct hooks_view, all) },
		{}
	},
};

/*
 * Every hook replied, or the deadline came. Once all replied, the policy
 * need not wait for the deadline: it kills at its next tick if the rule
 * still holds. The deadline itself needs nothing from here.
 */
static void hooks_finished(void *arg, unsigned int replied, unsigned int total)
{
	struct hooks_call *c = arg;
	struct hooks_view v = {
		.cgroup = c->cgroup, .replied = replied, .total = total,
		.all = replied == total,
	};

	snprintf(v.kill_id, sizeof(v.kill_id), "%016llx", (unsigned long long)c->kill_id);
	if (v.all)
		bpf_map_update_elem(bpf_map__fd(skel->maps.hooks_done), &c->cgid, &c->kill_id,
				    BPF_ANY);
	oom_ext_print(&hooks, &v);
	free(c);
}

/*
 * What was warned, by kill id, read while it lives: after the kill, its
 * records (notify.c) still name its cgroup, command and user.
 */
struct warned_task {
	__u64 kill_id;
	char cgroup[PATH_MAX];
	char comm[OOM_EXT_COMM_LEN];
	int uid;
};

static struct warned_task warned_tasks[16];
static unsigned int warned_next;

/* The victim of a --grace record; its cgroup is the group's for a group kill. */
static void grace_victim(const struct view *v, struct oom_ext_victim *victim)
{
	const struct warned_task *w = NULL;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(warned_tasks); i++)
		if (warned_tasks[i].kill_id == v->e.kill_id)
			w = &warned_tasks[i];
	*victim = (struct oom_ext_victim){
		.pid = v->e.pid, .cgroup = v->cgroup, .reason = v->why,
		.kill_id = v->kill_id, .uid = OOM_EXT_UID_UNKNOWN,
		.nr = v->e.action == OOM_EXT_PSI_GRACE_KILL ? (__u32)v->e.err : v->e.nr,
	};
	if (w && w->cgroup[0]) {
		victim->cgroup = w->cgroup;
		victim->comm = w->comm;
		victim->uid = w->uid;
	}
	if (v->e.action == OOM_EXT_PSI_WARNED)
		victim->deadline_ns = v->e.deadline_ns;
}

/* A warning went out: remember what, journal it, call the hooks. */
static void warned_out(struct oom_ext_loop *loop, const struct view *v)
{
	struct warned_task *w = &warned_tasks[warned_next++ % ARRAY_SIZE(warned_tasks)];
	struct oom_ext_victim victim;
	struct hooks_call *c;
	char path[PATH_MAX];

	w->kill_id = v->e.kill_id;
	w->uid = oom_ext_task_info(v->e.pid, w->cgroup, sizeof(w->cgroup), w->comm,
				   sizeof(w->comm));
	if (v->grouped)
		snprintf(w->cgroup, sizeof(w->cgroup), "%s",
			 oom_ext_cgroup_path(v->e.group_cgid, path, sizeof(path)));
	grace_victim(v, &victim);
	oom_ext_warned(loop, &victim);
	if (exec_before)
		oom_ext_exec_hook(loop, "--exec-before", exec_before, &victim);
	c = prekill_dir ? calloc(1, sizeof(*c)) : NULL;
	if (!c)
		return;
	c->cgid = v->e.cgid;
	c->kill_id = v->e.kill_id;
	snprintf(c->cgroup, sizeof(c->cgroup), "%s", v->cgroup);
	if (!oom_ext_prekill_start(loop, prekill_dir, &victim, hooks_finished, c))
		free(c);
}

static const struct oom_ext_format *grace_event(struct view *v)
{
	const struct oom_ext_psi_event *e = &v->e;
	static char sig[16];

	v->why = e->why < ARRAY_SIZE(why_text) ? why_text[e->why] : "?";
	v->grouped = e->group_cgid;
	snprintf(v->kill_id, sizeof(v->kill_id), "%016llx", (unsigned long long)e->kill_id);
	switch (e->action) {
	case OOM_EXT_PSI_WARNED:
		if (e->err)
			return &warn_failed;
		v->grace_ns = e->deadline_ns > e->ts_ns ? e->deadline_ns - e->ts_ns : 0;
		v->after_ns = e->ts_ns > e->seen_ns ? e->ts_ns - e->seen_ns : 0;
		if (skel->rodata->warn_signal) {
			snprintf(sig, sizeof(sig), "SIG%s",
				 sigabbrev_np(skel->rodata->warn_signal) ?: "?");
			v->signal = sig;
		}
		return &warned;
	case OOM_EXT_PSI_CALMED:
		return &calmed;
	default:
		if (e->err < 0)
			return &grace_failed;
		if (!e->err)
			return &grace_none;
		if (e->ts_ns < e->deadline_ns)
			return &grace_early;
		v->late_ns = e->ts_ns - e->deadline_ns;
		return &grace_killed;
	}
}

/* Rounded, as the "%.1f" of a percentage was. */
static __u32 permille(__u64 part, __u64 whole)
{
	return whole ? (2000 * part / whole + 1) / 2 : 0;
}

static const struct oom_ext_format *system_short(struct view *v)
{
	const struct oom_ext_psi_event *e = &v->e;

	v->stalled = e->full;
	v->after_ns = e->ts_ns - e->seen_ns;
	v->avail_now = permille(e->available, e->total);
	v->swap_now = permille(e->swap_free, e->swap_total);
	v->paused = e->action == OOM_EXT_PSI_SHORT_GAVE_UP;
	if (e->action == OOM_EXT_PSI_SHORT_DRY_RUN) {
		v->action = "dry_run";
		return &short_dry_run;
	}
	if (v->paused) {
		v->action = "paused";
		return e->oom_kills ? &short_paused_kills : &short_paused;
	}
	v->action = e->err < 0 ? "failed" : "declared";
	return e->err < 0 ? &short_failed : &short_declared;
}

/* Which record this is, and the state it changes; printed afterwards. */
static int on_event(struct oom_ext_loop *loop, const void *data, size_t size)
{
	const struct oom_psi_proactive__rodata *ro = skel->rodata;
	const struct oom_ext_format *fmt;
	struct view v = {
		.avail_pct = ro->avail_permille, .swap_pct = ro->swap_permille,
		.stall_us = ro->stall_threshold_us, .stall_window_us = ro->stall_window_us,
		.cooldown_ns = ro->cooldown_ns,
	};
	char *old;

	if (size < sizeof(v.e))
		return 0;
	memcpy(&v.e, data, sizeof(v.e));
	v.stall = v.e.full ? "full" : "some";
	if (v.e.action == OOM_EXT_PSI_GONE) {
		old = name_forget(v.e.cgid);
		snprintf(v.cgroup, sizeof(v.cgroup), "%s", old ?: "a cgroup");
		free(old);
	} else {
		oom_ext_cgroup_path(v.e.cgid, v.cgroup, sizeof(v.cgroup));
	}

	switch (v.e.action) {
	case OOM_EXT_PSI_WATCHING:
		name_remember(v.e.cgid, v.cgroup);
		v.rule = v.e.cgid == OOM_EXT_ROOT_CGID ? "system" : "pressure";
		fmt = v.e.cgid == OOM_EXT_ROOT_CGID ? &watching_system : &watching;
		break;
	case OOM_EXT_PSI_GONE:
		/* The last cgroup named on the command line: leave. */
		if (v.e.explicit && !--nr_named_left) {
			v.last = true;
			loop->done = true;
		}
		fmt = &gone;
		break;
	case OOM_EXT_PSI_DRY_RUN:
		fmt = &would_declare;
		break;
	case OOM_EXT_PSI_DECLARED:
		v.killed = v.e.err > 0;
		v.result = v.e.err == -EAGAIN ? "victim_exiting" : v.e.err < 0 ? "failed" :
			   v.e.err ? "killed" : "nothing_killed";
		fmt = v.e.err == -EAGAIN ? &declared_exiting : v.e.err < 0 ?
		      &declared_failed : &declared;
		break;
	case OOM_EXT_PSI_COOLING:
		fmt = &cooling;
		break;
	case OOM_EXT_PSI_SHORT:
	case OOM_EXT_PSI_SHORT_DRY_RUN:
	case OOM_EXT_PSI_SHORT_GAVE_UP:
		fmt = system_short(&v);
		break;
	case OOM_EXT_PSI_WARNED:
	case OOM_EXT_PSI_CALMED:
	case OOM_EXT_PSI_GRACE_KILL:
		fmt = grace_event(&v);
		break;
	default:
		fmt = &error;
	}
	/* A kill's records first: once its line is out, they are written. */
	if (v.e.action == OOM_EXT_PSI_GRACE_KILL && v.e.err > 0) {
		struct oom_ext_victim victim;

		grace_victim(&v, &victim);
		oom_ext_killed(loop, &victim);
	}
	oom_ext_print(fmt, &v);
	if (v.e.action == OOM_EXT_PSI_WARNED && !v.e.err)
		warned_out(loop, &v);
	return 0;
}

/* Hand the targets to the policy, by index. */
static void write_targets(void)
{
	int fd = bpf_map__fd(skel->maps.targets);
	char path[512];
	__u32 k;

	for (k = 0; k < targets.n; k++) {
		struct oom_ext_psi_target t = {
			.cgid = targets.v[k].cgid,
			.how = targets.v[k].tag,
			.explicit = k < nr_named,
		};

		if (t.how == OOM_EXT_PSI_PARENT)
			name_remember(t.cgid, oom_ext_cgroup_path(t.cgid, path, sizeof(path)));
		bpf_map_update_elem(fd, &k, &t, BPF_ANY);
	}
}

int main(int argc, char **argv)
{
	struct oom_ext_loop loop = {};
	struct oom_ext_opts opts;
	int ret;

	skel = OOM_EXT_OPEN(oom_psi_proactive);
	struct oom_psi_proactive__rodata *ro = skel->rodata;
	const struct oom_ext_option options[] = {
		{ .key = 'c', .arg = "PATH", .kind = OOM_EXT_OPT_PATHS, .dest = &targets,
		  .tag = OOM_EXT_PSI_WATCH,
		  .help = "watch the cgroup at PATH (repeatable); the root cgroup\n"
			  "means the whole machine (--avail, --swap)" },
		{ .name = "children", .arg = "PATH", .kind = OOM_EXT_OPT_PATHS, .dest = &targets,
		  .tag = OOM_EXT_PSI_PARENT,
		  .help = "watch every child of PATH, also ones created later\n(repeatable)" },
		{ .key = 'n', .kind = OOM_EXT_OPT_FLAG, .dest = &ro->dry_run,
		  .help = "dry run: report each OOM it would declare, declare none" },
		{ .name = "full", .arg = "T/W", .kind = OOM_EXT_OPT_STALL,
		  .dest = &ro->full_threshold_us, .dest2 = &ro->full_window_us,
		  .help = "trigger on 'full' memory stalls of T per window W\n"
			  "(T, W: e.g. 100ms/1s; W at most 10s)" },
		{ .name = "some", .arg = "T/W", .kind = OOM_EXT_OPT_STALL,
		  .dest = &ro->some_threshold_us, .dest2 = &ro->some_window_us,
		  .help = "the same for 'some' stalls (default: --full 50ms/500ms)" },
		{ .name = "cooldown", .arg = "SECS", .kind = OOM_EXT_OPT_SECS,
		  .dest = &ro->cooldown_ns, .scale = 1000000000ULL,
		  .help = "after declaring an OOM in a cgroup, leave it alone this\n"
			  "long (default 10)" },
		{ .name = "avail", .arg = "PCT", .kind = OOM_EXT_OPT_PERCENT,
		  .dest = &ro->avail_permille,
		  .help = "whole machine: declare a system-wide OOM when available\n"
			  "memory is under PCT of RAM (default 10)" },
		{ .name = "swap", .arg = "PCT", .kind = OOM_EXT_OPT_PERCENT,
		  .dest = &ro->swap_permille,
		  .help = "... and free swap under PCT of swap (default 10)" },
		{ .name = "stall", .arg = "T/W|off", .kind = OOM_EXT_OPT_STALL_OFF,
		  .dest = &ro->stall_threshold_us, .dest2 = &ro->stall_window_us,
		  .help = "... or, instead of the swap condition, the root's 'full'\n"
			  "memory stall exceeds T per window W twice in a row\n"
			  "(default 100ms/1s)" },
		{ .name = "grace", .arg = "DURATION", .kind = OOM_EXT_OPT_DURATION,
		  .dest = &ro->grace_ns,
		  .help = "warn first, kill after DURATION (e.g. 5s) if the rule\n"
			  "still holds (default 0: kill at once); see below" },
		{ .name = "warn-signal", .arg = "SIG", .kind = OOM_EXT_OPT_SIGNAL,
		  .dest = &ro->warn_signal,
		  .help = "--grace: the warning signal, to exactly what the kill\n"
			  "would hit (default TERM; none: no signal)" },
		{ .name = "warn-usage", .arg = "PCT", .kind = OOM_EXT_OPT_PERCENT,
		  .dest = &ro->warn_usage_permille,
		  .help = "--grace: also warn when usage passes PCT of memory.max\n"
			  "(default 90)" },
		{ .name = "kill-usage", .arg = "PCT", .kind = OOM_EXT_OPT_PERCENT,
		  .dest = &ro->kill_usage_permille,
		  .help = "--grace: kill before the deadline when usage reaches\n"
			  "PCT of memory.max (default 98)" },
		{ .name = "kill-avail", .arg = "PCT", .kind = OOM_EXT_OPT_PERCENT,
		  .dest = &ro->kill_avail_permille,
		  .help = "--grace, whole machine: kill before the deadline when\n"
			  "available memory is under PCT of RAM (default --avail / 2)" },
		{ .name = "kill-full", .arg = "T/W|off", .kind = OOM_EXT_OPT_STALL_OFF,
		  .dest = &ro->kill_full_us, .dest2 = &ro->kill_full_window_us,
		  .help = "--grace: ... or when the 'full' stall passes T per\n"
			  "window W (default 500ms/1s)" },
		{ .name = "prekill-hooks", .arg = "DIR|none", .kind = OOM_EXT_OPT_PATH,
		  .dest = &prekill_dir,
		  .help = "--grace: call systemd-oomd's prekill hooks, the varlink\n"
			  "sockets in DIR, at the warning; kill once all replied\n"
			  "(default /run/systemd/oomd.prekill.hook)" },
		{ .name = "exec-before", .arg = "CMD", .kind = OOM_EXT_OPT_COMMAND,
		  .dest = &exec_before,
		  .help = "--grace: run CMD at the warning, with OOM_EXT_PID and\n"
			  "the rest in its environment (see README)" },
		{}
	};
	const struct oom_ext_tool tool = {
		.summary = "declare an OOM in a cgroup whose memory pressure holds (PSI)",
		.options = options,
		.footer =
"A cgroup's incident is acted upon once its trigger fires in two consecutive\n"
"windows and it is stuck: more than 1/32 above its memory.high, or near its\n"
"memory.max and refaulting its working set. The victim is chosen by the policy\n"
"attached there or above (oom_cgroup_aware), else by the kernel.\n"
"\n"
"With --grace, the kernel is asked first what that OOM would kill, without\n"
"killing; exactly that is warned, and killed at the deadline if the rule still\n"
"holds. The deadline is kept in BPF: a stopped loader does not delay it.\n",
	};

	/* The defaults, before the options overwrite them. */
	ro->cooldown_ns = 10 * 1000000000ULL;
	ro->avail_permille = 100;
	ro->swap_permille = 100;
	ro->stall_threshold_us = 100000;
	ro->stall_window_us = 1000000;
	ro->warn_signal = SIGTERM;
	ro->kill_full_us = 1;	/* "not given"; off sets it to 0 */
	oom_ext_parse(argc, argv, &tool, &opts);
	graceful = ro->grace_ns;
	if (!graceful && (ro->warn_usage_permille || ro->kill_usage_permille ||
			  ro->kill_avail_permille ||
			  ro->kill_full_us != 1 || ro->warn_signal != SIGTERM || prekill_dir ||
			  exec_before)) {
		oom_ext_err("--warn-*, --kill-*, --prekill-hooks and --exec-before need --grace");
		return OOM_EXT_EXIT_USAGE;
	}
	if (!prekill_dir)
		prekill_dir = "/run/systemd/oomd.prekill.hook";
	else if (!strcmp(prekill_dir, "none"))
		prekill_dir = NULL;
	if (graceful) {
		if (!ro->warn_usage_permille)
			ro->warn_usage_permille = 900;
		if (!ro->kill_usage_permille)
			ro->kill_usage_permille = 980;
		if (ro->kill_full_us == 1) {
			ro->kill_full_us = 500000;
			ro->kill_full_window_us = 1000000;
		}
		if (!ro->kill_avail_permille)
			ro->kill_avail_permille = ro->avail_permille / 2;
		if (ro->kill_avail_permille >= ro->avail_permille) {
			oom_ext_err("--kill-avail must be below --avail (%u%% >= %u%%)",
				    ro->kill_avail_permille / 10, ro->avail_permille / 10);
			return OOM_EXT_EXIT_USAGE;
		}
		if (ro->kill_full_window_us && ro->kill_full_us == ro->full_threshold_us &&
		    ro->kill_full_window_us == ro->full_window_us) {
			oom_ext_err("--kill-full must differ from --full (the hard trigger would be the same)");
			return OOM_EXT_EXIT_USAGE;
		}
		if (ro->warn_usage_permille >= ro->kill_usage_permille) {
			oom_ext_err("--warn-usage must be below --kill-usage (%u%% >= %u%%)",
				    ro->warn_usage_permille / 10, ro->kill_usage_permille / 10);
			return OOM_EXT_EXIT_USAGE;
		}
	} else {
		ro->kill_full_us = 0;
	}
	if (!targets.n) {
		oom_ext_err("nothing to watch: give -c PATH or --children PATH");
		return OOM_EXT_EXIT_USAGE;
	}
	if (!ro->full_window_us && !ro->some_window_us) {
		ro->full_threshold_us = 50000;
		ro->full_window_us = 500000;
	}
	oom_ext_check_root();
	resolve_targets();
	oom_ext_check_kernel("bpf_psi_ops", "BPF PSI", "CONFIG_BPF_PSI");
	oom_ext_check_kernel("bpf_oom_ops", "BPF OOM", "CONFIG_BPF_OOM");
	oom_ext_protect(&opts);

	ro->nr_targets = targets.n;
	if (!system_wide) {
		/* The system-wide rule is off: no sampling, no victim count. */
		ro->avail_permille = 0;
		ro->swap_permille = 0;
		ro->stall_threshold_us = 0;
		ro->stall_window_us = 0;
		bpf_program__set_autoload(skel->progs.count_victim, false);
	}
	OOM_EXT_LOAD(skel, oom_psi_proactive);
	write_targets();

	/* The system-wide rule counts OOM victims: one per shortage. */
	if (system_wide) {
		loop.links[1] = bpf_program__attach(skel->progs.count_victim);
		if (!loop.links[1]) {
			oom_ext_err("cannot attach to the mark_victim tracepoint: %s",
				    strerror(errno));
			oom_psi_proactive__destroy(skel);
			return OOM_EXT_EXIT_FAIL;
		}
	}
	/* init() creates the triggers; its error is the attach's. */
	loop.links[0] = bpf_map__attach_struct_ops(skel->maps.psi_ops);
	if (!loop.links[0]) {
		oom_ext_err("cannot attach: %s (a watched cgroup was removed meanwhile?)",
			    strerror(errno));
		bpf_link__destroy(loop.links[1]);
		oom_psi_proactive__destroy(skel);
		return OOM_EXT_EXIT_FAIL;
	}
	/* Named in the line that says the kernel detached it. */
	loop.cgroup = targets.v[0].path;
	loop.events = skel->maps.events;
	loop.on_event = on_event;
	loop.attached = &attached;
	loop.attached_rec = skel->rodata;
	loop.counters = &counters;
	loop.counters_rec = &skel->bss->stats;
	ret = oom_ext_run(&loop, &opts);
	oom_psi_proactive__destroy(skel);
	return ret;
}
